#include "core/features/proposal_provider.h"

#include "core/common/error.h"
#include "core/proposals/load_proposals.h"
#include "core/proposals/segmenter.h"

namespace inst3d {

void setProposalSource(ExtractOptions& options, const std::string& spec) {
    options.proposalsName = spec;
    if (spec == "gt") {
        options.proposals = nullptr;  // the scene's own instances
    } else if (spec == "builtin") {
        options.proposals = [](const Scene& scene) { return segmentScene(scene).proposals.instances; };
    } else if (spec.rfind("mask3d:", 0) == 0 && spec.size() > 7) {
        const std::string path = spec.substr(7);
        options.proposals = [path](const Scene& scene) { return loadProposals(path, scene).instances; };
    } else {
        fail("--proposals", "unknown source '" + spec + "' (gt, mask3d:PATH or builtin)");
    }
}

}  // namespace inst3d
