#include "ui/scene_view.h"

#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkRenderer.h>

#include "ui/scene_document.h"

namespace inst3d {

SceneView::SceneView(SceneDocument* document, QWidget* parent) : VtkView(parent), document_(document) {
    renderWindow()->AddRenderer(renderer_.renderer());
    connect(document_, &SceneDocument::sceneChanged, this, &SceneView::onSceneChanged);
    connect(document_, &SceneDocument::colorModeChanged, this, &SceneView::onColorModeChanged);
    connect(document_, &SceneDocument::pointSizeChanged, this, &SceneView::onPointSizeChanged);
    // Start from whatever the document already holds.
    renderer_.setColorMode(document_->colorMode());
    renderer_.setPointSize(document_->pointSize());
    renderer_.setScene(document_->scene());
}

void SceneView::resetCamera() {
    renderer_.resetCamera();
    update();
}

void SceneView::onSceneChanged() {
    renderer_.setScene(document_->scene());
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

}  // namespace inst3d
