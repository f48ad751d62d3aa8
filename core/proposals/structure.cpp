// Floor / wall / ceiling finder; the rules are stated in structure.h.
#include "core/proposals/structure.h"

#include <algorithm>
#include <numeric>

namespace inst3d {
namespace {

bool isPlanar(const SegmentInfo& s, const StructureOptions& o) { return s.planar(o.maxThickness); }

// +1 horizontal facing up, -1 facing down, 0 not horizontal. Unoriented normals count as both (2).
int horizontalFacing(const SegmentInfo& s, bool oriented, const StructureOptions& o) {
    if (!isPlanar(s, o) || std::fabs(s.plane.normal.z) < o.horizontalCos) return 0;
    if (!oriented) return 2;
    return s.plane.normal.z > 0 ? 1 : -1;
}

bool isVertical(const SegmentInfo& s, const StructureOptions& o) {
    return isPlanar(s, o) && std::fabs(s.plane.normal.z) <= o.verticalSin;
}

// Segment ids of horizontal planes facing `facing` (or unoriented), sorted by centroid height.
std::vector<int> horizontalSegments(const SegmentGraph& sg, bool oriented, int facing, const StructureOptions& o) {
    std::vector<int> out;
    for (size_t s = 0; s < sg.segments.size(); ++s) {
        int f = horizontalFacing(sg.segments[s], oriented, o);
        if (f == facing || f == 2) out.push_back(int(s));
    }
    std::stable_sort(out.begin(), out.end(),
                     [&](int a, int b) { return sg.segments[size_t(a)].plane.centroid.z < sg.segments[size_t(b)].plane.centroid.z; });
    return out;
}

// Sampled fraction of an area: count * spacing^2 / area. About 1 for a fully scanned plane; an L of thin
// strips or a few scattered patches has a large box but a small fill.
double fillOf(double count, double area, const PointGraph& g) { return area > 0 ? count * g.spacing * g.spacing / area : 0; }

bool isLargePlane(const SegmentInfo& s, const PointGraph& g, const StructureOptions& o) {
    return s.footprintArea() >= o.minPlaneArea && fillOf(double(s.count), s.footprintArea(), g) >= o.minFill;
}

void markLevel(const SegmentGraph& sg, const std::vector<int>& candidates, double z, StructureKind kind,
               const StructureOptions& o, SceneStructure& st) {
    for (int s : candidates)
        if (std::fabs(sg.segments[size_t(s)].plane.centroid.z - z) <= o.levelTolerance && st.kind[size_t(s)] == StructureKind::Object)
            st.kind[size_t(s)] = kind;
}

void findFloorAndCeiling(const PointGraph& g, const SegmentGraph& sg, const StructureOptions& o, SceneStructure& st) {
    const std::vector<int> up = horizontalSegments(sg, g.orientedNormals, 1, o);
    for (int s : up)
        if (isLargePlane(sg.segments[size_t(s)], g, o)) {
            st.hasFloor = true;
            st.floorZ = sg.segments[size_t(s)].plane.centroid.z;
            markLevel(sg, up, st.floorZ, StructureKind::Floor, o, st);
            break;
        }
    AABB floorBox;  // the whole floor level: over-segmentation may have cut the floor into pieces
    for (size_t s = 0; s < st.kind.size(); ++s)
        if (st.kind[s] == StructureKind::Floor) {
            floorBox.extend(sg.segments[s].box.min);
            floorBox.extend(sg.segments[s].box.max);
        }
    const double floorArea = floorBox.empty() ? 0 : (floorBox.max.x - floorBox.min.x) * (floorBox.max.y - floorBox.min.y);
    const std::vector<int> down = horizontalSegments(sg, g.orientedNormals, -1, o);
    double lowest = st.floorZ;
    if (!st.hasFloor)
        for (const Vec3& p : g.points) lowest = std::min(lowest, p.z);
    for (auto it = down.rbegin(); it != down.rend(); ++it) {
        const SegmentInfo& s = sg.segments[size_t(*it)];
        if (s.plane.centroid.z - lowest < o.minCeilingHeight) break;
        if (!isLargePlane(s, g, o) || s.footprintArea() < o.minCeilingFraction * floorArea ||
            st.kind[size_t(*it)] != StructureKind::Object)
            continue;
        st.hasCeiling = true;
        st.ceilingZ = s.plane.centroid.z;
        markLevel(sg, down, st.ceilingZ, StructureKind::Ceiling, o, st);
        break;
    }
}

// Vertical planar segments grouped by plane, largest first; each group's plane is its seed's.
std::vector<WallPlane> verticalPlaneGroups(const SegmentGraph& sg, bool oriented, const StructureOptions& o) {
    std::vector<int> cand;
    for (size_t s = 0; s < sg.segments.size(); ++s)
        if (isVertical(sg.segments[s], o)) cand.push_back(int(s));
    std::stable_sort(cand.begin(), cand.end(), [&](int a, int b) { return sg.segments[size_t(a)].count > sg.segments[size_t(b)].count; });
    std::vector<WallPlane> planes;
    for (int s : cand) {
        const PlaneFit& p = sg.segments[size_t(s)].plane;
        const Vec3 n = normalized(Vec3{p.normal.x, p.normal.y, 0});
        bool joined = false;
        for (WallPlane& w : planes) {
            const double c = dot(n, w.normal);
            if ((oriented ? c : std::fabs(c)) < o.wallAngleCos) continue;
            if (std::fabs(dot(w.normal, p.centroid) - w.offset) > o.wallOffsetTolerance) continue;
            w.segments.push_back(s);
            joined = true;
            break;
        }
        if (!joined) planes.push_back({n, dot(n, p.centroid), {s}});
    }
    return planes;
}

struct PlaneExtent {
    double uMin = 1e300, uMax = -1e300, zMin = 1e300, zMax = -1e300;
    size_t count = 0;
    double area() const { return (uMax - uMin) * (zMax - zMin); }
};

Vec3 alongWall(const Vec3& n) { return normalized(cross(Vec3{0, 0, 1}, n)); }

PlaneExtent extentOf(const WallPlane& w, const PointGraph& g, const SegmentGraph& sg) {
    PlaneExtent e;
    const Vec3 u = alongWall(w.normal);
    for (int s : w.segments)
        for (uint32_t v : sg.vertices[size_t(s)]) {
            ++e.count;
            const double t = dot(u, g.points[v]);
            e.uMin = std::min(e.uMin, t);
            e.uMax = std::max(e.uMax, t);
            e.zMin = std::min(e.zMin, g.points[v].z);
            e.zMax = std::max(e.zMax, g.points[v].z);
        }
    return e;
}

// The boundary test of structure.h; flips an unoriented plane so that its normal faces the room.
bool isRoomBoundary(WallPlane& w, const PlaneExtent& e, const PointGraph& g, bool oriented, const StructureOptions& o) {
    const Vec3 u = alongWall(w.normal);
    size_t front = 0, behind = 0;
    for (const Vec3& p : g.points) {
        const double t = dot(u, p);
        if (t < e.uMin || t > e.uMax) continue;
        const double s = dot(w.normal, p) - w.offset;
        front += s > o.wallBehindMargin;
        behind += s < -o.wallBehindMargin;
    }
    if (!oriented && behind > front) {
        std::swap(front, behind);
        w.normal = w.normal * -1.0;
        w.offset = -w.offset;
    }
    return front > 0 && double(behind) <= o.maxBehindFraction * double(front + behind);
}

// A plane standing just in front of another wall candidate, within its span, is something mounted on
// that wall (a door leaf, a window pane, a picture), not a wall.
bool isMountedOn(const WallPlane& front, const PlaneExtent& fe, const WallPlane& back, const PlaneExtent& be,
                 const StructureOptions& o) {
    if (dot(front.normal, back.normal) < o.wallAngleCos) return false;
    const double gap = front.offset - back.offset * dot(front.normal, back.normal);
    const Vec3 u = alongWall(back.normal);
    const double u0 = dot(u, alongWall(front.normal)) >= 0 ? fe.uMin : -fe.uMax;
    const double u1 = dot(u, alongWall(front.normal)) >= 0 ? fe.uMax : -fe.uMin;
    return gap > 0 && gap <= o.mountedDepth && u0 >= be.uMin - o.mountedDepth && u1 <= be.uMax + o.mountedDepth &&
           fe.zMin >= be.zMin - o.mountedDepth && fe.zMax <= be.zMax + o.mountedDepth;
}

void findWalls(const PointGraph& g, const SegmentGraph& sg, const StructureOptions& o, SceneStructure& st) {
    std::vector<WallPlane> cand;
    std::vector<PlaneExtent> ext;
    for (WallPlane& w : verticalPlaneGroups(sg, g.orientedNormals, o)) {
        const PlaneExtent e = extentOf(w, g, sg);
        if (e.zMax - e.zMin < o.minWallHeight || e.uMax - e.uMin < o.minWallLength) continue;
        if (fillOf(double(e.count), e.area(), g) < o.minFill) continue;
        if (!isRoomBoundary(w, e, g, g.orientedNormals, o)) continue;
        cand.push_back(std::move(w));
        ext.push_back(e);
    }
    for (size_t i = 0; i < cand.size(); ++i) {
        bool mounted = false;
        for (size_t j = 0; j < cand.size() && !mounted; ++j) mounted = j != i && isMountedOn(cand[i], ext[i], cand[j], ext[j], o);
        if (mounted) continue;
        for (int s : cand[i].segments) {
            st.kind[size_t(s)] = StructureKind::Wall;
            st.wallOf[size_t(s)] = int(st.walls.size());
        }
        st.walls.push_back(cand[i]);
    }
}

// Whether segment s lies just behind wall w (on its exterior side, within a few margins).
bool isBehindWall(const SegmentInfo& s, const WallPlane& w, const StructureOptions& o) {
    const double d = dot(w.normal, s.plane.centroid) - w.offset;
    return d < -0.005 && d > -3 * o.wallBehindMargin;
}

// Remnants (structure.h): grown from the structure through touching segments that lie outside the room.
void attachRemnants(const SegmentGraph& sg, const StructureOptions& o, SceneStructure& st) {
    std::vector<int> queue;
    for (size_t s = 0; s < st.kind.size(); ++s)
        if (st.kind[s] != StructureKind::Object) queue.push_back(int(s));
    for (size_t q = 0; q < queue.size(); ++q) {
        const int from = queue[q];
        for (int s : sg.neighbors[size_t(from)]) {
            if (st.kind[size_t(s)] != StructureKind::Object) continue;
            const SegmentInfo& info = sg.segments[size_t(s)];
            const Vec3 c = info.plane.centroid;
            if (st.hasFloor && c.z < st.floorZ - 0.005 && info.box.max.z <= st.floorZ + o.levelTolerance) {
                st.kind[size_t(s)] = StructureKind::Floor;
            } else if (st.hasCeiling && c.z > st.ceilingZ + 0.005 && info.box.min.z >= st.ceilingZ - o.levelTolerance) {
                st.kind[size_t(s)] = StructureKind::Ceiling;
            } else if (const int w = st.wallOf[size_t(from)]; w >= 0 && isBehindWall(info, st.walls[size_t(w)], o)) {
                st.kind[size_t(s)] = StructureKind::Wall;
                st.wallOf[size_t(s)] = w;
                st.walls[size_t(w)].segments.push_back(s);
            } else {
                continue;
            }
            queue.push_back(s);
        }
    }
}

}  // namespace

SceneStructure findStructure(const PointGraph& g, const SegmentGraph& sg, const StructureOptions& options) {
    SceneStructure st;
    st.kind.assign(sg.segments.size(), StructureKind::Object);
    st.wallOf.assign(sg.segments.size(), -1);
    findFloorAndCeiling(g, sg, options, st);
    findWalls(g, sg, options, st);
    attachRemnants(sg, options, st);
    return st;
}

}  // namespace inst3d
