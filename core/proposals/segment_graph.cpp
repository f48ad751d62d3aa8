#include "core/proposals/segment_graph.h"

#include <algorithm>
#include <unordered_map>

#include "core/proposals/spatial_grid.h"

namespace inst3d {
namespace {

std::vector<SegmentInfo> segmentInfos(const PointGraph& g, const std::vector<int32_t>& seg) {
    const int32_t count = seg.empty() ? 0 : *std::max_element(seg.begin(), seg.end()) + 1;
    std::vector<SegmentInfo> out(static_cast<size_t>(count));
    std::vector<Vec3> normalSum(out.size());
    for (size_t v = 0; v < seg.size(); ++v) {
        SegmentInfo& s = out[static_cast<size_t>(seg[v])];
        ++s.count;
        s.moments.add(g.points[v]);
        s.box.extend(g.points[v]);
        if (!g.colors.empty()) s.colorSum += g.colors[v];
        normalSum[static_cast<size_t>(seg[v])] += g.normals[v];
    }
    for (size_t s = 0; s < out.size(); ++s) {
        out[s].plane = fitPlane(out[s].moments);
        if (g.orientedNormals && dot(out[s].plane.normal, normalSum[s]) < 0) out[s].plane.normal = out[s].plane.normal * -1.0;
    }
    return out;
}

uint64_t pairKey(int32_t a, int32_t b) {
    if (a > b) std::swap(a, b);
    return uint64_t(uint32_t(a)) << 32 | uint32_t(b);
}

}  // namespace

SegmentGraph buildSegmentGraph(const PointGraph& g, const std::vector<int32_t>& seg, double radius) {
    SegmentGraph out;
    out.segments = segmentInfos(g, seg);
    out.vertices.resize(out.segments.size());
    for (size_t v = 0; v < seg.size(); ++v) out.vertices[size_t(seg[v])].push_back(static_cast<uint32_t>(v));
    std::unordered_map<uint64_t, int> strength;
    const SpatialGrid grid(g.points, radius);
    const double r2 = radius * radius;
    for (size_t i = 0; i < g.points.size(); ++i)
        grid.forNearbyCapped(g.points[i], kMaxNeighbourVisits, [&](uint32_t j, size_t stride) {
            if (j <= i || seg[j] == seg[i]) return;
            const Vec3 d = g.points[j] - g.points[i];
            if (dot(d, d) <= r2) strength[pairKey(seg[i], seg[j])] += int(stride);  // a sampled count, scaled back
        });
    for (const auto& e : g.edges)
        if (seg[e.first] != seg[e.second]) strength.try_emplace(pairKey(seg[e.first], seg[e.second]), 1);
    for (const auto& [key, n] : strength) out.contacts.push_back({int(key >> 32), int(key & 0xFFFFFFFF), n});
    std::sort(out.contacts.begin(), out.contacts.end(),
              [](const SegmentContact& x, const SegmentContact& y) { return x.a != y.a ? x.a < y.a : x.b < y.b; });
    out.neighbors.resize(out.segments.size());
    for (const SegmentContact& c : out.contacts) {
        out.neighbors[size_t(c.a)].push_back(c.b);
        out.neighbors[size_t(c.b)].push_back(c.a);
    }
    for (auto& n : out.neighbors) std::sort(n.begin(), n.end());
    return out;
}

}  // namespace inst3d
