#include "render/screenshot.h"

#include <vtkImageData.h>
#include <vtkPNGWriter.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkWindowToImageFilter.h>

#include "core/common/error.h"
#include "render/scene_renderer.h"

namespace inst3d {

void renderScreenshot(std::shared_ptr<const Scene> scene, const ScreenshotOptions& options, const std::string& pngPath) {
    if (options.width < 16 || options.height < 16 || options.width > 16384 || options.height > 16384)
        fail(pngPath, "screenshot size " + std::to_string(options.width) + "x" + std::to_string(options.height) +
                          " is out of range (16..16384)");
    SceneRenderer view;
    view.setColorMode(options.colorMode);
    view.setPointSize(options.pointSize);
    view.setScene(std::move(scene));

    auto window = vtkSmartPointer<vtkRenderWindow>::New();
    window->SetOffScreenRendering(1);
    window->SetMultiSamples(8);  // llvmpipe handles it; smooth edges matter for docs screenshots
    window->SetSize(options.width, options.height);
    window->AddRenderer(view.renderer());
    window->Render();

    auto grab = vtkSmartPointer<vtkWindowToImageFilter>::New();
    grab->SetInput(window);
    grab->SetInputBufferTypeToRGB();
    grab->ReadFrontBufferOff();
    grab->Update();
    auto writer = vtkSmartPointer<vtkPNGWriter>::New();
    writer->SetFileName(pngPath.c_str());
    writer->SetInputConnection(grab->GetOutputPort());
    writer->Write();
    if (writer->GetErrorCode() != 0) fail(pngPath, "cannot write the PNG (VTK error code " + std::to_string(writer->GetErrorCode()) + ")");
    window->Finalize();
}

}  // namespace inst3d
