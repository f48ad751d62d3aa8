#include "core/geometry/ray_pick.h"

#include <cmath>
#include <limits>

#include "core/common/error.h"

namespace inst3d {
namespace {

// Möller-Trumbore; returns t > 0 of the hit or +inf. `frontOnly` skips triangles seen from behind.
double intersect(const Vec3& o, const Vec3& d, const Vec3& a, const Vec3& b, const Vec3& c, bool frontOnly) {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    const Vec3 e1 = b - a, e2 = c - a, p = cross(d, e2);
    const double det = dot(e1, p);
    // det < 0: the ray sees the clockwise side (normal e1 x e2 points along the ray): a back face.
    if (frontOnly ? det <= 1e-14 : std::fabs(det) <= 1e-14) return kInf;
    const double inv = 1.0 / det;
    const Vec3 s = o - a;
    const double u = dot(s, p) * inv;
    if (u < 0 || u > 1) return kInf;
    const Vec3 q = cross(s, e1);
    const double v = dot(d, q) * inv;
    if (v < 0 || u + v > 1) return kInf;
    const double t = dot(e2, q) * inv;
    return t > 0 ? t : kInf;
}

[[noreturn]] void hiddenSizeMismatch() { fail("", "internal: hidden-vertex mask does not match the vertex count"); }

bool isHidden(const std::vector<uint8_t>& hidden, uint32_t v) { return !hidden.empty() && hidden[v]; }

RayHit pickTriangle(const Mesh& mesh, const Vec3& o, const Vec3& d, bool cull, const std::vector<uint8_t>& hidden) {
    RayHit hit;
    double best = std::numeric_limits<double>::infinity();
    size_t bestFace = 0;
    for (size_t f = 0; f < mesh.numFaces(); ++f) {
        const uint32_t* idx = &mesh.faces[3 * f];
        if (isHidden(hidden, idx[0]) || isHidden(hidden, idx[1]) || isHidden(hidden, idx[2])) continue;
        double t = intersect(o, d, mesh.vertex(idx[0]), mesh.vertex(idx[1]), mesh.vertex(idx[2]), cull);
        if (t < best) best = t, bestFace = f;
    }
    if (!std::isfinite(best)) return hit;
    const Vec3 p = o + d * best;
    double nearest = std::numeric_limits<double>::infinity();
    for (int k = 0; k < 3; ++k) {
        const uint32_t v = mesh.faces[3 * bestFace + static_cast<size_t>(k)];
        const double dist = norm(mesh.vertex(v) - p);
        if (dist < nearest) nearest = dist, hit.vertex = v;
    }
    hit.t = best;
    return hit;
}

RayHit pickPoint(const Mesh& mesh, const Vec3& o, const Vec3& d, double angle, const std::vector<uint8_t>& hidden) {
    RayHit hit;
    const double cosMax = std::cos(angle);
    double best = std::numeric_limits<double>::infinity();
    for (size_t v = 0; v < mesh.numVertices(); ++v) {
        if (isHidden(hidden, static_cast<uint32_t>(v))) continue;
        const Vec3 r = mesh.vertex(v) - o;
        const double along = dot(r, d), len = norm(r);
        if (along <= 0 || along < cosMax * len || along >= best) continue;
        best = along;
        hit.vertex = static_cast<int64_t>(v);
    }
    hit.t = best;
    return hit;
}

}  // namespace

RayHit pickVertex(const Mesh& mesh, const Vec3& origin, const Vec3& direction, bool cullBackFaces, double pointAngle,
                  const std::vector<uint8_t>& hidden) {
    const Vec3 d = normalized(direction);
    if (!hidden.empty() && hidden.size() != mesh.numVertices()) hiddenSizeMismatch();
    return mesh.isPointCloud() ? pickPoint(mesh, origin, d, pointAngle, hidden)
                               : pickTriangle(mesh, origin, d, cullBackFaces, hidden);
}

std::vector<int> vertexInstanceIds(const Scene& scene) {
    std::vector<int> ids(scene.mesh.numVertices(), -1);
    for (const Instance& inst : scene.instances)
        for (uint32_t v : inst.vertices)
            if (v < ids.size()) ids[v] = inst.id;
    return ids;
}

}  // namespace inst3d
