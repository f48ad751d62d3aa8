// The `score-predictions` verb: flags to ScorePredictionsOptions, the table to stdout. The scoring
// itself is core/eval/score_predictions.h, so that the evaluation loop can call it without the CLI.
#include <iostream>
#include <string>
#include <vector>

#include "core/cli/command.h"
#include "core/cli/score_command.h"
#include "core/common/file_util.h"
#include "core/eval/score_predictions.h"

namespace inst3d {
namespace {

int runScorePredictions(const std::vector<std::string>& argv) {
    ArgParser args("inst3d score-predictions",
                   "Scores a benchmark prediction file (rows: scene_id, gt_id, pred_id, qid, pred, ref_captions,\n"
                   "type_info) as Chat-Scene's evaluators do and prints the benchmark's table (percent).\n"
                   "  scanrefer, multi3drefer: need --proposals and one of --gt-boxes / --scans; ScanRefer's\n"
                   "    unique/multiple comes from type_info (0/1) unless --scanrefer-annotations is given.\n"
                   "  scan2cap: needs --proposals, a GT source and --corpus; m@0.25 and m@0.5 over every corpus\n"
                   "    key (candidate \"sos <pred> eos\" when IoU(pred_id proposal, gt_id box) >= k, else\n"
                   "    \"sos eos\"), PTB-tokenized; BLEU-1..4, METEOR, ROUGE-L, CIDEr.\n"
                   "  nr3d, sr3d: GT-object setting, hit iff the first <OBJ###> in pred equals gt_id; type_info\n"
                   "    easy_dep | easy_indep | hard_dep | hard_indep.\n"
                   "  scanqa, sqa3d: EM@1 and refined EM against ref_captions (sqa3d: per type_info 0..5), then\n"
                   "    BLEU-1..4, METEOR, ROUGE-L, CIDEr of the cleaned answers; --evaluator picks Inst3D-LMM's\n"
                   "    rules (default: ScanQA references cleaned too) or Chat-Scene's (raw ScanQA references,\n"
                   "    an answer that cleans to \"\" never matches). METEOR needs java and pycocoevalcap's jar.\n"
                   "Row layouts: docs/formats.md, \"Benchmark prediction files\".");
    args.option("benchmark", "B", "scanrefer | multi3drefer | scan2cap | scanqa | sqa3d | nr3d | sr3d")
        .option("pred", "PRED.json", "the prediction rows (a JSON array)")
        .option("proposals", "BOXES", "{scene_id: {proposal_index: {center, size}}} JSON, or a Chat-Scene attributes .pt (locs [n, 6])")
        .option("gt-boxes", "BOXES", "GT boxes in either layout (scannet_<split>_attributes.pt), index = object id")
        .option("scans", "DIR", "ScanNet scene folders DIR/<scene_id> to take GT boxes from")
        .option("corpus", "CORPUS.json", "scan2cap references {\"scene|objid\": [\"sos ... eos\"]} (scan2cap_val_corpus.json)")
        .option("scanrefer-annotations", "JSON", "ScanRefer_filtered(_val).json: unique/multiple by the ScanRefer rule")
        .option("label-map", "TSV", "scannetv2-labels.combined.tsv for that rule (default: found next to the annotations)")
        .option("evaluator", "E", "scanqa, sqa3d: inst3d (default, Inst3D-LMM's utils/eval.py) | chat-scene")
        .option("output", "OUT.json", "also write the scores as JSON");
    if (!args.parse(argv)) return 0;
    for (const char* required : {"benchmark", "pred"})
        if (!args.has(required)) throw UsageError(std::string("--") + required + " is required (see inst3d score-predictions --help)");
    ScorePredictionsOptions o;
    o.benchmark = args.get("benchmark");
    o.predPath = args.get("pred");
    auto optional = [&](const char* name, std::string& into) { if (args.has(name)) into = args.get(name); };
    optional("proposals", o.proposalsPath);
    optional("gt-boxes", o.gtBoxesPath);
    optional("scans", o.scansDir);
    optional("corpus", o.corpusPath);
    optional("scanrefer-annotations", o.scanReferAnnotationsPath);
    optional("label-map", o.labelMapPath);
    if (args.has("evaluator")) o.qaEvaluator = parseQaEvaluator(args.get("evaluator"), "--evaluator");
    ScorePredictionsResult r = scorePredictions(o);
    std::cout << r.table;
    if (args.has("output")) {
        writeFileAtomic(args.get("output"), r.json + "\n");
        std::cout << "wrote " << args.get("output") << "\n";
    }
    return 0;
}

}  // namespace

void registerScorePredictionsCommand(CommandRegistry& registry) {
    registry.add({"score-predictions",
                  "score a benchmark prediction file (scanrefer, multi3drefer, scan2cap, scanqa, sqa3d, nr3d, sr3d)",
                  runScorePredictions});
}

}  // namespace inst3d
