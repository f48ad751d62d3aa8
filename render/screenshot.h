// Renders a scene to an image without a Qt window: an offscreen VTK render window with the same
// SceneRenderer the viewer uses, so screenshots look like the viewer. Debian's VTK has no OSMesa/EGL,
// so this still needs an X server (Xvfb is enough); callers check for a display first (ui/display_probe.h).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/scene/frames.h"
#include "core/scene/scene.h"
#include "render/color_mode.h"
#include "render/scene_renderer.h"

namespace inst3d {

struct ScreenshotOptions {
    int width = 1280;
    int height = 800;
    ColorMode colorMode = ColorMode::Rgb;
    double pointSize = 3.0;
    int multiSamples = 8;  // one-off images can afford smooth edges, even on llvmpipe
    double scoreThreshold = 0.0;  // Proposals mode
    int selectId = -1;            // highlight and frame this instance, as selecting it in the viewer does
    std::string camera;           // camera_text.h line applied last; empty: the default (or selection) view
    // Answer grounding (SceneRenderer::setGroundedObjects): tinted, the rest dimmed, and framed as the
    // viewer frames an answer's objects (unless `camera` is given).
    std::vector<GroundedObject> grounded;
    std::string* usedCamera = nullptr;  // when set, receives the camera_text.h line the image was rendered with
};

// Throws Error when the size is out of range (16..16384 per side).
ImageRGB8 renderSceneImage(std::shared_ptr<const Scene> scene, const ScreenshotOptions& options);
// .png or .jpg by extension, written atomically; throws Error(path, ...) on failure.
void renderScreenshot(std::shared_ptr<const Scene> scene, const ScreenshotOptions& options, const std::string& path);

}  // namespace inst3d
