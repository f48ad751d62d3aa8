// The built-in segmenter (core/proposals/segmenter.h) on synthetic ScanNet-layout scenes written to a
// temporary folder: it finds the floor and the four walls, reaches a measured class-agnostic AP@50 on
// meshes and on the same scenes as point clouds, is deterministic, and turns bad input into Errors.
// Also the over-segmentation on hand-made surfaces and the `segment` verb end to end.
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/scene_loader.h"
#include "core/proposals/instance_eval.h"
#include "core/proposals/mask3d_export.h"
#include "core/proposals/oversegment.h"
#include "core/proposals/segmenter.h"
#include "core/scene/scene.h"
#include "core/synth/synth.h"
#include "support/test_support.h"

using namespace inst3d;

namespace {

SynthOptions meshOnly() {
    SynthOptions o;
    o.seed = 1;
    o.numFrames = 0;
    o.writeSens = o.writeExportedFrames = o.writeLanguage = false;
    return o;
}

std::string writeScene(const QTemporaryDir& dir, int index) {
    const std::string scans = joinPath(dir.path().toStdString(), "scans");
    return writeSynthSceneFolder(scans, generateSynthScene(index, meshOnly()), meshOnly());
}

Scene load(const std::string& folder) {
    LoadOptions o;
    o.loadFrames = false;
    o.loadLabels = false;
    return loadScene(folder, o);
}

double iou(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
    size_t i = 0, j = 0, inter = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i] == b[j]) ++inter, ++i, ++j;
        else if (a[i] < b[j]) ++i;
        else ++j;
    }
    return double(inter) / double(a.size() + b.size() - inter);
}

// Best IoU of GT instance `gt` against the predictions labelled `label`.
double bestIoU(const Instance& gt, const std::vector<Instance>& pred, const std::string& label) {
    double best = 0;
    for (const Instance& p : pred)
        if (p.label == label) best = std::max(best, iou(gt.vertices, p.vertices));
    return best;
}

// A flat n x n grid of unit spacing in the plane z = 0, or bent up along x = n/2 into a wall (L shape).
Scene gridScene(int n, bool bent) {
    Scene s;
    s.id = "grid";
    for (int j = 0; j < n; ++j)
        for (int i = 0; i < n; ++i) {
            const bool up = bent && i > n / 2;
            const float x = up ? float(n / 2) : float(i), z = up ? float(i - n / 2) : 0.0f;
            s.mesh.xyz.insert(s.mesh.xyz.end(), {x * 0.05f, float(j) * 0.05f, z * 0.05f});
        }
    for (int j = 0; j + 1 < n; ++j)
        for (int i = 0; i + 1 < n; ++i) {
            const uint32_t a = uint32_t(j * n + i);
            s.mesh.faces.insert(s.mesh.faces.end(), {a, a + 1, a + uint32_t(n) + 1, a, a + uint32_t(n) + 1, a + uint32_t(n)});
        }
    return s;
}

size_t segmentCount(const std::vector<int32_t>& seg) { return size_t(*std::max_element(seg.begin(), seg.end()) + 1); }

}  // namespace

class SegmenterTest : public QObject {
    Q_OBJECT

private slots:
    void oversegmentationSplitsAtCreases() {
        const Scene flat = gridScene(30, false), bent = gridScene(16, true);  // crease line < segMinVerts
        QCOMPARE(segmentCount(oversegment(buildPointGraph(flat))), size_t(1));
        // A 90-degree concave crease costs w = 1 (no convex discount), far above kThresh.
        const std::vector<int32_t> seg = oversegment(buildPointGraph(bent));
        QCOMPARE(segmentCount(seg), size_t(2));
        QVERIFY(seg.front() != seg.back());
        // Deterministic numbering: by lowest vertex.
        QCOMPARE(seg.front(), 0);
    }

    void findsFloorAndWallsOnASyntheticRoom() {
        QTemporaryDir dir;
        const Scene scene = load(writeScene(dir, 0));
        const SegmenterOutput out = segmentScene(scene);
        QCOMPARE(out.proposals.origin, ProposalOrigin::BuiltInSegmenter);
        QCOMPARE(out.floorInstances, 1);
        QCOMPARE(out.wallInstances, 4);
        QCOMPARE(out.ceilingInstances, 0);  // the synthetic rooms have none
        int walls = 0;
        for (const Instance& gt : scene.instances) {
            if (gt.label == "floor") QVERIFY2(bestIoU(gt, out.proposals.instances, "floor") > 0.95, "floor not found");
            if (gt.label != "wall") continue;
            ++walls;
            QVERIFY2(bestIoU(gt, out.proposals.instances, "wall") > 0.95, "a wall was not found");
        }
        QCOMPARE(walls, 4);
        for (const Instance& p : out.proposals.instances) {
            QCOMPARE(p.source, InstanceSource::BuiltIn);
            QVERIFY(p.score > 0 && p.score < 1);
            QVERIFY(std::is_sorted(p.vertices.begin(), p.vertices.end()));
        }
        checkProposals(out.proposals, scene.mesh.numVertices(), scene.sourcePath);
    }

    // Measured on scenes 0-2 of seed 1: AP@50 1.000 on meshes, 0.859 as point clouds (docs/performance.md
    // has the 10-scene figure). The asserted floors leave a margin for harmless changes.
    void reachesMeasuredApOnMeshesAndPointClouds() {
        QTemporaryDir dir;
        InstanceApEvaluator mesh, cloud;
        for (int index = 0; index < 3; ++index) {
            Scene scene = load(writeScene(dir, index));
            const SegmenterOutput m = segmentScene(scene);
            mesh.addScene(scene.instances, m.proposals.instances, scene.mesh.numVertices());
            scene.mesh.faces.clear();  // the same vertices as a point cloud: kNN graph, PCA normals
            const SegmenterOutput c = segmentScene(scene);
            QCOMPARE(c.floorInstances, 1);
            QVERIFY(c.wallInstances >= 4);
            cloud.addScene(scene.instances, c.proposals.instances, scene.mesh.numVertices());
        }
        const std::vector<double> apMesh = mesh.averagePrecision(), apCloud = cloud.averagePrecision();
        qInfo("mesh AP@25 %.3f AP@50 %.3f, cloud AP@25 %.3f AP@50 %.3f", apMesh[0], apMesh[1], apCloud[0], apCloud[1]);
        QVERIFY2(apMesh[1] >= 0.85, "mesh AP@50 fell below its measured floor");
        QVERIFY2(apCloud[1] >= 0.75, "point-cloud AP@50 fell below its measured floor");
    }

    void isDeterministic() {
        QTemporaryDir dir;
        Scene scene = load(writeScene(dir, 1));
        const SegmenterOutput a = segmentScene(scene), b = segmentScene(scene);
        QCOMPARE(a.segIndices, b.segIndices);
        QCOMPARE(a.proposals.instances.size(), b.proposals.instances.size());
        for (size_t i = 0; i < a.proposals.instances.size(); ++i) {
            QCOMPARE(a.proposals.instances[i].vertices, b.proposals.instances[i].vertices);
            QCOMPARE(a.proposals.instances[i].score, b.proposals.instances[i].score);
        }
    }

    void badInputIsAnErrorNotACrash() {
        Scene empty;
        empty.sourcePath = "/captures/empty.ply";
        QVERIFY(test::errorOf([&] { segmentScene(empty); }).find("/captures/empty.ply: the scene has no vertices") == 0);
        Scene nan = gridScene(5, false);
        nan.sourcePath = "/captures/nan.ply";
        nan.mesh.xyz[3 * 7 + 1] = std::nanf("");
        QVERIFY(test::errorOf([&] { segmentScene(nan); }).find("/captures/nan.ply: vertex 7 has a non-finite coordinate") == 0);
        nan.mesh.faces.clear();  // the point-cloud path checks too
        QVERIFY(test::errorOf([&] { segmentScene(nan); }).find("vertex 7 has a non-finite coordinate") != std::string::npos);
        Scene badAlign = gridScene(5, false);
        badAlign.axisAlignment(0, 3) = INFINITY;
        QVERIFY(test::errorOf([&] { segmentScene(badAlign); }).find("axisAlignment") != std::string::npos);
        // A scene too small for any instance is not an error: it just has none.
        QVERIFY(segmentScene(gridScene(3, false)).proposals.instances.empty());
    }

    // 100k identical points (a hostile file, or a scanner that parked at one spot): the neighbour search
    // visited every point from every point, 10^10 steps; it is capped now, and the scene still segments
    // into valid instances (time in docs/reliability.md; ctest's timeout catches a hang).
    void degenerateCloudsFinish() {
        constexpr size_t kPoints = 100000;
        for (bool withFaces : {false, true}) {
            Scene same;
            same.id = "same";
            for (size_t i = 0; i < kPoints; ++i) same.mesh.xyz.insert(same.mesh.xyz.end(), {1.0f, 2.0f, 0.5f});
            if (withFaces)
                for (uint32_t i = 0; i + 2 < kPoints; i += 3) same.mesh.faces.insert(same.mesh.faces.end(), {i, i + 1, i + 2});
            const SegmenterOutput out = segmentScene(same);
            QCOMPARE(out.segIndices.size(), kPoints);
            for (const Instance& inst : out.proposals.instances) {
                QVERIFY(std::isfinite(inst.score));
                for (uint32_t v : inst.vertices) QVERIFY(v < kPoints);
            }
        }
    }

    void segmentVerbWritesAnExportAndEvaluates() {
        QTemporaryDir dir;
        const std::string folder = writeScene(dir, 0), out = joinPath(dir.path().toStdString(), "export");
        std::string stdoutText, stderrText;
        const int rc = test::runInst3d({"segment", "--scene", folder, "--out", out, "--eval"}, &stdoutText, &stderrText);
        QVERIFY2(rc == 0, stderrText.c_str());
        QVERIFY2(stdoutText.find("walls 4") != std::string::npos, stdoutText.c_str());
        QVERIFY2(stdoutText.find("AP@50") != std::string::npos, stdoutText.c_str());
        const Scene scene = load(folder);
        const ProposalSet back = readMask3DExport(mask3DExportPath(out, scene.id), scene.mesh.numVertices());
        QCOMPARE(back.instances.size(), segmentScene(scene).proposals.instances.size());
        // Usage and data errors exit 2 and 1 with a message.
        QCOMPARE(test::runInst3d({"segment"}, nullptr, &stderrText), 2);
        QCOMPARE(test::runInst3d({"segment", "--scene", joinPath(folder, "nothing.ply")}, nullptr, &stderrText), 1);
        QVERIFY2(stderrText.find("nothing.ply") != std::string::npos, stderrText.c_str());
    }
};

QTEST_GUILESS_MAIN(SegmenterTest)
#include "test_segmenter.moc"
