#include "core/proposals/load_proposals.h"

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/proposals/torch_proposals.h"
#include "core/scene/scene.h"

namespace inst3d {
namespace {

ProposalSet readFile(const std::string& file, const Scene& scene, const Mask3DReadOptions& options) {
    const size_t n = scene.mesh.numVertices();
    if (endsWith(file, ".txt")) return readMask3DExport(file, n, options);
    if (endsWith(file, "_masks.pt")) return readOpenMask3DMasks(file, n);
    if (endsWith(file, ".pt") || endsWith(file, ".pth")) return readChatSceneInstSeg(file, n);
    fail(file, "not a proposals file (expected <scene>.txt, <scene>_masks.pt or <scene>.pt)");
}

}  // namespace

ProposalSet loadProposals(const std::string& path, const Scene& scene, const Mask3DReadOptions& options) {
    if (!isDirectory(path)) {
        if (!fileExists(path)) fail(path, "no such file or folder");
        return readFile(path, scene, options);
    }
    const std::vector<std::string> candidates = {
        joinPath(path, scene.id + ".txt"), joinPath(path, scene.id + "_masks.pt"), joinPath(path, scene.id + ".pt"),
        joinPath(joinPath(path, "mask3d_inst_seg"), scene.id + ".pt")};
    for (const std::string& c : candidates)
        if (fileExists(c)) return readFile(c, scene, options);
    fail(path, "no proposals for " + scene.id + " (looked for " + scene.id + ".txt, " + scene.id + "_masks.pt, " + scene.id +
                   ".pt, mask3d_inst_seg/" + scene.id + ".pt)");
}

}  // namespace inst3d
