// 3D IoU of evaluator boxes; see boxes.h.
#include "core/geometry/boxes.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace inst3d {

double boxIoU(const EvalBox& a, const EvalBox& b) {
    // construct_bbox_corners puts corners at center + (+/- size/2); get_box3d_min_max takes their min/max.
    double lo1[3], hi1[3], lo2[3], hi2[3];
    for (int k = 0; k < 3; ++k) {
        lo1[k] = a.center[k] + -(a.size[k] / 2);
        hi1[k] = a.center[k] + a.size[k] / 2;
        lo2[k] = b.center[k] + -(b.size[k] / 2);
        hi2[k] = b.center[k] + b.size[k] / 2;
        if (lo1[k] > hi1[k]) std::swap(lo1[k], hi1[k]);  // negative sizes: min/max of the corners
        if (lo2[k] > hi2[k]) std::swap(lo2[k], hi2[k]);
    }
    double inter = 1.0, vol1 = 1.0, vol2 = 1.0;
    for (int k = 0; k < 3; ++k) {
        double overlap = std::min(hi1[k], hi2[k]) - std::max(lo1[k], lo2[k]);
        inter = k == 0 ? std::max(overlap, 0.0) : inter * std::max(overlap, 0.0);
        vol1 = k == 0 ? hi1[k] - lo1[k] : vol1 * (hi1[k] - lo1[k]);
        vol2 = k == 0 ? hi2[k] - lo2[k] : vol2 * (hi2[k] - lo2[k]);
    }
    return inter / (vol1 + vol2 - inter + 1e-8);
}

const char* invalidBoxReason(const EvalBox& b) {
    for (int k = 0; k < 3; ++k) {
        if (!std::isfinite(b.center[k]) || !std::isfinite(b.size[k])) return "a number that is not finite";
        if (b.size[k] < 0) return "a negative size";
    }
    return nullptr;
}

}  // namespace inst3d
