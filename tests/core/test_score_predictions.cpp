// `inst3d score-predictions` on a synthetic world: GT boxes as proposals score perfectly, shifted
// proposals give the hand-computed lower scores, malformed files are errors naming the file.
#include <QTemporaryDir>
#include <QtTest>
#include <cstdio>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/data/proposal_matching.h"
#include "core/eval/score_predictions.h"
#include "core/io/scene_loader.h"
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
    void malformedFilesNameTheFile();

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

void TestScorePredictions::malformedFilesNameTheFile() {
    test::writeBytes(path("broken.json"), "[{\"scene_id\": ");
    std::string e = errorOf([&] { scorePredictions(grounding("scanrefer", path("broken.json"), gtPath_)); });
    QVERIFY2(e.find(path("broken.json")) != std::string::npos && e.find("invalid JSON") != std::string::npos, e.c_str());

    json rows = scanReferRows();
    rows[1].erase("gt_id");
    writeFileAtomic(path("missing.json"), rows.dump());
    e = errorOf([&] { scorePredictions(grounding("scanrefer", path("missing.json"), gtPath_)); });
    QVERIFY2(e.find(path("missing.json")) != std::string::npos && e.find("[1]") != std::string::npos &&
                 e.find("gt_id") != std::string::npos,
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

QTEST_GUILESS_MAIN(TestScorePredictions)
#include "test_score_predictions.moc"
