#include "core/proposals/oversegment.h"

#include <algorithm>
#include <numeric>

#include "core/proposals/union_find.h"

namespace inst3d {

double oversegmentEdgeWeight(const PointGraph& g, uint32_t a, uint32_t b, double colorWeight) {
    const Vec3& na = g.normals[a];
    const Vec3& nb = g.normals[b];
    double w;
    if (g.orientedNormals) {
        w = 1 - dot(na, nb);
        // Convex: the normals open up along the edge direction. Squaring a weight in [0, 2) below 1
        // makes such creases cheaper to cross than concave ones of the same angle.
        if (dot(nb - na, g.points[b] - g.points[a]) > 0) w *= w;
    } else {
        w = 1 - std::fabs(dot(na, nb));  // PCA normals have no sign, so no convexity either
    }
    if (colorWeight > 0 && !g.colors.empty()) w += colorWeight * norm(g.colors[a] - g.colors[b]) / std::sqrt(3.0);
    return w;
}

std::vector<int32_t> oversegment(const PointGraph& g, const OversegmentOptions& options) {
    const size_t n = g.points.size();
    std::vector<double> weight(g.edges.size());
    for (size_t e = 0; e < g.edges.size(); ++e)
        weight[e] = oversegmentEdgeWeight(g, g.edges[e].first, g.edges[e].second, options.colorWeight);
    std::vector<uint32_t> order(g.edges.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) { return weight[x] < weight[y]; });

    UnionFind sets(n);
    // threshold[root] = largest internal weight so far + k / size (FH's Int(C) + tau(C)).
    std::vector<double> threshold(n, options.kThresh);
    for (uint32_t e : order) {
        uint32_t a = sets.find(g.edges[e].first), b = sets.find(g.edges[e].second);
        if (a == b || weight[e] > threshold[a] || weight[e] > threshold[b]) continue;
        const uint32_t r = sets.unite(a, b);
        threshold[r] = weight[e] + options.kThresh / sets.size(r);
    }
    // Small components join the neighbor across their cheapest edge (the same sorted order).
    for (uint32_t e : order) {
        uint32_t a = sets.find(g.edges[e].first), b = sets.find(g.edges[e].second);
        if (a != b && (sets.size(a) < uint32_t(options.segMinVerts) || sets.size(b) < uint32_t(options.segMinVerts)))
            sets.unite(a, b);
    }
    std::vector<int32_t> idOfRoot(n, -1), seg(n);
    int32_t next = 0;
    for (size_t v = 0; v < n; ++v) {
        const uint32_t r = sets.find(static_cast<uint32_t>(v));
        if (idOfRoot[r] < 0) idOfRoot[r] = next++;
        seg[v] = idOfRoot[r];
    }
    return seg;
}

}  // namespace inst3d
