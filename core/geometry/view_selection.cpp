#include "core/geometry/view_selection.h"

#include <algorithm>
#include <cmath>

#include "core/common/error.h"
#include "core/config/config.h"

namespace inst3d {
namespace {

int configInt(const Config& c, const char* key, int fallback) { return c.has(key) ? c.getInt(key) : fallback; }
double configDouble(const Config& c, const char* key, double fallback) {
    return c.has(key) ? c.getDouble(key) : fallback;
}

// The reference stores u/z into an int numpy array: truncation toward zero, not floor.
inline int64_t truncToInt(double v) { return static_cast<int64_t>(v); }

}  // namespace

ViewSelectionOptions ViewSelectionOptions::fromConfig(const Config& config) {
    ViewSelectionOptions o;
    o.topK = configInt(config, "views.top_k", o.topK);
    o.frameStride = configInt(config, "views.frame_stride", o.frameStride);
    o.depthThreshold = configDouble(config, "views.depth_threshold", o.depthThreshold);
    o.cropLevels = configInt(config, "views.crop_levels", o.cropLevels);
    o.cropExpansion = configDouble(config, "views.crop_expansion", o.cropExpansion);
    if (config.has("views.reference_intrinsics")) o.referenceIntrinsics = config.getBool("views.reference_intrinsics");
    if (o.topK < 1 || o.frameStride < 1 || o.cropLevels < 1 || !(o.depthThreshold >= 0) || !(o.cropExpansion >= 0))
        throw Error("config", "views: top_k, frame_stride and crop_levels must be >= 1, depth_threshold and "
                              "crop_expansion >= 0");
    return o;
}

Intrinsics adaptIntrinsicsOpenMask3D(const Intrinsics& color, int depthWidth, int depthHeight) {
    if (color.width == depthWidth && color.height == depthHeight) return color;  // the reference returns it as is
    const double h0 = color.height, w0 = color.width, hNew = depthHeight, wNew = depthWidth;
    const double resizeWidth = std::floor(wNew * h0 / w0);
    Intrinsics k = color;
    k.fx *= resizeWidth / h0;
    k.fy *= wNew / w0;
    k.cx *= (hNew - 1) / (h0 - 1);
    k.cy *= (wNew - 1) / (w0 - 1);
    k.width = depthWidth;
    k.height = depthHeight;
    return k;
}

std::vector<PixelBox> multiLevelCrops(const std::vector<uint32_t>& pixels, int width, int height, int levels,
                                      double expansion) {
    if (pixels.empty() || width <= 0) return {};
    PixelBox box{width, height, -1, -1};
    for (uint32_t p : pixels) {
        const int x = static_cast<int>(p % static_cast<uint32_t>(width)), y = static_cast<int>(p / static_cast<uint32_t>(width));
        box.x1 = std::min(box.x1, x);
        box.y1 = std::min(box.y1, y);
        box.x2 = std::max(box.x2, x + 1);  // mask2box: max + 1
        box.y2 = std::max(box.y2, y + 1);
    }
    std::vector<PixelBox> out;
    for (int level = 0; level < levels; ++level) {
        // int() of a non-negative product truncates, as the reference's int(abs(x2-x1)*ratio).
        const int dx = static_cast<int>(box.width() * expansion) * level;
        const int dy = static_cast<int>(box.height() * expansion) * level;
        out.push_back({std::max(0, box.x1 - dx), std::max(0, box.y1 - dy), std::min(width, box.x2 + dx),
                       std::min(height, box.y2 + dy)});
    }
    return out;
}

ViewSelector::ViewSelector(const Scene& scene, ViewSelectionOptions options)
    : scene_(scene), options_(options) {
    if (!scene.frames || scene.frames->numFrames() == 0)
        fail(scene.sourcePath, "the scene has no RGB-D frames, so no views can be selected");
    const Intrinsics depth = scene.frames->depthIntrinsics();
    intrinsics_ = options_.referenceIntrinsics
                      ? adaptIntrinsicsOpenMask3D(scene.frames->colorIntrinsics(), depth.width, depth.height)
                      : depth;
    depthShift_ = scene.frames->depthShift();
}

int strideForFrames(size_t numFrames, int preferredStride) {
    return std::max(1, std::min(preferredStride, int(numFrames / kMinSampledFrames)));
}

std::vector<size_t> ViewSelector::sampledFrames() const {
    std::vector<size_t> frames;
    const size_t stride = static_cast<size_t>(std::max(1, options_.frameStride));
    for (size_t f = 0; f < scene_.frames->numFrames(); f += stride)
        if (scene_.frames->pose(f).valid && scene_.frames->pose(f).cameraToWorld.isFinite()) frames.push_back(f);
    return frames;
}

std::vector<int64_t> ViewSelector::projectVisible(size_t frame, const std::vector<uint32_t>& vertices,
                                                  const ImageDepth16& depth) const {
    // np.linalg.inv in the reference: a general inverse, not the rigid shortcut.
    const Mat4 worldToCamera = scene_.frames->pose(frame).cameraToWorld.inverse();
    const Intrinsics& k = intrinsics_;
    const int w = depth.width, h = depth.height;
    std::vector<int64_t> out(vertices.size(), -1);
    for (size_t i = 0; i < vertices.size(); ++i) {
        const Vec3 c = worldToCamera.transformPoint(scene_.mesh.vertex(vertices[i]));
        // z == 0 cannot be divided; the reference then reuses a stale pixel from the previous view,
        // which is a bug we do not copy (it needs a vertex exactly on the camera plane).
        if (c.z == 0) continue;
        const int64_t x = truncToInt((k.fx * c.x + k.cx * c.z) / c.z);
        const int64_t y = truncToInt((k.fy * c.y + k.cy * c.z) / c.z);
        if (x < 0 || y < 0 || x >= w || y >= h) continue;
        const double measured = depth.at(static_cast<int>(x), static_cast<int>(y)) / depthShift_;
        if (std::fabs(measured - c.z) <= options_.depthThreshold) out[i] = y * w + x;
    }
    return out;
}

ViewVisibility ViewSelector::computeView(size_t frame) const {
    const ImageDepth16 depth = scene_.frames->depth(frame);
    if (depth.width != intrinsics_.width || depth.height != intrinsics_.height)
        fail(scene_.frames->description(), "depth frame " + std::to_string(frame) + " is " +
                                               std::to_string(depth.width) + "x" + std::to_string(depth.height) +
                                               ", expected " + std::to_string(intrinsics_.width) + "x" +
                                               std::to_string(intrinsics_.height));
    std::vector<uint32_t> all(scene_.mesh.numVertices());
    for (size_t v = 0; v < all.size(); ++v) all[v] = static_cast<uint32_t>(v);
    const std::vector<int64_t> pixel = projectVisible(frame, all, depth);
    ViewVisibility view;
    view.frame = frame;
    for (size_t v = 0; v < pixel.size(); ++v) {
        if (pixel[v] < 0) continue;
        view.vertices.push_back(static_cast<uint32_t>(v));
        view.pixels.push_back(static_cast<uint32_t>(pixel[v]));
    }
    return view;
}

bool ViewSelector::computeVisibility(const std::function<bool(double)>& progress) {
    if (prepared_) return true;
    const std::vector<size_t> frames = sampledFrames();
    std::vector<ViewVisibility> views;
    views.reserve(frames.size());
    for (size_t i = 0; i < frames.size(); ++i) {
        if (progress && !progress(static_cast<double>(i) / frames.size())) return false;
        views.push_back(computeView(frames[i]));
    }
    if (progress) progress(1.0);
    views_ = std::move(views);
    prepared_ = true;
    return true;
}

ViewSelection ViewSelector::select(const Instance& instance) {
    computeVisibility();
    std::vector<uint32_t> sorted = instance.vertices;
    std::sort(sorted.begin(), sorted.end());
    return selectVertices(sorted);
}

ViewSelection ViewSelector::selectVertices(const std::vector<uint32_t>& sortedVertices) const {
    ViewSelection result;
    result.width = intrinsics_.width;
    result.height = intrinsics_.height;
    std::vector<InstanceView> scored;
    for (const ViewVisibility& view : views_) {
        InstanceView iv;
        iv.frame = view.frame;
        // Merge of two ascending vertex lists: the instance's and the view's visible ones.
        size_t a = 0, b = 0;
        while (a < sortedVertices.size() && b < view.vertices.size()) {
            if (sortedVertices[a] < view.vertices[b]) ++a;
            else if (view.vertices[b] < sortedVertices[a]) ++b;
            else iv.pixels.push_back(view.pixels[b]), ++a, ++b;
        }
        std::sort(iv.pixels.begin(), iv.pixels.end());
        iv.pixels.erase(std::unique(iv.pixels.begin(), iv.pixels.end()), iv.pixels.end());
        iv.score = static_cast<int>(iv.pixels.size());
        if (iv.score > 0) scored.push_back(std::move(iv));
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const InstanceView& x, const InstanceView& y) { return x.score > y.score; });
    if (scored.size() > static_cast<size_t>(options_.topK)) scored.resize(static_cast<size_t>(options_.topK));
    for (InstanceView& iv : scored)
        iv.crops = multiLevelCrops(iv.pixels, result.width, result.height, options_.cropLevels, options_.cropExpansion);
    result.views = std::move(scored);
    return result;
}

}  // namespace inst3d
