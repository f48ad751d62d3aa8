#include "core/data/proposal_matching.h"

#include <algorithm>

#include "core/common/math.h"
#include "core/scene/scene.h"

namespace inst3d {

EvalBox toEvalBox(const AABB& box) {
    EvalBox b;
    if (box.empty()) return b;
    Vec3 c = box.center(), s = box.size();
    b.center = {c.x, c.y, c.z};
    b.size = {s.x, s.y, s.z};
    return b;
}

std::vector<EvalBox> sceneBoxes(const Scene& scene) {
    std::vector<EvalBox> out;
    for (const Instance& inst : scene.instances) out.push_back(toEvalBox(scene.alignedBox(inst)));
    return out;
}

ProposalMatch bestProposal(const std::vector<EvalBox>& proposals, const EvalBox& gt) {
    ProposalMatch m;
    for (size_t p = 0; p < proposals.size(); ++p) {
        double iou = boxIoU(proposals[p], gt);
        if (iou > m.iou) m = {static_cast<int>(p), iou};
    }
    return m;
}

std::optional<int> groundingTrainLabel(const std::vector<EvalBox>& proposals, const EvalBox& gt, double threshold) {
    ProposalMatch m = bestProposal(proposals, gt);
    if (m.id < 0 || m.iou < threshold) return std::nullopt;
    return m.id;
}

std::optional<std::vector<int>> multi3dReferLabels(const std::vector<EvalBox>& proposals,
                                                   const std::vector<EvalBox>& gts, bool train, double threshold) {
    std::vector<int> ids;
    for (const EvalBox& gt : gts) {
        ProposalMatch m = bestProposal(proposals, gt);
        bool shared = std::find(ids.begin(), ids.end(), m.id) != ids.end();
        if (train && (m.iou < threshold || shared)) return std::nullopt;
        ids.push_back(m.id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

Scan2CapAssignment assignScan2CapProposals(const std::vector<EvalBox>& proposals, const std::vector<EvalBox>& gts,
                                           const std::vector<bool>& hasCaption) {
    Scan2CapAssignment a;
    a.predId.assign(gts.size(), -1);
    a.iou.assign(gts.size(), -1);
    for (size_t p = 0; p < proposals.size(); ++p) {
        int best = -1;
        double bestIou = -1;
        for (size_t g = 0; g < gts.size(); ++g) {
            if (g >= hasCaption.size() || !hasCaption[g]) continue;
            double iou = boxIoU(proposals[p], gts[g]);
            if (iou > bestIou) best = static_cast<int>(g), bestIou = iou;
        }
        if (best < 0) continue;
        if (bestIou > a.iou[best]) a.iou[best] = bestIou, a.predId[best] = static_cast<int>(p);
    }
    return a;
}

}  // namespace inst3d
