// `inst3d score-predictions`: see score_predictions.h. Metrics and the <OBJ###> parser are the shared
// ones (box_metrics, answer_metrics, answer_parser); this file only reads rows and boxes.
#include "core/eval/score_predictions.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/cli/command.h"
#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/data/answer_parser.h"
#include "core/data/proposal_matching.h"
#include "core/eval/answer_metrics.h"
#include "core/eval/box_metrics.h"
#include "core/io/scene_loader.h"

namespace inst3d {
namespace {

using ojson = nlohmann::ordered_json;

ojson parseJsonFile(const std::string& path) {
    try {
        return ojson::parse(readTextFile(path));
    } catch (const ojson::parse_error& e) {
        fail(path, std::string("invalid JSON: ") + e.what());
    }
}

std::string rowAt(size_t i) { return "[" + std::to_string(i) + "]"; }

const ojson& field(const std::string& path, const ojson& obj, const char* key, const std::string& where) {
    if (!obj.is_object()) fail(path, where + ": expected an object");
    auto it = obj.find(key);
    if (it == obj.end()) fail(path, where + ": missing \"" + key + "\"");
    return *it;
}

std::string stringField(const std::string& path, const ojson& obj, const char* key, const std::string& where) {
    const ojson& v = field(path, obj, key, where);
    if (!v.is_string()) fail(path, where + "." + key + ": expected a string");
    return v.get<std::string>();
}

int intValue(const std::string& path, const ojson& v, const std::string& where) {
    if (v.is_number_integer()) return v.get<int>();
    if (v.is_string()) {  // ids written as "34", as ScanRefer does
        const std::string s = v.get<std::string>();
        if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) return std::stoi(s);
    }
    fail(path, where + ": expected an integer");
}

std::vector<std::string> stringsField(const std::string& path, const ojson& obj, const char* key, const std::string& where) {
    const ojson& a = field(path, obj, key, where);
    if (!a.is_array()) fail(path, where + "." + key + ": expected an array of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < a.size(); ++i) {
        if (!a[i].is_string()) fail(path, where + "." + key + rowAt(i) + ": expected a string");
        out.push_back(a[i].get<std::string>());
    }
    return out;
}

EvalBox boxValue(const std::string& path, const ojson& v, const std::string& where) {
    EvalBox b;
    for (const char* key : {"center", "size"}) {
        const ojson& a = field(path, v, key, where);
        if (!a.is_array() || a.size() != 3) fail(path, where + "." + key + ": expected 3 numbers");
        for (int k = 0; k < 3; ++k) {
            if (!a[k].is_number()) fail(path, where + "." + key + ": expected 3 numbers");
            (key[0] == 'c' ? b.center : b.size)[k] = a[k].get<double>();
        }
    }
    return b;
}

// {scene_id: {index: box}}; the indices of a scene must be 0..n-1 (proposal rank / object id).
using SceneBoxMap = std::map<std::string, std::vector<EvalBox>>;
SceneBoxMap readBoxFile(const std::string& path) {
    ojson in = parseJsonFile(path);
    if (!in.is_object()) fail(path, "top level: expected an object {scene_id: {index: box}}");
    SceneBoxMap out;
    for (const auto& [scene, boxes] : in.items()) {
        if (!boxes.is_object()) fail(path, scene + ": expected an object {index: box}");
        std::map<int, EvalBox> byIndex;
        for (const auto& [key, box] : boxes.items()) {
            std::string where = scene + "." + key;
            if (key.empty() || key.find_first_not_of("0123456789") != std::string::npos)
                fail(path, where + ": the key must be a non-negative integer index");
            byIndex[std::stoi(key)] = boxValue(path, box, where);
        }
        std::vector<EvalBox>& v = out[scene];
        for (const auto& [index, box] : byIndex) {
            if (index != static_cast<int>(v.size()))
                fail(path, scene + ": index " + std::to_string(v.size()) + " is missing (indices must be 0..n-1)");
            v.push_back(box);
        }
    }
    return out;
}

// Proposal and GT boxes by scene, GT ones read from --gt-boxes or loaded from --scans on demand.
class Boxes {
public:
    explicit Boxes(const ScorePredictionsOptions& o) : o_(o) {
        if (o.proposalsPath.empty()) throw UsageError("--proposals is required for " + o.benchmark);
        if (o.gtBoxesPath.empty() == o.scansDir.empty())
            throw UsageError("give exactly one of --gt-boxes and --scans for " + o.benchmark);
        proposals_ = readBoxFile(o.proposalsPath);
        if (!o.gtBoxesPath.empty()) gt_ = readBoxFile(o.gtBoxesPath);
    }
    const std::vector<EvalBox>& proposals(const std::string& scene, const std::string& where) const {
        auto it = proposals_.find(scene);
        if (it == proposals_.end()) fail(o_.proposalsPath, "no proposals for scene " + scene + " (needed by " + where + ")");
        return it->second;
    }
    const EvalBox& gt(const std::string& scene, int objectId, const std::string& where) {
        auto it = gt_.find(scene);
        if (it == gt_.end()) {
            if (o_.scansDir.empty()) fail(o_.gtBoxesPath, "no GT boxes for scene " + scene + " (needed by " + where + ")");
            LoadOptions lo;
            lo.loadFrames = false;
            it = gt_.emplace(scene, sceneBoxes(loadScene(o_.scansDir + "/" + scene, lo))).first;
        }
        if (objectId < 0 || objectId >= static_cast<int>(it->second.size()))
            fail(o_.predPath, where + ".gt_id: object " + std::to_string(objectId) + " is not in scene " + scene + " (" +
                                  std::to_string(it->second.size()) + " GT boxes)");
        return it->second[objectId];
    }

private:
    const ScorePredictionsOptions& o_;
    SceneBoxMap proposals_, gt_;
};

ojson number(double v) { return std::isnan(v) ? ojson(nullptr) : ojson(v); }
std::string percent(double v) {
    if (std::isnan(v)) return "     n/a";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%8.2f", 100.0 * v);
    return buf;
}
std::string padded(const std::string& s, size_t width) { return s + std::string(s.size() < width ? width - s.size() : 0, ' '); }

ScorePredictionsResult scoreScanRefer(const ScorePredictionsOptions& o, const ojson& rows) {
    Boxes boxes(o);
    std::vector<ScanReferCase> cases;
    for (size_t i = 0; i < rows.size(); ++i) {
        std::string w = rowAt(i);
        std::string scene = stringField(o.predPath, rows[i], "scene_id", w);
        int gtId = intValue(o.predPath, field(o.predPath, rows[i], "gt_id", w), w + ".gt_id");
        int um = intValue(o.predPath, field(o.predPath, rows[i], "type_info", w), w + ".type_info");
        if (um != 0 && um != 1) fail(o.predPath, w + ".type_info: expected 0 (unique) or 1 (multiple)");
        const std::vector<EvalBox>& props = boxes.proposals(scene, w);
        if (props.empty()) fail(o.proposalsPath, scene + ": no proposals");
        int predId = groundingPrediction(stringField(o.predPath, rows[i], "pred", w), static_cast<int>(props.size()));
        cases.push_back({boxIoU(props[predId], boxes.gt(scene, gtId, w)), um == 1});
    }
    ScanReferAcc acc = scanReferAccuracy(cases);
    ScorePredictionsResult r;
    ojson out;
    std::ostringstream t;
    t << "ScanRefer (" << rows.size() << " predictions)\n" << padded("", 10) << "Acc@0.25  Acc@0.5  count\n";
    for (const auto& [name, p] : {std::pair{"unique", &acc.unique}, std::pair{"multiple", &acc.multiple},
                                  std::pair{"overall", &acc.overall}}) {
        out[name] = {{"Acc@0.25", number(p->acc25)}, {"Acc@0.5", number(p->acc50)}, {"count", p->count}};
        t << padded(name, 10) << percent(p->acc25) << " " << percent(p->acc50) << "  " << p->count << "\n";
    }
    r.table = t.str();
    r.json = ojson{{"benchmark", "scanrefer"}, {"scores", out}}.dump(1);
    return r;
}

ScorePredictionsResult scoreMulti3DRefer(const ScorePredictionsOptions& o, const ojson& rows) {
    Boxes boxes(o);
    std::vector<std::string> types;
    std::vector<Multi3DReferResult> results;
    for (size_t i = 0; i < rows.size(); ++i) {
        std::string w = rowAt(i);
        std::string scene = stringField(o.predPath, rows[i], "scene_id", w);
        std::string type = stringField(o.predPath, rows[i], "type_info", w);
        if (std::find(std::begin(kMulti3DReferEvalTypes), std::end(kMulti3DReferEvalTypes), type) ==
            std::end(kMulti3DReferEvalTypes))
            fail(o.predPath, w + ".type_info: \"" + type + "\" is none of zt_w_d zt_wo_d st_w_d st_wo_d mt");
        const ojson& ids = field(o.predPath, rows[i], "gt_id", w);
        if (!ids.is_array()) fail(o.predPath, w + ".gt_id: expected an array of object ids");
        std::vector<EvalBox> gt, pred;
        for (size_t k = 0; k < ids.size(); ++k)
            gt.push_back(boxes.gt(scene, intValue(o.predPath, ids[k], w + ".gt_id" + rowAt(k)), w));
        if (!isZeroTargetType(type) && gt.empty()) fail(o.predPath, w + ": a " + type + " query needs gt_id objects");
        const std::vector<EvalBox>& props = boxes.proposals(scene, w);
        for (int id : multiGroundingPrediction(stringField(o.predPath, rows[i], "pred", w), static_cast<int>(props.size())))
            pred.push_back(props[id]);
        types.push_back(type);
        results.push_back(multi3dReferF1(type, pred, gt));
    }
    Multi3DReferSummary s = summarizeMulti3DRefer(types, results);
    ojson out;
    std::ostringstream t;
    t << "Multi3DRefer (" << rows.size() << " predictions)\n" << padded("", 10) << " F1@0.25   F1@0.5\n";
    std::vector<std::string> names(std::begin(kMulti3DReferEvalTypes), std::end(kMulti3DReferEvalTypes));
    names.push_back("overall");
    for (const std::string& n : names) {
        out[n] = {{"F1@0.25", number(s.f1_25.at(n))}, {"F1@0.5", number(s.f1_50.at(n))}};
        t << padded(n, 10) << percent(s.f1_25.at(n)) << " " << percent(s.f1_50.at(n)) << "\n";
    }
    return {t.str(), ojson{{"benchmark", "multi3drefer"}, {"scores", out}}.dump(1)};
}

// ScanQA and SQA3D: the answer text against the row's ref_captions.
ScorePredictionsResult scoreQa(const ScorePredictionsOptions& o, const ojson& rows, bool sqa) {
    std::vector<QaItemScore> items;
    std::vector<int> types;
    for (size_t i = 0; i < rows.size(); ++i) {
        std::string w = rowAt(i);
        std::string pred = stringField(o.predPath, rows[i], "pred", w);
        std::vector<std::string> refs = stringsField(o.predPath, rows[i], "ref_captions", w);
        if (refs.empty()) fail(o.predPath, w + ".ref_captions: at least one reference is needed");
        items.push_back(sqa ? scoreSqa3dItem(pred, refs) : scoreScanQaItem(pred, refs));
        if (sqa) {
            int type = intValue(o.predPath, field(o.predPath, rows[i], "type_info", w), w + ".type_info");
            if (type < 0 || type > 5) fail(o.predPath, w + ".type_info: expected a question type 0..5");
            types.push_back(type);
        }
    }
    std::ostringstream t;
    ojson out;
    const double nan = std::nan("");
    if (!sqa) {
        double em = nan, refined = nan;
        if (!items.empty()) {
            int a = 0, b = 0;
            for (const auto& s : items) a += s.em, b += s.emRefined;
            em = a / static_cast<double>(items.size());
            refined = b / static_cast<double>(items.size());
        }
        out = {{"EM1", number(em)}, {"EM1_refined", number(refined)}, {"count", items.size()}};
        t << "ScanQA (" << items.size() << " predictions)\n" << padded("EM@1", 12) << percent(em) << "\n"
          << padded("EM@1 refined", 12) << percent(refined) << "\n";
        return {t.str(), ojson{{"benchmark", "scanqa"}, {"scores", out}}.dump(1)};
    }
    Sqa3dSummary s = items.empty() ? Sqa3dSummary{nan, nan, {}, {}} : summarizeSqa3d(items, types);
    static const char* const kTypes[6] = {"what", "is", "how", "can", "which", "other"};
    t << "SQA3D (" << items.size() << " predictions)\n" << padded("", 10) << "      EM  refined\n";
    for (int k = 0; k < 6; ++k) {
        out[kTypes[k]] = {{"EM", s.emType[k]}, {"EM_refined", s.emRefinedType[k]}};
        t << padded(kTypes[k], 10) << percent(s.emType[k]) << " " << percent(s.emRefinedType[k]) << "\n";
    }
    out["overall"] = {{"EM", number(s.em)}, {"EM_refined", number(s.emRefined)}};
    t << padded("overall", 10) << percent(s.em) << " " << percent(s.emRefined) << "\n";
    return {t.str(), ojson{{"benchmark", "sqa3d"}, {"scores", out}}.dump(1)};
}

const char* const kBenchmarks = "scanrefer multi3drefer scanqa sqa3d";

int runScorePredictions(const std::vector<std::string>& argv) {
    ArgParser args("inst3d score-predictions",
                   "Scores a benchmark prediction file (rows: scene_id, gt_id, pred_id, qid, pred, ref_captions,\n"
                   "type_info) as Chat-Scene's evaluators do and prints the benchmark's table.\n"
                   "Grounding benchmarks need --proposals and one of --gt-boxes / --scans.");
    args.option("benchmark", "B", "scanrefer | multi3drefer | scanqa | sqa3d")
        .option("pred", "PRED.json", "the prediction rows (a JSON array)")
        .option("proposals", "BOXES.json", "{scene_id: {proposal_index: {center, size}}}")
        .option("gt-boxes", "BOXES.json", "GT boxes in the same layout, index = object id")
        .option("scans", "DIR", "ScanNet scene folders DIR/<scene_id> to take GT boxes from")
        .option("output", "OUT.json", "also write the scores as JSON");
    if (!args.parse(argv)) return 0;
    for (const char* required : {"benchmark", "pred"})
        if (!args.has(required)) throw UsageError(std::string("--") + required + " is required (see inst3d score-predictions --help)");
    ScorePredictionsOptions o;
    o.benchmark = args.get("benchmark");
    o.predPath = args.get("pred");
    if (args.has("proposals")) o.proposalsPath = args.get("proposals");
    if (args.has("gt-boxes")) o.gtBoxesPath = args.get("gt-boxes");
    if (args.has("scans")) o.scansDir = args.get("scans");
    ScorePredictionsResult r = scorePredictions(o);
    std::cout << r.table;
    if (args.has("output")) {
        writeFileAtomic(args.get("output"), r.json + "\n");
        std::cout << "wrote " << args.get("output") << "\n";
    }
    return 0;
}

}  // namespace

ScorePredictionsResult scorePredictions(const ScorePredictionsOptions& o) {
    const std::string& b = o.benchmark;
    if (b != "scanrefer" && b != "multi3drefer" && b != "scanqa" && b != "sqa3d")
        throw UsageError("--benchmark must be one of " + std::string(kBenchmarks) + " (got \"" + b + "\")");
    ojson rows = parseJsonFile(o.predPath);
    if (!rows.is_array()) fail(o.predPath, "top level: expected an array of prediction rows");
    if (b == "scanrefer") return scoreScanRefer(o, rows);
    if (b == "multi3drefer") return scoreMulti3DRefer(o, rows);
    return scoreQa(o, rows, b == "sqa3d");
}

void registerScorePredictionsCommand(CommandRegistry& registry) {
    registry.add({"score-predictions", "score a benchmark prediction file (scanrefer, multi3drefer, scanqa, sqa3d)",
                  runScorePredictions});
}

}  // namespace inst3d
