// Grounding metrics as the official evaluators compute them, on the 3D IoU of core/geometry/boxes.h (ScanRefer's
// box3d_iou, as copied into Chat-Scene utils/box_utils.py), ScanRefer Acc@0.25/0.5 with its
// unique/multiple split, and Multi3DRefer F1@0.25/0.5 (M3DRef-CLIP multi3drefer_evaluator.py,
// same algorithm in Chat-Scene utils/eval.py).
#pragma once
#include <array>
#include <map>
#include <string>
#include <vector>

#include "core/geometry/boxes.h"  // EvalBox, boxIoU

namespace inst3d {

// ---- ScanRefer ----------------------------------------------------------------------------------

struct ScanReferCase {
    double iou = 0;
    bool multiple = false;  // unique_multiple == 1
};

struct AccPair {
    double acc25 = 0, acc50 = 0;
    int count = 0;
};

struct ScanReferAcc {
    AccPair overall, unique, multiple;
};

// A hit is IoU >= k (ties at the threshold count). An empty subset has accuracy NaN (the Python
// evaluator divides by zero there).
ScanReferAcc scanReferAccuracy(const std::vector<ScanReferCase>& cases);

// ---- Multi3DRefer -------------------------------------------------------------------------------

// The five eval types of Multi3DRefer: zero target with/without distractors, single target
// with/without distractors, multiple targets.
extern const char* const kMulti3DReferEvalTypes[5];
bool isZeroTargetType(const std::string& evalType);

struct Multi3DReferResult {
    double f1_25 = 0, f1_50 = 0;
    int tp25 = 0, tp50 = 0;
};

// One query. Zero-target types score 1 when nothing is predicted, else 0. Otherwise the IoU matrix is
// square (max(P, G), zero padded) and stored in float32 as the evaluator's np.float32 matrix is, the
// assignment maximizes the total IoU (scipy's linear_sum_assignment on -IoU, reproduced by
// linearSumAssignment), TP = matched pairs with float32 IoU >= k, F1 = 2 TP / (P + G).
Multi3DReferResult multi3dReferF1(const std::string& evalType, const std::vector<EvalBox>& pred,
                                  const std::vector<EvalBox>& gt);

// Means per eval type and "overall" (np.mean of the float64 per-query scores, as Chat-Scene collects
// them in lists; a type with no query is NaN, as in M3DRef-CLIP).
struct Multi3DReferSummary {
    std::map<std::string, double> f1_25, f1_50;  // keys: the five types + "overall"
};
Multi3DReferSummary summarizeMulti3DRefer(const std::vector<std::string>& evalTypes,
                                          const std::vector<Multi3DReferResult>& results);

// Minimum-cost perfect assignment on a square n x n matrix (row-major): result[row] = column.
// The shortest-augmenting-path algorithm of scipy.optimize.linear_sum_assignment (Crouse 2016), with
// its row order and its tie-breaking, so that among equally good assignments the same one is chosen.
std::vector<int> linearSumAssignment(const std::vector<double>& cost, int n);

}  // namespace inst3d
