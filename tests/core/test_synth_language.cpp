// Language annotations of the synthetic world: real dataset formats, every statement true (checked by
// the independent verifier on scenes read back from disk), the verifier able to fail, determinism.
#include <QTemporaryDir>
#include <QtTest>

#include "support/test_support.h"
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/common/file_util.h"
#include "core/io/scene_loader.h"
#include "core/synth/lang_text.h"
#include "core/synth/language.h"
#include "core/synth/synth.h"
#include "core/synth/verify.h"

using namespace inst3d;
using ojson = nlohmann::ordered_json;
namespace fs = std::filesystem;

namespace {

const char* const kLanguageDirs[] = {"ScanRefer", "Multi3DRefer", "ScanQA", "Scan2Cap", "ReferIt3D", "SQA3D"};

ojson readJson(const std::string& path) { return ojson::parse(readTextFile(path)); }
void writeJson(const std::string& path, const ojson& j) { writeFileAtomic(path, j.dump(1)); }

std::vector<std::string> keysOf(const ojson& e) {
    std::vector<std::string> keys;
    for (const auto& item : e.items()) keys.push_back(item.key());
    return keys;
}

std::string joined(const std::vector<std::string>& lines, size_t max = 15) {
    std::string out;
    for (size_t i = 0; i < lines.size() && i < max; ++i) out += "\n  " + lines[i];
    if (lines.size() > max) out += "\n  ... " + std::to_string(lines.size() - max) + " more";
    return out;
}

bool anyContains(const std::vector<std::string>& lines, const std::string& a, const std::string& b = "") {
    for (const auto& l : lines)
        if (l.find(a) != std::string::npos && l.find(b) != std::string::npos) return true;
    return false;
}

std::string paletteOther(const std::string& color) {
    for (const PaletteColor& p : synthPalette())
        if (p.name != color) return p.name;
    return "";
}

// ---- a hand-built room (aligned coordinates), independent of the procedural generator ----------

struct BoxSpec {
    std::string category, color;
    AABB box;
    int support = -1;
    bool structural = false;
};

AABB box(double x0, double y0, double z0, double x1, double y1, double z1) {
    AABB b;
    b.extend({x0, y0, z0});
    b.extend({x1, y1, z1});
    return b;
}

std::vector<BoxSpec> handBuiltRoom() {
    return {
        {"floor", "beige", box(0, 0, -0.05, 6, 5, 0), -1, true},
        {"wall", "white", box(0, -0.1, 0, 6, 0, 2.7), -1, true},
        {"wall", "white", box(6, 0, 0, 6.1, 5, 2.7), -1, true},
        {"wall", "white", box(0, 5, 0, 6, 5.1, 2.7), -1, true},
        {"wall", "white", box(-0.1, 0, 0, 0, 5, 2.7), -1, true},
        {"door", "brown", box(2.5, 0, 0, 3.4, 0.05, 2.1), -1, true},
        {"window", "white", box(5.95, 2, 1, 6, 3, 2), -1, true},
        {"bed", "blue", box(0.5, 3, 0, 2.5, 5, 0.6)},
        {"table", "brown", box(2.6, 2, 0, 3.6, 3, 0.75)},
        {"lamp", "yellow", box(3.0, 2.4, 0.75, 3.2, 2.6, 1.2), 8},
        {"chair", "red", box(1.8, 2.2, 0, 2.3, 2.7, 0.9)},
        {"chair", "red", box(3.9, 2.2, 0, 4.4, 2.7, 0.9)},
        {"chair", "green", box(5.0, 0.5, 0, 5.5, 1.0, 0.9)},
        {"nightstand", "white", box(2.7, 4.5, 0, 3.2, 5.0, 0.5)},
        {"pillow", "white", box(0.7, 4.4, 0.6, 1.2, 4.9, 0.75), 7},
        {"pillow", "white", box(1.8, 4.4, 0.6, 2.3, 4.9, 0.75), 7},
        {"trash can", "gray", box(5.5, 4.5, 0, 5.9, 4.9, 0.4)},
    };
}

SynthScene synthSceneOf(const std::string& id, const std::vector<BoxSpec>& specs) {
    SynthScene s;
    s.id = id;
    s.room.width = 6;
    s.room.depth = 5;
    for (size_t i = 0; i < specs.size(); ++i) {
        SynthObject o;
        o.objectId = static_cast<int>(i);
        o.category = specs[i].category;
        o.colorName = specs[i].color;
        o.box = specs[i].box;
        o.supportId = specs[i].support;
        o.structural = specs[i].structural;
        s.objects.push_back(o);
    }
    return s;
}

// The same room as a Scene "read from disk": 8 colored corner vertices per object in raw coordinates
// (a non-identity axis alignment), one instance per object.
Scene sceneOf(const std::string& id, const std::vector<BoxSpec>& specs) {
    Scene scene;
    scene.id = id;
    scene.axisAlignment = rotationZ(0.4, {1.5, -2.0, 0.1});
    Mat4 toRaw = scene.axisAlignment.inverse();
    for (size_t i = 0; i < specs.size(); ++i) {
        Instance inst;
        inst.id = static_cast<int>(i);
        inst.label = specs[i].category;
        const PaletteColor* color = nullptr;
        for (const PaletteColor& p : synthPalette())
            if (p.name == specs[i].color) color = &p;
        for (int corner = 0; corner < 8; ++corner) {
            const AABB& b = specs[i].box;
            Vec3 p((corner & 1) ? b.max.x : b.min.x, (corner & 2) ? b.max.y : b.min.y, (corner & 4) ? b.max.z : b.min.z);
            Vec3 raw = toRaw.transformPoint(p);
            inst.vertices.push_back(static_cast<uint32_t>(scene.mesh.numVertices()));
            scene.mesh.xyz.insert(scene.mesh.xyz.end(), {float(raw.x), float(raw.y), float(raw.z)});
            scene.mesh.rgba.insert(scene.mesh.rgba.end(), {color->rgb[0], color->rgb[1], color->rgb[2], 255});
        }
        scene.instances.push_back(inst);
    }
    return scene;
}

std::map<std::string, SceneFacts> loadFacts(const std::string& worldDir) {
    std::map<std::string, SceneFacts> facts;
    LoadOptions options;
    options.loadFrames = false;
    for (const auto& entry : fs::directory_iterator(joinPath(worldDir, "scans")))
        facts[entry.path().filename().string()] = factsFromScene(loadScene(entry.path().string(), options));
    return facts;
}

void copyLanguage(const std::string& from, const std::string& to) {
    for (const char* d : kLanguageDirs)
        fs::copy(joinPath(from, d), joinPath(to, d), fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

}  // namespace

class TestSynthLanguage : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir world_;
    SynthOptions options_;
    std::map<std::string, SceneFacts> facts_;
    LanguageReport report_;

    std::string worldPath(const std::string& rel) const { return joinPath(world_.path().toStdString(), rel); }

    // A copy of the world's language files in `dir`, with `edit` applied, verified with the world's facts.
    std::vector<std::string> tamperedFailures(const QTemporaryDir& dir, const std::function<void(const std::string&)>& edit) {
        copyLanguage(world_.path().toStdString(), dir.path().toStdString());
        edit(dir.path().toStdString());
        return verifyLanguageFiles(dir.path().toStdString(), facts_).failures;
    }

private slots:
    void initTestCase() {
        QVERIFY(world_.isValid());
        options_ = test::smallWorldOptions(3, 11);
        writeSynthWorld(world_.path().toStdString(), options_);
        facts_ = loadFacts(world_.path().toStdString());
        QCOMPARE(facts_.size(), size_t(3));
        report_ = verifyLanguageFiles(world_.path().toStdString(), facts_);
    }

    void tokenizationAndQuoting() {
        QCOMPARE(lang::joinTokens(lang::tokenize("This is a brown chair. It is 1.5 m, isn't it?")),
                 std::string("this is a brown chair . it is 1.5 m , isn't it ?"));
        QCOMPARE(lang::pythonStringList({"the", "chair", ","}), std::string("['the', 'chair', ',']"));
        QCOMPARE(lang::csvRow({"a", "b,c", "say \"hi\""}), std::string("a,\"b,c\",\"say \"\"hi\"\"\"\n"));
        bool ok = false;
        auto rows = lang::parseCsv("x,\"['a', 'b']\"\n1,\"q \"\"z\"\"\"\n", ok);
        QVERIFY(ok);
        QCOMPARE(rows.size(), size_t(2));
        QCOMPARE(rows[0][1], std::string("['a', 'b']"));
        QCOMPARE(rows[1][1], std::string("q \"z\""));
        QCOMPARE(lang::pluralize("bookshelf"), std::string("bookshelves"));
        QCOMPARE(lang::pluralize("couch"), std::string("couches"));
        QCOMPARE(lang::pluralize("trash can"), std::string("trash cans"));
    }

    // The generator on a hand-built room, verified against facts built from an in-memory mesh.
    void handBuiltRoomIsDescribedTruthfully() {
        QTemporaryDir dir;
        auto specs = handBuiltRoom();
        std::vector<SynthScene> scenes = {synthSceneOf("scene0000_00", specs), synthSceneOf("scene0001_00", specs)};
        writeSynthLanguage(dir.path().toStdString(), scenes, {"train", "val"}, 3);
        std::map<std::string, SceneFacts> facts = {{"scene0000_00", factsFromScene(sceneOf("scene0000_00", specs))},
                                                   {"scene0001_00", factsFromScene(sceneOf("scene0001_00", specs))}};
        QCOMPARE(facts["scene0000_00"].find(12)->color, std::string("green"));
        LanguageReport r = verifyLanguageFiles(dir.path().toStdString(), facts);
        QVERIFY2(r.failures.empty(), joined(r.failures).c_str());
        for (const char* kind : {"color", "closest", "on", "near", "left_right", "count", "unique", "qa_on", "multi_target",
                                 "zero_target", "nr3d_view_dependent"})
            QVERIFY2(r.kinds[kind] > 0, kind);
    }

    // Hand-written statements about the hand-built room: true ones pass, false ones name the reason.
    void verifierJudgesHandWrittenStatements() {
        SceneFacts f = factsFromScene(sceneOf("scene0000_00", handBuiltRoom()));
        auto ok = [&](const std::string& text, std::vector<int> ids) {
            CheckResult r = verifyDescription(f, text, ids);
            QVERIFY2(r.ok, (text + ": " + r.reason).c_str());
        };
        auto bad = [&](const std::string& text, std::vector<int> ids, const std::string& reasonPart) {
            CheckResult r = verifyDescription(f, text, ids);
            QVERIFY2(!r.ok, text.c_str());
            QVERIFY2(r.reason.find(reasonPart) != std::string::npos, (text + ": " + r.reason).c_str());
        };
        ok("this is a green chair.", {12});
        bad("this is a green chair.", {10}, "color");
        bad("this is a red chair.", {10}, "describes objects [10, 11]");  // does not single it out
        // Both red chairs are 1.05 m from the table: "closest" must not pick one.
        bad("this is a red chair. it is the chair closest to the table.", {10}, "closest");
        ok("this is a lamp. it is on the table.", {9});
        bad("this is a lamp. it is on the bed.", {9}, "does not rest on");
        // Facing the door (-y), left is +x: pillow 15 (x = 2.05) is left of pillow 14 (x = 0.95).
        ok("this is a white pillow. when facing the door, it is the pillow on the left.", {15});
        bad("this is a white pillow. when facing the door, it is the pillow on the right.", {15}, "right");
        ok("facing the door, the pillow on the right", {14});
        ok("the chair closest to the trash can", {11});
        bad("the chair closest to the window", {11}, "competes");  // 1.83 m vs 1.89 m: too close to call
        bad("the chair closest to the chair", {11}, "names 3 objects");
        ok("these are the pillows on the bed.", {14, 15});
        bad("these are the pillows on the bed.", {14}, "describes objects [14, 15]");
        ok("this is a purple bed.", {});
        bad("this is a blue bed.", {}, "describes objects [7]");
        ok("this is a green chair. it is one of three chairs in the room.", {12});
        bad("this is a green chair. it is one of two chairs in the room.", {12}, "count");
        bad("this is a chair. it is made of wood.", {12}, "unknown sentence");

        QVERIFY(verifyScanQa(f, "What is on the bed?", "pillows", {14, 15}).ok);
        QVERIFY(!verifyScanQa(f, "What is on the bed?", "pillow", {14, 15}).ok);
        QVERIFY(verifyScanQa(f, "How many chairs are in the room?", "3", {10, 11, 12}).ok);
        QVERIFY(!verifyScanQa(f, "How many chairs are in the room?", "3", {10, 11}).ok);
        QVERIFY(verifyScanQa(f, "Where is the lamp?", "on the table", {9}).ok);
        QVERIFY(!verifyScanQa(f, "What color is the trash can?", "red", {16}).ok);

        AgentPose pose;  // at (3.1, 1.0) facing +y, towards the table
        pose.position = {3.1, 1.0, 0};
        pose.qz = std::sin(M_PI / 4);
        pose.qw = std::cos(M_PI / 4);
        QVERIFY(verifySituation(f, pose, "I am facing the table.").ok);
        QVERIFY(verifySituation(f, pose, "I am standing 1.5 meters in front of the table, facing it.").ok);
        QVERIFY(!verifySituation(f, pose, "I am standing 3.0 meters in front of the table, facing it.").ok);
        QVERIFY(!verifySituation(f, pose, "I am facing the bed.").ok);
        QVERIFY(verifySituatedQa(f, pose, "Is the bed on my left?", "yes").ok);
        QVERIFY(!verifySituatedQa(f, pose, "Is the bed on my right?", "yes").ok);
        QVERIFY(verifySituatedQa(f, pose, "Can I see the door without turning around?", "no").ok);
        QVERIFY(verifySituatedQa(f, pose, "What color is the table in front of me?", "brown").ok);
        QVERIFY(verifySituatedQa(f, pose, "Which is closer to me, the lamp or the bed?", "lamp").ok);
    }

    void filesHaveTheRealFieldsAndTypes() {
        for (const char* split : {"train", "val"}) {
            std::string s = split;
            ojson refer = readJson(worldPath("ScanRefer/ScanRefer_filtered_" + s + ".json"));
            QVERIFY(refer.is_array() && !refer.empty());
            for (const auto& e : refer) {
                QCOMPARE(keysOf(e), (std::vector<std::string>{"scene_id", "object_id", "object_name", "ann_id", "description", "token"}));
                QVERIFY(e["object_id"].is_string() && e["ann_id"].is_string() && e["token"].is_array());
                QVERIFY(e["object_name"].get<std::string>().find(' ') == std::string::npos);
            }
            ojson multi = readJson(worldPath("Multi3DRefer/multi3drefer_" + s + ".json"));
            QVERIFY(multi.is_array() && !multi.empty());
            for (const auto& e : multi) {
                QCOMPARE(keysOf(e), (std::vector<std::string>{"scene_id", "object_name", "ann_id", "description", "object_ids", "eval_type"}));
                QVERIFY(e["ann_id"].is_number_integer() && e["object_ids"].is_array());
            }
            ojson qa = readJson(worldPath("ScanQA/ScanQA_v1.0_" + s + ".json"));
            QVERIFY(qa.is_array() && !qa.empty());
            for (const auto& e : qa) {
                QCOMPARE(keysOf(e), (std::vector<std::string>{"scene_id", "object_ids", "object_names", "question_id", "question", "answers"}));
                QVERIFY(e["question_id"].get<std::string>().rfind(s + "-scene", 0) == 0);
            }
            ojson corpus = readJson(worldPath("Scan2Cap/scan2cap_" + s + "_corpus.json"));
            QVERIFY(corpus.is_object() && !corpus.empty());
            for (const auto& item : corpus.items()) {
                QVERIFY(item.key().find('|') != std::string::npos);
                for (const auto& cap : item.value()) {
                    std::string c = cap;
                    QVERIFY(c.rfind("sos ", 0) == 0 && c.size() > 8 && c.compare(c.size() - 4, 4, " eos") == 0);
                }
            }
            ojson questions = readJson(worldPath("SQA3D/v1_balanced_questions_" + s + "_scannetv2.json"));
            ojson annotations = readJson(worldPath("SQA3D/v1_balanced_sqa_annotations_" + s + "_scannetv2.json"));
            QCOMPARE(keysOf(questions), std::vector<std::string>{"questions"});
            QCOMPARE(keysOf(annotations), std::vector<std::string>{"annotations"});
            QVERIFY(!questions["questions"].empty());
            QCOMPARE(questions["questions"].size(), annotations["annotations"].size());
            for (const auto& q : questions["questions"])
                QCOMPARE(keysOf(q), (std::vector<std::string>{"scene_id", "situation", "alternative_situation", "question", "question_id"}));
            for (const auto& a : annotations["annotations"]) {
                QCOMPARE(keysOf(a), (std::vector<std::string>{"scene_id", "question_type", "answer_type", "question_id", "answers", "rotation", "position"}));
                QCOMPARE(keysOf(a["rotation"]), (std::vector<std::string>{"_x", "_y", "_z", "_w"}));
                QCOMPARE(keysOf(a["position"]), (std::vector<std::string>{"x", "y", "z"}));
                QCOMPARE(keysOf(a["answers"][0]), (std::vector<std::string>{"answer", "answer_confidence", "answer_id"}));
            }
        }
        bool ok = false;
        auto rows = lang::parseCsv(readTextFile(worldPath("ReferIt3D/nr3d.csv")), ok);
        QVERIFY(ok && rows.size() > 1);
        QCOMPARE(rows[0], (std::vector<std::string>{"assignmentid", "stimulus_id", "utterance", "correct_guess", "speaker_id",
                                                    "listener_id", "scan_id", "instance_type", "target_id", "tokens",
                                                    "mentions_target_class", "uses_object_lang", "uses_spatial_lang",
                                                    "uses_color_lang", "uses_shape_lang", "dataset"}));
        for (size_t i = 1; i < rows.size(); ++i) {
            QCOMPARE(rows[i].size(), size_t(16));
            QVERIFY(rows[i][9].rfind("['", 0) == 0);
        }
    }

    void everyStatementIsTrue() {
        QVERIFY2(report_.failures.empty(), joined(report_.failures).c_str());
        // The public entry point loads the scenes itself and agrees.
        std::vector<std::string> failures = verifySynthLanguage(world_.path().toStdString());
        QVERIFY2(failures.empty(), joined(failures).c_str());
    }

    void everyStatementKindOccurs() {
        std::string counts;
        for (const auto& [kind, n] : report_.kinds) counts += " " + kind + "=" + std::to_string(n);
        qInfo("statements checked: %d;%s", report_.statements, counts.c_str());
        for (const char* kind :
             {"scanrefer", "scanrefer_unique", "scanrefer_multiple", "color", "size", "count", "closest", "on", "between",
              "left_right", "near", "unique", "multi3drefer", "m3dr_st_w_d", "m3dr_st_wo_d", "m3dr_mt", "m3dr_zt_w_d",
              "m3dr_zt_wo_d", "scanqa", "qa_color", "qa_count", "qa_on", "qa_where", "scan2cap", "sqa3d", "sqa_count",
              "sqa_left_right", "nr3d", "nr3d_view_dependent", "nr3d_view_independent", "nr3d_hard"})
            QVERIFY2(report_.kinds[kind] > 0, (std::string("no statement of kind ") + kind + ":" + counts).c_str());
        size_t referPerScene = static_cast<size_t>(report_.kinds["scanrefer"]) / 3;
        QVERIFY2(referPerScene >= 10 && referPerScene <= 30, std::to_string(referPerScene).c_str());
    }

    void changedColorIsCaught() {
        QTemporaryDir dir;
        std::string changed;
        auto failures = tamperedFailures(dir, [&](const std::string& d) {
            std::string path = joinPath(d, "ScanRefer/ScanRefer_filtered_train.json");
            ojson j = readJson(path);
            for (auto& e : j) {
                std::string desc = e["description"];
                for (const PaletteColor& p : synthPalette()) {
                    std::string needle = "this is a " + p.name + " ";
                    if (desc.rfind(needle, 0) != 0) continue;
                    std::string other = paletteOther(p.name);
                    desc = lang::indefiniteArticle(other) == "an" ? "this is an " + other + " " + desc.substr(needle.size())
                                                                  : "this is a " + other + " " + desc.substr(needle.size());
                    e["description"] = desc;
                    e["token"] = lang::tokenize(desc);  // keep the tokens consistent: only the claim is wrong
                    changed = desc;
                    break;
                }
                if (!changed.empty()) break;
            }
            writeJson(path, j);
        });
        QVERIFY(!changed.empty());
        QVERIFY2(anyContains(failures, "ScanRefer", "color"), joined(failures).c_str());
    }

    void changedCountIsCaught() {
        QTemporaryDir dir;
        auto failures = tamperedFailures(dir, [&](const std::string& d) {
            std::string path = joinPath(d, "ScanQA/ScanQA_v1.0_train.json");
            ojson j = readJson(path);
            for (auto& e : j)
                if (e["question"].get<std::string>().rfind("How many", 0) == 0) {
                    e["answers"][0] = std::to_string(std::stoi(e["answers"][0].get<std::string>()) + 1);
                    break;
                }
            writeJson(path, j);
        });
        QCOMPARE(failures.size(), size_t(1));
        QVERIFY2(anyContains(failures, "ScanQA", "count"), joined(failures).c_str());
    }

    void swappedLeftRightIsCaught() {
        QTemporaryDir dir;
        bool swapped = false;
        auto failures = tamperedFailures(dir, [&](const std::string& d) {
            std::string path = joinPath(d, "ReferIt3D/nr3d.csv");
            bool ok = false;
            auto rows = lang::parseCsv(readTextFile(path), ok);
            for (size_t i = 1; i < rows.size() && !swapped; ++i) {
                std::string& u = rows[i][2];
                for (auto [from, to] : {std::pair<std::string, std::string>{"left", "right"}, {"right", "left"}}) {
                    size_t pos = u.find(from);
                    if (pos == std::string::npos) continue;
                    u.replace(pos, from.size(), to);
                    rows[i][9] = lang::pythonStringList(lang::tokenize(u));
                    swapped = true;
                    break;
                }
            }
            std::string csv;
            for (const auto& r : rows) csv += lang::csvRow(r);
            writeFileAtomic(path, csv);
        });
        QVERIFY(swapped);
        QCOMPARE(failures.size(), size_t(1));
        QVERIFY2(anyContains(failures, "nr3d.csv", "left"), joined(failures).c_str());
    }

    void wrongTargetListsAreCaught() {
        QTemporaryDir dir;
        auto failures = tamperedFailures(dir, [&](const std::string& d) {
            std::string path = joinPath(d, "Multi3DRefer/multi3drefer_train.json");
            ojson j = readJson(path);
            bool droppedOne = false, filledZero = false;
            for (auto& e : j) {
                if (!droppedOne && e["eval_type"] == "mt") e["object_ids"].erase(e["object_ids"].size() - 1), droppedOne = true;
                // A zero-target description suddenly claims an object: it must not describe it.
                if (!filledZero && e["eval_type"] == "zt_w_d") e["object_ids"].push_back(0), filledZero = true;
            }
            writeJson(path, j);
        });
        QVERIFY2(anyContains(failures, "multi3drefer", "describes objects"), joined(failures).c_str());
        QVERIFY2(failures.size() >= 2, joined(failures).c_str());
    }

    void flippedSituatedAnswerIsCaught() {
        QTemporaryDir dir;
        auto failures = tamperedFailures(dir, [&](const std::string& d) {
            std::string path = joinPath(d, "SQA3D/v1_balanced_sqa_annotations_train_scannetv2.json");
            ojson j = readJson(path);
            for (auto& a : j["annotations"])
                if (a["answer_type"] == "yes/no") {
                    auto& ans = a["answers"][0]["answer"];
                    ans = ans == "yes" ? "no" : "yes";
                    break;
                }
            writeJson(path, j);
        });
        QCOMPARE(failures.size(), size_t(1));
        QVERIFY2(anyContains(failures, "SQA3D", "should be"), joined(failures).c_str());
    }

    void malformedFieldsAreCaught() {
        QTemporaryDir dir;
        auto failures = tamperedFailures(dir, [&](const std::string& d) {
            std::string path = joinPath(d, "ScanRefer/ScanRefer_filtered_val.json");
            ojson j = readJson(path);
            j[0]["object_id"] = std::stoi(j[0]["object_id"].get<std::string>());  // real files hold strings
            writeJson(path, j);
        });
        QVERIFY2(anyContains(failures, "ScanRefer_filtered_val", "object_id"), joined(failures).c_str());
    }

    // Same seed -> same bytes, also when regenerated outside writeSynthWorld.
    void sameSeedSameBytes() {
        QTemporaryDir dir;
        std::vector<SynthScene> scenes;
        std::vector<std::string> splits;
        std::map<std::string, std::string> splitOf;
        for (const char* split : {"train", "val", "test"}) {
            std::istringstream in(readTextFile(worldPath(std::string("splits/scannetv2_") + split + ".txt")));
            for (std::string id; std::getline(in, id);) splitOf[id] = split;
        }
        for (int i = 0; i < options_.numScenes; ++i) {
            scenes.push_back(generateSynthScene(i, options_));
            splits.push_back(splitOf[scenes.back().id]);
        }
        writeSynthLanguage(dir.path().toStdString(), scenes, splits, options_.seed);
        for (const auto& entry : fs::recursive_directory_iterator(dir.path().toStdString())) {
            if (!entry.is_regular_file()) continue;
            std::string rel = fs::relative(entry.path(), dir.path().toStdString()).string();
            QVERIFY2(readTextFile(entry.path().string()) == readTextFile(worldPath(rel)), rel.c_str());
        }
        QTemporaryDir other;
        writeSynthLanguage(other.path().toStdString(), scenes, splits, options_.seed + 1);
        QVERIFY(readTextFile(joinPath(other.path().toStdString(), "ScanRefer/ScanRefer_filtered_train.json")) !=
                readTextFile(worldPath("ScanRefer/ScanRefer_filtered_train.json")));
    }
};

QTEST_GUILESS_MAIN(TestSynthLanguage)
#include "test_synth_language.moc"
