#include "core/synth/primitives.h"

#include <algorithm>
#include <cmath>

#include "core/synth/synth.h"

namespace inst3d {

namespace {

constexpr double kPatchSize = 0.4;  // target over-segmentation patch edge, meters
constexpr double kPi = 3.14159265358979323846;

int cellsFor(double length, double cell) { return std::max(1, static_cast<int>(std::ceil(length / cell - 1e-9))); }
int patchesFor(double length) { return std::max(1, static_cast<int>(std::lround(length / kPatchSize))); }

// Sectors around a cylinder: a multiple of 4 so that vertices sit exactly on the +-x / +-y extremes
// (the object's box is then the nominal one, and stays so under quarter-turn yaws).
int sectorsFor(double radius, double cell) {
    int n = static_cast<int>(std::ceil(2 * kPi * radius / cell / 4.0 - 1e-9)) * 4;
    return std::max(8, n);
}

// Exact quarter-turn cos/sin.
void quarterCosSin(int q, int& c, int& s) {
    static const int cs[4][2] = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}};
    const int* e = cs[((q % 4) + 4) % 4];
    c = e[0];
    s = e[1];
}

}  // namespace

Part boxPart(const Vec3& lo, const Vec3& hi, int color, unsigned faces) {
    Part p;
    p.kind = Part::Kind::Box;
    p.lo = lo;
    p.hi = hi;
    p.color = color;
    p.faces = faces;
    return p;
}

Part cylinderPart(double cx, double cy, double radius, double z0, double z1, int color, unsigned faces) {
    Part p;
    p.kind = Part::Kind::Cylinder;
    p.lo = {cx - radius, cy - radius, z0};
    p.hi = {cx + radius, cy + radius, z1};
    p.color = color;
    p.faces = faces;
    return p;
}

Vec3 Placement::rotate(const Vec3& v) const {
    int c, s;
    quarterCosSin(yawQuarter, c, s);
    return {c * v.x - s * v.y, s * v.x + c * v.y, v.z};
}

Vec3 Placement::apply(const Vec3& p) const { return rotate(p) + offset; }

AABB Placement::apply(const AABB& box) const {
    AABB out;
    out.extend(apply(box.min));
    out.extend(apply(box.max));
    return out;
}

double gridCell(double spacing) { return spacing / std::sqrt(2.0) * (1 - 1e-9); }

size_t partVertexCount(const Part& part, double spacing) {
    const double cell = gridCell(spacing);
    Vec3 s = part.hi - part.lo;
    if (part.kind == Part::Kind::Box) {
        auto face = [&](double a, double b) {
            return static_cast<size_t>(cellsFor(a, cell) + 1) * static_cast<size_t>(cellsFor(b, cell) + 1);
        };
        size_t n = 0;
        if (part.faces & kNegX) n += face(s.y, s.z);
        if (part.faces & kPosX) n += face(s.y, s.z);
        if (part.faces & kNegY) n += face(s.x, s.z);
        if (part.faces & kPosY) n += face(s.x, s.z);
        if (part.faces & kNegZ) n += face(s.x, s.y);
        if (part.faces & kPosZ) n += face(s.x, s.y);
        return n;
    }
    double r = s.x / 2;
    size_t n = static_cast<size_t>(sectorsFor(r, cell));
    size_t total = n * static_cast<size_t>(cellsFor(s.z, cell) + 1);
    size_t cap = 1 + n * static_cast<size_t>(cellsFor(r, cell));
    if (part.faces & kNegZ) total += cap;
    if (part.faces & kPosZ) total += cap;
    return total;
}

// ---- MeshBuilder --------------------------------------------------------------------------------------

MeshBuilder::MeshBuilder(double vertexSpacing, uint64_t seed)
    : cell_(gridCell(vertexSpacing)), rng_(seed) {}

void MeshBuilder::beginObject(int objectId, uint16_t nyu40Label) {
    object_ = objectId;
    label_ = nyu40Label;
    if (segmentsOfObject.size() <= static_cast<size_t>(objectId)) segmentsOfObject.resize(static_cast<size_t>(objectId) + 1);
}

void MeshBuilder::addPart(const Part& part, const Placement& placement) {
    if (part.kind == Part::Kind::Box)
        emitBox(part, placement);
    else
        emitCylinder(part, placement);
}

int32_t MeshBuilder::newSegment() {
    // Gaps between ids, like ScanNet's segmentator output: consumers must not assume 0..S-1.
    nextSegment_ += 1 + static_cast<int32_t>(rng_.next() % 3);
    segmentsOfObject[static_cast<size_t>(object_)].push_back(nextSegment_);
    return nextSegment_;
}

uint32_t MeshBuilder::addVertex(const Vec3& p, int color, int32_t segment) {
    const auto& rgb = synthPalette()[static_cast<size_t>(color)].rgb;
    xyz.insert(xyz.end(), {p.x, p.y, p.z});
    for (int c = 0; c < 3; ++c) {
        // Small noise like a real scan; +-5 keeps the nearest palette color unchanged.
        int v = rgb[c] + static_cast<int>(rng_.next() % 11) - 5;
        rgba.push_back(static_cast<uint8_t>(std::clamp(v, 0, 255)));
    }
    rgba.push_back(255);
    segIndices.push_back(segment);
    labels.push_back(label_);
    objectOfVertex.push_back(object_);
    return static_cast<uint32_t>(segIndices.size() - 1);
}

void MeshBuilder::emitGrid(const Grid& g, int color) {
    const int pu = patchesFor(norm(g.u)), pv = patchesFor(norm(g.v));
    std::vector<int32_t> patch(static_cast<size_t>(pu * pv));
    for (auto& id : patch) id = newSegment();
    const uint32_t base = static_cast<uint32_t>(numVertices());
    for (int j = 0; j <= g.nv; ++j) {
        const double fv = static_cast<double>(j) / g.nv;
        const int patchV = std::min(pv - 1, static_cast<int>(fv * pv));
        for (int i = 0; i <= g.nu; ++i) {
            const double fu = static_cast<double>(i) / g.nu;
            const int patchU = std::min(pu - 1, static_cast<int>(fu * pu));
            addVertex(g.origin + g.u * fu + g.v * fv, color, patch[static_cast<size_t>(patchV * pu + patchU)]);
        }
    }
    const uint32_t row = static_cast<uint32_t>(g.nu + 1);
    for (int j = 0; j < g.nv; ++j)
        for (int i = 0; i < g.nu; ++i) {
            uint32_t a = base + static_cast<uint32_t>(j) * row + static_cast<uint32_t>(i);
            // Winding follows u x v, which callers point outward.
            faces.insert(faces.end(), {a, a + 1, a + row + 1, a, a + row + 1, a + row});
        }
}

void MeshBuilder::emitBox(const Part& part, const Placement& pl) {
    const Vec3 lo = part.lo, hi = part.hi, s = hi - lo;
    auto grid = [&](const Vec3& origin, const Vec3& u, const Vec3& v) {
        Grid g;
        g.origin = pl.apply(origin);
        g.u = pl.rotate(u);
        g.v = pl.rotate(v);
        g.nu = cellsFor(norm(u), cell_);
        g.nv = cellsFor(norm(v), cell_);
        emitGrid(g, part.color);
    };
    if (part.faces & kPosX) grid({hi.x, lo.y, lo.z}, {0, s.y, 0}, {0, 0, s.z});
    if (part.faces & kNegX) grid(lo, {0, 0, s.z}, {0, s.y, 0});
    if (part.faces & kPosY) grid({lo.x, hi.y, lo.z}, {0, 0, s.z}, {s.x, 0, 0});
    if (part.faces & kNegY) grid(lo, {s.x, 0, 0}, {0, 0, s.z});
    if (part.faces & kPosZ) grid({lo.x, lo.y, hi.z}, {s.x, 0, 0}, {0, s.y, 0});
    if (part.faces & kNegZ) grid(lo, {0, s.y, 0}, {s.x, 0, 0});
}

void MeshBuilder::emitCylinder(const Part& part, const Placement& pl) {
    const double r = (part.hi.x - part.lo.x) / 2;
    const Vec3 c{(part.lo.x + part.hi.x) / 2, (part.lo.y + part.hi.y) / 2, part.lo.z};
    const double h = part.hi.z - part.lo.z;
    const int n = sectorsFor(r, cell_), m = cellsFor(h, cell_);
    const int pa = patchesFor(2 * kPi * r), pz = patchesFor(h);
    std::vector<int32_t> patch(static_cast<size_t>(pa * pz));
    for (auto& id : patch) id = newSegment();
    const uint32_t base = static_cast<uint32_t>(numVertices());
    for (int j = 0; j <= m; ++j) {
        const double fz = static_cast<double>(j) / m;
        const int patchZ = std::min(pz - 1, static_cast<int>(fz * pz));
        for (int k = 0; k < n; ++k) {
            const double a = 2 * kPi * k / n;
            const int patchA = std::min(pa - 1, k * pa / n);
            Vec3 p{c.x + r * std::cos(a), c.y + r * std::sin(a), c.z + h * fz};
            addVertex(pl.apply(p), part.color, patch[static_cast<size_t>(patchZ * pa + patchA)]);
        }
    }
    for (int j = 0; j < m; ++j)
        for (int k = 0; k < n; ++k) {
            uint32_t a = base + static_cast<uint32_t>(j * n + k);
            uint32_t b = base + static_cast<uint32_t>(j * n + (k + 1) % n);
            uint32_t a2 = a + static_cast<uint32_t>(n), b2 = b + static_cast<uint32_t>(n);
            faces.insert(faces.end(), {a, b, b2, a, b2, a2});
        }
    if (part.faces & kNegZ) emitCap(c, r, n, false, part.color, pl);
    if (part.faces & kPosZ) emitCap({c.x, c.y, part.hi.z}, r, n, true, part.color, pl);
}

// A disc of concentric rings (same sector count as the side, so edges stay short).
void MeshBuilder::emitCap(const Vec3& center, double radius, int n, bool up, int color, const Placement& pl) {
    const int rings = cellsFor(radius, cell_);
    const int32_t seg = newSegment();
    const uint32_t c = addVertex(pl.apply(center), color, seg);
    for (int i = 1; i <= rings; ++i) {
        const double rr = radius * i / rings;
        for (int k = 0; k < n; ++k) {
            const double a = 2 * kPi * k / n;
            addVertex(pl.apply({center.x + rr * std::cos(a), center.y + rr * std::sin(a), center.z}), color, seg);
        }
    }
    auto ring = [&](int i, int k) { return c + 1 + static_cast<uint32_t>((i - 1) * n + (k % n)); };
    auto tri = [&](uint32_t a, uint32_t b, uint32_t d) {
        if (up)
            faces.insert(faces.end(), {a, b, d});
        else
            faces.insert(faces.end(), {a, d, b});
    };
    for (int k = 0; k < n; ++k) tri(c, ring(1, k), ring(1, k + 1));
    for (int i = 1; i < rings; ++i)
        for (int k = 0; k < n; ++k) {
            tri(ring(i, k), ring(i + 1, k), ring(i + 1, k + 1));
            tri(ring(i, k), ring(i + 1, k + 1), ring(i, k + 1));
        }
}

}  // namespace inst3d
