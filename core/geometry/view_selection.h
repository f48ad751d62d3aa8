// Which RGB-D frames show an instance best, and the image crops around it: OpenMask3D's view
// selection (shared/reference/inst3d-lmm-brief.md §5, steps 1-5 and 7), the one implementation that
// both the viewer's multi-view panel and the 2D feature extraction use.
//
// Per scene, once (computeVisibility):
//   1. sample frames 0, N, 2N, ... (N = frameStride); frames whose pose is invalid (-inf/NaN) are
//      skipped, as a tracker-lost frame can show nothing;
//   2. world->camera = inverse(camera_to_world) (raw mesh frame, OpenCV camera);
//   3. intrinsics = the color intrinsics adapted to the depth image size with OpenMask3D's
//      axis-quirky formula (adaptIntrinsicsOpenMask3D);
//   4. every raw mesh vertex is projected, pixel = truncation toward zero of (u/z, v/z), inside if
//      0 <= x < W and 0 <= y < H, visible if |depth[y,x]/depthShift - z| <= threshold (no check for
//      depth 0, as in the reference, so points within `threshold` of the camera pass on holes).
// Per instance (select):
//   5. score of a view = number of distinct pixels hit by the instance's visible vertices; the top-k
//      views by score, best first (ties: lower frame first; the reference's numpy argsort leaves tie
//      order unspecified). Views with score 0 are dropped here: the reference selects them when fewer
//      than k views see the mask, and then skips them.
//   7. crop boxes: the mask's pixel bounding box [x1,x2) x [y1,y2), each level l expanding every side
//      by int(width*ratio)*l and int(height*ratio)*l, clipped to the image.
// Pixels and boxes are at depth resolution; the reference crops color images of that same size.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/scene/frames.h"
#include "core/scene/scene.h"

namespace inst3d {

class Config;

struct ViewSelectionOptions {
    int topK = 5;                  // views kept per instance (OpenMask3D top_k)
    int frameStride = 10;          // every N-th frame (OpenMask3D frequency)
    double depthThreshold = 0.2;   // meters between projected z and measured depth (vis_threshold)
    int cropLevels = 3;            // multi-level crops per view (num_of_levels)
    double cropExpansion = 0.1;    // per level, fraction of the box size (multi_level_expansion_ratio)
    // true: the color intrinsics adapted to the depth size with the reference's axis-quirky formula
    // (adaptIntrinsicsOpenMask3D), so views match the released features bit for bit; false: the
    // scene's own depth intrinsics (ScanNet's intrinsic_depth.txt), geometrically right.
    bool referenceIntrinsics = true;

    // `views.top_k`, `views.frame_stride`, `views.depth_threshold`, `views.crop_levels`,
    // `views.crop_expansion`, `views.reference_intrinsics`; missing keys keep the defaults above.
    static ViewSelectionOptions fromConfig(const Config& config);
};

// A frame stride that leaves at least kMinSampledFrames frames of a capture to look at, never above
// `preferredStride`: OpenMask3D's every-10th frame suits ScanNet's ~30 Hz exports (thousands of frames),
// while a 12-frame capture needs every frame. What the viewer uses until the user sets a stride.
constexpr size_t kMinSampledFrames = 30;
int strideForFrames(size_t numFrames, int preferredStride);

// Half-open pixel rectangle [x1, x2) x [y1, y2).
struct PixelBox {
    int x1 = 0, y1 = 0, x2 = 0, y2 = 0;
    int width() const { return x2 - x1; }
    int height() const { return y2 - y1; }
    bool operator==(const PixelBox& o) const { return x1 == o.x1 && y1 == o.y1 && x2 == o.x2 && y2 == o.y2; }
};

struct InstanceView {
    size_t frame = 0;               // index in the scene's FrameSource
    int score = 0;                  // distinct visible pixels
    std::vector<uint32_t> pixels;   // those pixels as y*width + x, ascending
    std::vector<PixelBox> crops;    // cropLevels boxes, level 0 first
};

struct ViewSelection {
    int width = 0, height = 0;       // image size of pixels and crops (the depth images')
    std::vector<InstanceView> views; // best first, at most topK, every score > 0
};

// OpenMask3D's get_adapted_intrinsic: `color` (its width/height = the original resolution, ScanNet's
// 1296x968) adapted to a depthWidth x depthHeight image. With (H, W) indexing as in the reference:
//   rw = floor(W_new * H0 / W0); fx *= rw / H0; fy *= W_new / W0;
//   cx *= (H_new - 1) / (H0 - 1); cy *= (W_new - 1) / (W0 - 1)
// i.e. fx and cx are scaled by height ratios and fy and cy by width ratios. For ScanNet (1296x968 to
// 640x480) that is fx*0.49380, fy*0.49383, cx*0.49535, cy*0.49344: within a pixel of a proper
// rescale, and kept bit-exact so the selected views match the reference features.
Intrinsics adaptIntrinsicsOpenMask3D(const Intrinsics& color, int depthWidth, int depthHeight);

// Step 7 for a mask given as pixel indices (y*width + x) in a width x height image; empty when the
// mask is empty.
std::vector<PixelBox> multiLevelCrops(const std::vector<uint32_t>& pixels, int width, int height, int levels,
                                      double expansion);

// One sampled view's visible vertices: vertex ids ascending, with the pixel (y*width + x) each hits.
struct ViewVisibility {
    size_t frame = 0;
    std::vector<uint32_t> vertices;
    std::vector<uint32_t> pixels;
};

class ViewSelector {
public:
    // Keeps a reference to `scene`, which must outlive the selector. Throws Error when the scene has
    // no frames.
    ViewSelector(const Scene& scene, ViewSelectionOptions options = {});

    const ViewSelectionOptions& options() const { return options_; }
    const Intrinsics& intrinsics() const { return intrinsics_; }  // adapted, at depth resolution
    std::vector<size_t> sampledFrames() const;                    // valid-pose frames 0, N, 2N, ...

    // Steps 1-4 for all vertices (decodes one depth image per sampled frame). progress(fraction)
    // returning false cancels: the call then returns false and the selector stays unprepared.
    bool computeVisibility(const std::function<bool(double)>& progress = {});
    bool hasVisibility() const { return prepared_; }
    const std::vector<ViewVisibility>& visibility() const { return views_; }

    // Steps 5 and 7 for one instance. Computes the visibility first if needed.
    ViewSelection select(const Instance& instance);
    // Same, for an instance's vertex list (sorted ascending), once the visibility is computed.
    ViewSelection selectVertices(const std::vector<uint32_t>& sortedVertices) const;

    // Steps 2-4 for one frame and a set of vertices (pixel per vertex, -1 when not visible): the
    // reference per-view test, exposed for the extraction code and tests.
    std::vector<int64_t> projectVisible(size_t frame, const std::vector<uint32_t>& vertices,
                                        const ImageDepth16& depth) const;

private:
    ViewVisibility computeView(size_t frame) const;

    const Scene& scene_;
    ViewSelectionOptions options_;
    Intrinsics intrinsics_;
    double depthShift_ = 1000.0;
    std::vector<ViewVisibility> views_;
    bool prepared_ = false;
};

}  // namespace inst3d
