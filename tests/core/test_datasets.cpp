// core/data on the synthetic world's real-format files: the dataset readers (counts and fields checked
// against the generated scenes), ScanRefer's unique/multiple rule against the descriptions, ReferIt3D
// labels, proposal matching and training labels, instruction samples, the <OBJ###> remapping and the
// one answer parser, and malformed files whose errors must name the file and the entry.
#include <QTemporaryDir>
#include <QtTest>
#include <sstream>
#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/config/config.h"
#include "core/data/answer_parser.h"
#include "core/data/csv.h"
#include "core/data/datasets.h"
#include "core/data/instructions.h"
#include "core/data/proposal_matching.h"
#include "core/eval/box_metrics.h"  // isZeroTargetType
#include "core/io/label_map.h"
#include "core/io/scene_loader.h"
#include "core/synth/synth.h"
#include "support/test_support.h"

using namespace inst3d;

namespace {

using test::errorOf;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

int categoryClass(const std::string& category, const LabelMap& labels) { return scanReferClass(category, labels); }

}  // namespace

class TestDatasets : public QObject {
    Q_OBJECT

private:
    QTemporaryDir world_;
    SynthOptions options_;
    std::map<std::string, SynthScene> scenes_;
    std::map<std::string, std::string> split_;  // scene -> train/val
    SceneBoxes gtBoxes_;
    LabelMap labels_;

    std::string worldPath(const std::string& rel) const { return joinPath(world_.path().toStdString(), rel); }
    std::vector<ScanReferEntry> scanReferAll() const {
        auto all = readScanRefer(worldPath("ScanRefer/ScanRefer_filtered_train.json"));
        auto val = readScanRefer(worldPath("ScanRefer/ScanRefer_filtered_val.json"));
        all.insert(all.end(), val.begin(), val.end());
        return all;
    }
    const SynthObject& object(const std::string& scene, int id) const { return scenes_.at(scene).objects.at(static_cast<size_t>(id)); }

private Q_SLOTS:
    void initTestCase();
    void scanReferAgainstScenes();
    void uniqueMultipleByScanReferRule();
    void multi3dReferAgainstScenes();
    void scanQaAndScan2CapCorpus();
    void sqa3dJoin();
    void nr3dLabels();
    void csvAndPythonLists();
    void malformedFilesNameFileAndEntry();
    void proposalMatchingAndLabels();
    void instructionSamplesAndJson();
    void remapAndParseRoundTrip();
};

void TestDatasets::initTestCase() {
    QVERIFY(world_.isValid());
    options_ = test::smallWorldOptions(3, 5);
    writeSynthWorld(world_.path().toStdString(), options_);
    for (int i = 0; i < options_.numScenes; ++i) {
        SynthScene s = generateSynthScene(i, options_);
        scenes_[s.id] = s;
    }
    for (const char* split : {"train", "val"})
        for (const auto& id : splitWhitespace(readTextFile(worldPath(std::string("splits/scannetv2_") + split + ".txt"))))
            split_[id] = split;
    LoadOptions lo;
    lo.loadFrames = false;
    for (const auto& [id, s] : scenes_) gtBoxes_[id] = sceneBoxes(loadScene(worldPath("scans/" + id), lo));
    labels_ = LabelMap::read(worldPath("scannetv2-labels.combined.tsv"));
}

void TestDatasets::scanReferAgainstScenes() {
    for (const char* split : {"train", "val"}) {
        auto entries = readScanRefer(worldPath(std::string("ScanRefer/ScanRefer_filtered_") + split + ".json"));
        QVERIFY(!entries.empty());
        for (const auto& e : entries) {
            QCOMPARE(split_.at(e.sceneId), std::string(split));
            const SynthObject& o = object(e.sceneId, e.objectId);
            std::string name = o.category;
            std::replace(name.begin(), name.end(), ' ', '_');
            QCOMPARE(e.objectName, name);
            QVERIFY(contains(e.description, o.category));
            QVERIFY(!e.tokens.empty());
        }
    }
}

// Expected values from the scenes themselves: the class of each annotated object's category, counted
// over the annotated objects of its scene. The descriptions add a second, independent check.
void TestDatasets::uniqueMultipleByScanReferRule() {
    auto entries = scanReferAll();
    UniqueMultipleLookup lookup = scanReferUniqueMultiple(entries, labels_);
    std::map<std::string, std::set<int>> annotated;
    for (const auto& e : entries) annotated[e.sceneId].insert(e.objectId);
    int unique = 0, multiple = 0, onlySentences = 0;
    for (const auto& e : entries) {
        int cls = categoryClass(object(e.sceneId, e.objectId).category, labels_);
        int same = 0;
        for (int id : annotated[e.sceneId]) same += categoryClass(object(e.sceneId, id).category, labels_) == cls;
        int um = lookup.at(e.sceneId).at(e.objectId);
        QCOMPARE(um, same == 1 ? 0 : 1);
        (um == 0 ? unique : multiple)++;
        const std::string& cat = object(e.sceneId, e.objectId).category;
        // "the only X in the room" and no annotated object of another category sharing X's class: unique.
        if (contains(e.description, "it is the only " + cat + " in the room") && same == 1) {
            ++onlySentences;
            QCOMPARE(um, 0);
        }
        // Same-category distractors that are annotated make it multiple whatever the sentence says.
        for (int id : annotated[e.sceneId])
            if (id != e.objectId && object(e.sceneId, id).category == cat) QCOMPARE(um, 1);
    }
    QVERIFY2(unique > 0 && multiple > 0 && onlySentences > 0,
             qPrintable(QString("unique %1 multiple %2 only-sentences %3").arg(unique).arg(multiple).arg(onlySentences)));
    // An unknown name is "others" (17), like every class outside ScanRefer's 17.
    QCOMPARE(scanReferClass("no_such_thing", labels_), 17);
    QCOMPARE(scanReferClass("coffee_table", labels_), 4);  // nyu40class table
    QCOMPARE(scanReferClass("armchair", labels_), 2);       // chair
}

void TestDatasets::multi3dReferAgainstScenes() {
    int zero = 0, multi = 0;
    for (const char* split : {"train", "val"}) {
        for (const auto& e : readMulti3DRefer(worldPath(std::string("Multi3DRefer/multi3drefer_") + split + ".json"))) {
            QCOMPARE(split_.at(e.sceneId), std::string(split));
            for (int id : e.objectIds) QVERIFY(id >= 0 && id < int(scenes_.at(e.sceneId).objects.size()));
            zero += e.objectIds.empty();
            multi += e.evalType == "mt";
            if (e.evalType == "mt") QVERIFY(e.objectIds.size() >= 2);
        }
    }
    QVERIFY(zero > 0 && multi > 0);
}

void TestDatasets::scanQaAndScan2CapCorpus() {
    auto qa = readScanQa(worldPath("ScanQA/ScanQA_v1.0_train.json"));
    QVERIFY(!qa.empty());
    for (const auto& q : qa) {
        QVERIFY(!q.answers.empty() && !q.question.empty());
        QCOMPARE(q.objectIds.size(), q.objectNames.size());
        for (size_t k = 0; k < q.objectIds.size(); ++k) {
            std::string name = q.objectNames[k];
            std::replace(name.begin(), name.end(), '_', ' ');  // ScanQA writes ScanRefer's object_name form
            QCOMPARE(name, object(q.sceneId, q.objectIds[k]).category);
        }
    }
    // The corpus has one key per described object, one caption per description.
    auto refer = readScanRefer(worldPath("ScanRefer/ScanRefer_filtered_val.json"));
    auto corpus = readScan2CapCorpus(worldPath("Scan2Cap/scan2cap_val_corpus.json"));
    std::map<std::string, size_t> want;
    for (const auto& e : refer) want[e.sceneId + "|" + std::to_string(e.objectId)]++;
    QCOMPARE(corpus.size(), want.size());
    for (const auto& c : corpus) {
        QCOMPARE(c.captions.size(), want.at(c.key));
        QCOMPARE(c.key, c.sceneId + "|" + std::to_string(c.objectId));
        for (const auto& cap : c.captions) QVERIFY(cap.rfind("sos ", 0) == 0 && endsWith(cap, " eos"));
    }
}

void TestDatasets::sqa3dJoin() {
    auto e = readSqa3d(worldPath("SQA3D/v1_balanced_questions_train_scannetv2.json"),
                       worldPath("SQA3D/v1_balanced_sqa_annotations_train_scannetv2.json"));
    QVERIFY(!e.empty());
    for (const auto& s : e) {
        QCOMPARE(split_.at(s.sceneId), std::string("train"));
        QVERIFY(!s.situation.empty() && !s.question.empty() && !s.answers.empty());
        const SynthRoom& room = scenes_.at(s.sceneId).room;
        QVERIFY(s.position[0] >= 0 && s.position[0] <= room.width && s.position[1] >= 0 && s.position[1] <= room.depth);
    }
}

void TestDatasets::nr3dLabels() {
    auto rows = readReferIt3D(worldPath("ReferIt3D/nr3d.csv"));
    QVERIFY(!rows.empty());
    int dep = 0, easy = 0;
    for (const auto& r : rows) {
        const SynthObject& t = object(r.sceneId, r.targetId);
        QCOMPARE(r.instanceType, t.category);
        int sameClass = 0;
        for (const auto& o : scenes_.at(r.sceneId).objects) sameClass += o.category == t.category;
        QCOMPARE(referIt3DObjectCount(r.stimulusId), sameClass);
        QCOMPARE(isReferIt3DEasy(r), sameClass <= 2);
        // The synthetic utterances are view-dependent exactly when they use the "facing the V" form.
        QCOMPARE(isViewDependent(r.tokens), contains(r.utterance, "facing"));
        dep += isViewDependent(r.tokens);
        easy += isReferIt3DEasy(r);
        QCOMPARE(referIt3DTypeInfo(r), std::string(isReferIt3DEasy(r) ? "easy" : "hard") + (isViewDependent(r.tokens) ? "_dep" : "_indep"));
    }
    QVERIFY(dep > 0);
    QVERIFY(easy > 0);
}

void TestDatasets::csvAndPythonLists() {
    CsvTable t = parseCsv("\xEF\xBB\xBF" "a,b,c\r\n1,\"x, \"\"y\"\"\",\"two\nlines\"\r\n\r\n2,,z\n", "mem.csv");
    QCOMPARE(t.header, (std::vector<std::string>{"a", "b", "c"}));
    QCOMPARE(t.rows.size(), size_t(2));
    QCOMPARE(t.rows[0][1], std::string("x, \"y\""));
    QCOMPARE(t.rows[0][2], std::string("two\nlines"));
    QCOMPARE(t.lines[1], 5);
    // Sr3D's list columns (the brief's example row).
    const std::string sr3d =
        "scan_id,target_id,distractor_ids,utterance,stimulus_id,coarse_reference_type,reference_type,instance_type,"
        "anchors_types,anchor_ids,tokens,dataset,mentions_target_class,correct_guess\n"
        "scene0525_00,12,\"[3]\",the chair closest to the door,scene0525_00-chair-2-12-3,horizontal,closest,chair,"
        "\"['door']\",\"[7]\",\"['the', 'chair', 'closest', 'to', 'the', 'door']\",sr3d,True,True\n";
    QTemporaryDir dir;
    std::string path = joinPath(dir.path().toStdString(), "sr3d.csv");
    test::writeBytes(path, sr3d);
    auto rows = readReferIt3D(path);
    QCOMPARE(rows.size(), size_t(1));
    QCOMPARE(rows[0].distractorIds, std::vector<int>{3});
    QCOMPARE(rows[0].anchorIds, std::vector<int>{7});
    QCOMPARE(rows[0].anchorTypes, std::vector<std::string>{"door"});
    QCOMPARE(rows[0].referenceType, std::string("closest"));
    QCOMPARE(rows[0].tokens.size(), size_t(6));
    QVERIFY(isReferIt3DEasy(rows[0]) && !isViewDependent(rows[0].tokens));
    QCOMPARE(parsePythonList("[\"don't\", 'left']", "p", "w"), (std::vector<std::string>{"don't", "left"}));
    QCOMPARE(parsePythonList("[]", "p", "w").size(), size_t(0));
}

void TestDatasets::malformedFilesNameFileAndEntry() {
    QTemporaryDir dir;
    auto file = [&](const std::string& name, const std::string& bytes) {
        std::string p = joinPath(dir.path().toStdString(), name);
        test::writeBytes(p, bytes);
        return p;
    };
    std::string p = file("ScanRefer_bad.json", R"([{"scene_id":"s","object_id":"1","object_name":"chair","ann_id":"0","description":"d"},
                                                     {"scene_id":"s","object_id":"x1","object_name":"chair","ann_id":"0","description":"d"}])");
    std::string e = errorOf([&] { readScanRefer(p); });
    QVERIFY2(contains(e, p) && contains(e, "[1].object_id"), e.c_str());
    // A 64-bit object id, as a number or as digits: refused, not narrowed to object 1.
    for (const char* id : {"4294967297", "\"4294967297\""}) {
        p = file("ScanRefer_wide.json", std::string(R"([{"scene_id":"s","object_id":)") + id +
                                            R"(,"object_name":"chair","ann_id":"0","description":"d"}])");
        e = errorOf([&] { readScanRefer(p); });
        QVERIFY2(contains(e, p) && contains(e, "[0].object_id") && contains(e, "within 32 bits"), e.c_str());
    }
    p = file("trunc.json", "[{\"scene_id\":");
    e = errorOf([&] { readMulti3DRefer(p); });
    QVERIFY2(contains(e, p) && contains(e, "malformed JSON"), e.c_str());
    p = file("m3d.json", R"([{"scene_id":"s","object_name":"c","ann_id":0,"description":"d","object_ids":[],"eval_type":"mt"}])");
    e = errorOf([&] { readMulti3DRefer(p); });
    QVERIFY2(contains(e, p) && contains(e, "[0]"), e.c_str());
    p = file("corpus.json", R"({"scene0000_00|3":["sos a eos"],"scene0000_00":["sos b eos"]})");
    e = errorOf([&] { readScan2CapCorpus(p); });
    QVERIFY2(contains(e, p) && contains(e, "\"scene0000_00\""), e.c_str());
    std::string q = file("q.json", R"({"questions":[{"scene_id":"s","situation":"x","question":"What?","question_id":1}]})");
    p = file("a.json", R"({"annotations":[{"scene_id":"s","question_id":2,"answers":[],"position":{"x":0,"y":0,"z":0},"rotation":{"_x":0,"_y":0,"_z":0,"_w":1}}]})");
    e = errorOf([&] { readSqa3d(q, p); });
    QVERIFY2(contains(e, p) && contains(e, "annotations[0]") && contains(e, "question_id 2"), e.c_str());
    p = file("nr3d.csv", "scan_id,target_id,utterance,stimulus_id,tokens\ns,1,\"unclosed,s-chair-2-1,\"['a']\"\n");
    e = errorOf([&] { readReferIt3D(p); });
    QVERIFY2(contains(e, p) && contains(e, "line 2"), e.c_str());
    p = file("nr3d2.csv", "scan_id,target_id,utterance,stimulus_id,tokens\ns,1,u,s-chair-2-1\ns,x,u,s-chair-2-1,['a']\n");
    e = errorOf([&] { readReferIt3D(p); });
    QVERIFY2(contains(e, p) && contains(e, "line 2") && contains(e, "4 fields"), e.c_str());
    p = file("nr3d3.csv", "scan_id,target_id,utterance,stimulus_id,tokens\ns,1,u,s-chair-2-1,['a']\ns,x,u,s-chair-2-1,['a']\n");
    e = errorOf([&] { readReferIt3D(p); });
    QVERIFY2(contains(e, p) && contains(e, "line 3") && contains(e, "target_id"), e.c_str());
    p = file("nr3d4.csv", "scan_id,target_id,utterance,stimulus_id,tokens\ns,1,u,s-chair-two-1,['a']\n");
    e = errorOf([&] { readReferIt3D(p); });
    QVERIFY2(contains(e, p) && contains(e, "stimulus_id"), e.c_str());
    // A template line without its placeholder.
    QTemporaryDir prompts;
    for (const char* f : {"grounding.txt", "multi3drefer.txt", "scan2cap.txt", "nr3d_caption.txt", "object_caption.txt", "qa_suffix.txt"})
        QVERIFY(QFile::copy(QString::fromStdString(joinPath(joinPath(resourceDir(), "prompts"), f)), prompts.path() + "/" + f));
    p = joinPath(prompts.path().toStdString(), "scan2cap.txt");
    QFile::remove(QString::fromStdString(p));
    test::writeBytes(p, "# comment\nDescribe the object.\n");
    e = errorOf([&] { PromptTemplates::load(prompts.path().toStdString()); });
    QVERIFY2(contains(e, p) && contains(e, "line 2") && contains(e, "<id>"), e.c_str());
    p = file("anno.json", R"([{"scene_id":"s","obj_id":0,"prompt":"p"}])");
    e = errorOf([&] { readInstructionSamples(p); });
    QVERIFY2(contains(e, p) && contains(e, "[0]"), e.c_str());
}

namespace {

// Proposals that are the GT boxes in reverse order, each moved by 1 cm, plus one box far away:
// the best proposal of GT g is n-1-g with IoU well above 0.75.
std::vector<EvalBox> reversedProposals(const std::vector<EvalBox>& gt) {
    std::vector<EvalBox> p(gt.rbegin(), gt.rend());
    for (auto& b : p) b.center[0] += 0.01;
    p.push_back({{100, 100, 100}, {1, 1, 1}});
    return p;
}

}  // namespace

void TestDatasets::proposalMatchingAndLabels() {
    const auto& [sceneId, gt] = *gtBoxes_.begin();
    QCOMPARE(gt.size(), scenes_.at(sceneId).objects.size());
    std::vector<EvalBox> props = reversedProposals(gt);
    int n = static_cast<int>(gt.size());
    for (int g = 0; g < n; ++g) {
        if (gt[g].size[0] < 0.05) continue;  // thin boxes lose too much to the 1 cm shift
        ProposalMatch m = bestProposal(props, gt[g]);
        QCOMPARE(m.id, n - 1 - g);
        QVERIFY(m.iou > 0.75 && m.iou < 1);
        QCOMPARE(groundingTrainLabel(props, gt[g], 0.75).value_or(-2), n - 1 - g);
        QVERIFY(!groundingTrainLabel(props, gt[g], 0.99999).has_value());
    }
    // Ties keep the lower index; no proposal gives -1.
    EvalBox a{{0, 0, 0}, {1, 1, 1}};
    QCOMPARE(bestProposal({a, a}, a).id, 0);
    QCOMPARE(bestProposal({}, a).id, -1);
    // Multi3DRefer: a proposal shared by two GTs drops the train sample, val keeps both.
    QVERIFY(!multi3dReferLabels({a}, {a, a}, true, 0.5).has_value());
    QCOMPARE(*multi3dReferLabels({a}, {a, a}, false, 0.5), (std::vector<int>{0, 0}));
    EvalBox b{{5, 0, 0}, {1, 1, 1}};
    QCOMPARE(*multi3dReferLabels({b, a}, {a, b}, true, 0.5), (std::vector<int>{0, 1}));
    QVERIFY(!multi3dReferLabels({b}, {a}, true, 0.5).has_value());
    // Scan2Cap: a proposal overlapping nothing still goes to the first captioned GT (IoU 0).
    Scan2CapAssignment s = assignScan2CapProposals({{{50, 0, 0}, {1, 1, 1}}}, {a, b, a}, {false, true, true});
    QCOMPARE(s.predId, (std::vector<int>{-1, 0, -1}));
    QCOMPARE(s.iou[1], 0.0);
    // ... and each GT keeps its highest-IoU proposal.
    EvalBox a2{{0.1, 0, 0}, {1, 1, 1}};
    s = assignScan2CapProposals({a2, a, b}, {a, b}, {true, true});
    QCOMPARE(s.predId, (std::vector<int>{1, 2}));
}

void TestDatasets::instructionSamplesAndJson() {
    QCOMPARE(groundingAnswer(13), std::string("<OBJ013>."));
    QCOMPARE(multi3dReferAnswer({}), std::string("No."));
    QCOMPARE(multi3dReferAnswer({4}), std::string("Yes. <OBJ004>."));
    QCOMPARE(multi3dReferAnswer({10, 4}), std::string("Yes. <OBJ004> and <OBJ010>."));
    QCOMPARE(multi3dReferAnswer({10, 1, 4}), std::string("Yes. <OBJ001>, <OBJ004>, and <OBJ010>."));
    QCOMPARE(multi3dReferAnswer({10, 4}, "office_chair"), std::string("Yes. office chair<OBJ004> and office chair<OBJ010>."));
    QCOMPARE(multi3dReferAnswer({}, "chair"), std::string("No."));
    QCOMPARE(qaAnswer("brown cabinet"), std::string("Brown cabinet."));
    QCOMPARE(qaAnswer("TV."), std::string("Tv."));  // Python's str.capitalize lowercases the rest
    QCOMPARE(capitalizeSentences("this is a chair. it is BIG!  so big"), std::string("This is a chair. It is big! So big"));
    QCOMPARE(stripFinalPunctuation("the chair."), std::string("the chair"));

    PromptTemplates t = PromptTemplates::loadDefault();
    // One template per non-comment line of the editable files.
    auto templateLines = [](const std::string& file) {
        std::istringstream in(readTextFile(resourceDir() + "/prompts/" + file));
        size_t n = 0;
        for (std::string line; std::getline(in, line);) n += !trim(line).empty() && trim(line)[0] != '#';
        return n;
    };
    QCOMPARE(t.grounding.size(), templateLines("grounding.txt"));
    QCOMPARE(t.multi3drefer.size(), templateLines("multi3drefer.txt"));
    QVERIFY(t.grounding.size() >= 5);
    SceneBoxes props;
    for (const auto& [id, gt] : gtBoxes_) props[id] = reversedProposals(gt);
    SampleOptions val;
    val.train = false;
    auto refer = readScanRefer(worldPath("ScanRefer/ScanRefer_filtered_val.json"));
    auto samples = scanReferSamples(refer, props, gtBoxes_, t, val);
    QCOMPARE(samples.size(), refer.size());
    for (const auto& s : samples) {
        int n = static_cast<int>(gtBoxes_.at(s.sceneId).size());
        QCOMPARE(s.refCaptions, std::vector<std::string>{groundingAnswer(n - 1 - s.objId)});
        QVERIFY(contains(s.prompt, "\"this is a"));
    }
    // namedGrounding: the same samples with the target's name (underscores as spaces) before the identifier.
    QCOMPARE(namedGroundingAnswer(13, "coffee_table"), std::string("coffee table<OBJ013>."));
    QCOMPARE(namedGroundingAnswer(13, ""), groundingAnswer(13));
    SampleOptions named;
    named.namedGrounding = true;
    auto trainRefer = readScanRefer(worldPath("ScanRefer/ScanRefer_filtered_train.json"));
    auto plainTrain = scanReferSamples(trainRefer, props, gtBoxes_, t, SampleOptions{});
    auto namedTrain = scanReferSamples(trainRefer, props, gtBoxes_, t, named);
    QCOMPARE(namedTrain.size(), plainTrain.size());
    QVERIFY(!namedTrain.empty());
    for (size_t i = 0; i < namedTrain.size(); ++i) {
        QCOMPARE(namedTrain[i].prompt, plainTrain[i].prompt);
        const std::string& named = *namedTrain[i].caption;  // "desk<OBJ016>.": a name glued to the plain answer
        QVERIFY2(endsWith(named, *plainTrain[i].caption) && named.size() > plainTrain[i].caption->size() &&
                     named[named.size() - plainTrain[i].caption->size() - 1] != ' ',
                 namedTrain[i].caption->c_str());
    }
    // Multi3DRefer train answers name the proposals of the GT objects.
    auto m3d = readMulti3DRefer(worldPath("Multi3DRefer/multi3drefer_train.json"));
    auto m3dSamples = multi3dReferSamples(m3d, props, gtBoxes_, t, SampleOptions{});
    QVERIFY(!m3dSamples.empty());
    for (const auto& s : m3dSamples) {
        QVERIFY(s.caption.has_value());
        if (isZeroTargetType(s.evalType)) QCOMPARE(*s.caption, std::string("No."));
        else QVERIFY(s.caption->rfind("Yes. <OBJ", 0) == 0);
    }
    // Scan2Cap val: every captioned GT gets its own proposal.
    auto corpus = readScan2CapCorpus(worldPath("Scan2Cap/scan2cap_val_corpus.json"));
    auto capSamples = scan2CapSamples(corpus, props, gtBoxes_, t, val);
    QCOMPARE(capSamples.size(), corpus.size());
    for (const auto& s : capSamples) {
        QCOMPARE(*s.predId, static_cast<int>(gtBoxes_.at(s.sceneId).size()) - 1 - s.objId);
        QVERIFY(contains(s.prompt, objectToken(*s.predId)));
    }
    auto qa = scanQaSamples(readScanQa(worldPath("ScanQA/ScanQA_v1.0_train.json")), t, SampleOptions{});
    QVERIFY(!qa.empty());
    for (const auto& s : qa) {
        unsigned char first = static_cast<unsigned char>((*s.caption)[0]);
        QVERIFY2(endsWith(*s.caption, ".") && !std::islower(first), s.caption->c_str());
    }
    auto sqa = sqa3dSamples(readSqa3d(worldPath("SQA3D/v1_balanced_questions_val_scannetv2.json"),
                                      worldPath("SQA3D/v1_balanced_sqa_annotations_val_scannetv2.json")), t, val);
    for (const auto& s : sqa) QVERIFY(s.sqaType >= 0 && endsWith(s.prompt, t.qaSuffix));
    std::vector<std::string> valScenes;
    for (const auto& [id, split] : split_) if (split == "val") valScenes.push_back(id);
    auto nr3d = referIt3DSamples(readReferIt3D(worldPath("ReferIt3D/nr3d.csv")), valScenes, t, val);
    QVERIFY(!nr3d.empty());
    for (const auto& s : nr3d) QVERIFY(!s.typeInfo.empty() && s.refCaptions[0] == groundingAnswer(s.objId));
    SampleOptions namedVal = val;
    namedVal.namedGrounding = true;  // Nr3D's named answers: the utterance's instance type glued to the identifier
    auto nr3dNamed = referIt3DSamples(readReferIt3D(worldPath("ReferIt3D/nr3d.csv")), valScenes, t, namedVal);
    QCOMPARE(nr3dNamed.size(), nr3d.size());
    for (size_t i = 0; i < nr3d.size(); ++i) {
        const std::string& named = nr3dNamed[i].refCaptions[0];
        QVERIFY2(endsWith(named, nr3d[i].refCaptions[0]) && named.size() > nr3d[i].refCaptions[0].size(), named.c_str());
    }

    // The annotation JSON round trip keeps every field.
    QTemporaryDir dir;
    std::vector<InstructionSample> all = samples;
    all.insert(all.end(), m3dSamples.begin(), m3dSamples.end());
    all.insert(all.end(), capSamples.begin(), capSamples.end());
    all.insert(all.end(), sqa.begin(), sqa.end());
    all.insert(all.end(), nr3d.begin(), nr3d.end());
    std::string path = joinPath(dir.path().toStdString(), "annos.json");
    writeInstructionSamples(path, all);
    auto back = readInstructionSamples(path);
    QCOMPARE(back.size(), all.size());
    for (size_t i = 0; i < all.size(); ++i) {
        QCOMPARE(back[i].prompt, all[i].prompt);
        QCOMPARE(back[i].caption, all[i].caption);
        QCOMPARE(back[i].refCaptions, all[i].refCaptions);
        QCOMPARE(back[i].refIds, all[i].refIds);
        QCOMPARE(back[i].predId, all[i].predId);
        QCOMPARE(back[i].sqaType, all[i].sqaType);
        QCOMPARE(back[i].typeInfo, all[i].typeInfo);
        QCOMPARE(back[i].evalType, all[i].evalType);
    }
}

void TestDatasets::remapAndParseRoundTrip() {
    InstructionSample s;
    s.sceneId = "scene0000_00";
    s.prompt = "Describe the <OBJ010>.";
    s.caption = multi3dReferAnswer({10, 4});
    std::vector<int> assigned = {7, 10, 3, 0, 11, 4, 1, 9, 2, 5, 6, 8};  // slot k shows object assigned[k]
    InstructionSample r = remapToSlots(s, assigned);
    QCOMPARE(r.prompt, std::string("Describe the <OBJ001>."));
    QCOMPARE(*r.caption, std::string("Yes. <OBJ005> and <OBJ001>."));
    ParsedAnswer parsed = parseAnswer(*r.caption, assigned);
    QCOMPARE(parsed.instanceIds, (std::vector<int>{4, 10}));
    QCOMPARE(parsed.mentions[0].pos, size_t(5));
    QCOMPARE(recoverCaption(*r.caption, assigned), *s.caption);
    QCOMPARE(parseAnswer("<OBJ099>", assigned).instanceIds, std::vector<int>{-1});
    QVERIFY(contains(errorOf([&] { updateCaption("<OBJ050>", assigned, "sample 3"); }), "sample 3"));
    // The evaluators' parsing rules.
    QCOMPARE(groundingPrediction("<OBJ120> or rather <OBJ005>.", 100), 5);
    QCOMPARE(groundingPrediction("I cannot tell.", 100), 0);
    QCOMPARE(parseObjectIds("<OBJ12> <OBJ1234> <obj001> <OBJ007>"), std::vector<int>{7});
    QCOMPARE(multiGroundingPrediction("Yes. <OBJ004>, <OBJ004>, and <OBJ200>.", 100), (std::vector<int>{4, 4}));
    QCOMPARE(objectToken(-1), std::string("<OBJ-01>"));
}

QTEST_GUILESS_MAIN(TestDatasets)
#include "test_datasets.moc"
