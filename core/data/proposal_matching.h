// Proposal-to-GT matching by axis-aligned IoU (core/geometry/boxes.h boxIoU) and the training labels that
// Chat-Scene's preprocess/prepare_*_annos.py derive from it (Inst3D runs the same scripts with
// train_iou_thres 0.75). Boxes are the "locs" rows of the attribute files: index = proposal rank for
// proposals, segGroup order for GT (the scripts index GT boxes by object_id, assuming objectId ==
// segGroup index, which ScanNet's aggregation files satisfy).
#pragma once
#include <optional>
#include <vector>

#include "core/geometry/boxes.h"

namespace inst3d {

struct AABB;
struct Scene;

EvalBox toEvalBox(const AABB& box);  // center = (max+min)/2, size = max-min; an empty box is all zeros
// GT boxes of a scene in instance (segGroup) order, aligned coordinates (prepare_scannet_attributes.py).
std::vector<EvalBox> sceneBoxes(const Scene& scene);

struct ProposalMatch {
    int id = -1;       // -1 when there is no proposal
    double iou = -1;   // -1 when there is no proposal
};

// The proposal with the highest IoU with `gt`; ties keep the lower index (the scripts' strict '>').
ProposalMatch bestProposal(const std::vector<EvalBox>& proposals, const EvalBox& gt);

// ScanRefer (and Nr3D with proposals): a train sample is kept with answer <OBJ best.id> only when
// best.iou >= threshold; val samples always keep best.id as the reference.
std::optional<int> groundingTrainLabel(const std::vector<EvalBox>& proposals, const EvalBox& gt, double threshold);

// Multi3DRefer: the best proposal of every GT, sorted. In training the sample is dropped (nullopt)
// when a GT's best IoU is below the threshold or two GTs share a proposal; otherwise (val) every
// best id is kept, shared or not.
std::optional<std::vector<int>> multi3dReferLabels(const std::vector<EvalBox>& proposals,
                                                   const std::vector<EvalBox>& gts, bool train, double threshold);

// Scan2Cap proposal assignment (prepare_scan2cap_annos.py): each proposal goes to its max-IoU GT
// among the GTs that have captions (strict '>' from -1, so the first captioned GT wins a proposal
// that overlaps nothing, with IoU 0); each GT keeps the proposal of highest IoU (ties: the lower
// proposal). predId[g] = -1 when GT g got no proposal.
struct Scan2CapAssignment {
    std::vector<int> predId;
    std::vector<double> iou;
};
Scan2CapAssignment assignScan2CapProposals(const std::vector<EvalBox>& proposals, const std::vector<EvalBox>& gts,
                                           const std::vector<bool>& hasCaption);

}  // namespace inst3d
