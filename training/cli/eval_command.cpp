// `inst3d eval`: generation on a benchmark split with an Inst3D checkpoint, predictions in each
// benchmark's file format (Chat-Scene's rows), scores through score-predictions (core/eval), a summary
// table and JSON, and a per-sample report. --blind zeroes every scene token: the language prior alone.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/cli/command.h"
#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/data/answer_parser.h"
#include "core/eval/box_metrics.h"
#include "core/eval/score_predictions.h"
#include "models/inst3d/sequence.h"
#include "models/llm/generation.h"
#include "models/weights/torch_runtime.h"
#include "training/inst3d_checkpoint.h"
#include "training/scene_chat.h"

namespace inst3d {

namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

struct EvalRun {
    Inst3dStack stack;
    CheckpointInfo info;
    Inst3dData data;
    GenerationConfig gen;
    bool blind = false;
    std::map<std::string, ObjectTokens> tokens;  // per scene, computed once
};

const ObjectTokens& sceneTokens(EvalRun& r, const SceneObjects& s) {
    auto it = r.tokens.find(s.sceneId);
    if (it != r.tokens.end()) return it->second;
    ObjectTokens tok = encodeScenes(*r.stack.model, {&s});
    if (r.blind)
        for (torch::Tensor& p : tok.parts) p = torch::zeros_like(p);
    return r.tokens.emplace(s.sceneId, std::move(tok)).first->second;
}

std::string answerSample(EvalRun& r, const TaskSample& t) {
    const SceneObjects& s = r.data.scenes.at(t.sample.sceneId);
    const ObjectTokens& tok = sceneTokens(r, s);
    const torch::Tensor ids = identifierEmbeddings(r.stack);
    const std::vector<torch::Tensor> segments =
        r.stack.model->objectSegments(tok, 0, objectOrder(s, false, 0), ids, r.stack.config.tokenLayout);
    const GenerationResult g = generateAnswer(*r.stack.llm, *r.stack.tokenizer, r.stack.prompt, segments, t.sample.prompt, r.gen);
    return tidyAnswer(r.stack.tokenizer->decode(std::vector<int>(g.ids.begin(), g.ids.end())));
}

const char* benchmarkOf(const std::string& task) {
    return task == "multi3dref" ? "multi3drefer" : task.c_str();
}

ojson predictionRow(const TaskSample& t, const std::string& pred) {
    const InstructionSample& s = t.sample;
    ojson row = {{"scene_id", s.sceneId}, {"gt_id", s.objId}, {"pred_id", s.predId.value_or(0)}, {"qid", ""},
                 {"prompt", s.prompt}, {"pred", pred}, {"ref_captions", s.refCaptions}, {"type_info", s.typeInfo}};
    if (t.task == "multi3dref") {
        row["gt_id"] = s.refIds;
        row["type_info"] = s.evalType;
    }
    if (t.task == "sqa3d") row["type_info"] = s.sqaType;
    if (t.task == "scanrefer") row["type_info"] = 0;  // unique / multiple come from the annotations
    return row;
}

// The per-sample report line: what was asked and answered, the ids parsed, boxes and IoU for grounding.
ojson reportLine(const EvalRun& r, const TaskSample& t, const std::string& pred) {
    const SceneObjects& s = r.data.scenes.at(t.sample.sceneId);
    ojson j = {{"scene_id", t.sample.sceneId}, {"task", t.task}, {"question", t.sample.prompt}, {"answer", pred},
               {"parsed_ids", parseObjectIds(pred)}};
    if (t.task == "scanrefer" || t.task == "nr3d") {
        const int id = groundingPrediction(pred, s.count);
        const auto& gt = r.data.gtBoxes.at(t.sample.sceneId);
        const EvalBox& g = gt.at(size_t(t.sample.objId));
        const double iou = boxIoU(s.boxes.at(size_t(id)), g);
        j["pred_box"] = {s.boxes[size_t(id)].center, s.boxes[size_t(id)].size};
        j["gt_box"] = {g.center, g.size};
        j["iou"] = iou;
        j["correct"] = iou >= 0.5;
    }
    return j;
}

void writeProposalBoxes(const EvalRun& r, const std::string& path) {
    ojson all = ojson::object();
    for (const auto& [id, s] : r.data.scenes) {
        ojson scene = ojson::object();
        for (size_t k = 0; k < s.boxes.size(); ++k) scene[std::to_string(k)] = {{"center", s.boxes[k].center}, {"size", s.boxes[k].size}};
        all[id] = scene;
    }
    writeFileAtomic(path, all.dump());
}

ScorePredictionsOptions scoreOptions(const std::string& task, const std::string& pred, const std::string& root,
                                     const std::string& proposals, const std::string& split) {
    ScorePredictionsOptions o;
    o.benchmark = benchmarkOf(task);
    o.predPath = pred;
    if (task == "scanrefer" || task == "multi3dref" || task == "scan2cap" ) {
        o.proposalsPath = proposals;
        o.scansDir = joinPath(root, "scans");
    }
    if (task == "scanrefer") o.scanReferAnnotationsPath = joinPath(root, "ScanRefer/ScanRefer_filtered_" + split + ".json");
    if (task == "scan2cap") o.corpusPath = joinPath(root, "Scan2Cap/scan2cap_" + split + "_corpus.json");
    return o;
}

}  // namespace

// Generates, writes and scores every task; returns the exit code.
static int evaluate(EvalRun& r, const DataOptions& o, const std::string& out, int limit) {
    const std::string proposals = joinPath(out, "proposals.json");
    writeProposalBoxes(r, proposals);
    std::ofstream report(joinPath(out, "report.jsonl"));
    ojson summary = {{"checkpoint_steps", r.info.steps}, {"split", o.split}, {"blind", r.blind}, {"beams", r.gen.numBeams},
                     {"skipped", r.data.skipped}, {"scores", ojson::object()}};
    for (const std::string& task : o.tasks) {
        std::vector<const TaskSample*> todo;
        for (const TaskSample& t : r.data.samples)
            if (t.task == task && (limit <= 0 || int(todo.size()) < limit)) todo.push_back(&t);
        if (todo.empty()) {
            std::printf("%s: no samples in split %s\n", task.c_str(), o.split.c_str());
            continue;
        }
        ProgressBar bar("eval " + task);
        const auto t0 = std::chrono::steady_clock::now();
        ojson rows = ojson::array();
        for (size_t i = 0; i < todo.size(); ++i) {
            const std::string pred = answerSample(r, *todo[i]);
            rows.push_back(predictionRow(*todo[i], pred));
            report << reportLine(r, *todo[i], pred).dump() << "\n";
            bar.update(double(i + 1) / double(todo.size()), std::to_string(i + 1) + "/" + std::to_string(todo.size()));
        }
        bar.done();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const std::string predPath = joinPath(out, std::string(benchmarkOf(task)) + "_pred.json");
        writeFileAtomic(predPath, rows.dump(1));
        const ScorePredictionsResult res = scorePredictions(scoreOptions(task, predPath, o.root, proposals, o.split));
        std::printf("%s%s(%zu samples, %.2f samples/s)\n\n", res.table.c_str(), r.blind ? "[blind: no scene input] " : "",
                    todo.size(), double(todo.size()) / seconds);
        summary["scores"][task] = nlohmann::json::parse(res.json);
        summary["samples_per_second"][task] = double(todo.size()) / seconds;
    }
    writeFileAtomic(joinPath(out, "summary.json"), summary.dump(1) + "\n");
    std::printf("wrote %s (summary.json, report.jsonl, *_pred.json)\n", out.c_str());
    return 0;
}

int runEval(const std::vector<std::string>& argv) {
    ArgParser args("inst3d eval",
                   "Evaluates an Inst3D checkpoint (inst3d train's OUTPUT/checkpoint) on the benchmarks named by --tags:\n"
                   "generates an answer per sample, writes OUT/<benchmark>_pred.json in Chat-Scene's row format,\n"
                   "scores it as score-predictions does, prints the tables and writes OUT/summary.json and\n"
                   "OUT/report.jsonl (one line per sample). --blind runs the same with every scene token zeroed.");
    args.option("checkpoint", "DIR", "checkpoint folder").option("data", "ROOT", "ScanNet-layout folder (scans/, splits/, benchmark files)")
        .option("features", "DIR", "feature caches of the split's scenes").option("tags", "TAGS", "scanrefer#multi3dref#scan2cap#scanqa#sqa3d#nr3d", "scanrefer")
        .option("split", "NAME", "val or train", "val").option("out", "DIR", "output folder (default: next to the checkpoint)")
        .option("beams", "K", "beam search width (1 = greedy)", "1").option("max-new-tokens", "N", "answer length limit", "32")
        .option("limit", "N", "at most N samples per task (0 = all)", "0").option("limit-scenes", "N", "only the first N scenes of the split", "0")
        .flag("blind", "zero every scene token (the language prior alone)");
    if (!args.parse(argv)) return 0;
    applyDefaultThreads();  // all CPUs this process may use (models/weights/torch_runtime.h)
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines reach a log file as they happen
    if (!args.has("checkpoint") || !args.has("data") || !args.has("features")) throw UsageError("--checkpoint, --data and --features are required");
    EvalRun r;
    r.blind = args.has("blind");
    r.stack = loadInst3dCheckpoint(args.get("checkpoint"), &r.info);
    r.stack.model->setTraining(false);
    DataOptions o;
    o.root = args.get("data");
    o.featuresDir = args.get("features");
    o.split = args.get("split");
    o.tasks = parseTaskTags(args.get("tags"));
    o.maxObjects = r.stack.config.maxObjects;
    o.withCrops = r.stack.config.viewFusion == ViewFusion::Views;
    o.limitScenes = args.getInt("limit-scenes");
    r.data = loadInst3dData(o);
    checkCheckpointEncoders(r.info, r.data, o.featuresDir);
    r.gen.maxNewTokens = args.getInt("max-new-tokens");
    r.gen.numBeams = args.getInt("beams");
    if (r.gen.numBeams > 1) r.gen.repetitionPenalty = 3.0;  // Inst3D's beam search (brief §1.9)
    r.gen.eosId = r.stack.tokenizer->eosId();
    const std::string out = args.has("out") ? args.get("out") : joinPath(fs::path(args.get("checkpoint")).parent_path().string(),
                                                                        std::string("eval-") + o.split + (r.blind ? "-blind" : ""));
    makeDirectories(out);
    return evaluate(r, o, out, args.getInt("limit"));
}

}  // namespace inst3d
