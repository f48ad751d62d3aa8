// Proposals (core/proposals): the one ProposalSet interface over ground truth, Mask3D exports (both
// the benchmark layout and Chat-Scene's moved masks), OpenMask3D masks and Chat-Scene's
// mask3d_inst_seg lists; the Mask3D-style writer (round trip); every reader error names the file (and
// the line); and the ScanNet-protocol class-agnostic AP on a case computed by hand.
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <filesystem>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/label_map.h"
#include "core/io/safetensors.h"
#include "core/io/scene_loader.h"
#include "core/proposals/instance_eval.h"
#include "core/proposals/load_proposals.h"
#include "core/proposals/mask3d_export.h"
#include "core/proposals/torch_proposals.h"
#include "core/scene/scene.h"
#include "core/synth/catalog.h"
#include "core/synth/synth.h"
#include "support/test_support.h"

using namespace inst3d;

namespace {

const std::string kData = INST3D_TEST_DATA_DIR;

// One synthetic scene written in ScanNet layout (no frames, no language) and loaded back.
Scene synthScene(const QTemporaryDir& dir, int index = 0) {
    SynthOptions o;
    o.seed = 1;
    o.numFrames = 0;
    o.writeSens = o.writeExportedFrames = o.writeLanguage = false;
    const std::string folder = writeSynthSceneFolder(dir.path().toStdString(), generateSynthScene(index, o), o);
    LoadOptions load;
    load.loadFrames = false;
    return loadScene(folder, load);
}

LabelMap synthLabels() {
    LabelMap map;
    for (const SynthCategory& c : synthCategories()) map.add(labelRowFor(c, 1));
    return map;
}

Instance instance(std::vector<uint32_t> vertices, float score, std::string label = "") {
    Instance inst;
    inst.vertices = std::move(vertices);
    inst.score = score;
    inst.label = std::move(label);
    inst.source = InstanceSource::BuiltIn;
    return inst;
}

std::vector<uint32_t> range(uint32_t begin, uint32_t end) {
    std::vector<uint32_t> out;
    for (uint32_t v = begin; v < end; ++v) out.push_back(v);
    return out;
}

// A tiny export written by hand: `lines` go to <dir>/scene0000_00.txt, each mask file named there gets
// the 0/1 lines in `masks` (by file name).
void writeExport(const std::string& dir, const std::string& index, const std::map<std::string, std::string>& masks) {
    makeDirectories(joinPath(dir, "pred_mask"));
    test::writeBytes(joinPath(dir, "scene0000_00.txt"), index);
    for (const auto& [name, body] : masks) test::writeBytes(joinPath(dir, name), body);
}

}  // namespace

class ProposalsTest : public QObject {
    Q_OBJECT

    void expectError(const std::function<void()>& f, const std::vector<std::string>& parts) {
        const std::string e = test::errorOf(f);
        for (const auto& p : parts) QVERIFY2(e.find(p) != std::string::npos, (e + " lacks '" + p + "'").c_str());
    }

private slots:
    void groundTruthIsWrappedAsLoaded() {
        QTemporaryDir dir;
        const Scene scene = synthScene(dir);
        const ProposalSet gt = groundTruthProposals(scene);
        QCOMPARE(gt.origin, ProposalOrigin::GroundTruth);
        QCOMPARE(gt.sceneId, scene.id);
        QCOMPARE(gt.instances.size(), scene.instances.size());
        for (size_t i = 0; i < gt.instances.size(); ++i) {
            QCOMPARE(gt.instances[i].vertices, scene.instances[i].vertices);
            QCOMPARE(gt.instances[i].label, scene.instances[i].label);
        }
        checkProposals(gt, scene.mesh.numVertices(), scene.sourcePath);
    }

    void mask3dExportRoundTrip() {
        QTemporaryDir dir;
        const Scene scene = synthScene(dir);
        const LabelMap labels = synthLabels();
        ProposalSet set = groundTruthProposals(scene);
        for (size_t i = 0; i < set.instances.size(); ++i) set.instances[i].score = 1.0f / float(i + 3);  // not exact in text
        const std::string out = joinPath(dir.path().toStdString(), "export");
        writeMask3DExport(out, set, scene.mesh.numVertices(), &labels);

        Mask3DReadOptions opts;
        opts.labels = &labels;
        const ProposalSet back = readMask3DExport(mask3DExportPath(out, scene.id), scene.mesh.numVertices(), opts);
        QCOMPARE(back.origin, ProposalOrigin::Mask3DExport);
        QCOMPARE(back.sceneId, scene.id);
        QCOMPARE(back.instances.size(), set.instances.size());
        for (size_t i = 0; i < set.instances.size(); ++i) {
            QCOMPARE(back.instances[i].id, int(i));
            QCOMPARE(back.instances[i].vertices, set.instances[i].vertices);
            QCOMPARE(back.instances[i].label, set.instances[i].label);
            QCOMPARE(back.instances[i].score, set.instances[i].score);  // 9 digits: exact float round trip
            QCOMPARE(back.instances[i].source, InstanceSource::Imported);
        }
        // Without a label map the class ids mean nothing: class-agnostic, every label empty.
        for (const Instance& inst : readMask3DExport(mask3DExportPath(out, scene.id), scene.mesh.numVertices()).instances)
            QVERIFY(inst.label.empty());
        // The same folder through the one entry point.
        QCOMPARE(loadProposals(out, scene, opts).instances.size(), set.instances.size());
    }

    void mask3dExportFormatAndChatSceneLayout() {
        QTemporaryDir tmp;
        const std::string dir = tmp.path().toStdString();
        ProposalSet set;
        set.sceneId = "scene0000_00";
        set.instances = {instance({0, 2}, 0.5f, "chair"), instance({}, 0.25f)};
        LabelMap labels = synthLabels();
        writeMask3DExport(dir, set, 3, &labels);
        QCOMPARE(readTextFile(joinPath(dir, "scene0000_00.txt")),
                 std::string("pred_mask/scene0000_00_0.txt 2 0.5\npred_mask/scene0000_00_1.txt 0 0.25\n"));
        QCOMPARE(readTextFile(joinPath(dir, "pred_mask/scene0000_00_0.txt")), std::string("1\n0\n1\n"));

        // Chat-Scene moves pred_mask/<scene>_<k>.txt to pred_mask/<scene>/<k>.txt and keeps the .txt.
        makeDirectories(joinPath(dir, "pred_mask/scene0000_00"));
        for (int k = 0; k < 2; ++k)
            std::filesystem::rename(joinPath(dir, "pred_mask/scene0000_00_" + std::to_string(k) + ".txt"),
                                    joinPath(dir, "pred_mask/scene0000_00/" + std::to_string(k) + ".txt"));
        Mask3DReadOptions opts;
        opts.labels = &labels;
        const ProposalSet back = readMask3DExport(joinPath(dir, "scene0000_00.txt"), 3, opts);
        QCOMPARE(back.instances.size(), size_t(2));
        QCOMPARE(back.instances[0].vertices, (std::vector<uint32_t>{0, 2}));
        QCOMPARE(back.instances[0].label, std::string("chair"));
        QVERIFY(back.instances[1].vertices.empty());
        QVERIFY(back.instances[1].label.empty());  // class id 0 is no class
        // Inst3D drops lines whose class id is not in the tsv, shifting the indices.
        opts.dropUnknownClassIds = true;
        QCOMPARE(readMask3DExport(joinPath(dir, "scene0000_00.txt"), 3, opts).instances.size(), size_t(1));
    }

    void mask3dExportErrorsNameFileAndLine() {
        QTemporaryDir tmp;
        const std::string dir = tmp.path().toStdString(), txt = joinPath(dir, "scene0000_00.txt");
        const std::string good = "pred_mask/scene0000_00_0.txt 2 0.9\n";
        auto read = [&] { readMask3DExport(txt, 3); };

        writeExport(dir, good + "pred_mask/scene0000_00_1.txt 2 0.8\n", {{"pred_mask/scene0000_00_0.txt", "1\n0\n1\n"}});
        expectError(read, {txt, "line 2", "mask file 'pred_mask/scene0000_00_1.txt' not found"});

        writeExport(dir, good, {{"pred_mask/scene0000_00_0.txt", "1\n0\n"}});
        expectError(read, {"pred_mask/scene0000_00_0.txt", "has 2 mask lines but the mesh has 3 vertices"});

        writeExport(dir, good, {{"pred_mask/scene0000_00_0.txt", "1\n2\n0\n"}});
        expectError(read, {"pred_mask/scene0000_00_0.txt", "line 2", "expected 0 or 1, found '2'"});

        for (const char* score : {"high", "nan", "inf", "0.5x"}) {
            writeExport(dir, good + "pred_mask/scene0000_00_0.txt 2 " + score + "\n", {{"pred_mask/scene0000_00_0.txt", "1\n0\n1\n"}});
            expectError(read, {txt, "line 2", "score is not a finite number", score});
        }
        writeExport(dir, "\n" + good + "pred_mask/scene0000_00_0.txt chair 0.5\n", {});
        expectError(read, {txt, "line 3", "class id is not an integer: 'chair'"});
        writeExport(dir, "pred_mask/scene0000_00_0.txt 2\n", {});
        expectError(read, {txt, "line 1", "found 2 fields"});
        expectError([&] { readMask3DExport(joinPath(dir, "missing.txt"), 3); }, {"missing.txt", "cannot open"});
    }

    void writerRejectsBadInstances() {
        QTemporaryDir tmp;
        ProposalSet set;
        set.sceneId = "scene0000_00";
        set.instances = {instance({0, 5}, 1)};
        expectError([&] { writeMask3DExport(tmp.path().toStdString(), set, 3); }, {"names vertex 5", "3 vertices"});
        set.instances = {instance({2, 1}, 1)};
        expectError([&] { writeMask3DExport(tmp.path().toStdString(), set, 3); }, {"not sorted"});
        set.sceneId.clear();
        expectError([&] { writeMask3DExport(tmp.path().toStdString(), set, 3); }, {"without a scene id"});
    }

    void openMask3DMasksMatchTheArray() {
        // tests/data/torch_pickle/masks.pt: numpy float16 [40, 5] of 0/1 inside torch.save, as
        // OpenMask3D writes <scene>_masks.pt; the expected bytes come from torch itself.
        const std::string path = kData + "/torch_pickle/masks.pt";
        const ProposalSet set = readOpenMask3DMasks(path, 40);
        QCOMPARE(set.origin, ProposalOrigin::OpenMask3DMasks);
        QCOMPARE(set.instances.size(), size_t(5));
        SafetensorsFile expected(kData + "/torch_pickle/expected/masks.pt.safetensors");
        const TensorInfo& t = expected.tensors().at(0);
        QCOMPARE(t.dtype, DType::F16);
        const uint16_t* half = reinterpret_cast<const uint16_t*>(expected.data(t));
        size_t members = 0;
        for (size_t m = 0; m < 5; ++m) {
            std::vector<uint32_t> want;
            for (uint32_t v = 0; v < 40; ++v)
                if (half[v * 5 + m] == 0x3C00) want.push_back(v);  // 1.0 in float16
            QCOMPARE(set.instances[m].vertices, want);
            QCOMPARE(set.instances[m].score, 1.0f);
            members += want.size();
        }
        QVERIFY(members > 0 && members < 200);
        expectError([&] { readOpenMask3DMasks(path, 41); }, {path, "40 rows", "41 vertices"});
        // Not a 2-D array: a state dict's root is a dict, not a tensor.
        expectError([&] { readOpenMask3DMasks(kData + "/torch_pickle/state_dict.pt", 40); }, {"state_dict.pt", "expected"});
    }

    void chatSceneInstSegLists() {
        const std::string dir = kData + "/proposals";
        const ProposalSet set = readChatSceneInstSeg(dir + "/mask3d_inst_seg/scene0000_00.pt", 10);
        QCOMPARE(set.origin, ProposalOrigin::ChatSceneInstSeg);
        QCOMPARE(set.sceneId, std::string("scene0000_00"));
        QCOMPARE(set.instances.size(), size_t(3));
        QCOMPARE(set.instances[0].label, std::string("chair"));
        QCOMPARE(set.instances[0].vertices, (std::vector<uint32_t>{0, 1, 2}));
        QCOMPARE(set.instances[1].vertices, (std::vector<uint32_t>{5, 6, 7}));  // sorted, deduplicated
        QVERIFY(set.instances[2].vertices.empty());
        expectError([&] { readChatSceneInstSeg(dir + "/bad_index.pt", 10); }, {"bad_index.pt", "item 0", "vertex index 10"});
        expectError([&] { readChatSceneInstSeg(dir + "/bad_root.pt", 10); }, {"bad_root.pt", "expected a list"});

        // The one entry point finds mask3d_inst_seg/<scene>.pt under a folder.
        Scene scene;
        scene.id = "scene0000_00";
        scene.mesh.xyz.assign(30, 0.0f);
        QCOMPARE(loadProposals(dir, scene).origin, ProposalOrigin::ChatSceneInstSeg);
        scene.id = "scene0001_00";
        expectError([&] { loadProposals(dir, scene); }, {dir, "no proposals for scene0001_00"});
    }

    // Three proposals against two GT objects, every number derived by hand from the ScanNet script:
    //   GT A = vertices 0..199, GT B = 200..399, vertices 400..499 unannotated (void).
    //   p1 (0.90) = A                           IoU(A) = 1
    //   p2 (0.80) = 200..299 + 400..449         IoU(B) = 100 / (200 + 150 - 100) = 0.4, one third void
    //   p3 (0.85) = 0..99                       IoU(A) = 100 / 200 = 0.5
    // AP@25: A takes p1 (TP 0.90), p3 is a duplicate (FP 0.85), B takes p2 (TP 0.80). Ascending
    //   [0.80 T, 0.85 F, 0.90 T]: (p, r) = (2/3, 1), (1/2, 1/2), (1, 1/2), then (1, 0); the step widths
    //   (r_{j-1} - r_{j+1}) / 2 are all 1/4, so AP = (2/3 + 1/2 + 1 + 1) / 4 = 19/24.
    // AP@50: IoU must exceed 0.5, so only p1 matches; B is a hard false negative; p2 (void 1/3 <= 0.5)
    //   and p3 are FPs. (p, r) = (1/3, 1/2), (1/2, 1/2), (1, 1/2), (1, 0); steps 0, 0, 1/4, 1/4 -> AP = 1/2.
    // A fourth prediction under 100 vertices is ignored whatever its score.
    void averagePrecisionByHand() {
        std::vector<Instance> gt = {instance(range(0, 200), 1, "chair"), instance(range(200, 400), 1, "table"),
                                    instance(range(400, 450), 1, "wall")};  // ignored label: void
        std::vector<uint32_t> p2 = range(200, 300);
        for (uint32_t v = 400; v < 450; ++v) p2.push_back(v);
        std::vector<Instance> pred = {instance(range(0, 200), 0.9f), instance(p2, 0.8f), instance(range(0, 100), 0.85f),
                                      instance(range(300, 399), 0.99f)};
        InstanceApEvaluator ev;
        ev.addScene(gt, pred, 500);
        const std::vector<double> ap = ev.averagePrecision();
        QCOMPARE(ap.size(), size_t(2));
        QVERIFY(std::fabs(ap[0] - 19.0 / 24.0) < 1e-12);
        QVERIFY(std::fabs(ap[1] - 0.5) < 1e-12);

        // The integration alone, and the edge cases: GT but no prediction = 0, no GT = NaN.
        QVERIFY(std::fabs(scannetAveragePrecision({{0.8, true}, {0.85, false}, {0.9, true}}, 0) - 19.0 / 24.0) < 1e-12);
        InstanceApEvaluator none;
        none.addScene(gt, {}, 500);
        QCOMPARE(none.averagePrecision()[1], 0.0);
        InstanceApEvaluator noGt;
        noGt.addScene({}, pred, 500);
        QVERIFY(std::isnan(noGt.averagePrecision()[0]));
        // A perfect set is 1 at both thresholds.
        InstanceApEvaluator perfect;
        perfect.addScene(gt, {instance(range(0, 200), 0.5f), instance(range(200, 400), 0.6f)}, 500);
        QCOMPARE(perfect.averagePrecision(), (std::vector<double>{1.0, 1.0}));
    }
};

QTEST_GUILESS_MAIN(ProposalsTest)
#include "test_proposals.moc"
