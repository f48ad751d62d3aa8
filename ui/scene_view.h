// The 3D view of a SceneDocument: a VtkView showing a SceneRenderer, kept in sync with the document
// (scene, color mode, point size). Presentation only: what the colors mean lives in render/.
#pragma once
#include "render/scene_renderer.h"
#include "ui/vtk_view.h"

namespace inst3d {

class SceneDocument;

class SceneView : public VtkView {
    Q_OBJECT

public:
    explicit SceneView(SceneDocument* document, QWidget* parent = nullptr);

    SceneRenderer& sceneRenderer() { return renderer_; }
    void resetCamera();

private:
    void onSceneChanged();
    void onColorModeChanged();
    void onPointSizeChanged();

    SceneDocument* document_;
    SceneRenderer renderer_;
};

}  // namespace inst3d
