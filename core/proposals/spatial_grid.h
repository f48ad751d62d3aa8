// Uniform hash grid over points, for radius queries (kNN graph of point clouds, segment adjacency).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/common/math.h"

namespace inst3d {

// Neighbour candidates one query visits at most (SpatialGrid::forNearbyCapped). A surface sample has
// about 250 points in its 27 cells (a cell of 3 spacings: a 9 x 9 spacings patch of surface, more where
// the spacing guess is coarse), so real scans stay exact; few enough that n queries stay linear in n.
constexpr size_t kMaxNeighbourVisits = 1024;

class SpatialGrid {
public:
    // `cell` is enlarged when the extent would need more than 2^20 cells per axis.
    SpatialGrid(const std::vector<Vec3>& points, double cell);
    double cell() const { return cell_; }
    // Calls fn(j) for every point j in the 3x3x3 cells around p: all points within cell() of p, and some
    // farther ones. Order: cell by cell, ascending point index inside a cell (deterministic).
    template <class F>
    void forNearby(const Vec3& p, F&& fn) const {
        forCells(p, [&](uint32_t begin, uint32_t end) {
            for (uint32_t k = begin; k < end; ++k) fn(order_[k]);
        });
    }

    // forNearby visiting at most about `budget` points, as fn(j, stride): past the budget every stride-th
    // point (in the same order), so that a count can be scaled back by the stride. A surface sample has a
    // few hundred points in its 27 cells; a degenerate or hostile cloud (100k identical points) puts all
    // of them there, and visiting them all from every point would be quadratic.
    template <class F>
    void forNearbyCapped(const Vec3& p, size_t budget, F&& fn) const {
        size_t n = 0;
        forCells(p, [&](uint32_t begin, uint32_t end) { n += end - begin; });
        const size_t stride = 1 + n / std::max<size_t>(budget, 1);
        size_t seen = 0;  // points of the earlier cells: the sampled ones are those with seen % stride == 0
        forCells(p, [&](uint32_t begin, uint32_t end) {
            const size_t len = end - begin;
            for (size_t k = (stride - seen % stride) % stride; k < len; k += stride) fn(order_[begin + k], stride);
            seen += len;  // jumping by the stride, never stepping over the skipped points (that was quadratic)
        });
    }

private:
    template <class F>
    void forCells(const Vec3& p, F&& fn) const {
        const int64_t c[3] = {coord(p.x, 0), coord(p.y, 1), coord(p.z, 2)};
        for (int64_t dx = -1; dx <= 1; ++dx)
            for (int64_t dy = -1; dy <= 1; ++dy)
                for (int64_t dz = -1; dz <= 1; ++dz) {
                    auto it = cells_.find(key(c[0] + dx, c[1] + dy, c[2] + dz));
                    if (it != cells_.end()) fn(it->second.first, it->second.second);
                }
    }
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
