#include "core/proposals/proposal_set.h"

#include "core/common/error.h"
#include "core/scene/scene.h"

namespace inst3d {

const char* toString(ProposalOrigin origin) {
    switch (origin) {
        case ProposalOrigin::GroundTruth: return "ground truth";
        case ProposalOrigin::Mask3DExport: return "Mask3D export";
        case ProposalOrigin::OpenMask3DMasks: return "OpenMask3D masks";
        case ProposalOrigin::ChatSceneInstSeg: return "Chat-Scene mask3d_inst_seg";
        case ProposalOrigin::BuiltInSegmenter: return "built-in segmenter";
    }
    return "?";
}

ProposalSet groundTruthProposals(const Scene& scene) {
    ProposalSet set;
    set.sceneId = scene.id;
    set.origin = ProposalOrigin::GroundTruth;
    for (const Instance& inst : scene.instances)
        if (inst.source == InstanceSource::GroundTruth) set.instances.push_back(inst);
    return set;
}

void checkProposals(const ProposalSet& set, size_t numVertices, const std::string& where) {
    for (size_t i = 0; i < set.instances.size(); ++i) {
        const auto& v = set.instances[i].vertices;
        for (size_t k = 0; k < v.size(); ++k) {
            if (v[k] >= numVertices)
                fail(where, "instance " + std::to_string(i) + " names vertex " + std::to_string(v[k]) + " but the mesh has " +
                                std::to_string(numVertices) + " vertices");
            if (k > 0 && v[k] <= v[k - 1])
                fail(where, "instance " + std::to_string(i) + ": vertex indices not sorted ascending or repeated");
        }
    }
}

}  // namespace inst3d
