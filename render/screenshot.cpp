#include "render/screenshot.h"

#include <cstring>

#include <vtkImageData.h>
#include <vtkCamera.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkWindowToImageFilter.h>

#include "core/common/error.h"
#include "core/io/image_codec.h"
#include "render/camera_text.h"
#include "render/scene_renderer.h"

namespace inst3d {
namespace {

// VTK images start at the bottom row; ImageRGB8 (and PNG) start at the top.
ImageRGB8 toImage(vtkImageData* data, int width, int height) {
    ImageRGB8 image;
    image.width = width;
    image.height = height;
    image.pixels.resize(static_cast<size_t>(width) * height * 3);
    const auto* src = static_cast<const uint8_t*>(data->GetScalarPointer());
    size_t row = static_cast<size_t>(width) * 3;
    for (int y = 0; y < height; ++y) std::memcpy(image.at(0, height - 1 - y), src + y * row, row);
    return image;
}

}  // namespace

ImageRGB8 renderSceneImage(std::shared_ptr<const Scene> scene, const ScreenshotOptions& options) {
    if (options.width < 16 || options.height < 16 || options.width > 16384 || options.height > 16384)
        fail("", "image size " + std::to_string(options.width) + "x" + std::to_string(options.height) +
                     " is out of range (16..16384 per side)");
    SceneRenderer view;
    view.setColorMode(options.colorMode);
    view.setPointSize(options.pointSize);
    view.setScoreThreshold(options.scoreThreshold);
    view.setScene(std::move(scene));
    if (options.selectId >= 0) {
        if (!view.scene() || !view.scene()->findInstance(options.selectId))
            fail("", "no instance with id " + std::to_string(options.selectId) + " in this scene");
        view.setHighlightedInstance(options.selectId);
        view.focusInstance(options.selectId);
    }
    if (!options.grounded.empty()) {
        view.setGroundedObjects(options.grounded);
        std::vector<AABB> boxes;
        for (const GroundedObject& o : options.grounded) boxes.push_back(o.box);
        view.frameBoxes(boxes);
    }
    if (!options.camera.empty()) {
        applyCameraText(options.camera, view.renderer()->GetActiveCamera());
        view.renderer()->ResetCameraClippingRange();
    }
    if (options.usedCamera) *options.usedCamera = cameraToText(view.renderer()->GetActiveCamera());

    auto window = vtkSmartPointer<vtkRenderWindow>::New();
    window->SetOffScreenRendering(1);
    window->SetMultiSamples(options.multiSamples);
    window->SetSize(options.width, options.height);
    window->AddRenderer(view.renderer());
    window->Render();

    auto grab = vtkSmartPointer<vtkWindowToImageFilter>::New();
    grab->SetInput(window);
    grab->SetInputBufferTypeToRGB();
    grab->ReadFrontBufferOff();
    grab->Update();
    vtkImageData* data = grab->GetOutput();
    int dims[3];
    data->GetDimensions(dims);
    if (dims[0] != options.width || dims[1] != options.height || data->GetNumberOfScalarComponents() != 3)
        fail("", "the offscreen render returned a " + std::to_string(dims[0]) + "x" + std::to_string(dims[1]) + " image");
    ImageRGB8 image = toImage(data, dims[0], dims[1]);
    window->Finalize();
    return image;
}

void renderScreenshot(std::shared_ptr<const Scene> scene, const ScreenshotOptions& options, const std::string& path) {
    ImageRGB8 image;
    try {
        image = renderSceneImage(std::move(scene), options);
    } catch (const Error& e) {
        fail(path, e.problem());
    }
    writeColorImage(path, image);
}

}  // namespace inst3d
