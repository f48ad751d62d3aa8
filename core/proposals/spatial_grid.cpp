#include "core/proposals/spatial_grid.h"

#include <algorithm>

namespace inst3d {

SpatialGrid::SpatialGrid(const std::vector<Vec3>& points, double cell) : cell_(cell) {
    AABB box;
    for (const Vec3& p : points) box.extend(p);
    if (box.empty()) return;
    const Vec3 size = box.size();
    const double longest = std::max({size.x, size.y, size.z});
    cell_ = std::max({cell_, longest / double(1 << 19), 1e-9});
    origin_ = box.min;
    std::vector<std::pair<uint64_t, uint32_t>> keyed(points.size());
    for (size_t i = 0; i < points.size(); ++i)
        keyed[i] = {key(coord(points[i].x, 0), coord(points[i].y, 1), coord(points[i].z, 2)), static_cast<uint32_t>(i)};
    std::sort(keyed.begin(), keyed.end());
    order_.resize(keyed.size());
    for (size_t i = 0; i < keyed.size(); ++i) {
        order_[i] = keyed[i].second;
        auto& range = cells_.try_emplace(keyed[i].first, uint32_t(i), uint32_t(i)).first->second;
        range.second = static_cast<uint32_t>(i + 1);
    }
}

}  // namespace inst3d
