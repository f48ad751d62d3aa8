// Class-agnostic instance segmentation AP, the protocol of ScanNet's benchmark script
// (BenchmarkScripts/3d_evaluation/evaluate_semantic_instance.py) with every instance in one class, as
// Mask3D / OpenMask3D report class-agnostic masks:
//   - GT instances whose label is in ignoredLabels (ScanNet's instance benchmark excludes wall, floor
//     and ceiling) are dropped and their vertices become void; each vertex belongs to at most one GT
//     instance (a later instance overwrites an earlier one, as the GT id export does);
//   - predictions and GT instances under minRegionSize (100) vertices are ignored;
//   - per threshold t, GT instances in order greedily take the not-yet-taken predictions (in prediction
//     order) with IoU > t (strictly greater); a second prediction above t for a taken GT is a false
//     positive with the lower of the two scores and the GT keeps the higher; an unmatched GT is a hard
//     false negative; an unmatched prediction is a false positive unless more than t of its vertices are
//     void or belong to GT instances under minRegionSize;
//   - true/false positives and scores are pooled over all scenes; precision/recall are taken at every
//     distinct score, a final point (precision 1, recall 0) is added, and AP = sum_j p_j *
//     (r_{j-1} - r_{j+1}) / 2 (the script's np.convolve with [-0.5, 0, 0.5]; r_{-1} = r_0, r_m = 0).
// AP is 0 when there is GT but no prediction, NaN when there is no GT.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/scene/instance.h"

namespace inst3d {

struct InstanceEvalOptions {
    std::vector<double> overlaps = {0.25, 0.5};
    size_t minRegionSize = 100;
    std::vector<std::string> ignoredLabels = {"wall", "floor", "ceiling"};
};

// ScanNet's precision/recall integration over (score, is true positive) pairs.
double scannetAveragePrecision(const std::vector<std::pair<double, bool>>& scored, size_t hardFalseNegatives);

class InstanceApEvaluator {
public:
    explicit InstanceApEvaluator(InstanceEvalOptions options = {});
    // One scene: its GT instances, the predictions (scores in Instance::score) and the vertex count.
    void addScene(const std::vector<Instance>& gt, const std::vector<Instance>& predictions, size_t numVertices);
    const InstanceEvalOptions& options() const { return options_; }
    // AP per options().overlaps entry.
    std::vector<double> averagePrecision() const;

private:
    struct Pool {
        std::vector<std::pair<double, bool>> scored;
        size_t hardFalseNegatives = 0;
    };
    InstanceEvalOptions options_;
    std::vector<Pool> pools_;  // per overlap
    bool hasGt_ = false, hasPred_ = false;
};

}  // namespace inst3d
