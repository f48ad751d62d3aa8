// Renders a scene to a PNG without a Qt window: an offscreen VTK render window with the same
// SceneRenderer the viewer uses. Debian's VTK has no OSMesa/EGL, so this still needs an X server
// (Xvfb is enough); callers check for a display first (see hasDisplay in ui/).
#pragma once
#include <memory>
#include <string>

#include "core/scene/scene.h"
#include "render/color_mode.h"

namespace inst3d {

struct ScreenshotOptions {
    int width = 1280;
    int height = 800;
    ColorMode colorMode = ColorMode::Rgb;
    double pointSize = 3.0;
};

// Throws Error(pngPath, ...) when the image cannot be rendered or written.
void renderScreenshot(std::shared_ptr<const Scene> scene, const ScreenshotOptions& options, const std::string& pngPath);

}  // namespace inst3d
