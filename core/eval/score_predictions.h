// What `inst3d score-predictions --benchmark B --pred PRED.json ...` (core/cli) does: scores a whole benchmark prediction
// file (the rows the evaluation loop writes, Chat-Scene's layout: scene_id, gt_id, pred_id, qid, pred,
// ref_captions, type_info) against proposal and GT boxes (and for Scan2Cap the reference corpus), as
// Inst3D-LMM's / Chat-Scene's utils/eval.py do, and prints the benchmark's table. Row and box layouts:
// docs/formats.md, "Benchmark prediction files".
#pragma once
#include <string>

#include "core/eval/answer_metrics.h"

namespace inst3d {

struct ScorePredictionsOptions {
    std::string benchmark;      // scanrefer | multi3drefer | scan2cap | scanqa | sqa3d | nr3d | sr3d
    std::string predPath;       // PRED.json: an array of rows
    // {scene_id: {proposal_index: {"center":[3],"size":[3]}}} (JSON), or a Chat-Scene attributes file
    // (torch.save, told by its zip magic): {scene_id: {"objects": [...], "locs": [n, 6] center+size}}.
    std::string proposalsPath;
    std::string gtBoxesPath;    // GT boxes in either layout, index = object id ...
    std::string scansDir;       // ... or ScanNet scene folders <dir>/<scene_id> (loadScene + sceneBoxes)
    std::string corpusPath;     // scan2cap: {"scene|objid": ["sos ... eos", ...]} (scan2cap_val_corpus.json)
    // scanrefer: unique/multiple from these annotations (ScanRefer rule) instead of the rows' type_info;
    // the labels tsv defaults to scannetv2-labels.combined.tsv in their folder, its parent, or the
    // parent's scannet/ (the synthetic world's and Chat-Scene's annotations/ layouts).
    std::string scanReferAnnotationsPath;
    std::string labelMapPath;
    QaEvaluator qaEvaluator = QaEvaluator::Inst3D;  // scanqa, sqa3d: whose rules (answer_metrics.h)
};

struct ScorePredictionsResult {
    std::string table;  // human-readable, one benchmark table
    std::string json;   // the scores as JSON (NaN means are null)
};

// Throws inst3d::Error naming the file (and row) at fault.
ScorePredictionsResult scorePredictions(const ScorePredictionsOptions& options);

}  // namespace inst3d
