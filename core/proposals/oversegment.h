// Graph-based over-segmentation of a mesh or point cloud, as ScanNet's Segmentator does it (the
// `_vh_clean_2.0.010000.segs.json` files): Felzenszwalb & Huttenlocher's greedy merging on the
// neighbor graph (IJCV 2004), with the edge weight of Karpathy et al. (ICRA 2013) for surfaces:
// w = 1 - cos(angle between normals), squared on convex creases (normals diverging along the edge) so
// that convex objects stay together and concave contacts (object on floor) split. Our own
// implementation of the published algorithm.
#pragma once
#include <cstdint>
#include <vector>

#include "core/proposals/point_graph.h"

namespace inst3d {

struct OversegmentOptions {
    double kThresh = 0.01;     // FH's k: merge when w <= min over both sides of (max internal w + k/|C|)
    int segMinVerts = 20;      // components smaller than this are merged into a neighbor afterwards
    double colorWeight = 0.1;  // adds colorWeight * |rgb difference| / sqrt(3); 0 = geometry only
};

// FH edge weight between vertices a and b of g.
double oversegmentEdgeWeight(const PointGraph& g, uint32_t a, uint32_t b, double colorWeight);

// Segment id per vertex, numbered 0..S-1 in order of each segment's lowest vertex. Deterministic:
// edges are processed in (weight, edge index) order.
std::vector<int32_t> oversegment(const PointGraph& g, const OversegmentOptions& options = {});

}  // namespace inst3d
