// `inst3d extract` and `inst3d bench extract` end to end on synthetic ScanNet scenes with tiny random
// Uni3D and CLIP encoders in their real layouts: every scene gets a feature cache whose 3D features are
// what Uni3D gives for that instance's points, whose crops carry unit CLIP features, and whose
// provenance names the encoders; a second run skips the finished scenes; built-in and imported
// proposals work; bad options are usage errors.
#include <torch/torch.h>

#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <string>
#include <vector>

#include "core/common/file_util.h"
#include "core/features/extraction.h"
#include "core/features/feature_cache.h"
#include "core/io/scene_loader.h"
#include "core/proposals/mask3d_export.h"
#include "core/proposals/proposal_set.h"
#include "core/synth/synth.h"
#include "models/vision/uni3d.h"
#include "support/test_support.h"

using namespace inst3d;

class ExtractCliTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void extractsEveryScene();
    void resumesAndReportsSkips();
    void builtinAndImportedProposals();
    void benchPrintsStages();
    void badOptionsAreUsageErrors();
    void benchEncoders();

private:
    QTemporaryDir tmp_;
    std::string scans_, out_;
    std::vector<std::string> base() const {
        return {"extract", "--scenes", scans_, "--uni3d", "random:tiny", "--clip", "random:tiny", "--top-k", "2",
                "--frame-stride", "2"};
    }
};

void ExtractCliTest::initTestCase() {
    QVERIFY(tmp_.isValid());
    SynthOptions o = test::smallWorldOptions(2, 21);
    o.numFrames = 6;
    o.writeExportedFrames = true;
    o.writeLanguage = false;
    writeSynthWorld(tmp_.path().toStdString(), o);
    scans_ = tmp_.filePath("scans").toStdString();
    out_ = tmp_.filePath("features").toStdString();
}

void ExtractCliTest::extractsEveryScene() {
    std::vector<std::string> args = base();
    args.insert(args.end(), {"--out", out_});
    std::string out, err;
    QCOMPARE(test::runInst3d(args, &out, &err), 0);
    QVERIFY2(out.find("extracted 2 scene(s), skipped 0") != std::string::npos, out.c_str());
    QVERIFY2(out.find("3D encoder") != std::string::npos, out.c_str());
    const SceneFeatures f = readSceneFeatures(featureCachePath(out_, "scene0000_00"));
    const Scene scene = loadScene(joinPath(scans_, "scene0000_00"));
    QCOMPARE(f.numProposals(), scene.instances.size());
    QCOMPARE(f.provenance.at("encoder_3d"), std::string("uni3d-tiny"));
    QCOMPARE(f.provenance.at("encoder_3d_checkpoint"), std::string("random:tiny"));
    QVERIFY(f.provenance.at("encoder_2d").find("clip") != std::string::npos);
    QCOMPARE(f.views, 2);
    QCOMPARE(f.levels, 3);
    // 3D: exactly what the same random encoder gives for the instance's points.
    auto uni3d = Uni3dEncoder::open("random:tiny");
    QCOMPARE(f.dim3d, int(uni3d->config().embedDim));
    for (size_t k : {size_t(0), f.numProposals() - 1}) {
        const InstancePoints p = instancePoints(scene, scene.instances[k]);
        std::vector<uint8_t> rgb;
        for (float c : p.rgb) rgb.push_back(uint8_t(std::lround(c * 255)));
        const std::vector<float> want = uni3d->encodeInstance(p.xyz, rgb);
        QCOMPARE(want.size(), size_t(f.dim3d));
        for (size_t i = 0; i < want.size(); ++i) QVERIFY(std::abs(f.feat3d[k * size_t(f.dim3d) + i] - want[i]) < 1e-5);
    }
    // 2D: every existing crop feature is a unit vector; missing views are zeros.
    int crops = 0;
    for (size_t k = 0; k < f.numProposals(); ++k)
        for (size_t j = 0; j < 2; ++j) {
            const bool exists = f.viewFrames[k * 2 + j] >= 0;
            for (size_t level = 0; level < 3; ++level) {
                double norm = 0;
                for (int i = 0; i < f.dim2d; ++i) {
                    const float x = f.cropFeatures[((k * 2 + j) * 3 + level) * size_t(f.dim2d) + size_t(i)];
                    norm += double(x) * x;
                }
                QVERIFY(exists ? std::abs(norm - 1) < 1e-4 : norm == 0);
                crops += exists;
            }
        }
    QVERIFY(crops > 10);
}

void ExtractCliTest::resumesAndReportsSkips() {
    std::vector<std::string> args = base();
    args.insert(args.end(), {"--out", out_});
    std::string out;
    QCOMPARE(test::runInst3d(args, &out), 0);
    QVERIFY2(out.find("extracted 0 scene(s), skipped 2") != std::string::npos, out.c_str());
    args.push_back("--no-resume");
    QCOMPARE(test::runInst3d(args, &out), 0);
    QVERIFY2(out.find("extracted 2 scene(s), skipped 0") != std::string::npos, out.c_str());
}

void ExtractCliTest::builtinAndImportedProposals() {
    // Built-in segmenter, no 2D.
    std::vector<std::string> args = base();
    const std::string builtinOut = tmp_.filePath("builtin").toStdString();
    args.insert(args.end(), {"--out", builtinOut, "--proposals", "builtin", "--no-views"});
    std::string out, err;
    QCOMPARE(test::runInst3d(args, &out, &err), 0);
    const SceneFeatures b = readSceneFeatures(featureCachePath(builtinOut, "scene0001_00"));
    QVERIFY(b.numProposals() > 3);
    QCOMPARE(b.provenance.at("proposals"), std::string("builtin"));
    QCOMPARE(b.views, 0);
    for (const Instance& p : b.proposals) QCOMPARE(p.source, InstanceSource::BuiltIn);
    // Imported: a Mask3D export of two instances per scene.
    const std::string exportDir = tmp_.filePath("mask3d").toStdString();
    for (const char* id : {"scene0000_00", "scene0001_00"}) {
        const Scene scene = loadScene(joinPath(scans_, id));
        ProposalSet set = groundTruthProposals(scene);
        set.instances.resize(2);
        writeMask3DExport(exportDir, set, scene.mesh.numVertices());
    }
    args = base();
    const std::string importedOut = tmp_.filePath("imported").toStdString();
    args.insert(args.end(), {"--out", importedOut, "--proposals", "mask3d:" + exportDir, "--clip", "none"});
    QCOMPARE(test::runInst3d(args, &out, &err), 0);
    const SceneFeatures m = readSceneFeatures(featureCachePath(importedOut, "scene0000_00"));
    QCOMPARE(m.numProposals(), size_t(2));
    QCOMPARE(m.dim2d, 0);  // --clip none: views and boxes, no 2D features
    QCOMPARE(m.views, 2);
}

void ExtractCliTest::benchPrintsStages() {
    std::string out, err;
    QCOMPARE(test::runInst3d({"bench", "extract", "--scenes", scans_, "--uni3d", "random:tiny", "--clip", "random:tiny",
                              "--limit", "1", "--frame-stride", "2"},
                             &out, &err),
             0);
    for (const char* stage : {"proposals", "views", "crops", "3D encoder", "2D encoder", "s / scene"})
        QVERIFY2(out.find(stage) != std::string::npos, out.c_str());
    QVERIFY2(out.find("1 scene(s)") != std::string::npos, out.c_str());
}

void ExtractCliTest::badOptionsAreUsageErrors() {
    std::string out, err;
    QCOMPARE(test::runInst3d({"extract", "--scenes", scans_, "--out", out_}, &out, &err), 2);
    QVERIFY2(err.find("--uni3d and --clip are required") != std::string::npos, err.c_str());
    std::vector<std::string> args = base();
    args.insert(args.end(), {"--out", out_, "--proposals", "magic"});
    QVERIFY(test::runInst3d(args, &out, &err) != 0);
    QVERIFY2(err.find("unknown source 'magic'") != std::string::npos, err.c_str());
    args = base();
    args[2] = tmp_.filePath("nothing").toStdString();
    args.insert(args.end(), {"--out", out_});
    QVERIFY(test::runInst3d(args, &out, &err) != 0);
    QVERIFY2(err.find("nothing") != std::string::npos, err.c_str());
    // --device: checked before any work; a CPU-only LibTorch refuses cuda with the reason.
    args = base();
    args.insert(args.end(), {"--out", out_, "--device", "cuda"});
    if (!torch::cuda::is_available()) {
        QCOMPARE(test::runInst3d(args, &out, &err), 1);
        QVERIFY2(err.find("no CUDA or sees no GPU") != std::string::npos, err.c_str());
    }
    args.back() = "tpu";
    QCOMPARE(test::runInst3d(args, &out, &err), 1);
    QVERIFY2(err.find("unknown device 'tpu'") != std::string::npos, err.c_str());
}

void ExtractCliTest::benchEncoders() {
    std::string out, err;
    QCOMPARE(test::runInst3d({"bench", "encoders", "--clip", "random:tiny", "--uni3d", "random:tiny", "--crops", "4", "--batch",
                              "2", "--instances", "2", "--points", "200", "--matmul", "64", "--threads", "1"},
                             &out, &err),
             0);
    qInfo("%s", out.c_str());
    const QString o = QString::fromStdString(out);
    QVERIFY(o.contains(QRegularExpression("fp32 matmul 64x64x64: [0-9.e+]+ GFLOP/s")));
    // The tiny CLIP (D 64, MLP 128, 2 layers, 56 px, patch 14, projection 32: T = 17 tokens) by hand:
    // patch conv 64*3*14*14 MACs x 16 patches + 2 layers x (4*64*64 + 2*64*128) MACs x 17 tokens
    // + 32*64 for the projection = 1,718,272 MACs = 3,436,544 FLOPs, plus attention 2 x 4*17*17*64 =
    // 147,968: 0.00358 GFLOP per crop.
    QVERIFY2(o.contains(QRegularExpression("\\| clip-vit-d64-14-56 \\(batch 2\\) \\| 4 \\| [0-9.]+ \\| [0-9.e+]+ \\| 0.00358 \\|")), out.c_str());
    QVERIFY(o.contains(QRegularExpression("\\| uni3d-tiny \\(200 points\\) \\| 2 \\| [0-9.]+ \\| [0-9.e+]+ \\| [0-9.e+-]+ \\| [0-9.e+]+ \\| [0-9]+ % \\|")));
    QVERIFY(o.contains(QRegularExpression("scene of 100 instances x 5 views x 3 levels \\(1500 crops, 100 instances\\): [0-9.e+]+ s")));
    QCOMPARE(test::runInst3d({"bench", "encoders", "--uni3d", "random:tiny", "--clip", "none", "--points", "10"}, &out, &err), 2);
    QVERIFY2(err.find("group size") != std::string::npos, err.c_str());
}

QTEST_GUILESS_MAIN(ExtractCliTest)
#include "test_extract_cli.moc"
