#include "ui/scene_view.h"

#include <QElapsedTimer>
#include <QMouseEvent>
#include <QTimer>

#include <vtkCommand.h>
#include <vtkCamera.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkInteractorStyle.h>
#include <vtkRenderer.h>

#include "core/geometry/ray_pick.h"
#include "render/camera_text.h"
#include "ui/scene_document.h"

namespace inst3d {

SceneView::SceneView(SceneDocument* document, QWidget* parent) : VtkView(parent), document_(document) {
    renderWindow()->AddRenderer(renderer_.renderer());
    connect(document_, &SceneDocument::sceneChanged, this, &SceneView::onSceneChanged);
    connect(document_, &SceneDocument::colorModeChanged, this, &SceneView::onColorModeChanged);
    connect(document_, &SceneDocument::pointSizeChanged, this, &SceneView::onPointSizeChanged);
    connect(document_, &SceneDocument::hiddenInstancesChanged, this, [this] {
        renderer_.setHiddenInstances(document_->hiddenInstances());
        update();
    });
    connect(document_, &SceneDocument::showAllBoxesChanged, this, [this](bool show) {
        renderer_.setShowAllBoxes(show);
        update();
    });
    connect(document_, &SceneDocument::scoreThresholdChanged, this, [this](double t) {
        renderer_.setScoreThreshold(t);
        update();
    });
    connect(document_, &SceneDocument::selectedInstanceChanged, this, &SceneView::onSelectedInstanceChanged);
    connect(document_, &SceneDocument::activeViewChanged, this, &SceneView::onActiveViewChanged);
    connect(document_, &SceneDocument::groundedObjectsChanged, this, &SceneView::onGroundedObjectsChanged);
    connect(this, &VtkView::frameRendered, this, &SceneView::adaptLod);
    flightTimer_ = new QTimer(this);
    connect(flightTimer_, &QTimer::timeout, this, &SceneView::flightStep);
    interactorStyle()->AddObserver(vtkCommand::StartInteractionEvent, this, &SceneView::onInteraction);
    interactorStyle()->AddObserver(vtkCommand::EndInteractionEvent, this, &SceneView::onInteraction);
    // Start from whatever the document already holds.
    renderer_.setColorMode(document_->colorMode());
    renderer_.setPointSize(document_->pointSize());
    renderer_.setScoreThreshold(document_->scoreThreshold());
    renderer_.setShowAllBoxes(document_->showAllBoxes());
    onSceneChanged();
}

void SceneView::onInteraction(vtkObject*, unsigned long event, void*) {
    setInteracting(event == vtkCommand::StartInteractionEvent);
}

void SceneView::setInteracting(bool on) {
    if (on && !renderer_.interacting()) {
        lodBudget_ = LodBudgetController(renderer_.lodPointBudget());  // continues from the last drag's budget
        motionFrameClock_.invalidate();
    }
    renderer_.setInteracting(on);
    setReducedResolution(on);
    // At the end of a drag nothing else asks for a frame: repaint now so the full scene comes back.
    if (!on) update();
}

void SceneView::adaptLod() {
    if (!adaptiveLod_ || !renderer_.interacting() || !renderer_.lodActive()) return;
    if (motionFrameClock_.isValid() && lodBudget_.addFrameInterval(motionFrameClock_.nsecsElapsed() * 1e-9))
        renderer_.setLodPointBudget(lodBudget_.budget());  // used from the next frame on
    motionFrameClock_.start();
}

void SceneView::resetCamera() {
    flight_.reset();
    renderer_.resetCamera();
    update();
}

void SceneView::setStandardView(SceneRenderer::StandardView view) {
    flight_.reset();
    renderer_.setStandardView(view);
    update();
}

QString SceneView::cameraText() const {
    return QString::fromStdString(cameraToText(const_cast<SceneRenderer&>(renderer_).renderer()->GetActiveCamera()));
}

void SceneView::setCameraText(const std::string& text) {
    flight_.reset();
    applyCameraText(text, renderer_.renderer()->GetActiveCamera());
    renderer_.renderer()->ResetCameraClippingRange();
    update();
}

void SceneView::focusSelection() {
    auto scene = document_->scene();
    const Instance* inst = scene ? scene->findInstance(document_->selectedInstance()) : nullptr;
    if (inst && !inst->vertices.empty()) flyTo({scene->alignedBox(*inst)});
}

// A flight interpolates eye and focal point from where the camera was to where frameBoxes puts it.
struct SceneView::Flight {
    double from[2][3], to[2][3];  // position, focal point
    QElapsedTimer clock;
};

bool SceneView::flyTo(const std::vector<AABB>& boxes) {
    vtkCamera* cam = renderer_.renderer()->GetActiveCamera();
    const std::string before = cameraToText(cam);
    auto f = std::make_shared<Flight>();
    cam->GetPosition(f->from[0]);
    cam->GetFocalPoint(f->from[1]);
    if (!renderer_.frameBoxes(boxes)) return false;
    cam->GetPosition(f->to[0]);
    cam->GetFocalPoint(f->to[1]);
    viewpoints_.push_back(before);
    if (viewpoints_.size() > size_t(kMaxViewpoints)) viewpoints_.erase(viewpoints_.begin());
    cam->SetPosition(f->from[0]);
    cam->SetFocalPoint(f->from[1]);
    flight_ = f;
    f->clock.start();
    flightTimer_->start(kFlightFrameMs);
    flightStep();
    return true;
}

void SceneView::flightStep() {
    if (!flight_) {
        flightTimer_->stop();
        return;
    }
    const double t = std::min(1.0, flight_->clock.elapsed() / double(kFlightMs));
    const double s = t * t * (3 - 2 * t);  // smoothstep: eases in and out
    vtkCamera* cam = renderer_.renderer()->GetActiveCamera();
    double p[2][3];
    for (int k = 0; k < 2; ++k)
        for (int c = 0; c < 3; ++c) p[k][c] = flight_->from[k][c] + s * (flight_->to[k][c] - flight_->from[k][c]);
    cam->SetPosition(p[0]);
    cam->SetFocalPoint(p[1]);
    cam->SetViewUp(0, 0, 1);
    renderer_.renderer()->ResetCameraClippingRange();
    if (t >= 1) flight_.reset();  // the timer stops at its next tick
    update();
}

bool SceneView::isFlying() const { return flight_ != nullptr; }

bool SceneView::previousViewpoint() {
    if (viewpoints_.empty()) return false;
    flight_.reset();
    setCameraText(viewpoints_.back());
    viewpoints_.pop_back();
    return true;
}

void SceneView::onSceneChanged() {
    auto scene = document_->scene();
    flight_.reset();
    viewpoints_.clear();  // the old scene's cameras
    renderer_.setScene(scene);
    renderer_.setHiddenInstances(document_->hiddenInstances());
    vertexInstance_ = scene ? vertexInstanceIds(*scene) : std::vector<int>();
    update();
}

void SceneView::onColorModeChanged() {
    renderer_.setColorMode(document_->colorMode());
    update();
}

void SceneView::onPointSizeChanged() {
    renderer_.setPointSize(document_->pointSize());
    update();
}

void SceneView::onSelectedInstanceChanged(int id) {
    renderer_.setHighlightedInstance(id);
    focusSelection();  // "fly to": frame the selection from the room's side
    update();
}

void SceneView::onGroundedObjectsChanged() {
    const std::vector<GroundedObject>& objects = document_->groundedObjects();
    renderer_.setGroundedObjects(objects);
    std::vector<AABB> boxes;
    for (const GroundedObject& o : objects) boxes.push_back(o.box);
    if (!boxes.empty()) flyTo(boxes);  // an empty list only clears: the camera stays
    update();
}

void SceneView::onActiveViewChanged(int frame) {
    auto scene = document_->scene();
    if (frame < 0 || !scene || !scene->frames) {
        renderer_.clearCameraPose();
    } else {
        FramePose pose = scene->frames->pose(static_cast<size_t>(frame));
        if (pose.valid) renderer_.showCameraPose(pose.cameraToWorld, scene->frames->colorIntrinsics());
    }
    update();
}

int SceneView::instanceAt(const QPoint& pos) {
    // The renderer's viewport must match the widget: VTK learns the size in initializeGL/resizeGL.
    const double dpr = devicePixelRatioF();
    RayHit hit = renderer_.pick(pos.x() * dpr, (height() - 1 - pos.y()) * dpr);
    if (hit.vertex < 0 || static_cast<size_t>(hit.vertex) >= vertexInstance_.size()) return -1;
    return vertexInstance_[static_cast<size_t>(hit.vertex)];
}

void SceneView::mousePressEvent(QMouseEvent* event) {
    pressed_ = event->button() == Qt::LeftButton;
    pressPos_ = event->position().toPoint();
    flight_.reset();  // the user takes the camera
    VtkView::mousePressEvent(event);
}

void SceneView::mouseReleaseEvent(QMouseEvent* event) {
    VtkView::mouseReleaseEvent(event);
    const QPoint pos = event->position().toPoint();
    // A click, not the end of a rotation: select what is under the cursor (nothing: clear).
    if (pressed_ && event->button() == Qt::LeftButton && (pos - pressPos_).manhattanLength() <= 3)
        document_->setSelectedInstance(instanceAt(pos));
    pressed_ = false;
}

}  // namespace inst3d
