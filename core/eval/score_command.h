// The `score` verb: scores self-contained metric cases from JSON so anyone can check the metrics
// against the official evaluators (JSON shapes: docs/formats.md, "Scoring cases").
#pragma once
#include <string>

#include "core/eval/answer_metrics.h"

namespace inst3d {

class CommandRegistry;

// Adds `score` to the registry (called by registerCoreCommands).
void registerEvalCommands(CommandRegistry& registry);

// The work of `score`: reads `inputPath`, writes `outputPath`. Throws Error naming the file. `evaluator`
// applies to the scanqa task.
void scoreFile(const std::string& task, const std::string& inputPath, const std::string& outputPath,
               QaEvaluator evaluator = QaEvaluator::Inst3D);

}  // namespace inst3d
