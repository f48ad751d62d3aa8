// The inst3d command line as a user drives it: verbs, --help, configuration layers (defaults,
// --config FILE, key=value overrides), exit codes and error messages naming the file.
#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include "core/cli/command.h"
#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/config/config.h"
#include "support/test_support.h"

using namespace inst3d;

class CliTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::string path(const char* name) { return dir_.filePath(name).toStdString(); }

private Q_SLOTS:
    // A higher layer's subject of an existing verb: `bench train` runs the added function, every other
    // argument list the verb as before; the summary names the subject; a missing verb is refused.
    void subjectsExtendAVerb() {
        CommandRegistry r;
        std::vector<std::string> seen;
        r.add({"bench", "measure", [&](const std::vector<std::string>& a) {
                   seen = a;
                   return 1;
               }});
        r.addSubject("bench", "train", "training speed", [&](const std::vector<std::string>& a) {
            seen = a;
            return 7;
        });
        QCOMPARE(r.find("bench")->run({"train", "--steps", "2"}), 7);
        QCOMPARE(seen, (std::vector<std::string>{"--steps", "2"}));
        QCOMPARE(r.find("bench")->run({"llm", "--help"}), 1);
        QCOMPARE(seen, (std::vector<std::string>{"llm", "--help"}));
        QCOMPARE(r.find("bench")->run({}), 1);
        QVERIFY(r.find("bench")->summary.find("bench train: training speed") != std::string::npos);
        bool refused = false;
        try {
            r.addSubject("nope", "x", "", [](const std::vector<std::string>&) { return 0; });
        } catch (const UsageError&) {
            refused = true;
        }
        QVERIFY(refused);
    }

    void progressEtaAtConstantRate() {
        QCOMPARE(ProgressBar::eta(10, 0.5), std::string("10s"));
        QCOMPARE(ProgressBar::eta(60, 0.25), std::string("3m00s"));
        QCOMPARE(ProgressBar::eta(3600, 0.5), std::string("1h00m"));
        QCOMPARE(ProgressBar::eta(100, 0.9), std::string("11s"));
        QCOMPARE(ProgressBar::eta(5, 0), std::string());  // unknown before any progress
        QCOMPARE(ProgressBar::eta(5, 1), std::string());
    }
    // Version, the commit it was built from, and (in a full build) LibTorch with its devices and Qt / VTK.
    void versionNamesCommitAndLibraries() {
        std::string out;
        QCOMPARE(test::runInst3d({"--version"}, &out), 0);
        QVERIFY2(out.rfind("inst3d " INST3D_VERSION " (git ", 0) == 0, out.c_str());
        QVERIFY2(out.find("(git unknown)") == std::string::npos, out.c_str());  // the tests run from a checkout
#ifdef INST3D_TEST_WITH_TORCH
        QVERIFY2(out.find("LibTorch ") != std::string::npos && out.find("CUDA: ") != std::string::npos, out.c_str());
#endif
    }

    void helpListsEveryVerb() {
        std::string out;
        QCOMPARE(test::runInst3d({"--help"}, &out), 0);
        for (const char* verb : {"synth", "info"}) QVERIFY2(out.find(verb) != std::string::npos, verb);
        QCOMPARE(test::runInst3d({"synth", "--help"}, &out), 0);
        QVERIFY(out.find("--seed") != std::string::npos && out.find("key=value") != std::string::npos);
        std::string err;
        QCOMPARE(test::runInst3d({"frobnicate"}, &out, &err), 2);
        QVERIFY(err.find("unknown verb 'frobnicate'") != std::string::npos);
        QCOMPARE(test::runInst3d({"synth", "--bogus"}, &out, &err), 2);
        QVERIFY(err.find("unknown option --bogus") != std::string::npos);
    }

    void configLayersAndOverrides() {
        Config c = Config::defaults();
        QCOMPARE(c.getInt("synth.frames"), 30);
        writeFileAtomic(path("my.yaml"), std::string("synth:\n  frames: 7\n  seed: 5\nextra:\n  deep:\n    key: hello\n"));
        c.mergeFile(path("my.yaml"));
        QCOMPARE(c.getInt("synth.frames"), 7);
        QCOMPARE(c.getInt("synth.depth_width"), 320);  // untouched defaults survive a merge
        c.applyOverrides({"synth.frames=9", "extra.deep.key=bye", "new.section.value=1.5"});
        QCOMPARE(c.getInt("synth.frames"), 9);
        QCOMPARE(c.getString("extra.deep.key"), std::string("bye"));
        QCOMPARE(c.getDouble("new.section.value"), 1.5);
        QCOMPARE(c.getInt("synth.seed"), 5);
        QVERIFY_THROWS_EXCEPTION(Error, c.getInt("extra.deep.key"));
        QVERIFY_THROWS_EXCEPTION(Error, c.getInt("no.such.key"));
        QVERIFY_THROWS_EXCEPTION(Error, c.applyOverride("novalue"));
        writeFileAtomic(path("bad.yaml"), std::string("synth: [1, 2\n"));
        try {
            c.mergeFile(path("bad.yaml"));
            QFAIL("malformed YAML accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("bad.yaml"), e.what());
        }
    }

    void synthThenInfoThroughTheBinary() {
        writeFileAtomic(path("cfg.yaml"), std::string("synth:\n  frames: 3\n"));
        std::string out, err;
        // --config sets 3 frames, the override wins with 2; the depth resolution is overridden too.
        int rc = test::runInst3d({"synth", "--out", path("w"), "--seed", "4", "--config", path("cfg.yaml"),
                                  "synth.frames=2", "synth.depth_width=160", "synth.depth_height=120", "--no-language"},
                                 &out, &err);
        QVERIFY2(rc == 0, err.c_str());
        const std::string scene = path("w") + "/scans/scene0000_00";
        QVERIFY(fileExists(scene + "/frames/pose/1.txt"));
        QVERIFY(!fileExists(scene + "/frames/pose/2.txt"));
        QVERIFY(!isDirectory(path("w") + "/ScanRefer"));

        QCOMPARE(test::runInst3d({"info", scene, "--json"}, &out, &err), 0);
        QVERIFY2(out.find("\"scene_id\": \"scene0000_00\"") != std::string::npos, out.c_str());
        QVERIFY(out.find("\"frames\": 2") != std::string::npos);
        QCOMPARE(test::runInst3d({"info", scene}, &out, &err), 0);
        QVERIFY(out.find("depth     160x120") != std::string::npos);
        QVERIFY(out.find("raw -> aligned") != std::string::npos);

        // A broken file: exit 1 and the message names it.
        writeFileAtomic(scene + "/scene0000_00_vh_clean_2.0.010000.segs.json", std::string("{\"segIndices\": [1,"));
        QCOMPARE(test::runInst3d({"info", scene}, &out, &err), 1);
        QVERIFY2(err.find("scene0000_00_vh_clean_2.0.010000.segs.json") != std::string::npos, err.c_str());
    }

    void infoWithoutArgumentDescribesTheDemo() {
        std::string out, err;
        QCOMPARE(test::runInst3d({"info"}, &out, &err), 0);
        QVERIFY2(out.find("scene0000_00") != std::string::npos && out.find("instances") != std::string::npos, err.c_str());
    }
};

QTEST_GUILESS_MAIN(CliTest)
#include "test_cli.moc"
