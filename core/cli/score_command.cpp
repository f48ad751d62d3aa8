// `inst3d score --task captions|boxes|multi3drefer|scan2cap|scanqa --input IN.json --output OUT.json`.
// JSON shapes are those of issue 4 (see docs/formats.md, "Scoring cases"); every problem names the file.
#include "core/cli/score_command.h"

#include <functional>
#include <iostream>
#include <map>

#include "core/cli/command.h"
#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/eval/answer_metrics.h"
#include "core/eval/box_json.h"
#include "core/eval/box_metrics.h"
#include "core/eval/caption_metrics.h"
#include "core/eval/caption_report.h"
#include "core/eval/meteor.h"
#include "core/eval/scan2cap.h"
#include "core/io/json_file.h"

namespace inst3d {
namespace {

using ojson = nlohmann::ordered_json;

// Reading with a path for every complaint: "<file>: items[3].references: expected an array".
class Reader {
public:
    explicit Reader(std::string path) : path_(std::move(path)) {}

    ojson parse() const { return parseJsonFile<ojson>(path_); }
    const ojson& field(const ojson& obj, const char* key, const std::string& where) const {
        if (!obj.is_object()) fail(path_, where + ": expected an object");
        auto it = obj.find(key);
        if (it == obj.end()) fail(path_, where + ": missing \"" + key + "\"");
        return *it;
    }
    const ojson& array(const ojson& obj, const char* key, const std::string& where) const {
        const ojson& a = field(obj, key, where);
        if (!a.is_array()) fail(path_, where + "." + key + ": expected an array");
        return a;
    }
    std::string string(const ojson& v, const std::string& where) const {
        if (!v.is_string()) fail(path_, where + ": expected a string");
        return v.get<std::string>();
    }
    std::vector<std::string> strings(const ojson& obj, const char* key, const std::string& where) const {
        std::vector<std::string> out;
        const ojson& a = array(obj, key, where);
        for (size_t i = 0; i < a.size(); ++i) out.push_back(string(a[i], where + "." + key + "[" + std::to_string(i) + "]"));
        return out;
    }
    EvalBox box(const ojson& v, const std::string& where) const { return readJsonBox(path_, v, where); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::string at(const std::string& list, size_t i) { return list + "[" + std::to_string(i) + "]"; }

ojson metricsJson(const MetricRow& row) {
    ojson m = ojson::object();
    for (const auto& [name, value] : row) m[name] = value;
    return m;
}

std::vector<CaptionItem> readCaptionItems(const Reader& r, const ojson& items, const std::string& where) {
    std::vector<CaptionItem> out;
    for (size_t i = 0; i < items.size(); ++i) {
        std::string w = at(where, i);
        CaptionItem c;
        c.id = r.field(items[i], "id", w).dump();
        c.candidate = r.string(r.field(items[i], "candidate", w), w + ".candidate");
        c.references = r.strings(items[i], "references", w);
        if (c.references.empty()) fail(r.path(), w + ".references: at least one reference is needed");
        out.push_back(std::move(c));
    }
    return out;
}

// Scores one corpus (METEOR only when the jar is configured); per-item rows carry the item ids.
ojson scoreCorpusJson(const std::vector<CaptionItem>& corpus, const ojson& ids, ojson* perItem) {
    CorpusReport r = reportCorpus(corpus, perItem != nullptr);
    if (perItem) {
        *perItem = ojson::array();
        for (size_t i = 0; i < corpus.size(); ++i) {
            ojson row;
            row["id"] = ids[i];
            row.update(metricsJson(r.perItem[i]));
            perItem->push_back(row);
        }
    }
    return metricsJson(r.corpus);
}

ojson scoreCaptionsTask(const Reader& r, const ojson& in) {
    ojson out;
    out["corpora"] = ojson::array();
    const ojson& corpora = r.array(in, "corpora", "top level");
    for (size_t c = 0; c < corpora.size(); ++c) {
        std::string w = at("corpora", c);
        const ojson& items = r.array(corpora[c], "items", w);
        std::vector<CaptionItem> corpus = readCaptionItems(r, items, w + ".items");
        ojson ids = ojson::array();
        for (const auto& item : items) ids.push_back(item["id"]);
        ojson entry;
        entry["name"] = r.field(corpora[c], "name", w);
        ojson perItem;
        entry["corpus"] = corpus.empty() ? ojson::object() : scoreCorpusJson(corpus, ids, &perItem);
        entry["per_item"] = corpus.empty() ? ojson::array() : perItem;
        out["corpora"].push_back(entry);
    }
    out["meteor"] = meteorStatus();
    return out;
}

ojson scoreBoxesTask(const Reader& r, const ojson& in) {
    const ojson& pairs = r.array(in, "pairs", "top level");
    std::vector<ScanReferCase> cases;
    ojson out;
    out["pairs"] = ojson::array();
    for (size_t i = 0; i < pairs.size(); ++i) {
        std::string w = at("pairs", i);
        const ojson& um = r.field(pairs[i], "unique_multiple", w);
        if (!um.is_number_integer() || (um.get<int>() != 0 && um.get<int>() != 1))
            fail(r.path(), w + ".unique_multiple: expected 0 or 1");
        double iou = boxIoU(r.box(r.field(pairs[i], "pred", w), w + ".pred"), r.box(r.field(pairs[i], "gt", w), w + ".gt"));
        cases.push_back({iou, um.get<int>() == 1});
        out["pairs"].push_back({{"id", r.field(pairs[i], "id", w)}, {"iou", iou}, {"hit25", iou >= 0.25}, {"hit50", iou >= 0.5}});
    }
    ScanReferAcc acc = scanReferAccuracy(cases);
    auto pairJson = [](const AccPair& p) { return ojson{{"Acc@0.25", p.acc25}, {"Acc@0.5", p.acc50}}; };
    out["scanrefer_acc"]["all"] = {{"overall", pairJson(acc.overall)}, {"unique", pairJson(acc.unique)},
                                   {"multiple", pairJson(acc.multiple)}};
    return out;
}

ojson scoreMulti3DReferTask(const Reader& r, const ojson& in) {
    const ojson& cases = r.array(in, "cases", "top level");
    std::vector<std::string> types;
    std::vector<Multi3DReferResult> results;
    ojson out;
    out["cases"] = ojson::array();
    for (size_t i = 0; i < cases.size(); ++i) {
        std::string w = at("cases", i);
        std::string type = r.string(r.field(cases[i], "eval_type", w), w + ".eval_type");
        if (std::find(std::begin(kMulti3DReferEvalTypes), std::end(kMulti3DReferEvalTypes), type) ==
            std::end(kMulti3DReferEvalTypes))
            fail(r.path(), w + ".eval_type: \"" + type + "\" is none of zt_w_d zt_wo_d st_w_d st_wo_d mt");
        std::vector<EvalBox> pred, gt;
        const ojson& pb = r.array(cases[i], "pred_boxes", w);
        for (size_t k = 0; k < pb.size(); ++k) pred.push_back(r.box(pb[k], w + at(".pred_boxes", k)));
        const ojson& gb = r.array(cases[i], "gt_boxes", w);
        for (size_t k = 0; k < gb.size(); ++k) gt.push_back(r.box(gb[k], w + at(".gt_boxes", k)));
        if (!isZeroTargetType(type) && gt.empty()) fail(r.path(), w + ": a " + type + " query needs gt_boxes");
        Multi3DReferResult res = multi3dReferF1(type, pred, gt);
        types.push_back(type);
        results.push_back(res);
        out["cases"].push_back({{"id", r.field(cases[i], "id", w)}, {"f1_25", res.f1_25}, {"f1_50", res.f1_50},
                                {"tp25", res.tp25}, {"tp50", res.tp50}});
    }
    Multi3DReferSummary s = summarizeMulti3DRefer(types, results);
    for (const auto& [name, table] : {std::pair{"F1@0.25", &s.f1_25}, std::pair{"F1@0.5", &s.f1_50}}) {
        ojson row;
        for (const char* t : kMulti3DReferEvalTypes) row[t] = table->at(t);
        row["overall"] = table->at("overall");
        out["summary"][name] = row;
    }
    return out;
}

ojson scoreScan2CapTask(const Reader& r, const ojson& in) {
    const ojson& items = r.array(in, "items", "top level");
    std::vector<Scan2CapItem> s2c;
    for (size_t i = 0; i < items.size(); ++i) {
        std::string w = at("items", i);
        Scan2CapItem it;
        it.key = r.field(items[i], "id", w).is_string() ? items[i]["id"].get<std::string>() : items[i]["id"].dump();
        it.gtBox = r.box(r.field(items[i], "gt_box", w), w + ".gt_box");
        if (items[i].contains("pred_box") && !items[i]["pred_box"].is_null())
            it.predBox = r.box(items[i]["pred_box"], w + ".pred_box");
        if (items[i].contains("prediction") && !items[i]["prediction"].is_null())
            it.prediction = r.string(items[i]["prediction"], w + ".prediction");
        it.references = r.strings(items[i], "references", w);
        if (it.references.empty()) fail(r.path(), w + ".references: at least one reference is needed");
        s2c.push_back(std::move(it));
    }
    ojson out;
    std::vector<std::optional<double>> iou;
    ojson ids = ojson::array();
    for (const auto& item : items) ids.push_back(item["id"]);
    for (const auto& [name, k] : {std::pair{"0.25", 0.25}, std::pair{"0.5", 0.5}}) {
        std::vector<CaptionItem> corpus = scan2capCorpus(s2c, k, &iou);
        out["impl"][name] = corpus.empty() ? ojson::object() : scoreCorpusJson(corpus, ids, nullptr);
    }
    out["iou"] = ojson::object();
    for (size_t i = 0; i < s2c.size(); ++i) out["iou"][s2c[i].key] = iou[i] ? ojson(*iou[i]) : ojson(nullptr);
    out["meteor"] = meteorStatus();
    return out;
}

ojson scoreScanQaTask(const Reader& r, const ojson& in, QaEvaluator evaluator) {
    const ojson& cases = r.array(in, "cases", "top level");
    ojson perItem = ojson::array();
    int em = 0, refined = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
        std::string w = at("cases", i);
        QaItemScore s = scoreScanQaItem(r.string(r.field(cases[i], "prediction", w), w + ".prediction"),
                                        r.strings(cases[i], "references", w), evaluator);
        em += s.em;
        refined += s.emRefined;
        perItem.push_back({{"id", r.field(cases[i], "id", w)}, {"em", s.em}, {"em_refined", s.emRefined},
                           {"pred_clean", s.predClean}});
    }
    double n = static_cast<double>(cases.size());
    ojson out;
    out["inst3d"] = {{"EM1", cases.empty() ? ojson(nullptr) : ojson(em / n)},
                     {"EM1_refined", cases.empty() ? ojson(nullptr) : ojson(refined / n)},
                     {"per_item", perItem}};
    out["evaluator"] = qaEvaluatorName(evaluator);
    return out;
}

using Task = std::function<ojson(const Reader&, const ojson&, QaEvaluator)>;

const std::map<std::string, Task>& tasks() {
    auto plain = [](ojson (*f)(const Reader&, const ojson&)) {
        return Task([f](const Reader& r, const ojson& in, QaEvaluator) { return f(r, in); });
    };
    static const std::map<std::string, Task> t = {
        {"captions", plain(scoreCaptionsTask)}, {"boxes", plain(scoreBoxesTask)},
        {"multi3drefer", plain(scoreMulti3DReferTask)}, {"scan2cap", plain(scoreScan2CapTask)},
        {"scanqa", scoreScanQaTask}};
    return t;
}

int runScore(const std::vector<std::string>& argv) {
    ArgParser args("inst3d score",
                   "Scores self-contained metric cases exactly as the official evaluators do (pycocoevalcap\n"
                   "BLEU/ROUGE-L/CIDEr-D, ScanRefer Acc@k, Multi3DRefer F1@k, Scan2Cap m@k, ScanQA EM).\n"
                   "Caption strings are taken as already tokenized. METEOR comes from pycocoevalcap's\n"
                   "meteor-1.5.jar run with java (INST3D_METEOR_JAR overrides the jar, INST3D_JAVA the java);\n"
                   "without them the output's \"meteor\" field says what to install.");
    args.option("task", "T", "captions | boxes | multi3drefer | scan2cap | scanqa")
        .option("input", "IN.json", "cases to score")
        .option("evaluator", "E", "scanqa: inst3d (default, Inst3D-LMM's rules) | chat-scene (raw references)")
        .option("output", "OUT.json", "where to write the scores");
    if (!args.parse(argv)) return 0;
    for (const char* required : {"task", "input", "output"})
        if (!args.has(required)) throw UsageError(std::string("--") + required + " is required (see inst3d score --help)");
    if (!tasks().count(args.get("task"))) throw UsageError("--task must be one of captions boxes multi3drefer scan2cap scanqa");
    QaEvaluator evaluator = QaEvaluator::Inst3D;
    if (args.has("evaluator")) evaluator = parseQaEvaluator(args.get("evaluator"), "--evaluator");
    scoreFile(args.get("task"), args.get("input"), args.get("output"), evaluator);
    std::cout << "wrote " << args.get("output") << "\n";
    return 0;
}

}  // namespace

void scoreFile(const std::string& task, const std::string& inputPath, const std::string& outputPath,
               QaEvaluator evaluator) {
    auto it = tasks().find(task);
    if (it == tasks().end()) fail(inputPath, "unknown task \"" + task + "\"");
    Reader reader(inputPath);
    ojson in = reader.parse();
    writeFileAtomic(outputPath, it->second(reader, in, evaluator).dump(1) + "\n");
}

void registerEvalCommands(CommandRegistry& registry) {
    registry.add({"score", "score metric cases (captions, boxes, multi3drefer, scan2cap, scanqa) as the official evaluators", runScore});
    registerScorePredictionsCommand(registry);
}

}  // namespace inst3d
