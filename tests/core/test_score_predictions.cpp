// `inst3d score-predictions` on a synthetic world: GT boxes as proposals score perfectly, shifted
// proposals give the hand-computed lower scores, malformed files are errors naming the file. Scan2Cap,
// Nr3D/Sr3D and the ScanRefer unique/multiple lookup on hand-computed cases and the world's real-layout
// Scan2Cap corpus, nr3d.csv and ScanRefer_filtered_val.json. ScanQA, SQA3D and Scan2Cap also against
// what Inst3D-LMM's and Chat-Scene's own utils/eval.py give (tests/data/eval/inst3d/, made by
// tools/oracles/make_inst3d_eval_goldens.py), METEOR included: those checks fail without java and
// pycocoevalcap's jar (tools/setup.sh installs them).
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/data/datasets.h"
#include "core/data/proposal_matching.h"
#include "core/eval/meteor.h"
#include "core/cli/score_command.h"
#include "core/eval/score_predictions.h"
#include "core/io/label_map.h"
#include "core/io/scene_loader.h"
#include "core/io/torch_save.h"
#include "core/synth/synth.h"
#include "support/test_support.h"

using namespace inst3d;
using json = nlohmann::json;

namespace {

using test::errorOf;

std::string obj(int id) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "<OBJ%03d>", id);
    return buf;
}

json boxJson(const EvalBox& b) {
    return {{"center", {b.center[0], b.center[1], b.center[2]}}, {"size", {b.size[0], b.size[1], b.size[2]}}};
}

EvalBox unitAt(double x) { return EvalBox{{x, 0, 0}, {1, 1, 1}}; }

using SceneBoxes = std::map<std::string, std::vector<EvalBox>>;

// The same boxes as a JSON box file and as a Chat-Scene attributes .pt (float32 locs, so the JSON gets
// the float32-rounded values too).
void writeBoxesBothWays(const SceneBoxes& boxes, const std::string& jsonPath, const std::string& ptPath) {
    json j = json::object();
    SaveValue root = SaveValue::dict();
    for (const auto& [scene, list] : boxes) {
        std::vector<float> locs;
        SaveValue objects = SaveValue::list();
        for (size_t k = 0; k < list.size(); ++k) {
            EvalBox b = list[k];
            for (int a = 0; a < 3; ++a) b.center[a] = float(b.center[a]), b.size[a] = float(b.size[a]);
            j[scene][std::to_string(k)] = boxJson(b);
            locs.insert(locs.end(), {float(b.center[0]), float(b.center[1]), float(b.center[2]), float(b.size[0]),
                                     float(b.size[1]), float(b.size[2])});
            objects.append(SaveValue::fromString("object"));
        }
        SaveValue& attrs = root.set(scene, SaveValue::dict());
        attrs.set("objects", std::move(objects));
        attrs.set("locs", SaveValue::floatTensor({int64_t(list.size()), 6}, locs.data()));
    }
    writeFileAtomic(jsonPath, j.dump());
    torchSave(ptPath, root);
}

// pycocoevalcap's corpus BLEU-1 from its counts: (correct + tiny) / (guess + small) times the brevity
// penalty exp(1 - 1/ratio), ratio = (testlen + tiny) / (reflen + small) < 1.
double bleu1(double correct, double testlen, double reflen) {
    const double tiny = 1e-15, small = 1e-9;
    double ratio = (testlen + tiny) / (reflen + small);
    return (correct + tiny) / (testlen + small) * (ratio < 1 ? std::exp(1 - 1 / ratio) : 1.0);
}

json inst3dGolden(const std::string& name) {
    return json::parse(readTextFile(std::string(INST3D_TEST_DATA_DIR) + "/eval/inst3d/" + name));
}

// Equal to the evaluator's value, to the last bit (the same operations in the same order), except CIDEr:
// its idf is np.log(df), and numpy 1.24 computes log with its own AVX-512F code where the CPU has it,
// which differs from libm's log by one ulp for some arguments (3, 9, 10: measured where these goldens were
// made); inst3d uses libm. So CIDEr may differ in its last bits, never by a rule: 1e-14 relative.
void expectEvaluator(const json& scores, const std::string& key, double got, const std::string& what) {
    QVERIFY2(scores.contains(key), (what + ": the golden has no " + key).c_str());
    double want = scores[key].get<double>();
    constexpr double kLogUlpTolerance = 1e-14;
    bool cider = key.find("CIDEr") != std::string::npos;
    bool same = got == want || (cider && std::abs(got - want) <= kLogUlpTolerance * std::abs(want));
    char msg[256];
    std::snprintf(msg, sizeof msg, "%s %s: got %.17g, upstream %.17g", what.c_str(), key.c_str(), got, want);
    QVERIFY2(same, msg);
}

const char* const kCaptionMetrics[] = {"Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr"};

// A labels tsv with the release's 17 columns; each row: raw_category -> nyu40class.
std::string labelsTsv(const std::vector<std::pair<std::string, std::string>>& rows) {
    std::string out;
    for (const std::string& h : LabelMap::header()) out += (out.empty() ? "" : "\t") + h;
    out += "\n";
    int id = 1;
    for (const auto& [raw, nyu] : rows) {
        std::vector<std::string> f(LabelMap::header().size());
        f[0] = std::to_string(id++), f[1] = raw, f[2] = raw, f[3] = "1", f[4] = "1", f[7] = nyu;
        for (size_t k = 0; k < f.size(); ++k) out += (k ? "\t" : "") + f[k];
        out += "\n";
    }
    return out;
}

}  // namespace

class TestScorePredictions : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void scanReferPerfectAndShifted();
    void scanReferFromScans();
    void multi3dReferPerfect();
    void scanQaAndSqa3d();
    void scanQaAsUpstreamEvaluators();
    void sqa3dAsUpstreamEvaluators();
    void scan2capAsInst3dEvaluator();
    void malformedFilesNameTheFile();
    void scan2capByHand();
    void scan2capBadInput();
    void scan2capOnSynthCorpus();
    void referIt3DSubsets();
    void referIt3DOnSynthCsv();
    void scanReferLookupFromAnnotations();
    void scanReferLookupOnSynthWorld();
    void attributesFilesScoreAsJson();

private:
    std::string path(const std::string& name) const { return dir_.filePath(QString::fromStdString(name)).toStdString(); }
    // Writes {scene: {index: box}} with box k shifted along x by shift(k) * size_x.
    std::string writeBoxes(const std::string& name, const std::function<double(int)>& shift) const {
        json j = json::object();
        for (const auto& [scene, boxes] : gt_)
            for (size_t k = 0; k < boxes.size(); ++k) {
                EvalBox b = boxes[k];
                b.center[0] += shift(static_cast<int>(k)) * b.size[0];
                j[scene][std::to_string(k)] = boxJson(b);
            }
        writeFileAtomic(path(name), j.dump());
        return path(name);
    }
    // One ScanRefer row per GT object; type_info alternates unique / multiple.
    json scanReferRows() const {
        json rows = json::array();
        for (const auto& [scene, boxes] : gt_)
            for (size_t k = 0; k < boxes.size(); ++k)
                rows.push_back({{"scene_id", scene}, {"gt_id", k}, {"pred_id", k}, {"qid", rows.size()},
                                {"pred", obj(static_cast<int>(k)) + "."}, {"ref_captions", json::array()},
                                {"type_info", static_cast<int>(k % 2)}});
        return rows;
    }
    ScorePredictionsOptions grounding(const std::string& benchmark, const std::string& pred,
                                      const std::string& proposals) const {
        ScorePredictionsOptions o;
        o.benchmark = benchmark;
        o.predPath = pred;
        o.proposalsPath = proposals;
        o.gtBoxesPath = gtPath_;
        return o;
    }

    // The hand-made scene "scene0900_00": GT unit cubes at x = 0, 3, 6, 9 (gt.json) and proposals
    // 0: = GT 0, 1: GT 1 shifted by half a size (IoU 1/3), 2..3: = GT 2..3 (props.json).
    void writeTinyScene() const {
        json gt, props;
        for (int k = 0; k < 4; ++k) gt["scene0900_00"][std::to_string(k)] = boxJson(unitAt(3.0 * k));
        props = gt;
        props["scene0900_00"]["1"] = boxJson(unitAt(3.5));
        writeFileAtomic(path("gt.json"), gt.dump());
        writeFileAtomic(path("props.json"), props.dump());
    }
    ScorePredictionsOptions tiny(const std::string& benchmark, const std::string& pred) const {
        ScorePredictionsOptions o = grounding(benchmark, pred, path("props.json"));
        o.gtBoxesPath = path("gt.json");
        return o;
    }
    std::string world() const { return world_.path().toStdString(); }

    QTemporaryDir world_, dir_;
    std::map<std::string, std::vector<EvalBox>> gt_;
    std::string gtPath_;
};

void TestScorePredictions::initTestCase() {
    QVERIFY(world_.isValid() && dir_.isValid());
    SynthOptions options = test::smallWorldOptions(2, 11);
    writeSynthWorld(world_.path().toStdString(), options);
    LoadOptions lo;
    lo.loadFrames = false;
    for (int i = 0; i < options.numScenes; ++i) {
        std::string id = generateSynthScene(i, options).id;
        gt_[id] = sceneBoxes(loadScene(world_.path().toStdString() + "/scans/" + id, lo));
        QVERIFY(gt_[id].size() >= 4);
    }
    gtPath_ = writeBoxes("gt_boxes.json", [](int) { return 0.0; });
}

void TestScorePredictions::scanReferPerfectAndShifted() {
    json rows = scanReferRows();
    writeFileAtomic(path("scanrefer.json"), rows.dump());
    // GT boxes as proposals: every prediction hits.
    json perfect = json::parse(scorePredictions(grounding("scanrefer", path("scanrefer.json"), gtPath_)).json);
    for (const char* subset : {"unique", "multiple", "overall"}) {
        QCOMPARE(perfect["scores"][subset]["Acc@0.25"].get<double>(), 1.0);
        QCOMPARE(perfect["scores"][subset]["Acc@0.5"].get<double>(), 1.0);
    }
    QCOMPARE(perfect["scores"]["overall"]["count"].get<int>(), static_cast<int>(rows.size()));

    // Proposal k shifted by 0 (IoU 1), 0.5 (IoU 0.5V / 1.5V = 1/3) or 2 sizes (IoU 0) along x, by k % 3.
    std::string shifted = writeBoxes("shifted.json", [](int k) { return k % 3 == 0 ? 0.0 : k % 3 == 1 ? 0.5 : 2.0; });
    std::map<int, int> n, hit25, hit50;  // by unique_multiple (0/1), and 2 = overall
    for (const auto& r : rows) {
        int k = r["gt_id"].get<int>(), um = r["type_info"].get<int>();
        for (int s : {um, 2}) {
            n[s] += 1;
            hit25[s] += k % 3 != 2;
            hit50[s] += k % 3 == 0;
        }
    }
    json j = json::parse(scorePredictions(grounding("scanrefer", path("scanrefer.json"), shifted)).json);
    const char* names[3] = {"unique", "multiple", "overall"};
    for (int s = 0; s < 3; ++s) {
        QCOMPARE(j["scores"][names[s]]["Acc@0.25"].get<double>(), static_cast<double>(hit25[s]) / n[s]);
        QCOMPARE(j["scores"][names[s]]["Acc@0.5"].get<double>(), static_cast<double>(hit50[s]) / n[s]);
    }
    QVERIFY(j["scores"]["overall"]["Acc@0.5"].get<double>() < 1.0);

    // An id beyond the proposals falls back to proposal 0 (the evaluator's default).
    json far = json::array({rows[1]});
    far[0]["pred"] = "<OBJ999> then " + obj(1);
    writeFileAtomic(path("far.json"), far.dump());
    json f = json::parse(scorePredictions(grounding("scanrefer", path("far.json"), gtPath_)).json);
    QCOMPARE(f["scores"]["overall"]["Acc@0.25"].get<double>(), 1.0);  // <OBJ001> is the first valid id
}

void TestScorePredictions::scanReferFromScans() {
    writeFileAtomic(path("scanrefer.json"), scanReferRows().dump());
    std::string out, err;
    int rc = test::runInst3d({"score-predictions", "--benchmark", "scanrefer", "--pred", path("scanrefer.json"),
                              "--proposals", gtPath_, "--scans", world_.path().toStdString() + "/scans",
                              "--output", path("out.json")},
                             &out, &err);
    QVERIFY2(rc == 0, err.c_str());
    QVERIFY2(out.find("Acc@0.25") != std::string::npos && out.find("overall") != std::string::npos, out.c_str());
    json j = json::parse(readTextFile(path("out.json")));
    QCOMPARE(j["scores"]["overall"]["Acc@0.5"].get<double>(), 1.0);
}

void TestScorePredictions::multi3dReferPerfect() {
    std::string scene = gt_.begin()->first;
    json rows = json::array();
    rows.push_back({{"scene_id", scene}, {"gt_id", {0, 1}}, {"pred", "Yes. " + obj(0) + " and " + obj(1) + "."},
                    {"type_info", "mt"}, {"qid", 0}});
    rows.push_back({{"scene_id", scene}, {"gt_id", json::array()}, {"pred", "No."}, {"type_info", "zt_w_d"}, {"qid", 1}});
    rows.push_back({{"scene_id", scene}, {"gt_id", json::array()}, {"pred", "Yes. " + obj(2) + "."},
                    {"type_info", "zt_wo_d"}, {"qid", 2}});
    rows.push_back({{"scene_id", scene}, {"gt_id", {3}}, {"pred", obj(3)}, {"type_info", "st_wo_d"}, {"qid", 3}});
    writeFileAtomic(path("m3d.json"), rows.dump());
    json j = json::parse(scorePredictions(grounding("multi3drefer", path("m3d.json"), gtPath_)).json);
    QCOMPARE(j["scores"]["mt"]["F1@0.5"].get<double>(), 1.0);
    QCOMPARE(j["scores"]["zt_w_d"]["F1@0.5"].get<double>(), 1.0);
    QCOMPARE(j["scores"]["zt_wo_d"]["F1@0.25"].get<double>(), 0.0);  // predicted an object for no target
    QCOMPARE(j["scores"]["st_wo_d"]["F1@0.5"].get<double>(), 1.0);
    QVERIFY(j["scores"]["st_w_d"]["F1@0.5"].is_null());  // no query of that type
    QCOMPARE(j["scores"]["overall"]["F1@0.25"].get<double>(), 0.75);
}

void TestScorePredictions::scanQaAndSqa3d() {
    json rows = json::array();
    auto add = [&](const std::string& pred, const std::vector<std::string>& refs, int type) {
        rows.push_back({{"scene_id", "scene0000_00"}, {"gt_id", 0}, {"qid", rows.size()}, {"pred", pred},
                        {"ref_captions", refs}, {"type_info", type}});
    };
    add("Brown.", {"brown"}, 0);          // EM
    add("a chair", {"chair"}, 0);         // EM after clean_answer drops the article
    add("wooden table", {"table"}, 1);    // refined only
    add("red", {"blue"}, 1);              // miss
    writeFileAtomic(path("qa.json"), rows.dump());
    ScorePredictionsOptions o;
    o.benchmark = "scanqa";
    o.predPath = path("qa.json");
    ScorePredictionsResult r = scorePredictions(o);
    json j = json::parse(r.json);
    QCOMPARE(j["scores"]["EM1"].get<double>(), 0.5);
    QCOMPARE(j["scores"]["EM1_refined"].get<double>(), 0.75);
    QVERIFY(r.table.find("EM@1") != std::string::npos);

    o.benchmark = "sqa3d";
    j = json::parse(scorePredictions(o).json);
    QCOMPARE(j["scores"]["overall"]["EM"].get<double>(), 0.5);
    QCOMPARE(j["scores"]["what"]["EM"].get<double>(), 2 / (2 + 1e-10));
    QCOMPARE(j["scores"]["is"]["EM"].get<double>(), 0.0);
    QCOMPARE(j["scores"]["is"]["EM_refined"].get<double>(), 1 / (2 + 1e-10));
}

void TestScorePredictions::scanQaAsUpstreamEvaluators() {
    QVERIFY2(meteorStatus().rfind("available", 0) == 0, meteorStatus().c_str());
    json golden = inst3dGolden("qa.json")["scanqa"];
    writeFileAtomic(path("scanqa_rows.json"), golden["rows"].dump());
    for (const auto& [name, flag] : {std::pair{"inst3d", ""}, std::pair{"chat_scene", "chat-scene"}}) {
        std::vector<std::string> args = {"score-predictions", "--benchmark", "scanqa", "--pred", path("scanqa_rows.json"),
                                         "--output", path("scanqa_out.json")};
        if (*flag) args.insert(args.end(), {"--evaluator", flag});  // the default is Inst3D-LMM's
        std::string out, err;
        QVERIFY2(test::runInst3d(args, &out, &err) == 0, err.c_str());
        json got = json::parse(readTextFile(path("scanqa_out.json")))["scores"];
        const json& want = golden[name]["scores"];
        expectEvaluator(want, "[scanqa] EM1", got["EM1"], name);
        expectEvaluator(want, "[scanqa] EM1_refined", got["EM1_refined"], name);
        for (const char* m : kCaptionMetrics) expectEvaluator(want, std::string("[scanqa] ") + m, got[m], name);
    }
}

void TestScorePredictions::sqa3dAsUpstreamEvaluators() {
    QVERIFY2(meteorStatus().rfind("available", 0) == 0, meteorStatus().c_str());
    json golden = inst3dGolden("qa.json")["sqa3d"];
    writeFileAtomic(path("sqa3d_rows.json"), golden["rows"].dump());
    static const char* const kTypes[6] = {"what", "is", "how", "can", "which", "other"};
    for (const auto& [name, evaluator] : {std::pair{"inst3d", QaEvaluator::Inst3D}, std::pair{"chat_scene", QaEvaluator::ChatScene}}) {
        ScorePredictionsOptions o;
        o.benchmark = "sqa3d";
        o.predPath = path("sqa3d_rows.json");
        o.qaEvaluator = evaluator;
        json got = json::parse(scorePredictions(o).json)["scores"];
        const json& want = golden[name]["scores"];
        expectEvaluator(want, "[sqa3d] EM1", got["overall"]["EM"], name);
        expectEvaluator(want, "[sqa3d] EM1_refined", got["overall"]["EM_refined"], name);
        for (int k = 0; k < 6; ++k) {
            expectEvaluator(want, "[sqa3d] EM_type" + std::to_string(k), got[kTypes[k]]["EM"], name);
            expectEvaluator(want, "[sqa3d] EM_refined_type" + std::to_string(k), got[kTypes[k]]["EM_refined"], name);
        }
        for (const char* m : kCaptionMetrics) expectEvaluator(want, std::string("[sqa3d] ") + m, got[m], name);
    }
}

void TestScorePredictions::scan2capAsInst3dEvaluator() {
    // calc_scan2cap_score on float32-exact boxes: an IoU of 1/2 - 1e-8 (a hit at 0.25 only), an empty
    // caption ("sos  eos" -> "sos eos"), a newline inside a caption, a key scored twice (last row wins),
    // a corpus key without a row.
    QVERIFY2(meteorStatus().rfind("available", 0) == 0, meteorStatus().c_str());
    json golden = inst3dGolden("scan2cap.json");
    const json& in = golden["input"];
    writeFileAtomic(path("s2c_props.json"), in["proposals"].dump());
    writeFileAtomic(path("s2c_gt.json"), in["gt_boxes"].dump());
    writeFileAtomic(path("s2c_corpus.json"), in["corpus"].dump());
    writeFileAtomic(path("s2c_rows.json"), in["rows"].dump());
    ScorePredictionsOptions o;
    o.benchmark = "scan2cap";
    o.predPath = path("s2c_rows.json");
    o.proposalsPath = path("s2c_props.json");
    o.gtBoxesPath = path("s2c_gt.json");
    o.corpusPath = path("s2c_corpus.json");
    json got = json::parse(scorePredictions(o).json)["scores"];
    for (const auto& [k, suffix] : {std::pair{"0.25", "@0.25"}, std::pair{"0.5", "@0.50"}})
        for (const char* m : kCaptionMetrics)
            expectEvaluator(golden["expected"], std::string("[scan2cap] ") + m + suffix, got[k][m], "scan2cap");
}

void TestScorePredictions::malformedFilesNameTheFile() {
    test::writeBytes(path("broken.json"), "[{\"scene_id\": ");
    std::string e = errorOf([&] { scorePredictions(grounding("scanrefer", path("broken.json"), gtPath_)); });
    QVERIFY2(e.find(path("broken.json")) != std::string::npos && e.find("malformed JSON") != std::string::npos, e.c_str());

    json rows = scanReferRows();
    rows[1].erase("gt_id");
    writeFileAtomic(path("missing.json"), rows.dump());
    e = errorOf([&] { scorePredictions(grounding("scanrefer", path("missing.json"), gtPath_)); });
    QVERIFY2(e.find(path("missing.json")) != std::string::npos && e.find("[1]") != std::string::npos &&
                 e.find("gt_id") != std::string::npos,
             e.c_str());
    // A box with a negative size (the evaluator's min/max of corners would score it as its mirror, IoU 1),
    // and a box index past 32 bits: refused, naming the file and the box.
    writeFileAtomic(path("valid.json"), scanReferRows().dump());
    json boxes = json::parse(readTextFile(gtPath_));
    const std::string firstScene = boxes.begin().key();
    boxes[firstScene]["0"]["size"][1] = -1.0;
    writeFileAtomic(path("negative_boxes.json"), boxes.dump());
    e = errorOf([&] { scorePredictions(grounding("scanrefer", path("valid.json"), path("negative_boxes.json"))); });
    QVERIFY2(e.find(path("negative_boxes.json")) != std::string::npos && e.find(firstScene + ".0: the box has a negative size") != std::string::npos,
             e.c_str());
    boxes = json::parse(readTextFile(gtPath_));
    boxes[firstScene]["99999999999"] = boxes[firstScene]["0"];
    writeFileAtomic(path("wide_index.json"), boxes.dump());
    e = errorOf([&] { scorePredictions(grounding("scanrefer", path("valid.json"), path("wide_index.json"))); });
    QVERIFY2(e.find("99999999999: the key must be a non-negative integer index within 32 bits") != std::string::npos, e.c_str());
    // A 64-bit gt_id (2^32 + 1): refused, not narrowed to object 1 and scored as a hit.
    rows = scanReferRows();
    rows[1]["gt_id"] = 4294967297ULL;
    writeFileAtomic(path("wide.json"), rows.dump());
    e = errorOf([&] { scorePredictions(grounding("scanrefer", path("wide.json"), gtPath_)); });
    QVERIFY2(e.find(path("wide.json")) != std::string::npos && e.find("[1].gt_id: expected an integer within 32 bits") != std::string::npos,
             e.c_str());

    // Through the binary: non-zero exit and the file named on stderr.
    std::string out, err;
    int rc = test::runInst3d({"score-predictions", "--benchmark", "scanqa", "--pred", path("broken.json")}, &out, &err);
    QVERIFY(rc != 0);
    QVERIFY2(err.find(path("broken.json")) != std::string::npos, err.c_str());

    // A scene without proposals names the proposals file.
    test::writeBytes(path("noprops.json"), "{}");
    e = errorOf([&] { scorePredictions(grounding("scanrefer", path("scanrefer.json"), path("noprops.json"))); });
    QVERIFY2(e.find(path("noprops.json")) != std::string::npos, e.c_str());
}

void TestScorePredictions::scan2capByHand() {
    writeTinyScene();
    json corpus = {{"scene0900_00|0", {"sos a brown chair eos"}},
                   {"scene0900_00|1", {"sos a white table eos"}},
                   {"scene0900_00|2", {"sos a lamp eos"}}};
    writeFileAtomic(path("corpus.json"), corpus.dump());
    json rows = json::array();
    auto add = [&](int gt, int predId, const std::string& pred) {
        rows.push_back({{"scene_id", "scene0900_00"}, {"gt_id", gt}, {"pred_id", predId}, {"qid", rows.size()},
                        {"pred", pred}, {"ref_captions", json::array()}, {"type_info", ""}});
    };
    add(1, 0, "a chair");          // replaced by the later row of the same key, as the evaluator's dict
    add(0, 0, "A brown chair.");   // IoU 1: captioned at both k; PTB lower-cases and drops "."
    add(1, 1, "A white\ntable.");  // IoU 1/3: captioned at 0.25 only; the newline is a space
    // key scene0900_00|2 has no row: "sos eos" at both k
    writeFileAtomic(path("s2c.json"), rows.dump());
    ScorePredictionsOptions o = tiny("scan2cap", path("s2c.json"));
    o.corpusPath = path("corpus.json");
    ScorePredictionsResult r = scorePredictions(o);
    json j = json::parse(r.json)["scores"];
    // Tokens: @0.5 "sos a brown chair eos" (5/5), "sos eos" (2/2, closest ref 5), "sos eos" (2/2, ref 4).
    QCOMPARE(j["0.5"]["Bleu_1"].get<double>(), bleu1(9, 9, 14));
    QCOMPARE(j["0.25"]["Bleu_1"].get<double>(), bleu1(12, 12, 14));  // + "sos a white table eos" (5/5)
    QCOMPARE(j["captioned"]["0.25"].get<int>(), 2);
    QCOMPARE(j["captioned"]["0.5"].get<int>(), 1);
    QCOMPARE(j["count"].get<int>(), 3);
    QCOMPARE(j["rows"].get<int>(), 3);
    QVERIFY2(r.table.find("m@0.5") != std::string::npos && r.table.find("CIDEr") != std::string::npos, r.table.c_str());

    // Cross-check every metric with `inst3d score --task scan2cap` on the same items, pre-tokenized.
    json items = json::array();
    auto item = [&](const std::string& id, const json& pred, const json& prediction, const std::string& ref) {
        items.push_back({{"id", id}, {"gt_box", boxJson(unitAt(id.back() == '0' ? 0 : id.back() == '1' ? 3 : 6))},
                         {"pred_box", pred}, {"prediction", prediction}, {"references", {ref}}});
    };
    item("scene0900_00|0", boxJson(unitAt(0)), "a brown chair", "sos a brown chair eos");
    item("scene0900_00|1", boxJson(unitAt(3.5)), "a white table", "sos a white table eos");
    item("scene0900_00|2", nullptr, nullptr, "sos a lamp eos");
    writeFileAtomic(path("score_in.json"), json{{"items", items}}.dump());
    scoreFile("scan2cap", path("score_in.json"), path("score_out.json"));
    json want = json::parse(readTextFile(path("score_out.json")))["impl"];
    for (const char* k : {"0.25", "0.5"})
        for (const auto& [metric, value] : want[k].items()) {
            QVERIFY2(j[k].contains(metric), metric.c_str());
            QCOMPARE(j[k][metric].get<double>(), value.get<double>());
        }
    QVERIFY(j["0.25"]["CIDEr"].get<double>() > j["0.5"]["CIDEr"].get<double>());
}

void TestScorePredictions::scan2capBadInput() {
    writeTinyScene();
    json corpus = {{"scene0900_00|0", {"sos a chair eos"}}, {"scene0900_00|1", {"sos a table eos"}}};
    writeFileAtomic(path("corpus2.json"), corpus.dump());
    json rows = {{{"scene_id", "scene0900_00"}, {"gt_id", 0}, {"pred_id", 0}, {"pred", "a chair"}},
                 {{"scene_id", "scene0900_00"}, {"gt_id", 3}, {"pred_id", 3}, {"pred", "a lamp"}}};
    writeFileAtomic(path("s2c_bad.json"), rows.dump());
    ScorePredictionsOptions o = tiny("scan2cap", path("s2c_bad.json"));
    o.corpusPath = path("corpus2.json");
    // A row whose key is not in the corpus: the prediction file, the row and the key.
    std::string e = errorOf([&] { scorePredictions(o); });
    QVERIFY2(e.find(path("s2c_bad.json")) != std::string::npos && e.find("[1]") != std::string::npos &&
                 e.find("scene0900_00|3") != std::string::npos,
             e.c_str());
    // A pred_id beyond the scene's proposals.
    rows[1]["gt_id"] = 1;
    rows[1]["pred_id"] = 7;
    writeFileAtomic(path("s2c_bad.json"), rows.dump());
    e = errorOf([&] { scorePredictions(o); });
    QVERIFY2(e.find(path("s2c_bad.json")) != std::string::npos && e.find("[1].pred_id") != std::string::npos, e.c_str());
    // Missing and malformed corpus files are named.
    o.corpusPath = path("no_such_corpus.json");
    e = errorOf([&] { scorePredictions(o); });
    QVERIFY2(e.find(o.corpusPath) != std::string::npos, e.c_str());
    test::writeBytes(path("corpus_broken.json"), "{\"scene0900_00|0\": [\"sos a");
    o.corpusPath = path("corpus_broken.json");
    e = errorOf([&] { scorePredictions(o); });
    QVERIFY2(e.find(o.corpusPath) != std::string::npos, e.c_str());
    test::writeBytes(path("corpus_badkey.json"), "{\"scene0900_00\": [\"sos a chair eos\"]}");
    o.corpusPath = path("corpus_badkey.json");
    e = errorOf([&] { scorePredictions(o); });
    QVERIFY2(e.find(o.corpusPath) != std::string::npos, e.c_str());
    // Malformed prediction JSON; no --corpus at all is a usage error (exit 2).
    test::writeBytes(path("s2c_broken.json"), "[{\"gt_id\": ");
    o.predPath = path("s2c_broken.json");
    e = errorOf([&] { scorePredictions(o); });
    QVERIFY2(e.find(o.predPath) != std::string::npos && e.find("malformed JSON") != std::string::npos, e.c_str());
    std::string out, err;
    int rc = test::runInst3d({"score-predictions", "--benchmark", "scan2cap", "--pred", path("s2c_bad.json"), "--proposals",
                              path("props.json"), "--gt-boxes", path("gt.json")},
                             &out, &err);
    QCOMPARE(rc, 2);
    QVERIFY2(err.find("--corpus") != std::string::npos, err.c_str());
}

void TestScorePredictions::scan2capOnSynthCorpus() {
    // The world's real-layout corpus ("sos this is a chair . ... eos"); GT boxes as proposals.
    const std::string corpusPath = world() + "/Scan2Cap/scan2cap_val_corpus.json";
    json corpus = json::parse(readTextFile(corpusPath));
    QVERIFY(corpus.size() >= 2);
    json all = json::array(), half = json::array();
    for (const auto& [key, refs] : corpus.items()) {
        size_t bar = key.find('|');
        std::string first = refs[0];
        json row = {{"scene_id", key.substr(0, bar)}, {"gt_id", std::stoi(key.substr(bar + 1))},
                    {"pred_id", std::stoi(key.substr(bar + 1))}, {"pred", first.substr(4, first.size() - 8)}};
        all.push_back(row);
        if (all.size() % 2) half.push_back(row);
    }
    writeFileAtomic(path("s2c_all.json"), all.dump());
    writeFileAtomic(path("s2c_half.json"), half.dump());
    ScorePredictionsOptions o = grounding("scan2cap", path("s2c_all.json"), gtPath_);
    o.corpusPath = corpusPath;
    json j = json::parse(scorePredictions(o).json)["scores"];
    // Every candidate repeats a reference exactly: all unigrams match and no brevity penalty.
    QVERIFY(j["0.5"]["Bleu_1"].get<double>() > 0.999999);
    QCOMPARE(j["captioned"]["0.5"].get<size_t>(), corpus.size());
    QVERIFY(j["0.5"]["CIDEr"].get<double>() > 0);

    std::string out, err;
    int rc = test::runInst3d({"score-predictions", "--benchmark", "scan2cap", "--pred", path("s2c_half.json"),
                              "--proposals", gtPath_, "--scans", world() + "/scans", "--corpus", corpusPath,
                              "--output", path("s2c_out.json")},
                             &out, &err);
    QVERIFY2(rc == 0, err.c_str());
    json h = json::parse(readTextFile(path("s2c_out.json")))["scores"];
    QCOMPARE(h["captioned"]["0.25"].get<size_t>(), half.size());
    QCOMPARE(h["count"].get<size_t>(), corpus.size());
    QVERIFY(h["0.5"]["CIDEr"].get<double>() < j["0.5"]["CIDEr"].get<double>());
    QVERIFY2(out.find("m@0.25") != std::string::npos, out.c_str());
}

void TestScorePredictions::referIt3DSubsets() {
    json rows = json::array();
    auto add = [&](const json& gt, const std::string& type, const std::string& pred) {
        rows.push_back({{"scene_id", "scene0000_00"}, {"gt_id", gt}, {"pred", pred}, {"type_info", type}});
    };
    add(3, "easy_dep", obj(3) + ".");                          // hit
    add(4, "easy_indep", "It is " + obj(5) + ", not " + obj(4));  // miss: the first id counts
    add(0, "hard_dep", "No object.");                          // miss: no id, no fallback to 0
    add(7, "hard_indep", obj(7));                              // hit
    add("12", "hard_dep", obj(12) + " and " + obj(1));         // hit (digit-string id)
    writeFileAtomic(path("nr3d.json"), rows.dump());
    ScorePredictionsOptions o;
    o.benchmark = "nr3d";
    o.predPath = path("nr3d.json");
    ScorePredictionsResult r = scorePredictions(o);
    json j = json::parse(r.json);
    QCOMPARE(j["benchmark"].get<std::string>(), std::string("nr3d"));
    const std::map<std::string, std::pair<int, int>> want = {
        {"overall", {3, 5}}, {"easy", {1, 2}}, {"hard", {2, 3}}, {"view_dep", {2, 3}}, {"view_indep", {1, 2}}};
    for (const auto& [subset, hn] : want) {
        QCOMPARE(j["scores"][subset]["Acc"].get<double>(), static_cast<double>(hn.first) / hn.second);
        QCOMPARE(j["scores"][subset]["count"].get<int>(), hn.second);
    }
    QVERIFY2(r.table.find("view_indep") != std::string::npos, r.table.c_str());
    o.benchmark = "sr3d";
    QCOMPARE(json::parse(scorePredictions(o).json)["scores"]["overall"]["Acc"].get<double>(), 0.6);

    rows[2]["type_info"] = "medium_dep";
    writeFileAtomic(path("nr3d_bad.json"), rows.dump());
    o.predPath = path("nr3d_bad.json");
    std::string e = errorOf([&] { scorePredictions(o); });
    QVERIFY2(e.find(path("nr3d_bad.json")) != std::string::npos && e.find("[2].type_info") != std::string::npos, e.c_str());
    // No rows of a subset: null.
    writeFileAtomic(path("nr3d_one.json"), json::array({rows[0]}).dump());
    o.predPath = path("nr3d_one.json");
    QVERIFY(json::parse(scorePredictions(o).json)["scores"]["hard"]["Acc"].is_null());
}

void TestScorePredictions::referIt3DOnSynthCsv() {
    // The eval loop's type_info is referIt3DTypeInfo of the nr3d.csv row; expected subsets from the
    // ReferIt3D rules directly. Even rows predict the target, odd rows the next id.
    std::vector<ReferIt3DEntry> entries = readReferIt3D(world() + "/ReferIt3D/nr3d.csv");
    QVERIFY(entries.size() >= 4);
    json rows = json::array();
    std::map<std::string, std::pair<int, int>> want;  // subset -> (hits, count)
    for (size_t i = 0; i < entries.size(); ++i) {
        const ReferIt3DEntry& e = entries[i];
        bool hit = i % 2 == 0;
        rows.push_back({{"scene_id", e.sceneId}, {"gt_id", e.targetId}, {"pred_id", 0}, {"qid", i},
                        {"pred", obj(hit ? e.targetId : e.targetId + 1) + "."}, {"type_info", referIt3DTypeInfo(e)}});
        for (const char* s : {"overall", isReferIt3DEasy(e) ? "easy" : "hard", isViewDependent(e.tokens) ? "view_dep" : "view_indep"})
            want[s].first += hit, want[s].second += 1;
    }
    writeFileAtomic(path("nr3d_synth.json"), rows.dump());
    std::string out, err;
    int rc = test::runInst3d({"score-predictions", "--benchmark", "nr3d", "--pred", path("nr3d_synth.json"), "--output",
                              path("nr3d_out.json")},
                             &out, &err);
    QVERIFY2(rc == 0, err.c_str());
    json j = json::parse(readTextFile(path("nr3d_out.json")))["scores"];
    for (const auto& [subset, hn] : want) {
        QCOMPARE(j[subset]["count"].get<int>(), hn.second);
        QCOMPARE(j[subset]["Acc"].get<double>(), static_cast<double>(hn.first) / hn.second);
    }
}

void TestScorePredictions::scanReferLookupFromAnnotations() {
    writeTinyScene();
    // chair and office chair are both nyu40 "chair" (multiple); coffee table -> table and lamp -> others
    // are alone in their classes (unique).
    QDir(dir_.path()).mkpath("ann");
    json ann = json::array();
    const char* names[4] = {"chair", "office_chair", "coffee_table", "lamp"};
    for (int k = 0; k < 4; ++k)
        for (int a = 0; a < 2; ++a)
            ann.push_back({{"scene_id", "scene0900_00"}, {"object_id", std::to_string(k)}, {"object_name", names[k]},
                           {"ann_id", std::to_string(a)}, {"description", "this is it."}});
    writeFileAtomic(path("ann/ScanRefer_filtered_val.json"), ann.dump());
    test::writeBytes(path("scannetv2-labels.combined.tsv"),
                     labelsTsv({{"chair", "chair"}, {"office chair", "chair"}, {"coffee table", "table"}, {"lamp", "lamp"}}));
    // Rows: 0 hit, 1 miss (names proposal 2), 2 hit, 3 hit; type_info says the opposite of the rule.
    json rows = json::array();
    const int pred[4] = {0, 2, 2, 3}, typeInfo[4] = {0, 0, 1, 1};
    for (int k = 0; k < 4; ++k)
        rows.push_back({{"scene_id", "scene0900_00"}, {"gt_id", k}, {"pred", obj(pred[k]) + "."}, {"type_info", typeInfo[k]}});
    writeFileAtomic(path("sr_lookup.json"), rows.dump());
    ScorePredictionsOptions o = tiny("scanrefer", path("sr_lookup.json"));
    json byType = json::parse(scorePredictions(o).json)["scores"];
    QCOMPARE(byType["unique"]["Acc@0.25"].get<double>(), 0.5);
    QCOMPARE(byType["multiple"]["Acc@0.25"].get<double>(), 1.0);

    o.scanReferAnnotationsPath = path("ann/ScanRefer_filtered_val.json");  // tsv found in the parent folder
    ScorePredictionsResult r = scorePredictions(o);
    json byRule = json::parse(r.json)["scores"];
    QCOMPARE(byRule["unique"]["Acc@0.25"].get<double>(), 1.0);
    QCOMPARE(byRule["unique"]["count"].get<int>(), 2);
    QCOMPARE(byRule["multiple"]["Acc@0.25"].get<double>(), 0.5);
    QCOMPARE(byRule["overall"]["Acc@0.25"].get<double>(), 0.75);
    QVERIFY2(r.table.find("ScanRefer_filtered_val.json") != std::string::npos, r.table.c_str());

    // --label-map explicitly: with office chair mapped elsewhere the chair is unique too.
    test::writeBytes(path("other.tsv"),
                     labelsTsv({{"chair", "chair"}, {"office chair", "desk"}, {"coffee table", "table"}, {"lamp", "lamp"}}));
    o.labelMapPath = path("other.tsv");
    json mapped = json::parse(scorePredictions(o).json)["scores"];
    QCOMPARE(mapped["unique"]["count"].get<int>(), 4);

    // A row's object that the annotations do not have: the prediction file and the row.
    rows.push_back({{"scene_id", "scene0900_00"}, {"gt_id", 3}, {"pred", obj(3)}, {"type_info", 0}});
    rows[4]["scene_id"] = "scene0901_00";
    writeFileAtomic(path("sr_lookup_bad.json"), rows.dump());
    o.predPath = path("sr_lookup_bad.json");
    std::string e = errorOf([&] { scorePredictions(o); });
    QVERIFY2(e.find(path("sr_lookup_bad.json")) != std::string::npos && e.find("[4]") != std::string::npos &&
                 e.find("not annotated") != std::string::npos,
             e.c_str());
}

void TestScorePredictions::scanReferLookupOnSynthWorld() {
    // The world's ScanRefer val file, the tsv found at the world root (the annotations' parent).
    const std::string ann = world() + "/ScanRefer/ScanRefer_filtered_val.json";
    std::vector<ScanReferEntry> entries = readScanRefer(ann);
    QVERIFY(!entries.empty());
    UniqueMultipleLookup lookup = scanReferUniqueMultiple(entries, LabelMap::read(world() + "/scannetv2-labels.combined.tsv"));
    json rows = json::array();
    int unique = 0;
    for (const auto& e : entries) {
        rows.push_back({{"scene_id", e.sceneId}, {"gt_id", e.objectId}, {"pred", obj(e.objectId) + "."}});
        unique += lookup[e.sceneId][e.objectId] == 0;
    }
    writeFileAtomic(path("sr_synth.json"), rows.dump());
    std::string out, err;
    int rc = test::runInst3d({"score-predictions", "--benchmark", "scanrefer", "--pred", path("sr_synth.json"),
                              "--proposals", gtPath_, "--gt-boxes", gtPath_, "--scanrefer-annotations", ann, "--output",
                              path("sr_synth_out.json")},
                             &out, &err);
    QVERIFY2(rc == 0, err.c_str());
    json j = json::parse(readTextFile(path("sr_synth_out.json")))["scores"];
    QCOMPARE(j["unique"]["count"].get<int>(), unique);
    QCOMPARE(j["multiple"]["count"].get<int>(), static_cast<int>(entries.size()) - unique);
    QCOMPARE(j["overall"]["Acc@0.5"].get<double>(), 1.0);
}

void TestScorePredictions::attributesFilesScoreAsJson() {
    SceneBoxes shifted = gt_;  // proposal k shifted along x by 0, 0.5 or 2 sizes
    for (auto& [scene, boxes] : shifted)
        for (size_t k = 0; k < boxes.size(); ++k) boxes[k].center[0] += (k % 3 == 0 ? 0.0 : k % 3 == 1 ? 0.5 : 2.0) * boxes[k].size[0];
    writeBoxesBothWays(shifted, path("attr_props.json"), path("scannet_mask3d_val_attributes.pt"));
    writeBoxesBothWays(gt_, path("attr_gt.json"), path("scannet_val_attributes.pt"));
    writeFileAtomic(path("attr_scanrefer.json"), scanReferRows().dump());
    const std::string scene = gt_.begin()->first;
    json m3d = json::array();
    m3d.push_back({{"scene_id", scene}, {"gt_id", {0, 1}}, {"pred", obj(0) + " " + obj(1)}, {"type_info", "mt"}, {"qid", 0}});
    m3d.push_back({{"scene_id", scene}, {"gt_id", {3}}, {"pred", obj(3)}, {"type_info", "st_wo_d"}, {"qid", 1}});
    writeFileAtomic(path("attr_m3d.json"), m3d.dump());
    for (const char* benchmark : {"scanrefer", "multi3drefer"}) {
        const std::string pred = path(std::string("attr_") + (benchmark[0] == 's' ? "scanrefer" : "m3d") + ".json");
        ScorePredictionsOptions o = grounding(benchmark, pred, path("attr_props.json"));
        o.gtBoxesPath = path("attr_gt.json");
        const std::string fromJson = scorePredictions(o).json;
        o.proposalsPath = path("scannet_mask3d_val_attributes.pt");
        o.gtBoxesPath = path("scannet_val_attributes.pt");
        QCOMPARE(scorePredictions(o).json, fromJson);
        if (benchmark[0] == 's') QVERIFY(json::parse(fromJson)["scores"]["overall"]["Acc@0.5"].get<double>() < 1.0);
    }
    // A dict without "locs" names the file and the scene.
    SaveValue bad = SaveValue::dict();
    bad.set(scene, SaveValue::dict()).set("objects", SaveValue::list());
    torchSave(path("bad_attributes.pt"), bad);
    ScorePredictionsOptions o = grounding("scanrefer", path("attr_scanrefer.json"), path("bad_attributes.pt"));
    QCOMPARE(errorOf([&] { scorePredictions(o); }), path("bad_attributes.pt") + ": " + scene + ": missing \"locs\"");
}

QTEST_GUILESS_MAIN(TestScorePredictions)
#include "test_score_predictions.moc"
