// Merges the segments that are not floor, wall or ceiling into object instances by region adjacency.
// Two passes over touching segment pairs, strongest contact first:
//   1. same color (mean colors within colorTolerance): parts of one colored surface join;
//   2. any color, except across a support contact: group A rests on group B when a segment of B is an
//      upward horizontal plane of at least supportMinArea touching A, A lies entirely above that plane, and
//      A's footprint is below supportRatio of B's (a pillow on a bed, a monitor on a desk; a
//      mattress on its frame covers the frame and stays with it), and except across facing side faces:
//      vertical planes of the two groups touching front to front (a nightstand beside a bed; meshes only,
//      as cloud normals have no sign). Such pairs never merge, directly or through a third group
//      (cannot-link constraints carried through the merges).
// No merge may make a group's box longer than maxExtent horizontally (the size limit keeps a row of
// touching furniture from becoming one blob). Point clouds without colors skip pass 1.
#pragma once
#include <vector>

#include "core/proposals/structure.h"

namespace inst3d {

struct MergeOptions {
    double colorTolerance = 0.08;  // |mean rgb difference| / sqrt(3), rgb in 0..1
    double supportMinArea = 0.04;  // m^2
    double supportRatio = 0.6;
    double maxExtent = 3.5;        // m
    double maxThickness = 0.03;    // planar segment: RMS distance to its plane, m
    double horizontalCos = 0.966;  // support plane: |n.z| at least this
    double verticalSin = 0.26;     // side face: |n.z| at most this
    double facingCos = 0.9;        // facing side faces: normals opposite within ~25 degrees
};

// Segment groups, one per object, each ascending; groups ordered by their lowest segment id.
std::vector<std::vector<int>> mergeObjects(const PointGraph& g, const SegmentGraph& sg, const SceneStructure& st,
                                           const MergeOptions& options = {});

}  // namespace inst3d
