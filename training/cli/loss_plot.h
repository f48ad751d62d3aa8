// The loss curves of a training log (loss.jsonl) as a PNG: train loss per step (black), each task's
// loss (colours, in task order), validation loss (red squares), log-scaled y axis with a grid line per
// decade. No text: the numbers are in the log.
#pragma once
#include <string>

namespace inst3d {

void writeLossPlot(const std::string& jsonlPath, const std::string& pngPath);

}  // namespace inst3d
