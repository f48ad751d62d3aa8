#include "core/proposals/point_graph.h"

#include <algorithm>

#include "core/common/error.h"
#include "core/proposals/plane_fit.h"
#include "core/proposals/spatial_grid.h"
#include "core/scene/scene.h"

namespace inst3d {
namespace {

std::string where(const Scene& scene) { return scene.sourcePath.empty() ? scene.id : scene.sourcePath; }

std::vector<Vec3> checkedAlignedPoints(const Scene& scene) {
    const size_t n = scene.mesh.numVertices();
    if (n == 0) fail(where(scene), "the scene has no vertices: nothing to segment");
    if (!scene.axisAlignment.isFinite()) fail(where(scene), "axisAlignment has a non-finite entry");
    std::vector<Vec3> out(n);
    for (size_t i = 0; i < n; ++i) {
        const Vec3 p = scene.mesh.vertex(i);
        if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z))
            fail(where(scene), "vertex " + std::to_string(i) + " has a non-finite coordinate");
        out[i] = scene.axisAlignment.transformPoint(p);
    }
    return out;
}

void normalizeEdges(std::vector<std::pair<uint32_t, uint32_t>>& edges) {
    for (auto& e : edges)
        if (e.first > e.second) std::swap(e.first, e.second);
    edges.erase(std::remove_if(edges.begin(), edges.end(), [](const auto& e) { return e.first == e.second; }), edges.end());
    std::sort(edges.begin(), edges.end());
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
}

void meshGraph(const Scene& scene, PointGraph& g) {
    const auto& f = scene.mesh.faces;
    const size_t n = g.points.size();
    g.normals.assign(n, Vec3{});
    g.edges.reserve(f.size());
    for (size_t t = 0; t + 2 < f.size(); t += 3) {
        const uint32_t a = f[t], b = f[t + 1], c = f[t + 2];
        if (a >= n || b >= n || c >= n) fail(where(scene), "face " + std::to_string(t / 3) + " names a vertex out of range");
        // Unnormalized cross product: each face counts by its area.
        const Vec3 fn = cross(g.points[b] - g.points[a], g.points[c] - g.points[a]);
        g.normals[a] += fn;
        g.normals[b] += fn;
        g.normals[c] += fn;
        g.edges.insert(g.edges.end(), {{a, b}, {b, c}, {c, a}});
    }
    for (Vec3& v : g.normals) v = normalized(v);
    g.orientedNormals = true;
}

// Expected spacing of a surface sampling: the bounding box's surface area shared among the points.
double surfaceSpacingGuess(const std::vector<Vec3>& pts) {
    AABB box;
    for (const Vec3& p : pts) box.extend(p);
    const Vec3 s = box.size();
    const double area = 2 * (s.x * s.y + s.y * s.z + s.z * s.x);
    return std::max(std::sqrt(area / double(pts.size())), 1e-6);
}

// k nearest neighbors inside a grid cell of a few spacings: points farther than that are not
// neighbors of a surface sample anyway. PCA normals from the same neighborhoods.
void cloudGraph(PointGraph& g, int knn) {
    const size_t n = g.points.size();
    const SpatialGrid grid(g.points, 3 * surfaceSpacingGuess(g.points));
    const double r2 = grid.cell() * grid.cell();
    g.normals.assign(n, Vec3{0, 0, 1});
    std::vector<std::pair<double, uint32_t>> cand;
    for (size_t i = 0; i < n; ++i) {
        cand.clear();
        grid.forNearbyCapped(g.points[i], kMaxNeighbourVisits, [&](uint32_t j, size_t) {
            const Vec3 d = g.points[j] - g.points[i];
            const double d2 = dot(d, d);
            if (j != i && d2 <= r2) cand.push_back({d2, j});
        });
        const size_t k = std::min(cand.size(), static_cast<size_t>(std::max(knn, 1)));
        std::partial_sort(cand.begin(), cand.begin() + long(k), cand.end());
        Moments m;
        m.add(g.points[i]);
        for (size_t q = 0; q < k; ++q) {
            g.edges.push_back({static_cast<uint32_t>(i), cand[q].second});
            m.add(g.points[cand[q].second]);
        }
        if (k >= 2) g.normals[i] = fitPlane(m).normal;
    }
    g.orientedNormals = false;
}

double medianEdgeLength(const PointGraph& g) {
    if (g.edges.empty()) return surfaceSpacingGuess(g.points);
    std::vector<double> len;
    const size_t step = std::max<size_t>(1, g.edges.size() / 20000);  // a sample is enough for a median
    for (size_t e = 0; e < g.edges.size(); e += step) len.push_back(norm(g.points[g.edges[e].first] - g.points[g.edges[e].second]));
    std::nth_element(len.begin(), len.begin() + long(len.size() / 2), len.end());
    return std::max(len[len.size() / 2], 1e-6);
}

}  // namespace

PointGraph buildPointGraph(const Scene& scene, int knn) {
    PointGraph g;
    g.points = checkedAlignedPoints(scene);
    if (scene.mesh.isPointCloud())
        cloudGraph(g, knn);
    else
        meshGraph(scene, g);
    normalizeEdges(g.edges);
    if (scene.mesh.rgba.size() == 4 * g.points.size()) {
        g.colors.resize(g.points.size());
        for (size_t i = 0; i < g.points.size(); ++i) {
            const uint8_t* c = &scene.mesh.rgba[4 * i];
            g.colors[i] = Vec3{c[0] / 255.0, c[1] / 255.0, c[2] / 255.0};
        }
    }
    g.spacing = medianEdgeLength(g);
    return g;
}

}  // namespace inst3d
