// The 3D view of a SceneDocument: a VtkView showing a SceneRenderer, kept in sync with the document
// (scene, color mode, point size, selected instance, active camera view). A click (press and release
// without dragging) picks the instance under the cursor and selects it in the document.
// Presentation only: what the colors mean lives in render/, picking geometry in core/geometry.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <QElapsedTimer>
#include <QPoint>
#include <QString>

#include "render/lod_budget.h"
#include "render/scene_lod.h"
#include "render/scene_renderer.h"
#include "ui/vtk_view.h"

class QTimer;
class vtkObject;

namespace inst3d {

class SceneDocument;

class SceneView : public VtkView {
    Q_OBJECT

public:
    explicit SceneView(SceneDocument* document, QWidget* parent = nullptr);

    SceneRenderer& sceneRenderer() { return renderer_; }
    void resetCamera();
    // Camera in motion (a drag does this through the interactor style): the level-of-detail sample
    // drawn at reduced resolution (VtkView::setReducedResolution); at rest every point at full size.
    void setInteracting(bool on);
    // On by default: while the camera moves, the LOD sample grows or shrinks so that motion frames
    // keep ~24 fps (render/lod_budget.h). Off: the renderer's budget stays as set.
    void setAdaptiveLod(bool on) { adaptiveLod_ = on; }
    bool adaptiveLod() const { return adaptiveLod_; }
    void focusSelection();
    void setStandardView(SceneRenderer::StandardView view);
    // The viewpoint as render/camera_text.h writes it; setCameraText throws Error on a bad line.
    QString cameraText() const;
    void setCameraText(const std::string& text);
    // Instance::id under widget position `pos` (logical pixels), -1 for none.
    int instanceAt(const QPoint& pos);

    // Flies the camera to frame `boxes` (SceneRenderer::frameBoxes) over kFlightMs, and remembers where it
    // was: previousViewpoint() goes back, one flight at a time. Selecting an object and grounding an
    // answer fly this way. False (no move) without a scene or boxes.
    static constexpr int kFlightMs = 300;
    static constexpr int kMaxViewpoints = 50;
    bool flyTo(const std::vector<AABB>& boxes);
    bool isFlying() const;
    bool previousViewpoint();  // false when there is none
    int viewpointHistorySize() const { return int(viewpoints_.size()); }

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;

private:
    void onSceneChanged();
    void onColorModeChanged();
    void onPointSizeChanged();
    void onSelectedInstanceChanged(int id);
    void onActiveViewChanged(int frame);
    void onGroundedObjectsChanged();
    // Level of detail: the reduced scene while a drag moves the camera, the full one when it rests.
    void onInteraction(vtkObject*, unsigned long event, void*);
    void adaptLod();

    void flightStep();

    SceneDocument* document_;
    SceneRenderer renderer_;
    std::vector<std::string> viewpoints_;  // camera_text.h lines before each flight, oldest first
    struct Flight;
    std::shared_ptr<Flight> flight_;       // the flight under way, null at rest
    static constexpr int kFlightFrameMs = 16;
    QTimer* flightTimer_ = nullptr;
    std::vector<int> vertexInstance_;  // Instance::id per vertex, for picking
    QPoint pressPos_;
    bool pressed_ = false;
    bool adaptiveLod_ = true;
    LodBudgetController lodBudget_{kDefaultLodPoints};
    QElapsedTimer motionFrameClock_;  // since the previous motion frame; invalid at a drag's start
};

}  // namespace inst3d
