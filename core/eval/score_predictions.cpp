// `inst3d score-predictions`: see score_predictions.h. Metrics and the <OBJ###> parser are the shared
// ones (box_metrics, answer_metrics, scan2cap + caption_report, answer_parser, the ScanRefer and
// ReferIt3D labels of core/data/datasets); this file only reads rows, boxes and reference files.
#include "core/eval/score_predictions.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/data/answer_parser.h"
#include "core/data/datasets.h"
#include "core/data/proposal_matching.h"
#include "core/eval/box_json.h"
#include "core/eval/answer_metrics.h"
#include "core/eval/box_metrics.h"
#include "core/eval/caption_report.h"
#include "core/eval/meteor.h"
#include "core/eval/scan2cap.h"
#include "core/io/json_file.h"
#include "core/io/label_map.h"
#include "core/io/scene_loader.h"
#include "core/io/torch_pickle.h"

namespace inst3d {
namespace {

using ojson = nlohmann::ordered_json;

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
    const bool digitString = v.is_string() && v.get_ref<const std::string&>().find_first_not_of("0123456789") == std::string::npos;
    if (v.is_number_integer() || digitString)  // ids written as "34", as ScanRefer does
        if (auto i = jsonInt32(v)) return *i;
    fail(path, where + ": expected an integer within 32 bits, got " + v.dump());
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

// {scene_id: {index: box}}; the indices of a scene must be 0..n-1 (proposal rank / object id).
using SceneBoxMap = std::map<std::string, std::vector<EvalBox>>;
SceneBoxMap readJsonBoxFile(const std::string& path) {
    ojson in = parseJsonFile<ojson>(path);
    if (!in.is_object()) fail(path, "top level: expected an object {scene_id: {index: box}}");
    SceneBoxMap out;
    for (const auto& [scene, boxes] : in.items()) {
        if (!boxes.is_object()) fail(path, scene + ": expected an object {index: box}");
        std::map<int, EvalBox> byIndex;
        for (const auto& [key, box] : boxes.items()) {
            std::string where = scene + "." + key;
            int index = 0;
            const auto parsed = std::from_chars(key.data(), key.data() + key.size(), index);  // refuses overflow
            if (key.empty() || key.find_first_not_of("0123456789") != std::string::npos || parsed.ec != std::errc())
                fail(path, where + ": the key must be a non-negative integer index within 32 bits");
            byIndex[index] = readJsonBox(path, box, where);
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

// One scene's "locs" tensor [n, 6] (center xyz, size xyz; float32 or float64) as boxes, row = index.
std::vector<EvalBox> locsBoxes(const std::string& path, const std::string& scene, const PickleValue& locs) {
    if (!locs.is(PickleValue::Kind::Tensor)) fail(path, scene + ".locs: expected a tensor, found " + locs.typeName());
    const TensorRef& t = locs.tensor();
    if (t.shape.size() != 2 || t.shape[1] != 6 || (t.dtype != DType::F32 && t.dtype != DType::F64))
        fail(path, scene + ".locs: expected a float tensor [n, 6] (center, size)");
    const std::vector<uint8_t> bytes = t.contiguousBytes();
    std::vector<EvalBox> out(size_t(t.shape[0]));
    for (size_t i = 0; i < out.size() * 6; ++i) {
        double v;
        if (t.dtype == DType::F32) {
            float f;
            std::memcpy(&f, bytes.data() + 4 * i, 4);
            v = f;
        } else {
            std::memcpy(&v, bytes.data() + 8 * i, 8);
        }
        (i % 6 < 3 ? out[i / 6].center : out[i / 6].size)[i % 3] = v;
    }
    return out;
}

// Chat-Scene attributes (torch.save): {scene_id: {"objects": [labels], "locs": [n, 6]}}, row = index.
SceneBoxMap readAttributesFile(const std::string& path) {
    TorchCheckpoint file(path);
    const PickleValue& root = file.root();
    if (!root.is(PickleValue::Kind::Dict)) fail(path, "top level: expected a dict {scene_id: {objects, locs}}, found " + root.typeName());
    SceneBoxMap out;
    for (const auto& [key, attrs] : root.entries()) {
        if (!key->is(PickleValue::Kind::String)) fail(path, "top level: scene keys must be strings, found " + key->typeName());
        const std::string& scene = key->asString();
        if (!attrs->is(PickleValue::Kind::Dict)) fail(path, scene + ": expected a dict {objects, locs}, found " + attrs->typeName());
        const PickleValue* locs = attrs->find("locs");
        if (!locs) fail(path, scene + ": missing \"locs\"");
        out[scene] = locsBoxes(path, scene, *locs);
    }
    return out;
}

// A torch.save file (zip: "PK\3\4") holds Chat-Scene attributes, anything else is the JSON box layout.
SceneBoxMap readBoxFile(const std::string& path) {
    char magic[4] = {};
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
        const size_t n = std::fread(magic, 1, 4, f);
        std::fclose(f);
        if (n == 4 && std::memcmp(magic, "PK\3\4", 4) == 0) return readAttributesFile(path);
    }
    return readJsonBoxFile(path);
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
    // Proposal `index` of a row's scene (Scan2Cap's pred_id).
    const EvalBox& proposal(const std::string& scene, int index, const std::string& where) const {
        const std::vector<EvalBox>& props = proposals(scene, where);
        if (index < 0 || index >= static_cast<int>(props.size()))
            fail(o_.predPath, where + ".pred_id: proposal " + std::to_string(index) + " is not in scene " + scene + " (" +
                                  std::to_string(props.size()) + " proposals)");
        return props[index];
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

// --label-map, else scannetv2-labels.combined.tsv in the annotations' folder, its parent, or the
// parent's scannet/ (the synthetic world's and Chat-Scene's annotations/ layouts).
std::string labelMapFor(const ScorePredictionsOptions& o) {
    if (!o.labelMapPath.empty()) return o.labelMapPath;
    namespace fs = std::filesystem;
    const fs::path dir = fs::absolute(o.scanReferAnnotationsPath).parent_path();
    for (const fs::path& d : {dir, dir.parent_path(), dir.parent_path() / "scannet"})
        if (fileExists((d / "scannetv2-labels.combined.tsv").string())) return (d / "scannetv2-labels.combined.tsv").string();
    throw UsageError("--label-map is required: no scannetv2-labels.combined.tsv next to " + o.scanReferAnnotationsPath);
}

// Unique (false) / multiple (true) per row: the ScanRefer rule over --scanrefer-annotations when it
// is given (scanReferUniqueMultiple), else the row's type_info 0/1.
class UniqueMultiple {
public:
    explicit UniqueMultiple(const ScorePredictionsOptions& o) : o_(o) {
        if (!o.scanReferAnnotationsPath.empty())
            lookup_ = scanReferUniqueMultiple(readScanRefer(o.scanReferAnnotationsPath), LabelMap::read(labelMapFor(o)));
    }
    bool multiple(const ojson& row, const std::string& scene, int gtId, const std::string& w) const {
        if (o_.scanReferAnnotationsPath.empty()) {
            int um = intValue(o_.predPath, field(o_.predPath, row, "type_info", w), w + ".type_info");
            if (um != 0 && um != 1) fail(o_.predPath, w + ".type_info: expected 0 (unique) or 1 (multiple)");
            return um == 1;
        }
        auto s = lookup_.find(scene);
        if (s != lookup_.end()) {
            auto it = s->second.find(gtId);
            if (it != s->second.end()) return it->second == 1;
        }
        fail(o_.predPath, w + ": object " + std::to_string(gtId) + " of " + scene + " is not annotated in " +
                              o_.scanReferAnnotationsPath);
    }
    std::string source() const {
        return o_.scanReferAnnotationsPath.empty() ? "type_info" : o_.scanReferAnnotationsPath;
    }

private:
    const ScorePredictionsOptions& o_;
    UniqueMultipleLookup lookup_;
};

ScorePredictionsResult scoreScanRefer(const ScorePredictionsOptions& o, const ojson& rows) {
    Boxes boxes(o);
    UniqueMultiple um(o);
    std::vector<ScanReferCase> cases;
    for (size_t i = 0; i < rows.size(); ++i) {
        std::string w = rowAt(i);
        std::string scene = stringField(o.predPath, rows[i], "scene_id", w);
        int gtId = intValue(o.predPath, field(o.predPath, rows[i], "gt_id", w), w + ".gt_id");
        bool multiple = um.multiple(rows[i], scene, gtId, w);
        const std::vector<EvalBox>& props = boxes.proposals(scene, w);
        if (props.empty()) fail(o.proposalsPath, scene + ": no proposals");
        int predId = groundingPrediction(stringField(o.predPath, rows[i], "pred", w), static_cast<int>(props.size()));
        cases.push_back({boxIoU(props[predId], boxes.gt(scene, gtId, w)), multiple});
    }
    ScanReferAcc acc = scanReferAccuracy(cases);
    ScorePredictionsResult r;
    ojson out;
    std::ostringstream t;
    t << "ScanRefer (" << rows.size() << " predictions; unique/multiple from " << um.source() << ")\n"
      << padded("", 10) << "Acc@0.25  Acc@0.5  count\n";
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

// Scan2Cap: one item per corpus key. Keys with rows come first, in row order (a later row of the same
// key replaces the earlier one, as the evaluator's dict does); the remaining keys follow in corpus
// order without a proposal, so that they score "sos eos".
std::vector<Scan2CapItem> scan2CapItems(const ScorePredictionsOptions& o, const ojson& rows, Boxes& boxes) {
    std::vector<Scan2CapCorpusEntry> corpus = readScan2CapCorpus(o.corpusPath);
    if (corpus.empty()) fail(o.corpusPath, "no keys");
    std::map<std::pair<std::string, int>, size_t> keyOf;
    for (size_t c = 0; c < corpus.size(); ++c) {
        if (corpus[c].captions.empty()) fail(o.corpusPath, "\"" + corpus[c].key + "\": no reference captions");
        keyOf.emplace(std::pair{corpus[c].sceneId, corpus[c].objectId}, c);
    }
    std::vector<Scan2CapItem> items;
    std::map<size_t, size_t> itemOf;  // corpus index -> item index
    for (size_t i = 0; i < rows.size(); ++i) {
        std::string w = rowAt(i);
        std::string scene = stringField(o.predPath, rows[i], "scene_id", w);
        int gtId = intValue(o.predPath, field(o.predPath, rows[i], "gt_id", w), w + ".gt_id");
        int predId = intValue(o.predPath, field(o.predPath, rows[i], "pred_id", w), w + ".pred_id");
        auto c = keyOf.find({scene, gtId});
        if (c == keyOf.end())
            fail(o.predPath, w + ": \"" + scene + "|" + std::to_string(gtId) + "\" is not a key of " + o.corpusPath);
        const Scan2CapCorpusEntry& e = corpus[c->second];
        Scan2CapItem item{e.key, boxes.gt(scene, gtId, w), boxes.proposal(scene, predId, w),
                          stringField(o.predPath, rows[i], "pred", w), e.captions};
        auto [slot, fresh] = itemOf.emplace(c->second, items.size());
        if (fresh) items.push_back(std::move(item));
        else items[slot->second] = std::move(item);
    }
    for (size_t c = 0; c < corpus.size(); ++c)
        if (!itemOf.count(c)) items.push_back({corpus[c].key, EvalBox{}, std::nullopt, std::nullopt, corpus[c].captions});
    return items;
}

// Scan2Cap m@k, k = 0.25 and 0.5, as calc_scan2cap_score: the shared scan2capCorpus rule, then the PTB
// tokenization of candidates and references, then BLEU-1..4 (METEOR) ROUGE-L CIDEr over all keys.
ScorePredictionsResult scoreScan2Cap(const ScorePredictionsOptions& o, const ojson& rows) {
    if (o.corpusPath.empty()) throw UsageError("--corpus is required for scan2cap");
    Boxes boxes(o);
    std::vector<Scan2CapItem> items = scan2CapItems(o, rows, boxes);
    ojson out, captioned;
    std::ostringstream t, body;
    std::string header;
    for (const auto& [name, k] : {std::pair{"0.25", 0.25}, std::pair{"0.5", 0.5}}) {
        std::vector<CaptionItem> corpus = scan2capCorpus(items, k);
        captioned[name] = std::count_if(corpus.begin(), corpus.end(), [](const CaptionItem& c) { return c.candidate != "sos eos"; });
        ptbTokenizeCorpus(corpus);
        MetricRow m = reportCorpus(corpus, false).corpus;
        header = padded("", 8);
        body << padded(std::string("m@") + name, 8);
        for (const auto& [metric, value] : m) {
            out[name][metric] = value;
            header += " " + std::string(metric.size() < 8 ? 8 - metric.size() : 0, ' ') + metric;
            body << " " << percent(value);
        }
        body << "\n";
    }
    out["count"] = items.size();
    out["rows"] = rows.size();
    out["captioned"] = captioned;
    t << "Scan2Cap (" << rows.size() << " predictions, " << items.size() << " corpus keys; METEOR "
      << meteorStatus() << ")\n" << header << "\n" << body.str();
    return {t.str(), ojson{{"benchmark", "scan2cap"}, {"scores", out}, {"meteor", meteorStatus()}}.dump(1)};
}

// Nr3D / Sr3D in the GT-object setting: the first <OBJ###> of `pred` (as written, no fallback id) must
// equal gt_id; subsets from type_info ("easy_dep" ..., referIt3DTypeInfo).
ScorePredictionsResult scoreReferIt3D(const ScorePredictionsOptions& o, const ojson& rows) {
    static const char* const kSubsets[5] = {"overall", "easy", "hard", "view_dep", "view_indep"};
    std::array<int, 5> n{}, hits{};
    for (size_t i = 0; i < rows.size(); ++i) {
        std::string w = rowAt(i);
        int gtId = intValue(o.predPath, field(o.predPath, rows[i], "gt_id", w), w + ".gt_id");
        std::string type = stringField(o.predPath, rows[i], "type_info", w);
        bool easy = false, dep = false;
        if (!parseReferIt3DTypeInfo(type, easy, dep))
            fail(o.predPath, w + ".type_info: \"" + type + "\" is none of easy_dep easy_indep hard_dep hard_indep");
        std::vector<int> ids = parseObjectIds(stringField(o.predPath, rows[i], "pred", w));
        bool hit = !ids.empty() && ids.front() == gtId;
        for (int s : {0, easy ? 1 : 2, dep ? 3 : 4}) n[s] += 1, hits[s] += hit;
    }
    const std::string title = o.benchmark == "nr3d" ? "Nr3D" : "Sr3D";
    ojson out;
    std::ostringstream t;
    t << title << " (" << rows.size() << " predictions, GT objects)\n" << padded("", 12) << "     Acc  count\n";
    for (int s = 0; s < 5; ++s) {
        double acc = n[s] ? static_cast<double>(hits[s]) / n[s] : std::nan("");
        out[kSubsets[s]] = {{"Acc", number(acc)}, {"count", n[s]}};
        t << padded(kSubsets[s], 12) << percent(acc) << "  " << n[s] << "\n";
    }
    return {t.str(), ojson{{"benchmark", o.benchmark}, {"scores", out}}.dump(1)};
}

// The caption metrics calc_scanqa_score / calc_sqa3d_score add: the cleaned answers against the
// references the evaluator keeps, PTB-tokenized, one corpus item per row (BLEU-1..4, METEOR, ROUGE_L,
// CIDEr). Appends them to `out` and to the table.
void qaCaptionMetrics(const std::vector<QaItemScore>& items, ojson& out, std::ostringstream& t) {
    if (items.empty()) return;
    std::vector<CaptionItem> corpus;
    for (size_t i = 0; i < items.size(); ++i)
        corpus.push_back({std::to_string(i), items[i].predClean, items[i].captionReferences});
    ptbTokenizeCorpus(corpus);
    for (const auto& [metric, value] : reportCorpus(corpus, false).corpus) {
        out[metric] = value;
        t << padded(metric, 12) << percent(value) << "\n";
    }
}

// ScanQA and SQA3D: the answer text against the row's ref_captions, by the rules of o.qaEvaluator.
ScorePredictionsResult scoreQa(const ScorePredictionsOptions& o, const ojson& rows, bool sqa) {
    std::vector<QaItemScore> items;
    std::vector<int> types;
    for (size_t i = 0; i < rows.size(); ++i) {
        std::string w = rowAt(i);
        std::string pred = stringField(o.predPath, rows[i], "pred", w);
        std::vector<std::string> refs = stringsField(o.predPath, rows[i], "ref_captions", w);
        if (refs.empty()) fail(o.predPath, w + ".ref_captions: at least one reference is needed");
        items.push_back(sqa ? scoreSqa3dItem(pred, refs, o.qaEvaluator) : scoreScanQaItem(pred, refs, o.qaEvaluator));
        if (sqa) {
            int type = intValue(o.predPath, field(o.predPath, rows[i], "type_info", w), w + ".type_info");
            if (type < 0 || type > 5) fail(o.predPath, w + ".type_info: expected a question type 0..5");
            types.push_back(type);
        }
    }
    std::ostringstream t;
    ojson out;
    const double nan = std::nan("");
    const std::string rules = std::string(qaEvaluatorName(o.qaEvaluator)) + " rules; METEOR " + meteorStatus();
    if (!sqa) {
        double em = nan, refined = nan;
        if (!items.empty()) {
            int a = 0, b = 0;
            for (const auto& s : items) a += s.em, b += s.emRefined;
            em = a / static_cast<double>(items.size());
            refined = b / static_cast<double>(items.size());
        }
        out = {{"EM1", number(em)}, {"EM1_refined", number(refined)}, {"count", items.size()}};
        t << "ScanQA (" << items.size() << " predictions, " << rules << ")\n" << padded("EM@1", 12) << percent(em)
          << "\n" << padded("EM@1 refined", 12) << percent(refined) << "\n";
        qaCaptionMetrics(items, out, t);
        return {t.str(), ojson{{"benchmark", "scanqa"}, {"evaluator", qaEvaluatorName(o.qaEvaluator)}, {"scores", out},
                               {"meteor", meteorStatus()}}.dump(1)};
    }
    Sqa3dSummary s = items.empty() ? Sqa3dSummary{nan, nan, {}, {}} : summarizeSqa3d(items, types);
    static const char* const kTypes[6] = {"what", "is", "how", "can", "which", "other"};
    t << "SQA3D (" << items.size() << " predictions, " << rules << ")\n" << padded("", 10) << "      EM  refined\n";
    for (int k = 0; k < 6; ++k) {
        out[kTypes[k]] = {{"EM", s.emType[k]}, {"EM_refined", s.emRefinedType[k]}};
        t << padded(kTypes[k], 10) << percent(s.emType[k]) << " " << percent(s.emRefinedType[k]) << "\n";
    }
    out["overall"] = {{"EM", number(s.em)}, {"EM_refined", number(s.emRefined)}};
    t << padded("overall", 10) << percent(s.em) << " " << percent(s.emRefined) << "\n";
    qaCaptionMetrics(items, out, t);
    return {t.str(), ojson{{"benchmark", "sqa3d"}, {"evaluator", qaEvaluatorName(o.qaEvaluator)}, {"scores", out},
                           {"meteor", meteorStatus()}}.dump(1)};
}

using Scorer = std::function<ScorePredictionsResult(const ScorePredictionsOptions&, const ojson&)>;

const std::map<std::string, Scorer>& scorers() {
    static const std::map<std::string, Scorer> m = {
        {"scanrefer", scoreScanRefer},
        {"multi3drefer", scoreMulti3DRefer},
        {"scan2cap", scoreScan2Cap},
        {"scanqa", [](const ScorePredictionsOptions& o, const ojson& rows) { return scoreQa(o, rows, false); }},
        {"sqa3d", [](const ScorePredictionsOptions& o, const ojson& rows) { return scoreQa(o, rows, true); }},
        {"nr3d", scoreReferIt3D},
        {"sr3d", scoreReferIt3D}};
    return m;
}

const char* const kBenchmarks = "scanrefer multi3drefer scan2cap scanqa sqa3d nr3d sr3d";

}  // namespace

ScorePredictionsResult scorePredictions(const ScorePredictionsOptions& o) {
    auto it = scorers().find(o.benchmark);
    if (it == scorers().end())
        throw UsageError("--benchmark must be one of " + std::string(kBenchmarks) + " (got \"" + o.benchmark + "\")");
    ojson rows = parseJsonFile<ojson>(o.predPath);
    if (!rows.is_array()) fail(o.predPath, "top level: expected an array of prediction rows");
    return it->second(o, rows);
}

}  // namespace inst3d
