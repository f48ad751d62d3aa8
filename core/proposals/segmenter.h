// The built-in class-agnostic instance segmenter, for scenes that come without proposals (the user's
// own captures). Deterministic, CPU only, meshes and point clouds:
//   1. neighbor graph in the axis-aligned frame (point_graph.h): mesh edges, or kNN for clouds;
//   2. graph-based over-segmentation as ScanNet's Segmentator (oversegment.h; kThresh 0.01, 20 vertices);
//   3. floor / walls / ceiling from large planar segment groups (structure.h);
//   4. the other segments merged into objects by region adjacency (object_merge.h);
//   5. a score per instance: n / (n + scoreHalfVertices) for n vertices. Size is the one cue a
//      class-agnostic geometric segmenter has for "is this a whole object": fragments are small.
// Instances: floor, walls, ceiling (labelled so), then objects (label "") by descending score; groups
// under minInstanceVertices are dropped. Source = BuiltIn.
#pragma once
#include <cstdint>
#include <vector>

#include "core/proposals/object_merge.h"
#include "core/proposals/oversegment.h"
#include "core/proposals/proposal_set.h"
#include "core/proposals/structure.h"

namespace inst3d {

struct Scene;

struct SegmenterOptions {
    OversegmentOptions oversegment;
    StructureOptions structure;
    MergeOptions merge;
    int knn = 10;                    // point clouds: neighbors per point
    double contactSpacings = 1.5;    // segments touch within this many median edge lengths
    int minInstanceVertices = 50;
    double scoreHalfVertices = 200;  // the size that scores 0.5
};

struct SegmenterOutput {
    ProposalSet proposals;
    std::vector<int32_t> segIndices;  // the over-segmentation, per vertex
    int floorInstances = 0, wallInstances = 0, ceilingInstances = 0;
};

// Throws Error naming the scene for an empty scene or non-finite coordinates.
SegmenterOutput segmentScene(const Scene& scene, const SegmenterOptions& options = {});

}  // namespace inst3d
