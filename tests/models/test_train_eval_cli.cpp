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
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/common/file_util.h"
#include "core/io/safetensors.h"
#include "support/test_support.h"
#include "training/inst3d_trainer.h"

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
