// The 3D view of one scene: a vtkRenderer with the scene actor, the color mode, the point size, the
// background and the default camera. It renders into whatever vtkRenderWindow it is added to: the
// Qt viewer's vtkGenericOpenGLRenderWindow or an offscreen window for screenshots, so both look alike.
#pragma once
#include <memory>
#include <set>
#include <vector>

#include <vtkSmartPointer.h>

#include "core/geometry/ray_pick.h"
#include "core/scene/scene.h"
#include "render/color_mode.h"
#include "render/scene_colors.h"

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
    vtkActor* lodActor() const;  // the reduced point sample drawn while the camera moves

    // Level of detail (render/scene_lod.h): while interacting, scenes with more vertices than the
    // budget draw a sample of `budget` points instead of the full actor. 0 turns LOD off (every
    // point is drawn in motion too: the benchmark's "plain VTK" column).
    void setLodPointBudget(size_t points);
    size_t lodPointBudget() const { return lodBudget_; }
    // Called when the camera starts and stops moving (SceneView: the interactor style's
    // Start/EndInteraction events). The next render shows the reduced or the full scene.
    void setInteracting(bool interacting);
    bool interacting() const { return interacting_; }
    bool lodActive() const;          // the reduced actor is the one being drawn
    long long drawnPoints() const;   // points of the scene actor being drawn (0 when none)

    // Shows `scene` (nullptr clears the view) in the current color mode and resets the camera.
    void setScene(std::shared_ptr<const Scene> scene);
    const std::shared_ptr<const Scene>& scene() const { return scene_; }

    void setColorMode(ColorMode mode);   // recolors in place; the camera stays where it is
    ColorMode colorMode() const { return colorMode_; }
    void setScoreThreshold(double threshold);  // Proposals mode: minimum score shown
    double scoreThreshold() const { return colorOptions_.scoreThreshold; }

    void setPointSize(double pixels);    // point clouds (and any vertex cells)
    double pointSize() const { return pointSize_; }

    // Looks at the whole scene from above one corner, obliquely, Z up (the aligned frame).
    void resetCamera();
    // Axis views of the whole scene: Top looks down -Z (+Y up on screen), Front looks along +Y, Side along -X.
    enum class StandardView { Top, Front, Side };
    void setStandardView(StandardView view);

    // Instances (Instance::id) whose vertices are not drawn; their boxes are not drawn either.
    void setHiddenInstances(const std::set<int>& ids);
    const std::set<int>& hiddenInstances() const { return hidden_; }
    // Outlines every instance's box in its instance color (the instances the color mode shows:
    // proposals over the threshold in Proposals mode, all instances otherwise), hidden ones excepted.
    void setShowAllBoxes(bool show);
    bool showAllBoxes() const { return showAllBoxes_; }
    int drawnBoxes() const { return drawnBoxes_; }

    // Emphasizes one instance (Instance::id; -1 clears): its vertices blend toward kHighlightColor
    // and its aligned box is outlined. Survives color-mode changes; cleared by setScene.
    void setHighlightedInstance(int id);
    int highlightedInstance() const { return highlighted_; }
    // Frames the instance's box as frameBoxes does. False when the id is unknown.
    bool focusInstance(int id);
    // Looks at the union of `boxes` from the room's side of them, kFrameElevationDeg above the floor plane,
    // so no wall of the room stands between the camera and the objects (the walls behind them face the
    // camera; the ones the camera passes are culled). False when there is no box or no scene.
    static constexpr double kFrameElevationDeg = 50;
    bool frameBoxes(const std::vector<AABB>& boxes);

    // Answer grounding: the objects' vertices tinted kGroundedColor, the rest of the scene dimmed, and
    // their boxes outlined in that color. Survives color-mode changes; empty clears; cleared by setScene.
    void setGroundedObjects(std::vector<GroundedObject> objects);
    const std::vector<GroundedObject>& groundedObjects() const { return grounded_; }

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
    std::vector<uint8_t> displayColors() const;  // color mode + selection highlight + grounding tint
    void rebuildLod();
    void frameScene(const double direction[3], const double up[3]);
    void applyHidden();
    void updateAllBoxes();
    void applyLodPointSize();
    void updateLodVisibility();

    vtkSmartPointer<vtkRenderer> renderer_;
    vtkSmartPointer<vtkActor> actor_;
    vtkSmartPointer<vtkPolyDataMapper> mapper_;
    vtkSmartPointer<vtkPolyData> polyData_;
    vtkSmartPointer<vtkActor> lodActor_;
    vtkSmartPointer<vtkPolyDataMapper> lodMapper_;
    vtkSmartPointer<vtkPolyData> lodPolyData_;  // null when the scene is within the budget
    std::vector<uint32_t> lodIds_;
    size_t lodBudget_;
    bool interacting_ = false;
    vtkSmartPointer<vtkActor> boxActor_;
    vtkSmartPointer<vtkActor> allBoxesActor_;
    std::set<int> hidden_;
    std::vector<uint8_t> hiddenMask_;  // [V], empty when nothing is hidden
    bool showAllBoxes_ = false;
    int drawnBoxes_ = 0;
    vtkSmartPointer<vtkActor> frustumActor_;
    int highlighted_ = -1;
    std::vector<GroundedObject> grounded_;
    vtkSmartPointer<vtkActor> groundedBoxesActor_;
    std::shared_ptr<const Scene> scene_;
    ColorMode colorMode_ = ColorMode::Rgb;
    ColorOptions colorOptions_;
    double pointSize_ = 3.0;
};

}  // namespace inst3d
