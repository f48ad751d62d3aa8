// The 3D view of one scene: a vtkRenderer with the scene actor, the color mode, the point size, the
// background and the default camera. It renders into whatever vtkRenderWindow it is added to: the
// Qt viewer's vtkGenericOpenGLRenderWindow or an offscreen window for screenshots, so both look alike.
#pragma once
#include <memory>

#include <vtkSmartPointer.h>

#include "core/geometry/ray_pick.h"
#include "core/scene/scene.h"
#include "render/color_mode.h"

class vtkActor;
class vtkPolyData;
class vtkPolyDataMapper;
class vtkRenderer;

namespace inst3d {

class SceneRenderer {
public:
    SceneRenderer();
    ~SceneRenderer();
    SceneRenderer(const SceneRenderer&) = delete;
    SceneRenderer& operator=(const SceneRenderer&) = delete;

    vtkRenderer* renderer() const;
    vtkActor* sceneActor() const;

    // Shows `scene` (nullptr clears the view) in the current color mode and resets the camera.
    void setScene(std::shared_ptr<const Scene> scene);
    const std::shared_ptr<const Scene>& scene() const { return scene_; }

    void setColorMode(ColorMode mode);   // recolors in place; the camera stays where it is
    ColorMode colorMode() const { return colorMode_; }

    void setPointSize(double pixels);    // point clouds (and any vertex cells)
    double pointSize() const { return pointSize_; }

    // Looks at the whole scene from above one corner, obliquely, Z up (the aligned frame).
    void resetCamera();

    // Emphasizes one instance (Instance::id; -1 clears): its vertices blend toward kHighlightColor
    // and its aligned box is outlined. Survives color-mode changes; cleared by setScene.
    void setHighlightedInstance(int id);
    int highlightedInstance() const { return highlighted_; }
    // Keeps the viewing direction and frames the instance's box. False when the id is unknown.
    bool focusInstance(int id);

    // Puts the 3D camera at a frame's pose (camera-to-world in the scene's raw frame, converted with
    // axisAlignment since the scene is drawn aligned) with that camera's field of view, and draws
    // its frustum. clearCameraPose hides the frustum.
    void showCameraPose(const Mat4& cameraToWorldRaw, const Intrinsics& k);
    void clearCameraPose();
    bool frustumVisible() const;

    // The vertex under display pixel (x, y), origin bottom-left as VTK counts, with the current
    // camera; needs the renderer to be in a sized render window.
    RayHit pick(double displayX, double displayY) const;

private:
    void applyMaterial();
    void applyColors();

    vtkSmartPointer<vtkRenderer> renderer_;
    vtkSmartPointer<vtkActor> actor_;
    vtkSmartPointer<vtkPolyDataMapper> mapper_;
    vtkSmartPointer<vtkPolyData> polyData_;
    vtkSmartPointer<vtkActor> boxActor_;
    vtkSmartPointer<vtkActor> frustumActor_;
    int highlighted_ = -1;
    std::shared_ptr<const Scene> scene_;
    ColorMode colorMode_ = ColorMode::Rgb;
    double pointSize_ = 3.0;
};

}  // namespace inst3d
