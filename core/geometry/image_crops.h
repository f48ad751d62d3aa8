// Cutting a view's crops out of its color frame. Crop boxes are computed at depth resolution (the
// reference projects into the depth image); ScanNet exports resize color to that size, but a capture
// may keep a larger color image, so boxes are scaled to the color frame, rounded outward.
#pragma once
#include "core/geometry/view_selection.h"
#include "core/scene/frames.h"

namespace inst3d {

// `box` in a depthWidth x depthHeight image, as the same region of a colorWidth x colorHeight image:
// scaled, x1/y1 floored and x2/y2 ceiled (no pixel of the region is lost), clipped to the image.
PixelBox scaleBoxToImage(const PixelBox& box, int depthWidth, int depthHeight, int colorWidth, int colorHeight);

// The pixels of `box` (half-open, inside the image; empty box -> empty image).
ImageRGB8 cropImage(const ImageRGB8& image, const PixelBox& box);

}  // namespace inst3d
