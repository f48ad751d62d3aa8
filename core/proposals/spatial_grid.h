// Uniform hash grid over points, for radius queries (kNN graph of point clouds, segment adjacency).
#pragma once
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/common/math.h"

namespace inst3d {

class SpatialGrid {
public:
    // `cell` is enlarged when the extent would need more than 2^20 cells per axis.
    SpatialGrid(const std::vector<Vec3>& points, double cell);
    double cell() const { return cell_; }
    // Calls fn(j) for every point j in the 3x3x3 cells around p: all points within cell() of p, and some
    // farther ones. Order: cell by cell, ascending point index inside a cell (deterministic).
    template <class F>
    void forNearby(const Vec3& p, F&& fn) const {
        const int64_t c[3] = {coord(p.x, 0), coord(p.y, 1), coord(p.z, 2)};
        for (int64_t dx = -1; dx <= 1; ++dx)
            for (int64_t dy = -1; dy <= 1; ++dy)
                for (int64_t dz = -1; dz <= 1; ++dz) {
                    auto it = cells_.find(key(c[0] + dx, c[1] + dy, c[2] + dz));
                    if (it == cells_.end()) continue;
                    for (uint32_t k = it->second.first; k < it->second.second; ++k) fn(order_[k]);
                }
    }

private:
    int64_t coord(double v, int axis) const { return static_cast<int64_t>(std::floor((v - origin_[axis]) / cell_)); }
    static uint64_t key(int64_t x, int64_t y, int64_t z) {
        auto u = [](int64_t v) { return static_cast<uint64_t>(v + (1 << 20)) & 0x1FFFFF; };
        return u(x) << 42 | u(y) << 21 | u(z);
    }
    double cell_;
    Vec3 origin_;
    std::vector<uint32_t> order_;  // point indices sorted by cell
    std::unordered_map<uint64_t, std::pair<uint32_t, uint32_t>> cells_;  // cell -> [begin, end) in order_
};

}  // namespace inst3d
