// Axis-aligned boxes as the official evaluators store them, and their 3D IoU (ScanRefer's box3d_iou,
// as copied into Chat-Scene utils/box_utils.py). Here, below core/data and core/eval, because both
// need them: proposal matching and training labels (data) and the grounding metrics (eval).
#pragma once
#include <array>

namespace inst3d {

// A box as the evaluators store it: center and size (the "locs" rows [cx, cy, cz, sx, sy, sz]).
struct EvalBox {
    std::array<double, 3> center{};
    std::array<double, 3> size{};
};

// IoU of two axis-aligned boxes in float64: corners at center -/+ size/2, volumes from the corner
// differences, inter / (vol1 + vol2 - inter + 1e-8).
double boxIoU(const EvalBox& a, const EvalBox& b);

// Why a box read from a file is not a box, or nullptr: a negative size or a non-finite number. boxIoU
// follows the evaluator and takes a negative size's corners by min/max, so size -1 would score as size 1:
// every reader of box files refuses such a box instead, naming the file.
const char* invalidBoxReason(const EvalBox& b);

}  // namespace inst3d
