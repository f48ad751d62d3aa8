#include "render/scene_renderer.h"

#include <algorithm>
#include <cmath>

#include <vtkActor.h>
#include <vtkCamera.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>

#include "render/scene_colors.h"
#include "render/scene_lod.h"
#include "render/scene_overlays.h"
#include "render/scene_polydata.h"

namespace inst3d {
namespace {

// Unlit lines drawn over everything near them (a box edge must not vanish inside its own object).
vtkSmartPointer<vtkActor> makeOverlayActor(const Rgb8& color, double width) {
    auto actor = vtkSmartPointer<vtkActor>::New();
    auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    mapper->SetResolveCoincidentTopologyToPolygonOffset();
    actor->SetMapper(mapper);
    vtkProperty* p = actor->GetProperty();
    p->SetColor(color[0] / 255.0, color[1] / 255.0, color[2] / 255.0);
    p->SetLineWidth(static_cast<float>(width));
    p->SetLighting(false);
    actor->PickableOff();
    actor->VisibilityOff();
    return actor;
}

void setOverlay(vtkActor* actor, vtkSmartPointer<vtkPolyData> poly) {
    static_cast<vtkPolyDataMapper*>(actor->GetMapper())->SetInputData(poly);
    actor->SetVisibility(poly != nullptr);
}

}  // namespace

SceneRenderer::SceneRenderer()
    : renderer_(vtkSmartPointer<vtkRenderer>::New()),
      actor_(vtkSmartPointer<vtkActor>::New()),
      mapper_(vtkSmartPointer<vtkPolyDataMapper>::New()),
      lodActor_(vtkSmartPointer<vtkActor>::New()),
      lodMapper_(vtkSmartPointer<vtkPolyDataMapper>::New()),
      lodBudget_(kDefaultLodPoints) {
    // Dark slate gradient: bright vertex colors stand out and the room's silhouette stays readable.
    renderer_->GradientBackgroundOn();
    renderer_->SetBackground(0.06, 0.07, 0.09);   // bottom
    renderer_->SetBackground2(0.23, 0.26, 0.31);  // top
    renderer_->SetBackgroundAlpha(1.0);           // opaque: the Qt view blits the frame as is
    mapper_->SetScalarModeToUsePointData();
    mapper_->SetColorModeToDirectScalars();  // RGB bytes as is, no lookup table
    actor_->SetMapper(mapper_);
    actor_->VisibilityOff();
    renderer_->AddActor(actor_);
    lodMapper_->SetScalarModeToUsePointData();
    lodMapper_->SetColorModeToDirectScalars();
    lodActor_->SetMapper(lodMapper_);
    lodActor_->VisibilityOff();
    lodActor_->PickableOff();
    lodActor_->GetProperty()->SetLighting(false);  // points have no normals; scan colors carry the shading
    renderer_->AddActor(lodActor_);
    boxActor_ = makeOverlayActor(kHighlightColor, 3.0);
    frustumActor_ = makeOverlayActor({255, 255, 255}, 2.0);
    allBoxesActor_ = makeOverlayActor({255, 255, 255}, 2.0);
    groundedBoxesActor_ = makeOverlayActor(kGroundedColor, 3.0);
    for (vtkActor* a : {allBoxesActor_.Get(), groundedBoxesActor_.Get()}) {
        auto* boxesMapper = static_cast<vtkPolyDataMapper*>(a->GetMapper());
        boxesMapper->SetScalarModeToUseCellData();
        boxesMapper->SetColorModeToDirectScalars();
    }
    renderer_->AddActor(allBoxesActor_);
    renderer_->AddActor(boxActor_);
    renderer_->AddActor(groundedBoxesActor_);
    renderer_->AddActor(frustumActor_);
    applyMaterial();
}

SceneRenderer::~SceneRenderer() = default;

vtkRenderer* SceneRenderer::renderer() const { return renderer_; }
vtkActor* SceneRenderer::sceneActor() const { return actor_; }
vtkActor* SceneRenderer::lodActor() const { return lodActor_; }

void SceneRenderer::setScene(std::shared_ptr<const Scene> scene) {
    scene_ = std::move(scene);
    highlighted_ = -1;
    grounded_.clear();
    hidden_.clear();
    hiddenMask_.clear();
    setOverlay(boxActor_, nullptr);
    setOverlay(groundedBoxesActor_, nullptr);
    setOverlay(frustumActor_, nullptr);
    if (!scene_ || scene_->mesh.numVertices() == 0) {
        polyData_ = nullptr;
        mapper_->SetInputData(vtkSmartPointer<vtkPolyData>::New());
        actor_->VisibilityOff();
    } else {
        polyData_ = makeScenePolyData(*scene_, displayColors());
        mapper_->SetInputData(polyData_);
        actor_->VisibilityOn();
    }
    rebuildLod();
    updateAllBoxes();
    applyMaterial();
    resetCamera();
}

void SceneRenderer::setColorMode(ColorMode mode) {
    colorMode_ = mode;
    applyColors();
    updateAllBoxes();
    applyMaterial();
}

std::vector<uint8_t> SceneRenderer::displayColors() const {
    std::vector<uint8_t> rgb = highlightedColors(*scene_, colorMode_, highlighted_, colorOptions_);
    if (grounded_.empty()) return rgb;
    std::vector<uint8_t> mask(scene_->mesh.numVertices(), 0);
    for (const GroundedObject& o : grounded_)
        for (uint32_t v : o.vertices)
            if (v < mask.size()) mask[v] = 1;
    applyGroundingTint(rgb, mask);
    return rgb;
}

void SceneRenderer::applyColors() {
    if (!polyData_) return;
    setDisplayColors(polyData_, displayColors());
    if (lodPolyData_) updateLodColors(lodPolyData_, polyData_, lodIds_);
}

void SceneRenderer::setScoreThreshold(double threshold) {
    if (threshold == colorOptions_.scoreThreshold) return;
    colorOptions_.scoreThreshold = threshold;
    if (colorMode_ == ColorMode::Proposals) applyColors();
    updateAllBoxes();
}

void SceneRenderer::setHiddenInstances(const std::set<int>& ids) {
    hidden_ = ids;
    applyHidden();
    rebuildLod();
    updateAllBoxes();
}

void SceneRenderer::applyHidden() {
    hiddenMask_.clear();
    if (!scene_ || !polyData_) return;
    if (!hidden_.empty()) {
        hiddenMask_.assign(scene_->mesh.numVertices(), 0);
        for (const Instance& inst : scene_->instances)
            if (hidden_.count(inst.id))
                for (uint32_t v : inst.vertices)
                    if (v < hiddenMask_.size()) hiddenMask_[v] = 1;
    }
    setHiddenVertices(polyData_, scene_->mesh, hiddenMask_);
}

void SceneRenderer::setShowAllBoxes(bool show) {
    showAllBoxes_ = show;
    updateAllBoxes();
}

void SceneRenderer::updateAllBoxes() {
    std::vector<std::pair<AABB, Rgb8>> boxes;
    if (showAllBoxes_ && scene_) {
        std::vector<const Instance*> shown;
        if (colorMode_ == ColorMode::Proposals) shown = shownProposals(*scene_, colorOptions_.scoreThreshold);
        else
            for (const Instance& inst : scene_->instances) shown.push_back(&inst);
        for (const Instance* inst : shown)
            if (!inst->vertices.empty() && !hidden_.count(inst->id))
                boxes.push_back({scene_->alignedBox(*inst), instanceColor(inst->id)});
    }
    drawnBoxes_ = static_cast<int>(boxes.size());
    setOverlay(allBoxesActor_, boxes.empty() ? nullptr : makeBoxOutlines(boxes));
}

void SceneRenderer::setLodPointBudget(size_t points) {
    lodBudget_ = points;
    rebuildLod();
}

void SceneRenderer::rebuildLod() {
    const bool needed = polyData_ && lodBudget_ > 0 && size_t(polyData_->GetNumberOfPoints()) > lodBudget_;
    lodIds_ = needed ? lodSample(size_t(polyData_->GetNumberOfPoints()), lodBudget_) : std::vector<uint32_t>();
    // Hidden instances stay hidden in motion: drop their vertices from the sample.
    if (!hiddenMask_.empty())
        lodIds_.erase(std::remove_if(lodIds_.begin(), lodIds_.end(), [this](uint32_t v) { return hiddenMask_[v] != 0; }),
                      lodIds_.end());
    lodPolyData_ = needed ? makeLodPolyData(polyData_, lodIds_) : nullptr;
    lodMapper_->SetInputData(lodPolyData_ ? lodPolyData_ : vtkSmartPointer<vtkPolyData>::New());
    updateLodVisibility();
}

void SceneRenderer::setInteracting(bool interacting) {
    interacting_ = interacting;
    updateLodVisibility();
}

bool SceneRenderer::lodActive() const { return lodActor_->GetVisibility() != 0; }

void SceneRenderer::updateLodVisibility() {
    const bool lod = interacting_ && lodPolyData_;
    actor_->SetVisibility(polyData_ && !lod);
    lodActor_->SetVisibility(lod);
}

long long SceneRenderer::drawnPoints() const {
    if (lodActive()) return lodPolyData_->GetNumberOfPoints();
    return actor_->GetVisibility() && polyData_ ? polyData_->GetNumberOfPoints() : 0;
}

void SceneRenderer::setPointSize(double pixels) {
    pointSize_ = std::max(1.0, pixels);
    actor_->GetProperty()->SetPointSize(static_cast<float>(pointSize_));
    applyLodPointSize();
}

void SceneRenderer::applyLodPointSize() {
    // The sample is sparse: one pixel more keeps surfaces readable in motion, and point size costs
    // next to nothing on llvmpipe (the cost is per point, bench/bench_viewer.cpp --point-size).
    lodActor_->GetProperty()->SetPointSize(static_cast<float>(pointSize_ + 1));
}

void SceneRenderer::applyMaterial() {
    vtkProperty* p = actor_->GetProperty();
    bool pointCloud = scene_ && scene_->mesh.isPointCloud();
    // Scanned RGB already contains the room's lighting, so it gets mostly ambient light; flat
    // instance colors need the diffuse term to show shape. Point clouds have no normals: unlit.
    double ambient = pointCloud ? 1.0 : (colorMode_ == ColorMode::Rgb ? 0.55 : 0.35);
    p->SetAmbient(ambient);
    p->SetDiffuse(1.0 - ambient);
    p->SetSpecular(0.0);
    p->SetPointSize(static_cast<float>(pointSize_));
    applyLodPointSize();
    p->SetInterpolationToGouraud();
    // ScanNet triangles face the inside of the room (the scanner was inside). Culling back faces
    // lets the camera look over the near walls into the room, as every ScanNet viewer does.
    p->SetBackfaceCulling(!pointCloud);
}

void SceneRenderer::resetCamera() {
    // From above the -X/-Y corner, ~40 degrees over the floor: the "doll house" view of a room. The
    // near walls face away from this camera and are culled (applyMaterial), so the floor plan shows.
    const double dir[3] = {-0.55, -0.80, 0.85}, up[3] = {0, 0, 1};
    frameScene(dir, up);
}

void SceneRenderer::setStandardView(StandardView view) {
    // Tiny tilts keep the view-up vector from being parallel to the view direction.
    static const double top[3] = {0, -1e-6, 1}, front[3] = {0, -1, 0}, side[3] = {1, 0, 0};
    static const double yUp[3] = {0, 1, 0}, zUp[3] = {0, 0, 1};
    switch (view) {
        case StandardView::Top: frameScene(top, yUp); break;
        case StandardView::Front: frameScene(front, zUp); break;
        case StandardView::Side: frameScene(side, zUp); break;
    }
}

// Puts the camera on `direction` (from the scene's center towards the eye) so the bounding sphere fills the view.
void SceneRenderer::frameScene(const double dir[3], const double up[3]) {
    vtkCamera* cam = renderer_->GetActiveCamera();
    double b[6];
    if (!polyData_) {
        cam->SetFocalPoint(0, 0, 0);
        cam->SetPosition(-3, -4, 3);
        cam->SetViewUp(0, 0, 1);
        renderer_->ResetCameraClippingRange();
        return;
    }
    polyData_->GetBounds(b);
    double center[3] = {(b[0] + b[1]) / 2, (b[2] + b[3]) / 2, (b[4] + b[5]) / 2};
    double half[3] = {(b[1] - b[0]) / 2, (b[3] - b[2]) / 2, (b[5] - b[4]) / 2};
    double radius = std::max(1e-3, std::sqrt(half[0] * half[0] + half[1] * half[1] + half[2] * half[2]));
    double len = std::sqrt(dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]);
    double fovRad = cam->GetViewAngle() * M_PI / 180.0;
    double distance = radius / std::sin(fovRad / 2);  // the bounding sphere fills the view height
    cam->SetFocalPoint(center);
    cam->SetPosition(center[0] + dir[0] / len * distance, center[1] + dir[1] / len * distance,
                     center[2] + dir[2] / len * distance);
    cam->SetViewUp(up[0], up[1], up[2]);
    renderer_->ResetCameraClippingRange();
}

}  // namespace inst3d

namespace inst3d {

void SceneRenderer::setHighlightedInstance(int id) {
    const Instance* inst = scene_ && id >= 0 ? scene_->findInstance(id) : nullptr;
    highlighted_ = inst ? id : -1;
    applyColors();
    setOverlay(boxActor_, inst && !inst->vertices.empty() ? makeBoxOutline(scene_->alignedBox(*inst)) : nullptr);
}

bool SceneRenderer::focusInstance(int id) {
    const Instance* inst = scene_ ? scene_->findInstance(id) : nullptr;
    if (!inst || inst->vertices.empty()) return false;
    return frameBoxes({scene_->alignedBox(*inst)});
}

namespace {

// Horizontal unit vector from `from` towards `to`, or `fallback` (made horizontal) when they nearly coincide.
Vec3 horizontalDirection(const Vec3& from, const Vec3& to, const Vec3& fallback) {
    constexpr double kMinOffsetM = 0.2;
    Vec3 d{to.x - from.x, to.y - from.y, 0};
    if (norm(d) < kMinOffsetM) d = {fallback.x, fallback.y, 0};
    return norm(d) > 1e-9 ? normalized(d) : Vec3{-0.55, -0.80, 0};
}

}  // namespace

bool SceneRenderer::frameBoxes(const std::vector<AABB>& boxes) {
    AABB all;
    for (const AABB& b : boxes)
        if (!b.empty()) {
            all.extend(b.min);
            all.extend(b.max);
        }
    if (all.empty() || !polyData_) return false;
    vtkCamera* cam = renderer_->GetActiveCamera();
    double position[3], focal[3], b[6];
    cam->GetPosition(position);
    cam->GetFocalPoint(focal);
    polyData_->GetBounds(b);
    const Vec3 roomCenter{(b[0] + b[1]) / 2, (b[2] + b[3]) / 2, (b[4] + b[5]) / 2};
    const Vec3 c = all.center();
    const Vec3 current{position[0] - focal[0], position[1] - focal[1], position[2] - focal[2]};
    const Vec3 side = horizontalDirection(c, roomCenter, current);  // towards the room's interior
    const double elevation = kFrameElevationDeg * M_PI / 180.0;
    const Vec3 dir = side * std::cos(elevation) + Vec3{0, 0, std::sin(elevation)};
    // The boxes' bounding sphere fills ~60% of the view height; at least 1 m away so small objects keep context.
    constexpr double kFill = 0.6, kMinDistanceM = 1.0;
    const double radius = std::max(0.05, norm(all.size()) / 2);
    const double distance = std::max(kMinDistanceM, radius / std::sin(cam->GetViewAngle() * M_PI / 360.0) / kFill);
    const Vec3 eye = c + dir * distance;
    cam->SetFocalPoint(c.x, c.y, c.z);
    cam->SetPosition(eye.x, eye.y, eye.z);
    cam->SetViewUp(0, 0, 1);
    renderer_->ResetCameraClippingRange();
    return true;
}

void SceneRenderer::setGroundedObjects(std::vector<GroundedObject> objects) {
    grounded_ = scene_ ? std::move(objects) : std::vector<GroundedObject>();
    applyColors();
    std::vector<std::pair<AABB, Rgb8>> boxes;
    for (const GroundedObject& o : grounded_)
        if (!o.box.empty()) boxes.push_back({o.box, kGroundedColor});
    setOverlay(groundedBoxesActor_, boxes.empty() ? nullptr : makeBoxOutlines(boxes));
}

void SceneRenderer::showCameraPose(const Mat4& cameraToWorldRaw, const Intrinsics& k) {
    const Mat4 toAligned = (scene_ ? scene_->axisAlignment : Mat4()) * cameraToWorldRaw;
    const Vec3 eye = toAligned.transformPoint({0, 0, 0});
    const Vec3 forward = toAligned.transformVector({0, 0, 1}), up = toAligned.transformVector({0, -1, 0});
    vtkCamera* cam = renderer_->GetActiveCamera();
    cam->SetPosition(eye.x, eye.y, eye.z);
    cam->SetFocalPoint(eye.x + forward.x, eye.y + forward.y, eye.z + forward.z);
    cam->SetViewUp(up.x, up.y, up.z);
    if (k.fy > 0 && k.height > 0) cam->SetViewAngle(2.0 * std::atan(k.height / (2.0 * k.fy)) * 180.0 / M_PI);
    setOverlay(frustumActor_, makeFrustum(toAligned, k, 0.4));
    renderer_->ResetCameraClippingRange();
}

void SceneRenderer::clearCameraPose() { setOverlay(frustumActor_, nullptr); }

bool SceneRenderer::frustumVisible() const { return frustumActor_->GetVisibility() != 0; }

RayHit SceneRenderer::pick(double displayX, double displayY) const {
    if (!scene_ || !polyData_) return {};
    double nearW[4], farW[4];
    renderer_->SetDisplayPoint(displayX, displayY, 0.0);
    renderer_->DisplayToWorld();
    renderer_->GetWorldPoint(nearW);
    renderer_->SetDisplayPoint(displayX, displayY, 1.0);
    renderer_->DisplayToWorld();
    renderer_->GetWorldPoint(farW);
    if (nearW[3] == 0 || farW[3] == 0) return {};
    // The scene is drawn aligned; the mesh is raw: take the ray back with the inverse alignment.
    const Mat4 toRaw = scene_->axisAlignment.inverse();
    const Vec3 a = toRaw.transformPoint({nearW[0] / nearW[3], nearW[1] / nearW[3], nearW[2] / nearW[3]});
    const Vec3 b = toRaw.transformPoint({farW[0] / farW[3], farW[1] / farW[3], farW[2] / farW[3]});
    // Tolerance for point clouds: about the drawn point size at this view angle.
    const int* size = renderer_->GetSize();
    const double perPixel = renderer_->GetActiveCamera()->GetViewAngle() * M_PI / 180.0 / std::max(1, size[1]);
    return pickVertex(scene_->mesh, a, b - a, actor_->GetProperty()->GetBackfaceCulling() != 0,
                      perPixel * std::max(2.0, pointSize_), hiddenMask_);
}

}  // namespace inst3d
