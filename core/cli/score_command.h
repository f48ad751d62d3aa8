// The `score` and `score-predictions` verbs. `score` scores self-contained metric cases from JSON so
// anyone can check the metrics against the official evaluators (JSON shapes: docs/formats.md,
// "Scoring cases"); `score-predictions` drives core/eval/score_predictions.h.
#pragma once
#include <string>

#include "core/eval/answer_metrics.h"

namespace inst3d {

class CommandRegistry;

// Adds `score` and `score-predictions` to the registry (called by registerCoreCommands).
void registerEvalCommands(CommandRegistry& registry);

// Adds `score-predictions` (score_predictions_command.cpp; called by registerEvalCommands).
void registerScorePredictionsCommand(CommandRegistry& registry);

// The work of `score`: reads `inputPath`, writes `outputPath`. Throws Error naming the file. `evaluator`
// applies to the scanqa task.
void scoreFile(const std::string& task, const std::string& inputPath, const std::string& outputPath,
               QaEvaluator evaluator = QaEvaluator::Inst3D);

}  // namespace inst3d
