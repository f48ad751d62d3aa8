// `inst3d train` and `inst3d eval` end to end on a synthetic ScanNet world with the tiny random encoders:
// the loss falls, the checkpoint reloads to the same logits, eval writes every benchmark's prediction file
// and scores, --blind runs without the scene, a run killed with SIGKILL and resumed gives the same
// parameters and loss trajectory as an uninterrupted one, and bad configurations are refused by name.
#include <signal.h>
#include <torch/torch.h>

#include <QProcess>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <QThread>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/data/datasets.h"
#include "core/features/feature_cache.h"
#include "core/io/label_map.h"
#include "core/io/safetensors.h"
#include "support/test_support.h"
#include "training/encoder_pretrain.h"
#include "training/inst3d_data.h"
#include "training/inst3d_trainer.h"
#include "training/scene_chat.h"

using namespace inst3d;

namespace {

std::vector<nlohmann::json> logLines(const std::string& path) {
    std::vector<nlohmann::json> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    return out;
}

std::vector<double> trainLosses(const std::string& log) {
    std::vector<double> out;
    for (const auto& j : logLines(log))
        if (j.contains("loss")) out.push_back(j["loss"].get<double>());
    return out;
}

// A TCP port on 127.0.0.1 that is free now (bound to port 0, read back, closed) for the rendezvous.
int freeLoopbackPort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) ::close(fd);
    return port;
}

}  // namespace

class TrainEvalCliTest : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    std::string world_, features_;

    std::string path(const std::string& name) { return tmp_.filePath(QString::fromStdString(name)).toStdString(); }

    std::vector<std::string> trainArgs(const std::string& out, const std::vector<std::string>& extra = {}) {
        std::vector<std::string> a = {"train", "--config", std::string(INST3D_TEST_DATA_DIR) + "/../../resources/config/train/synth-tiny.yaml",
                                      "data.root=" + world_, "data.features=" + features_, "output=" + out,
                                      "data.train_tag=scanrefer#scanqa", "optim.batch_size=4", "optim.epochs=0.5",
                                      "optim.warmup_epochs=0", "save_every=3", "val_every=3", "val_samples=8"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }

private Q_SLOTS:
    void initTestCase() {
        world_ = path("world");
        features_ = path("features");
        std::string err;
        QCOMPARE(test::runInst3d({"synth", "--out", world_, "--scenes", "4", "--seed", "11", "--frames", "8"}, nullptr, &err), 0);
        QVERIFY2(test::runInst3d({"extract", "--scenes", world_ + "/scans", "--out", features_, "--uni3d", "random:tiny",
                                  "--clip", "random:tiny", "--proposals", "gt"}, nullptr, &err) == 0, err.c_str());
    }

    void trainsAndEvaluates() {
        const std::string run = path("run");
        std::string out, err;
        QVERIFY2(test::runInst3d(trainArgs(run, {"optim.epochs=2"}), &out, &err) == 0, err.c_str());
        QVERIFY2(out.find("train samples") != std::string::npos && out.find("BLAS: ") != std::string::npos, out.c_str());
        const std::vector<double> losses = trainLosses(run + "/loss.jsonl");
        QVERIFY(losses.size() >= 6);
        const double first = (losses[0] + losses[1]) / 2, last = (losses[losses.size() - 1] + losses[losses.size() - 2]) / 2;
        qInfo("loss %.3f -> %.3f over %zu steps", first, last, losses.size());
        QVERIFY2(last < 0.8 * first, qPrintable(QString("%1 -> %2").arg(first).arg(last)));
        bool sawVal = false, sawTasks = false;
        for (const auto& j : logLines(run + "/loss.jsonl")) {
            sawVal |= j.contains("val_loss");
            sawTasks |= j.contains("tasks") && j["tasks"].contains("scanrefer");
        }
        QVERIFY(sawVal && sawTasks);
        for (const char* f : {"checkpoint/checkpoint.json", "checkpoint/inst3d.safetensors", "checkpoint/adapter/adapter_config.json",
                              "checkpoint/tokenizer.model", "checkpoint/llm/model.safetensors", "loss.png"})
            QVERIFY2(fileExists(run + "/" + f), f);

        for (bool blind : {false, true}) {
            std::vector<std::string> a = {"eval", "--checkpoint", run + "/checkpoint", "--data", world_, "--features", features_,
                                          "--tags", "scanrefer#scanqa", "--limit", "6", "--out", run + (blind ? "/blind" : "/eval")};
            if (blind) a.push_back("--blind");
            QVERIFY2(test::runInst3d(a, &out, &err) == 0, err.c_str());
            QVERIFY2(out.find("ScanRefer (6 predictions") != std::string::npos && out.find("ScanQA (6 predictions") != std::string::npos,
                     out.c_str());
            QCOMPARE(out.find("[blind: no scene input]") != std::string::npos, blind);
            const std::string dir = run + (blind ? "/blind" : "/eval");
            for (const char* f : {"/summary.json", "/scanrefer_pred.json", "/scanqa_pred.json", "/report.jsonl"}) QVERIFY2(fileExists(dir + f), f);
            const auto report = logLines(dir + "/report.jsonl");
            QCOMPARE(report.size(), size_t(12));
            QVERIFY(report[0].contains("iou") && report[0].contains("pred_box") && report[0].contains("parsed_ids"));
            const auto summary = nlohmann::json::parse(readTextFile(dir + "/summary.json"));
            QVERIFY(summary["scores"].contains("scanrefer") && summary["scores"].contains("scanqa"));
            QCOMPARE(summary["blind"].get<bool>(), blind);
        }
    }

    // `inst3d chat` on the trained checkpoint: the scene's valid objects listed by identifier (the label
    // filter hides walls and floors), answers for a question and for stdin lines, a missing cache named.
    void chatsWithTheCheckpoint() {
        const std::string run = path("run");
        QVERIFY2(fileExists(run + "/checkpoint/checkpoint.json"), "trainsAndEvaluates runs first");
        const std::vector<std::string> base = {"chat", "--checkpoint", run + "/checkpoint", "--features", features_, "--scene", "scene0000_00",
                                               "--max-tokens", "12"};
        std::string out, err;
        std::vector<std::string> one = base;
        one.insert(one.end(), {"--question", "What color is the chair?"});
        QVERIFY2(test::runInst3d(one, &out, &err) == 0, err.c_str());
        QVERIFY2(out.find_first_not_of(" \n") != std::string::npos, out.c_str());
        QVERIFY2(test::runInst3dWithInput(base, ":objects\nWhere is the chair?\n:scene scene0999_00\n:quit\n", &out, &err) == 0, err.c_str());
        const size_t listing = out.find("scene0000_00: ");
        QVERIFY2(listing != std::string::npos && out.find("objects shown to the model: <OBJ") != std::string::npos, out.c_str());
        const std::string line = out.substr(listing, out.find('\n', listing) - listing);
        QVERIFY2(line.find(" wall") == std::string::npos && line.find(" floor") == std::string::npos, line.c_str());
        QVERIFY2(err.find("scene0999_00.features.safetensors") != std::string::npos, err.c_str());
        QCOMPARE(test::runInst3d({"chat", "--checkpoint", run + "/checkpoint", "--scene", "scene0000_00"}, &out, &err), 2);
        QVERIFY2(err.find("--features") != std::string::npos, err.c_str());
    }

    // `inst3d chat SCENE` over a model bundle: with no cache anywhere one is made beside the scene with the
    // bundle's encoders (equal to `inst3d extract`'s) and found the next time; `--ask --json` gives the answer,
    // its objects with the cache's boxes and the timings. A bare checkpoint without a cache names the scene;
    // a bad encoders.json is named.
    void chatFindsOrMakesTheCache() {
        namespace fs = std::filesystem;
        const std::string run = path("run");
        QVERIFY2(fileExists(run + "/checkpoint/checkpoint.json"), "trainsAndEvaluates runs first");
        const std::string bundle = path("bundle"), scene = path("copy/scans/scene0001_00");
        fs::create_directories(bundle);
        fs::copy(run + "/checkpoint", bundle + "/checkpoint", fs::copy_options::recursive);
        writeFileAtomic(bundle + "/encoders.json", R"({"uni3d": "random:tiny", "clip": "random:tiny"})");
        fs::create_directories(path("copy/scans"));
        fs::copy(world_ + "/scans/scene0001_00", scene, fs::copy_options::recursive);
        std::string out, err;
        const std::vector<std::string> ask = {"--ask", "Where is the chair?", "--max-tokens", "12"};
        std::vector<std::string> bare = {"chat", scene, "--model", run + "/checkpoint"};
        bare.insert(bare.end(), ask.begin(), ask.end());
        QCOMPARE(test::runInst3d(bare, &out, &err), 1);
        QVERIFY2(err.find(scene) != std::string::npos && err.find("inst3d extract") != std::string::npos, err.c_str());

        std::vector<std::string> withBundle = {"chat", scene, "--model", bundle, "--json"};
        withBundle.insert(withBundle.end(), ask.begin(), ask.end());
        QVERIFY2(test::runInst3d(withBundle, &out, &err) == 0, err.c_str());
        const std::string made = featureCachePath(scene, "scene0001_00");
        QVERIFY(fileExists(made));
        const SceneFeatures mine = readSceneFeatures(made), extracted = readSceneFeatures(featureCachePath(features_, "scene0001_00"));
        QVERIFY(mine.feat3d == extracted.feat3d && mine.feat2d == extracted.feat2d && !mine.feat3d.empty());
        const nlohmann::json j = nlohmann::json::parse(out);
        QCOMPARE(j["features"].get<std::string>(), made);
        QCOMPARE(j["scene"].get<std::string>(), std::string("scene0001_00"));
        QVERIFY(j["answer"].is_string() && j["object_ids"].size() == j["objects"].size());
        for (const auto& o : j["objects"]) {
            const AABB& box = mine.boxes.at(o["id"].get<size_t>());
            QVERIFY2(std::abs(o["box"]["center"][0].get<double>() - box.center().x) < 1e-9, o.dump().c_str());
            QCOMPARE(o["label"].get<std::string>(), mine.proposals.at(o["id"].get<size_t>()).label);
        }
        const auto& t = j["timings"];
        QVERIFY2(t.contains("tokens") && t.contains("load_model_s") && t["first_token_s"].get<double>() > 0 &&
                     t["total_s"].get<double>() >= t["first_token_s"].get<double>(), t.dump().c_str());
        const auto madeAt = fs::last_write_time(made);
        QVERIFY2(test::runInst3d(withBundle, &out, &err) == 0, err.c_str());  // found, not made again
        QVERIFY(fs::last_write_time(made) == madeAt);

        // The terminal chat keeps the conversation until /reset; objects are listed with their boxes.
        QVERIFY2(test::runInst3dWithInput({"chat", scene, "--model", bundle, "--max-tokens", "8"},
                                          "Where is the chair?\nWhat is next to it?\n/reset\n/quit\n", &out, &err) == 0, err.c_str());
        QVERIFY2(out.find("(conversation cleared)") != std::string::npos && out.find("objects shown to the model") != std::string::npos, out.c_str());

        writeFileAtomic(bundle + "/encoders.json", R"({"uni3d": "missing.safetensors", "clip": "random:tiny"})");
        QCOMPARE(test::runInst3d(withBundle, &out, &err), 1);
        QVERIFY2(err.find("encoders.json") != std::string::npos && err.find("missing.safetensors") != std::string::npos, err.c_str());
    }

    // SceneChat's history: each answered turn is kept (at most 7) and asked before the next; reset() and a
    // new scene forget them; off by default.
    void chatHistoryIsKeptAndReset() {
        const std::string run = path("run");
        QVERIFY2(fileExists(run + "/checkpoint/checkpoint.json"), "trainsAndEvaluates runs first");
        std::unique_ptr<SceneChat> chat = SceneChat::openInst3d(run + "/checkpoint");
        chat->setScene(featureCachePath(features_, "scene0000_00"));
        GenerationConfig gen;
        gen.maxNewTokens = 4;
        chat->ask("Where is the chair?", gen);
        QCOMPARE(chat->historyTurns(), size_t(0));
        chat->setKeepHistory(true);
        for (int i = 0; i < 9; ++i) chat->ask("Where is the chair?", gen);
        QCOMPARE(chat->historyTurns(), size_t(7));
        chat->reset();
        QCOMPARE(chat->historyTurns(), size_t(0));
        chat->ask("Where is the chair?", gen);
        chat->setScene(featureCachePath(features_, "scene0001_00"));
        QCOMPARE(chat->historyTurns(), size_t(0));
    }

    // optim.id_assignment=random (Chat-Scene's randperm reading): a new identifier per object and sample,
    // the answers' <OBJ###> rewritten to match; deterministic per seed, and a bad value named.
    void identifiersCanBeRandom() {
        const std::vector<int64_t> a = identifierAssignment(40, 7), b = identifierAssignment(40, 7), c = identifierAssignment(40, 8);
        QVERIFY(a == b && a != c);
        std::vector<int64_t> sorted = a;
        std::sort(sorted.begin(), sorted.end());
        for (int64_t k = 0; k < 40; ++k) QCOMPARE(sorted[size_t(k)], k);  // a permutation
        const int64_t base = 500;
        const std::vector<int64_t> text = {5, base + 3, 9, base + 39, base + 40};  // base + 40: not an identifier
        const std::vector<int64_t> mapped = reassignIdentifiers(text, base, a);
        QCOMPARE(mapped, (std::vector<int64_t>{5, base + a[3], 9, base + a[39], base + 40}));

        const std::string run = path("random-ids");
        std::string out, err;
        QVERIFY2(test::runInst3d(trainArgs(run, {"optim.id_assignment=random"}), &out, &err) == 0, err.c_str());
        QVERIFY(!trainLosses(run + "/loss.jsonl").empty());
        QCOMPARE(test::runInst3d(trainArgs(path("bad-ids"), {"optim.id_assignment=shuffled"}), &out, &err), 2);
        QVERIFY2(err.find("optim.id_assignment is fixed or random") != std::string::npos, err.c_str());
    }

    // optim.turns_per_conversation: samples of one scene and task packed into multi-turn sequences, so an
    // epoch has fewer (longer) sequences and fewer steps, and the loss still falls; 0 is named.
    void packedConversationsTrain() {
        const std::vector<double> single = trainLosses(path("run") + "/loss.jsonl");
        QVERIFY2(!single.empty(), "trainsAndEvaluates runs first");
        const std::string run = path("packed");
        std::string out, err;
        QVERIFY2(test::runInst3d(trainArgs(run, {"optim.epochs=2", "optim.turns_per_conversation=4"}), &out, &err) == 0, err.c_str());
        const std::vector<double> packed = trainLosses(run + "/loss.jsonl");
        qInfo("%zu steps unpacked, %zu packed", single.size(), packed.size());
        QVERIFY(!packed.empty() && packed.size() < single.size() / 2);
        QVERIFY(packed.back() < packed.front());
        QCOMPARE(test::runInst3d(trainArgs(path("bad-turns"), {"optim.turns_per_conversation=0"}), &out, &err), 2);
        // The grouping itself: every sample once, up to 4 turns of one scene and task, no identifier twice.
        DataOptions o;
        o.root = world_;
        o.featuresDir = features_;
        o.tasks = {"scanrefer", "scanqa"};
        const Inst3dData data = loadInst3dData(o);
        const auto conversations = packConversations(data, 4);
        QCOMPARE(conversations.size(), packedSequenceCount(data, 4));
        size_t seen = 0;
        for (const auto& conv : conversations) {
            QVERIFY(!conv.empty() && conv.size() <= 4);
            std::set<int> named;
            for (const TaskSample* t : conv) {
                QCOMPARE(t->sample.sceneId, conv.front()->sample.sceneId);
                QCOMPARE(t->task, conv.front()->task);
                for (int id : objectIdsNamed(t->sample)) QVERIFY2(named.insert(id).second, "an identifier named twice");
            }
            seen += conv.size();
        }
        QCOMPARE(seen, data.samples.size());
        QVERIFY(conversations.size() < data.samples.size() / 2);
        QCOMPARE(packConversations(data, 1).size(), data.samples.size());
        QVERIFY2(err.find("optim.turns_per_conversation must be >= 1") != std::string::npos, err.c_str());
    }

    // data.scanrefer_subset: unique and multiple split ScanRefer's samples by ScanRefer's own rule (as
    // scanReferUniqueMultiple counts them over the file), together they are all of them, and another
    // value is refused by name.
    void scanReferSubsetsSplitTheSamples() {
        auto load = [&](const std::string& subset) {
            DataOptions o;
            o.root = world_;
            o.featuresDir = features_;
            o.tasks = {"scanrefer"};
            o.scanReferSubset = subset;
            return loadInst3dData(o);
        };
        const Inst3dData all = load("all"), unique = load("unique"), multiple = load("multiple");
        const std::vector<ScanReferEntry> entries = readScanRefer(world_ + "/ScanRefer/ScanRefer_filtered_train.json");
        const UniqueMultipleLookup kind = scanReferUniqueMultiple(entries, LabelMap::read(world_ + "/scannetv2-labels.combined.tsv"));
        size_t expectUnique = 0, expectMultiple = 0;
        for (const ScanReferEntry& e : entries)
            if (all.scenes.count(e.sceneId)) (kind.at(e.sceneId).at(e.objectId) == 0 ? expectUnique : expectMultiple)++;
        qInfo("ScanRefer train samples: %zu = %zu unique + %zu multiple", all.samples.size(), unique.samples.size(),
              multiple.samples.size());
        QVERIFY(expectUnique > 0 && expectMultiple > 0);
        QCOMPARE(unique.samples.size(), expectUnique);
        QCOMPARE(multiple.samples.size(), expectMultiple);
        QCOMPARE(unique.samples.size() + multiple.samples.size(), all.samples.size());
        std::string out, err;
        QCOMPARE(test::runInst3d(trainArgs(path("bad-subset"), {"data.scanrefer_subset=some"}), &out, &err), 2);
        QVERIFY2(err.find("data.scanrefer_subset must be all, unique or multiple, got 'some'") != std::string::npos, err.c_str());
    }

    // optim.label_token_steps / label_fade_steps: the first steps see the labels' word embeddings instead
    // of the model's tokens (same seed, same batch: another first loss), the run goes on past the fade to
    // the same number of steps, and a negative count is named.
    void labelCurriculumTrains() {
        const std::vector<double> plain = trainLosses(path("run") + "/loss.jsonl");
        QVERIFY2(!plain.empty(), "trainsAndEvaluates runs first");
        const std::string run = path("labels");
        std::string out, err;
        QVERIFY2(test::runInst3d(trainArgs(run, {"optim.epochs=2", "optim.label_token_steps=20", "optim.label_fade_steps=20"}), &out, &err) == 0,
                 err.c_str());
        const std::vector<double> curriculum = trainLosses(run + "/loss.jsonl");
        QCOMPARE(curriculum.size(), plain.size());
        qInfo("first loss %.6f plain, %.6f with label tokens", plain[0], curriculum[0]);
        QVERIFY(std::abs(curriculum[0] - plain[0]) > 1e-4);
        QCOMPARE(test::runInst3d(trainArgs(path("bad-labels"), {"optim.label_fade_steps=-1"}), &out, &err), 2);
        QVERIFY2(err.find("optim.label_token_steps and optim.label_fade_steps must be >= 0") != std::string::npos, err.c_str());
        // optim.label_align_weight: the first step's answer loss is the curriculum's (the term is reported
        // apart), but its gradient moved the feature path, so the answer losses after the fade differ.
        const std::string aligned = path("labels-aligned");
        QVERIFY2(test::runInst3d(trainArgs(aligned, {"optim.epochs=2", "optim.label_token_steps=20", "optim.label_fade_steps=20",
                                                     "optim.label_align_weight=1"}), &out, &err) == 0, err.c_str());
        const std::vector<double> withAlign = trainLosses(aligned + "/loss.jsonl");
        QCOMPARE(withAlign.size(), curriculum.size());
        QCOMPARE(withAlign[0], curriculum[0]);
        QVERIFY(std::abs(withAlign.back() - curriculum.back()) > 1e-5);
        QCOMPARE(test::runInst3d(trainArgs(path("bad-align"), {"optim.label_align_weight=-1"}), &out, &err), 2);
        QVERIFY2(err.find("optim.label_align_weight must be >= 0") != std::string::npos, err.c_str());
        // optim.label_token_parts=instance: the scene and fused tokens keep the model's own features, so the
        // first batch (same seed) sees other tokens than with all three replaced; an unknown part is named.
        const std::string instanceOnly = path("labels-instance");
        QVERIFY2(test::runInst3d(trainArgs(instanceOnly, {"optim.epochs=2", "optim.label_token_steps=20", "optim.label_fade_steps=20",
                                                          "optim.label_token_parts=instance"}), &out, &err) == 0, err.c_str());
        const std::vector<double> partial = trainLosses(instanceOnly + "/loss.jsonl");
        QCOMPARE(partial.size(), curriculum.size());
        qInfo("first loss %.6f all parts, %.6f instance only", curriculum[0], partial[0]);
        QVERIFY(std::abs(partial[0] - curriculum[0]) > 1e-4);
        QCOMPARE(test::runInst3d(trainArgs(path("bad-parts"), {"optim.label_token_parts=instance,colour"}), &out, &err), 2);
        QVERIFY2(err.find("optim.label_token_parts names instance, scene and fused, not 'colour'") != std::string::npos, err.c_str());
        // data.label_words=description: the objects' words come from their descriptions ("white couch"), so
        // the same first batch sees other label tokens than with the category alone.
        const std::string described = path("labels-described");
        QVERIFY2(test::runInst3d(trainArgs(described, {"optim.epochs=2", "optim.label_token_steps=20", "optim.label_fade_steps=20",
                                                       "data.label_words=description"}), &out, &err) == 0, err.c_str());
        const std::vector<double> phrased = trainLosses(described + "/loss.jsonl");
        qInfo("first loss %.6f category words, %.6f description words", curriculum[0], phrased[0]);
        QVERIFY(std::abs(phrased[0] - curriculum[0]) > 1e-4);
        QCOMPARE(test::runInst3d(trainArgs(path("bad-words"), {"data.label_words=colour"}), &out, &err), 2);
        QVERIFY2(err.find("data.label_words must be category or description, got 'colour'") != std::string::npos, err.c_str());
    }

    // The phrase a description's first sentence gives its object: the words from the article to the name.
    void describedPhrases() {
        QCOMPARE(describedPhrase("this is a white couch. it is next to the armchair.", "couch"), std::string("white couch"));
        QCOMPARE(describedPhrase("This is a Brown wooden office chair. It faces the desk.", "office_chair"),
                 std::string("brown wooden office chair"));
        QCOMPARE(describedPhrase("this is a desk. it is the only blue desk in the room.", "desk"), std::string("desk"));
        QCOMPARE(describedPhrase("the lamp on the left of the bed", "lamp"), std::string("lamp"));
        QCOMPARE(describedPhrase("a tall thing near the window", "cabinet"), std::string("cabinet"));
        QCOMPARE(describedPhrase("", "table"), std::string("table"));
    }

    // optim.precision=bf16: the same first batch gives nearly the fp32 loss but not bit for bit (autocast
    // ran the matmuls in bf16), the loss still falls, and the checkpoint stays fp32; a bad value is named.
    void bf16AutocastTrains() {
        const std::vector<double> fp32 = trainLosses(path("run") + "/loss.jsonl");
        QVERIFY2(!fp32.empty(), "trainsAndEvaluates runs first");
        const std::string run = path("bf16");
        std::string out, err;
        QVERIFY2(test::runInst3d(trainArgs(run, {"optim.epochs=2", "optim.precision=bf16"}), &out, &err) == 0, err.c_str());
        const std::vector<double> bf16 = trainLosses(run + "/loss.jsonl");
        QCOMPARE(bf16.size(), fp32.size());
        qInfo("first loss fp32 %.6f, bf16 %.6f; last fp32 %.4f, bf16 %.4f", fp32[0], bf16[0], fp32.back(), bf16.back());
        QVERIFY2(bf16[0] != fp32[0] && std::abs(bf16[0] - fp32[0]) < 0.03 * fp32[0], qPrintable(QString::number(bf16[0])));
        QVERIFY(bf16.back() < 0.8 * bf16[0]);
        SafetensorsFile weights(run + "/checkpoint/inst3d.safetensors");
        for (const TensorInfo& t : weights.tensors()) QVERIFY2(t.dtype == DType::F32, t.name.c_str());
        QCOMPARE(test::runInst3d(trainArgs(path("bad-precision"), {"optim.precision=fp16"}), &out, &err), 2);
        QVERIFY2(err.find("optim.precision is fp32 or bf16") != std::string::npos, err.c_str());
    }

    // view_fusion: views end to end: the crops of the caches reach the model in train, eval and chat (a
    // checkpoint of this configuration refuses to encode without them), and a cache without crops is named.
    void viewFusionTrainsOnTheCrops() {
        const std::string yaml = path("synth-views.yaml");
        writeFileAtomic(yaml, readTextFile(std::string(INST3D_TEST_DATA_DIR) + "/../../resources/config/model/synth-small.yaml") +
                                  "view_fusion: views\n");
        const std::string run = path("views");
        std::string out, err;
        QVERIFY2(test::runInst3d(trainArgs(run, {"model.config=" + yaml}), &out, &err) == 0, err.c_str());
        QVERIFY(!trainLosses(run + "/loss.jsonl").empty());
        QVERIFY(readTextFile(run + "/checkpoint/checkpoint.json").find("view_fusion: views") != std::string::npos);
        QVERIFY2(test::runInst3d({"eval", "--checkpoint", run + "/checkpoint", "--data", world_, "--features", features_,
                                  "--tags", "scanrefer", "--limit", "3", "--out", run + "/eval"}, &out, &err) == 0, err.c_str());
        QVERIFY2(test::runInst3d({"chat", "--checkpoint", run + "/checkpoint", "--features", features_, "--scene", "scene0000_00",
                                  "--max-tokens", "6", "--question", "Where is the chair?"}, &out, &err) == 0, err.c_str());
        SceneFeatures f = readSceneFeatures(featureCachePath(features_, "scene0000_00"));
        const SceneObjects withCrops = sceneObjects(f, 40, "cache", true);
        QCOMPARE(withCrops.crops, f.views * f.levels);
        QCOMPARE(withCrops.clipCrops.size(), size_t(withCrops.count) * size_t(withCrops.crops) * size_t(f.dim2d));
        QVERIFY(std::find(withCrops.cropValid.begin(), withCrops.cropValid.end(), 1) != withCrops.cropValid.end());
        f.views = f.levels = 0;
        f.cropFeatures.clear();
        try {
            sceneObjects(f, 40, "cache.safetensors", true);
            QFAIL("a cache without crops was accepted");
        } catch (const inst3d::Error& e) {
            QVERIFY2(std::string(e.what()).find("cache.safetensors") != std::string::npos &&
                     std::string(e.what()).find("feat_2d_crops") != std::string::npos, e.what());
        }
    }

    // `inst3d pretrain uni3d`: the loss falls over the world's train instances, the weights are written in
    // Uni3D's released layout (extract reads them, and the cache names their fingerprint instead of random),
    // the report holds the curve; colour classes are the median colour's levels; a bad encoder is named.
    void pretrainedUni3dFeedsExtraction() {
        const std::string weights = path("pre/uni3d.safetensors");
        std::string out, err;
        QVERIFY2(test::runInst3d({"pretrain", "uni3d", "--data", world_, "--out", weights, "--epochs", "6", "--batch", "8",
                                  "--points", "64"}, &out, &err) == 0, err.c_str());
        QVERIFY2(out.find("train instances of") != std::string::npos, out.c_str());
        const auto report = nlohmann::json::parse(readTextFile(weights + ".json"));
        QCOMPARE(report["epochs"].size(), size_t(6));
        const double first = report["epochs"][0]["loss"], last = report["epochs"][5]["loss"];
        QVERIFY2(last < 0.8 * first, qPrintable(QString("%1 -> %2").arg(first).arg(last)));
        QVERIFY(report["categories"].size() > 3 && report["val_instances"].get<int>() > 0);
        SafetensorsFile file(weights);
        QVERIFY(!file.tensors().empty());
        for (const TensorInfo& t : file.tensors()) QVERIFY2(t.name.rfind("point_encoder.", 0) == 0, t.name.c_str());
        const std::string feats = path("pre-features");
        QVERIFY2(test::runInst3d({"extract", "--scenes", world_ + "/scans", "--out", feats, "--uni3d", weights, "--uni3d-config", "tiny",
                                  "--clip", "none", "--proposals", "gt", "--no-views"}, &out, &err) == 0, err.c_str());
        const SceneFeatures f = readSceneFeatures(featureCachePath(feats, "scene0000_00"));
        QCOMPARE(f.provenance.at("encoder_3d_checkpoint"), checkpointFingerprint(weights));
        QCOMPARE(f.dim3d, 24);

        InstancePoints red;
        red.xyz = {0, 0, 0, 1, 0, 0, 0, 1, 0};
        red.rgb = {0.9f, 0.1f, 0.0f, 1.0f, 0.2f, 0.1f, 0.95f, 0.0f, 0.3f};
        QCOMPARE(colourClass(red), 2 * kColourLevels * kColourLevels);  // levels (2, 0, 0)
        QCOMPARE(test::runInst3d({"pretrain", "clip", "--data", world_, "--out", weights}, &out, &err), 2);
        QVERIFY2(err.find("ENCODER is uni3d") != std::string::npos, err.c_str());
    }

    // `inst3d bench train`: the trainer's steps timed on generated scenes; more objects than the model's
    // identifiers refused.
    void benchTrainReports() {
        std::string out, err;
        QVERIFY2(test::runInst3d({"bench", "train", "--steps", "1", "--batch", "2", "--objects", "8"}, &out, &err) == 0, err.c_str());
        for (const char* row : {"| configuration | synth-small, LLM 2 layers x 96 wide", "| sequence | ", "(8 objects)", "| samples/s | ",
                                "| peak RSS | ", "BLAS: "})
            QVERIFY2(out.find(row) != std::string::npos, row);
        QCOMPARE(test::runInst3d({"bench", "train", "--objects", "999"}, &out, &err), 2);
        QVERIFY2(err.find("--objects is at most 40") != std::string::npos, err.c_str());
        QVERIFY2(test::runInst3d({"bench", "--help"}, &out, &err) == 0, err.c_str());  // the models layer's subjects stay
    }

    // SIGKILL after the step-3 checkpoint, then --resume: the same losses and the same final weights as a
    // run that was never interrupted.
    void killedRunResumesBitExactly() {
        const std::string whole = path("whole"), killed = path("killed");
        std::string err;
        QVERIFY2(test::runInst3d(trainArgs(whole), nullptr, &err) == 0, err.c_str());
        QProcess p;
        QStringList a;
        for (const std::string& s : trainArgs(killed)) a << QString::fromStdString(s);
        p.start(QString::fromStdString(test::inst3dBinary()), a);
        QVERIFY(p.waitForStarted());
        bool checkpointed = false;
        for (int i = 0; i < 6000 && !checkpointed; ++i) {  // up to 60 s
            QThread::msleep(10);
            checkpointed = fileExists(killed + "/checkpoint/checkpoint.json") && trainLosses(killed + "/loss.jsonl").size() >= 4;
        }
        QVERIFY2(checkpointed, "no checkpoint after step 3");
        QVERIFY2(p.state() == QProcess::Running && p.processId() > 0, "the run ended before it could be killed");
        ::kill(pid_t(p.processId()), SIGKILL);  // (never kill(0): that is this test's whole process group)
        p.waitForFinished();
        QCOMPARE(p.exitStatus(), QProcess::CrashExit);
        QVERIFY(trainLosses(killed + "/loss.jsonl").size() < trainLosses(whole + "/loss.jsonl").size());
        QVERIFY2(test::runInst3d(trainArgs(killed, {"--resume"}), nullptr, &err) == 0, err.c_str());
        QCOMPARE(trainLosses(killed + "/loss.jsonl"), trainLosses(whole + "/loss.jsonl"));
        SafetensorsFile a1(whole + "/checkpoint/inst3d.safetensors"), b1(killed + "/checkpoint/inst3d.safetensors");
        QCOMPARE(a1.tensors().size(), b1.tensors().size());
        for (const TensorInfo& t : a1.tensors()) {
            const TensorInfo& u = b1.get(t.name);
            QVERIFY2(std::equal(a1.data(t), a1.data(t) + (t.end - t.begin), b1.data(u)), t.name.c_str());
        }
        QCOMPARE(readTextFile(whole + "/checkpoint/adapter/adapter_model.safetensors"),
                 readTextFile(killed + "/checkpoint/adapter/adapter_model.safetensors"));
    }

    // torch.distributed's c10d with Gloo, torchrun's environment: 2 processes on this machine, each with
    // half of every step's samples, all-reduced gradients; the same losses and weights as one process
    // with the same global batch, to float tolerance (dropout off, so both runs draw the same masks).
    void twoGlooProcessesEqualOne() {
        const std::string model = path("nodrop.yaml");
        writeFileAtomic(model, readTextFile(std::string(INST3D_TEST_DATA_DIR) + "/../../resources/config/model/synth-small.yaml") +
                                   "spatial_dropout: 0\nrelation_dropout: 0\n");
        const std::vector<std::string> extra = {"model.config=" + model, "optim.epochs=0.4", "save_every=1000"};
        const std::string one = path("one"), two = path("two");
        std::string err;
        QVERIFY2(test::runInst3d(trainArgs(one, extra), nullptr, &err) == 0, err.c_str());
        const QString port = QString::number(freeLoopbackPort());
        QVERIFY(port != "0");
        QProcess ranks[2];
        for (int r = 0; r < 2; ++r) {
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert("RANK", QString::number(r));
            env.insert("WORLD_SIZE", "2");
            env.insert("MASTER_ADDR", "127.0.0.1");
            env.insert("MASTER_PORT", port);
            ranks[r].setProcessEnvironment(env);
            QStringList a;
            for (const std::string& s : trainArgs(two, extra)) a << QString::fromStdString(s);
            ranks[r].start(QString::fromStdString(test::inst3dBinary()), a);
        }
        for (QProcess& p : ranks) {
            QVERIFY(p.waitForFinished(300000));
            QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, p.readAllStandardError().constData());
        }
        const std::vector<double> a = trainLosses(one + "/loss.jsonl"), b = trainLosses(two + "/loss.jsonl");
        QCOMPARE(a.size(), b.size());
        QVERIFY(a.size() >= 4);
        for (size_t i = 0; i < a.size(); ++i) QVERIFY2(std::abs(a[i] - b[i]) < 1e-4, qPrintable(QString("step %1: %2 vs %3").arg(i + 1).arg(a[i]).arg(b[i])));
        SafetensorsFile x(one + "/checkpoint/inst3d.safetensors"), y(two + "/checkpoint/inst3d.safetensors");
        double worst = 0;
        for (const TensorInfo& t : x.tensors()) {
            const float* p = reinterpret_cast<const float*>(x.data(t));
            const float* q = reinterpret_cast<const float*>(y.data(y.get(t.name)));
            for (int64_t i = 0; i < t.numel(); ++i) worst = std::max(worst, double(std::abs(p[i] - q[i])));
        }
        qInfo("2 Gloo ranks vs 1 process: %zu steps, max |weight difference| %.3g", a.size(), worst);
        QVERIFY2(worst < 1e-4, qPrintable(QString::number(worst)));
        QVERIFY(!fileExists(two + "/rank-1/tokenizer.model"));
    }

    void badInputIsNamed() {
        std::string out, err;
        QCOMPARE(test::runInst3d(trainArgs(path("bad1"), {"optim.lrr=1"}), &out, &err), 1);
        QVERIFY2(err.find("unknown key 'optim.lrr'") != std::string::npos, err.c_str());
        QCOMPARE(test::runInst3d(trainArgs(path("bad2"), {"data.train_tag=scanrefer#nope"}), &out, &err), 1);
        QVERIFY2(err.find("unknown task tag 'nope'") != std::string::npos, err.c_str());
        QCOMPARE(test::runInst3d(trainArgs(path("bad3"), {"data.features=" + path("missing")}), &out, &err), 1);
        QVERIFY2(err.find("no feature cache for scene") != std::string::npos, err.c_str());
        QCOMPARE(test::runInst3d(trainArgs(path("bad4"), {"model.config=tiny"}), &out, &err), 1);
        QVERIFY2(err.find("features are 24-d (3D) / 32-d (2D)") != std::string::npos, err.c_str());
        QCOMPARE(test::runInst3d({"eval", "--checkpoint", path("nothing"), "--data", world_, "--features", features_}, &out, &err), 1);
        QVERIFY2(err.find("checkpoint.json") != std::string::npos, err.c_str());
    }
};

QTEST_GUILESS_MAIN(TrainEvalCliTest)
#include "test_train_eval_cli.moc"
