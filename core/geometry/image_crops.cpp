#include "core/geometry/image_crops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace inst3d {

PixelBox scaleBoxToImage(const PixelBox& box, int depthWidth, int depthHeight, int colorWidth, int colorHeight) {
    const double sx = double(colorWidth) / depthWidth, sy = double(colorHeight) / depthHeight;
    // The small epsilon keeps exact multiples exact (2 * 1.0 must not ceil to 3 through rounding).
    auto lo = [](double v) { return int(std::floor(v + 1e-9)); };
    auto hi = [](double v) { return int(std::ceil(v - 1e-9)); };
    PixelBox out;
    out.x1 = std::clamp(lo(box.x1 * sx), 0, colorWidth);
    out.y1 = std::clamp(lo(box.y1 * sy), 0, colorHeight);
    out.x2 = std::clamp(hi(box.x2 * sx), out.x1, colorWidth);
    out.y2 = std::clamp(hi(box.y2 * sy), out.y1, colorHeight);
    return out;
}

ImageRGB8 cropImage(const ImageRGB8& image, const PixelBox& box) {
    ImageRGB8 out;
    const int x1 = std::clamp(box.x1, 0, image.width), x2 = std::clamp(box.x2, x1, image.width);
    const int y1 = std::clamp(box.y1, 0, image.height), y2 = std::clamp(box.y2, y1, image.height);
    out.width = x2 - x1;
    out.height = y2 - y1;
    if (out.width == 0 || out.height == 0) return out;
    out.pixels.resize(size_t(out.width) * out.height * 3);
    for (int y = 0; y < out.height; ++y)
        std::memcpy(out.at(0, y), image.at(x1, y1 + y), size_t(out.width) * 3);
    return out;
}

}  // namespace inst3d
