// `inst3d score-predictions --benchmark B --pred PRED.json ...`: scores a whole benchmark prediction
// file (the rows the evaluation loop writes, Chat-Scene's layout: scene_id, gt_id, pred_id, qid, pred,
// ref_captions, type_info) against proposal and GT boxes, as Chat-Scene utils/eval.py does, and
// prints the benchmark's table. Row and box layouts: docs/formats.md, "Scoring cases".
#pragma once
#include <string>

namespace inst3d {

class CommandRegistry;

struct ScorePredictionsOptions {
    std::string benchmark;      // scanrefer | multi3drefer | scanqa | sqa3d
    std::string predPath;       // PRED.json: an array of rows
    std::string proposalsPath;  // {scene_id: {proposal_index: {"center":[3],"size":[3]}}} (grounding)
    std::string gtBoxesPath;    // GT boxes in the same layout, index = object id ...
    std::string scansDir;       // ... or ScanNet scene folders <dir>/<scene_id> (loadScene + sceneBoxes)
};

struct ScorePredictionsResult {
    std::string table;  // human-readable, one benchmark table
    std::string json;   // the scores as JSON (NaN means are null)
};

// Throws inst3d::Error naming the file (and row) at fault.
ScorePredictionsResult scorePredictions(const ScorePredictionsOptions& options);

// Adds `score-predictions` to the registry (called by registerEvalCommands).
void registerScorePredictionsCommand(CommandRegistry& registry);

}  // namespace inst3d
