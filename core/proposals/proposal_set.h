// One interface for instance proposals, whatever produced them: ScanNet ground truth (aggregation),
// a Mask3D ScanNet-benchmark export, OpenMask3D's `<scene>_masks.pt`, Chat-Scene's
// `mask3d_inst_seg/<scene>.pt`, or the built-in segmenter. Downstream code (view selection, features,
// the viewer, evaluation) sees only this: a list of Instances (vertex indices into the scene mesh,
// label or "", score, source) plus where the list came from.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "core/scene/instance.h"

namespace inst3d {

struct Scene;

enum class ProposalOrigin { GroundTruth, Mask3DExport, OpenMask3DMasks, ChatSceneInstSeg, BuiltInSegmenter };
const char* toString(ProposalOrigin origin);  // "ground truth", "Mask3D export", ...

struct ProposalSet {
    std::string sceneId;
    ProposalOrigin origin = ProposalOrigin::GroundTruth;
    std::string path;                 // file or folder read; empty for ground truth and the segmenter
    std::vector<Instance> instances;  // order = the source's order (file order, column order, segGroup order)
};

// The scene's ground-truth instances (already read by loadScene from the aggregation), wrapped as is.
ProposalSet groundTruthProposals(const Scene& scene);

// Throws Error(where, ...) when an instance names a vertex >= numVertices or its vertices are not
// sorted ascending without duplicates (Instance's invariant).
void checkProposals(const ProposalSet& set, size_t numVertices, const std::string& where);

}  // namespace inst3d
