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
#include "render/scene_polydata.h"

namespace inst3d {

SceneRenderer::SceneRenderer()
    : renderer_(vtkSmartPointer<vtkRenderer>::New()),
      actor_(vtkSmartPointer<vtkActor>::New()),
      mapper_(vtkSmartPointer<vtkPolyDataMapper>::New()) {
    // Dark slate gradient: bright vertex colors stand out and the room's silhouette stays readable.
    renderer_->GradientBackgroundOn();
    renderer_->SetBackground(0.06, 0.07, 0.09);   // bottom
    renderer_->SetBackground2(0.23, 0.26, 0.31);  // top
    mapper_->SetScalarModeToUsePointData();
    mapper_->SetColorModeToDirectScalars();  // RGB bytes as is, no lookup table
    actor_->SetMapper(mapper_);
    actor_->VisibilityOff();
    renderer_->AddActor(actor_);
    applyMaterial();
}

SceneRenderer::~SceneRenderer() = default;

vtkRenderer* SceneRenderer::renderer() const { return renderer_; }
vtkActor* SceneRenderer::sceneActor() const { return actor_; }

void SceneRenderer::setScene(std::shared_ptr<const Scene> scene) {
    scene_ = std::move(scene);
    if (!scene_ || scene_->mesh.numVertices() == 0) {
        polyData_ = nullptr;
        mapper_->SetInputData(vtkSmartPointer<vtkPolyData>::New());
        actor_->VisibilityOff();
    } else {
        polyData_ = makeScenePolyData(*scene_, vertexColors(*scene_, colorMode_));
        mapper_->SetInputData(polyData_);
        actor_->VisibilityOn();
    }
    applyMaterial();
    resetCamera();
}

void SceneRenderer::setColorMode(ColorMode mode) {
    colorMode_ = mode;
    if (polyData_) setDisplayColors(polyData_, vertexColors(*scene_, mode));
    applyMaterial();
}

void SceneRenderer::setPointSize(double pixels) {
    pointSize_ = std::max(1.0, pixels);
    actor_->GetProperty()->SetPointSize(static_cast<float>(pointSize_));
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
    p->SetInterpolationToGouraud();
    // ScanNet triangles face the inside of the room (the scanner was inside). Culling back faces
    // lets the camera look over the near walls into the room, as every ScanNet viewer does.
    p->SetBackfaceCulling(!pointCloud);
}

void SceneRenderer::resetCamera() {
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
    // From above the -X/-Y corner, ~40 degrees over the floor: the "doll house" view of a room. The
    // near walls face away from this camera and are culled (applyMaterial), so the floor plan shows.
    double dir[3] = {-0.55, -0.80, 0.85};
    double len = std::sqrt(dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]);
    double fovRad = cam->GetViewAngle() * M_PI / 180.0;
    double distance = radius / std::sin(fovRad / 2);  // the bounding sphere fills the view height
    cam->SetFocalPoint(center);
    cam->SetPosition(center[0] + dir[0] / len * distance, center[1] + dir[1] / len * distance,
                     center[2] + dir[2] / len * distance);
    cam->SetViewUp(0, 0, 1);
    renderer_->ResetCameraClippingRange();
}

}  // namespace inst3d
