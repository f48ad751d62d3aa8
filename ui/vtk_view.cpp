#include "ui/vtk_view.h"

#include <algorithm>
#include <cstdlib>

#include <QMouseEvent>
#include <QOpenGLContext>
#include <QOpenGLExtraFunctions>
#include <QOpenGLFunctions>
#include <QSurfaceFormat>
#include <QWheelEvent>

#include <vtkCommand.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkInteractorStyleTrackballCamera.h>
#include <vtkOpenGLState.h>

namespace inst3d {
namespace {

QSurfaceFormat vtkCompatibleFormat() {
    // VTK's OpenGL2 backend needs a 3.2 core context, and its render framebuffer needs depth+stencil.
    QSurfaceFormat format;
    format.setRenderableType(QSurfaceFormat::OpenGL);
    format.setVersion(3, 2);
    format.setProfile(QSurfaceFormat::CoreProfile);
    format.setDepthBufferSize(24);
    format.setStencilBufferSize(8);
    format.setAlphaBufferSize(8);
    format.setSwapBehavior(QSurfaceFormat::DoubleBuffer);
    return format;
}

}  // namespace

VtkView::VtkView(QWidget* parent) : QOpenGLWidget(parent) {
    setFormat(vtkCompatibleFormat());
    setFocusPolicy(Qt::StrongFocus);
    setMinimumSize(160, 120);

    window_ = vtkSmartPointer<vtkGenericOpenGLRenderWindow>::New();
    interactor_ = vtkSmartPointer<vtkGenericRenderWindowInteractor>::New();
    interactor_->SetRenderWindow(window_);
    style_ = vtkSmartPointer<vtkInteractorStyleTrackballCamera>::New();
    interactor_->SetInteractorStyle(style_);
    // The interactor must not render by itself (it would draw outside paintGL, with Qt's FBO not
    // bound): it asks Qt for a repaint instead, and paintGL does the rendering.
    interactor_->EnableRenderOff();
    installObservers();
}

VtkView::~VtkView() {
    // Free VTK's GL objects while the context still exists, then detach from this widget so a late
    // VTK callback cannot reach a half-destroyed QOpenGLWidget.
    makeCurrent();
    window_->Finalize();
    doneCurrent();
    window_->RemoveAllObservers();
    interactor_->RemoveAllObservers();
    style_->RemoveAllObservers();
}

vtkGenericOpenGLRenderWindow* VtkView::renderWindow() const { return window_; }
vtkGenericRenderWindowInteractor* VtkView::interactor() const { return interactor_; }
vtkInteractorStyle* VtkView::interactorStyle() const { return style_; }

void VtkView::installObservers() {
    window_->AddObserver(vtkCommand::WindowMakeCurrentEvent, this, &VtkView::onMakeCurrent);
    window_->AddObserver(vtkCommand::WindowIsCurrentEvent, this, &VtkView::onIsCurrent);
    interactor_->AddObserver(vtkCommand::RenderEvent, this, &VtkView::onRenderRequested);
}

void VtkView::onRenderRequested(vtkObject*, unsigned long, void*) { update(); }

void VtkView::onMakeCurrent(vtkObject*, unsigned long, void*) {
    // Not QOpenGLWidget::makeCurrent(): that also binds the widget's FBO behind vtkOpenGLState's
    // cache, VTK then attaches its textures to Qt's FBO and renders nothing (reference §2).
    QOpenGLContext* ctx = context();
    if (ctx) ctx->makeCurrent(ctx->surface());
}

void VtkView::onIsCurrent(vtkObject*, unsigned long, void* callData) {
    auto* isCurrent = static_cast<bool*>(callData);
    *isCurrent = context() && QOpenGLContext::currentContext() == context();
}

int VtkView::pixels(int logical) const { return static_cast<int>(logical * devicePixelRatioF() + 0.5); }

int VtkView::renderPixels(int logical) const {
    const int full = pixels(logical);
    return reduced_ ? std::max(1, static_cast<int>(full * kMotionResolutionScale + 0.5)) : full;
}

void VtkView::applyRenderSize() {
    // VTK resizes its render framebuffer on the next Render(); the interactor's size must follow so
    // that the trackball's motion per pixel matches the scaled event positions.
    window_->SetSize(renderPixels(width()), renderPixels(height()));
    interactor_->SetSize(renderPixels(width()), renderPixels(height()));
}

void VtkView::setReducedResolution(bool on) {
    if (on == reduced_) return;
    reduced_ = on;
    applyRenderSize();
    update();
}

QSize VtkView::renderSize() const {
    const int* size = window_->GetSize();
    return {size[0], size[1]};
}

void VtkView::detectRenderer() {
    const auto* name = reinterpret_cast<const char*>(context()->functions()->glGetString(GL_RENDERER));
    glRenderer_ = QString::fromLatin1(name ? name : "unknown");
    softwareRenderer_ = glRenderer_.contains("llvmpipe", Qt::CaseInsensitive) ||
                        glRenderer_.contains("softpipe", Qt::CaseInsensitive) ||
                        glRenderer_.contains("SwiftShader", Qt::CaseInsensitive) ||
                        glRenderer_.contains("Software", Qt::CaseInsensitive);
    // VTK renders into its own FBO, multisampled when asked (Qt's stays single-sampled). 4x MSAA
    // triples the frame time on llvmpipe (measured ~70 -> ~240 ms for 140k triangles), so software
    // GL renders aliased; real GPUs get smooth edges for free.
    window_->SetMultiSamples(softwareRenderer_ ? 0 : 4);
}

void VtkView::initializeGL() {
    detectRenderer();
    window_->SetReadyForRendering(true);
    window_->SetOwnContext(0);
    window_->SetFrameBlitModeToNoBlit();  // paintGL blits into Qt's FBO itself
    window_->GetState()->Reset();
    window_->GetState()->vtkglDepthFunc(GL_LEQUAL);
    applyRenderSize();
    window_->OpenGLInitContext();
    interactor_->Initialize();
}

void VtkView::resizeGL(int, int) { applyRenderSize(); }

void VtkView::paintGL() {
    vtkOpenGLState* state = window_->GetState();
    // Qt touched GL behind VTK's state cache since the last frame: resync, and restore Qt's state after.
    state->Reset();
    state->Push();
    state->vtkglDepthFunc(GL_LEQUAL);
    frameTimer_.start();
    window_->Render();
    double seconds = frameTimer_.nsecsElapsed() * 1e-9;
    lastFrameSize_ = renderSize();
    blitToQtFramebuffer(pixels(width()), pixels(height()));
    state->Pop();
    Q_EMIT frameRendered(seconds);
}

void VtkView::blitToQtFramebuffer(int w, int h) {
    vtkOpenGLState* state = window_->GetState();
    makeCurrent();  // rebinds Qt's FBO (defaultFramebufferObject) as the draw target
    state->vtkglBindFramebuffer(GL_DRAW_FRAMEBUFFER, defaultFramebufferObject());
    unsigned int attachment = GL_COLOR_ATTACHMENT0;
    state->vtkglDrawBuffers(1, &attachment);
    // From VTK's render size (smaller during motion frames) to the widget's, filtered when scaled up.
    const QSize src = lastFrameSize_;
    // Alpha is already 1 everywhere (renderers clear with background alpha 1, see the header): fixing
    // it here with an alpha-only clear would cost one more full-window pass on llvmpipe (~8 ms CPU).
    window_->BlitDisplayFramebuffer(0, 0, 0, src.width(), src.height(), 0, 0, w, h, GL_COLOR_BUFFER_BIT, GL_LINEAR);
}

void VtkView::setEventPosition(const QPointF& pos, Qt::KeyboardModifiers mods, int repeat) {
    // In VTK's render pixels: scaled down with the motion frames, like the interactor's size.
    const double scale = devicePixelRatioF() * (reduced_ ? kMotionResolutionScale : 1.0);
    interactor_->SetEventInformationFlipY(static_cast<int>(pos.x() * scale), static_cast<int>(pos.y() * scale),
                                          mods.testFlag(Qt::ControlModifier) ? 1 : 0,
                                          mods.testFlag(Qt::ShiftModifier) ? 1 : 0, 0, repeat);
    interactor_->SetAltKey(mods.testFlag(Qt::AltModifier) ? 1 : 0);
}

void VtkView::forwardMouseButton(QMouseEvent* event, bool press) {
    unsigned long vtkEvent = 0;
    switch (event->button()) {
        case Qt::LeftButton: vtkEvent = press ? vtkCommand::LeftButtonPressEvent : vtkCommand::LeftButtonReleaseEvent; break;
        case Qt::MiddleButton: vtkEvent = press ? vtkCommand::MiddleButtonPressEvent : vtkCommand::MiddleButtonReleaseEvent; break;
        case Qt::RightButton: vtkEvent = press ? vtkCommand::RightButtonPressEvent : vtkCommand::RightButtonReleaseEvent; break;
        default: return;
    }
    interactor_->InvokeEvent(vtkEvent, event);
    event->accept();
}

void VtkView::mousePressEvent(QMouseEvent* event) {
    setEventPosition(event->position(), event->modifiers());
    forwardMouseButton(event, true);
}

void VtkView::mouseDoubleClickEvent(QMouseEvent* event) {
    setEventPosition(event->position(), event->modifiers(), 1);
    forwardMouseButton(event, true);
}

void VtkView::mouseMoveEvent(QMouseEvent* event) {
    setEventPosition(event->position(), event->modifiers());
    interactor_->InvokeEvent(vtkCommand::MouseMoveEvent, event);
    event->accept();
}

void VtkView::mouseReleaseEvent(QMouseEvent* event) {
    setEventPosition(event->position(), event->modifiers());
    forwardMouseButton(event, false);
}

void VtkView::wheelEvent(QWheelEvent* event) {
    setEventPosition(event->position(), event->modifiers());
    // One VTK wheel event per notch (120 units); touchpads send many small deltas.
    static constexpr int kNotch = 120;
    int delta = event->angleDelta().y();
    if (delta == 0) return;
    unsigned long vtkEvent = delta > 0 ? vtkCommand::MouseWheelForwardEvent : vtkCommand::MouseWheelBackwardEvent;
    int steps = std::max(1, std::abs(delta) / kNotch);
    for (int i = 0; i < steps; ++i) interactor_->InvokeEvent(vtkEvent, event);
    event->accept();
}

void VtkView::enterEvent(QEnterEvent* event) {
    interactor_->InvokeEvent(vtkCommand::EnterEvent, event);
    QOpenGLWidget::enterEvent(event);
}

void VtkView::leaveEvent(QEvent* event) {
    interactor_->InvokeEvent(vtkCommand::LeaveEvent, event);
    QOpenGLWidget::leaveEvent(event);
}

}  // namespace inst3d
