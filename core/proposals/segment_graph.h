// Segments of an over-segmentation as the region-level graph the structure finder and the object merger
// work on: per-segment geometry (plane fit, box, color) and which segments touch.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/proposals/plane_fit.h"
#include "core/proposals/point_graph.h"

namespace inst3d {

struct SegmentInfo {
    size_t count = 0;
    Moments moments;
    PlaneFit plane;        // normal oriented like the vertex normals when those are oriented
    AABB box;              // aligned
    Vec3 colorSum;
    Vec3 meanColor() const { return count ? colorSum / double(count) : Vec3{}; }
    // Flat and spread in two directions: RMS distance to the plane at most maxThickness and well below
    // the in-plane spread (a thin pole has a small RMS distance too, but no second direction).
    bool planar(double maxThickness) const {
        return count >= 3 && plane.thickness() <= maxThickness && std::sqrt(std::max(0.0, plane.eigen[1])) >= 3 * plane.thickness();
    }
    double footprintArea() const { return box.empty() ? 0 : (box.max.x - box.min.x) * (box.max.y - box.min.y); }
};

struct SegmentContact {
    int a = 0, b = 0;      // a < b
    int strength = 0;      // vertex pairs closer than the contact radius
};

struct SegmentGraph {
    std::vector<SegmentInfo> segments;
    std::vector<std::vector<uint32_t>> vertices; // per segment, ascending
    std::vector<SegmentContact> contacts;        // sorted by (a, b)
    std::vector<std::vector<int>> neighbors;     // per segment, ascending
};

// Two segments touch when a vertex of one lies within `radius` of a vertex of the other, or a graph
// edge joins them. Proximity rather than mesh connectivity only, because scans leave gaps and meshes
// built from separate parts (and point clouds) have no edges between touching surfaces.
SegmentGraph buildSegmentGraph(const PointGraph& g, const std::vector<int32_t>& seg, double radius);

}  // namespace inst3d
