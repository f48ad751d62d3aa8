// A Qt 6 widget that shows a VTK render window. Debian's VTK Qt module (QVTKOpenGLNativeWidget) is
// built for Qt 5, so this is the same adapter written against Qt 6: a QOpenGLWidget that lets a
// vtkGenericOpenGLRenderWindow render into its own framebuffers and blits the result into Qt's FBO
// (docs: shared/reference/debian-dependencies.md §2). Mouse and wheel events are forwarded to a
// vtkGenericRenderWindowInteractor with a trackball camera: left rotate, middle (or shift+left) pan,
// right drag or wheel zoom, ctrl+left spin.
//
// The widget knows nothing about scenes: add renderers to renderWindow() and call update(). Renderers
// must clear with SetBackgroundAlpha(1): the frame is blitted into Qt's FBO as is, and alpha < 1 would
// let the window composition blend the view with what is behind it.
#pragma once
#include <QElapsedTimer>
#include <QOpenGLWidget>
#include <QString>

#include <vtkSmartPointer.h>

class vtkGenericOpenGLRenderWindow;
class vtkGenericRenderWindowInteractor;
class vtkInteractorStyle;
class vtkObject;

namespace inst3d {

class VtkView : public QOpenGLWidget {
    Q_OBJECT

public:
    explicit VtkView(QWidget* parent = nullptr);
    ~VtkView() override;

    vtkGenericOpenGLRenderWindow* renderWindow() const;
    vtkGenericRenderWindowInteractor* interactor() const;
    // The trackball style: it invokes StartInteractionEvent / EndInteractionEvent around every drag.
    vtkInteractorStyle* interactorStyle() const;
    // GL_RENDERER of the widget's context once it exists ("llvmpipe (LLVM 15.0.6, 256 bits)").
    QString glRenderer() const { return glRenderer_; }
    bool isSoftwareRenderer() const { return softwareRenderer_; }
    QSize sizeHint() const override { return {960, 640}; }

    // Motion frames at reduced resolution: while on, VTK renders into its framebuffer at
    // kMotionResolutionScale of the widget's pixel size and paintGL scales the image up (GL_LINEAR) into
    // Qt's framebuffer. On llvmpipe VTK's clear/raster/blit work scales with pixels (docs/performance.md,
    // "Viewer (issue 3)"). Mouse positions are scaled alike, so a drag rotates at the same speed. Takes
    // effect at once (picking right after turning it off sees the full size) and lasts until turned off.
    static constexpr double kMotionResolutionScale = 0.5;
    void setReducedResolution(bool on);
    bool reducedResolution() const { return reduced_; }
    // The size VTK renders at now (device pixels), and the size it rendered the last frame at.
    QSize renderSize() const;
    QSize lastFrameRenderSize() const { return lastFrameSize_; }

Q_SIGNALS:
    // After every frame; `seconds` is the time VTK took to render it (for fps readouts).
    void frameRendered(double seconds);

protected:
    void initializeGL() override;
    void resizeGL(int w, int h) override;
    void paintGL() override;

    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void enterEvent(QEnterEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    void installObservers();
    void detectRenderer();
    // VTK observer callbacks (vtkObject::AddObserver member-function form).
    void onMakeCurrent(vtkObject*, unsigned long, void*);
    void onIsCurrent(vtkObject*, unsigned long, void* callData);
    void onRenderRequested(vtkObject*, unsigned long, void*);
    void blitToQtFramebuffer(int w, int h);
    void setEventPosition(const QPointF& pos, Qt::KeyboardModifiers mods, int repeat = 0);
    void forwardMouseButton(QMouseEvent* event, bool press);
    int pixels(int logical) const;
    // Widget size in device pixels times the current render scale (1, or the motion scale).
    int renderPixels(int logical) const;
    void applyRenderSize();

    vtkSmartPointer<vtkGenericOpenGLRenderWindow> window_;
    vtkSmartPointer<vtkGenericRenderWindowInteractor> interactor_;
    vtkSmartPointer<vtkInteractorStyle> style_;
    QElapsedTimer frameTimer_;
    QString glRenderer_;
    bool softwareRenderer_ = false;
    bool reduced_ = false;
    QSize lastFrameSize_;
};

}  // namespace inst3d
