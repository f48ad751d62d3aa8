// Feature extraction as a job (core/features/extraction.h) on synthetic ScanNet scenes, with two
// transparent encoders whose outputs can be recomputed here from the scene files: the cache holds the
// scene's proposals and aligned boxes, the 3D encoder sees each instance's aligned points and colors,
// the 2D encoder sees exactly the crops of the selected views (cut at the selector's boxes, scaled to
// the color frame), frames and crop boxes match the shared ViewSelector, a resumed job skips finished
// scenes and redoes damaged ones, a broken scene is reported without stopping the others.
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/features/extraction.h"
#include "core/features/feature_cache.h"
#include "core/geometry/image_crops.h"
#include "core/io/scene_loader.h"
#include "core/synth/synth.h"

using namespace inst3d;

namespace {

// 3D: [mean x, mean y, mean z, mean r, mean g, mean b, point count]; nothing for < 10 points.
class MomentEncoder : public PointEncoder {
public:
    std::string name() const override { return "test-moments"; }
    std::string checkpoint() const override { return "none"; }
    int dim() const override { return 7; }
    std::vector<float> encode(const InstancePoints& p) override {
        if (p.size() < 10) return {};
        return moments(p);
    }
    static std::vector<float> moments(const InstancePoints& p) {
        std::vector<double> sum(6, 0.0);
        for (size_t i = 0; i < p.size(); ++i)
            for (int c = 0; c < 3; ++c) sum[size_t(c)] += p.xyz[i * 3 + size_t(c)], sum[size_t(c) + 3] += p.rgb[i * 3 + size_t(c)];
        std::vector<float> out;
        for (double s : sum) out.push_back(float(s / double(p.size())));
        out.push_back(float(p.size()));
        return out;
    }
};

// 2D: L2-normalized [mean r, mean g, mean b, width, height] of the crop (as the contract asks).
class CropStatsEncoder : public CropEncoder {
public:
    std::string name() const override { return "test-crop-stats"; }
    std::string checkpoint() const override { return "none"; }
    int dim() const override { return 5; }
    std::vector<std::vector<float>> encode(const std::vector<ImageRGB8>& crops) override {
        std::vector<std::vector<float>> out;
        for (const ImageRGB8& c : crops) out.push_back(stats(c));
        ++calls;
        return out;
    }
    static std::vector<float> stats(const ImageRGB8& c) {
        std::vector<double> v(3, 0.0);
        for (size_t i = 0; i < c.pixels.size(); ++i) v[i % 3] += c.pixels[i];
        const double n = std::max<double>(1, double(c.width) * c.height);
        std::vector<double> raw{v[0] / n, v[1] / n, v[2] / n, double(c.width), double(c.height)};
        double norm = 0;
        for (double x : raw) norm += x * x;
        norm = std::sqrt(norm);
        std::vector<float> out;
        for (double x : raw) out.push_back(float(x / norm));
        return out;
    }
    int calls = 0;
};

ViewSelectionOptions smallViews() {
    ViewSelectionOptions o;
    o.topK = 3;
    o.frameStride = 2;
    return o;
}

}  // namespace

class TestExtraction : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cacheHoldsWhatTheEncodersSaw();
    void jobResumesAndSurvivesBrokenScenes();
    void sceneWithoutFramesHasNo2d();
    void listsScenesBySplitOrFolder();
    void cropsScaleOutward();

private:
    QTemporaryDir tmp_;
    std::string world_;
    std::string scans() const { return joinPath(world_, "scans"); }
};

void TestExtraction::initTestCase() {
    QVERIFY(tmp_.isValid());
    world_ = tmp_.filePath("world").toStdString();
    SynthOptions o;
    o.numScenes = 3;
    o.seed = 11;
    o.numFrames = 12;
    o.colorWidth = 320, o.colorHeight = 240;  // color twice the depth size: boxes are scaled
    o.depthWidth = 160, o.depthHeight = 120;
    o.vertexSpacing = 0.08;
    o.writeSens = false;
    o.writeLanguage = false;
    writeSynthWorld(world_, o);
}

void TestExtraction::cacheHoldsWhatTheEncodersSaw() {
    const Scene scene = loadScene(joinPath(scans(), "scene0000_00"));
    ExtractOptions options;
    options.views = smallViews();
    MomentEncoder e3;
    CropStatsEncoder e2;
    StageTimes times;
    const SceneFeatures f = extractSceneFeatures(scene, options, &e3, &e2, &times);
    QCOMPARE(f.sceneId, scene.id);
    QCOMPARE(f.numProposals(), scene.instances.size());
    QVERIFY(times.views > 0 && times.encode2d > 0);
    ViewSelector selector(scene, options.views);
    selector.computeVisibility();
    int withViews = 0;
    for (size_t k = 0; k < f.numProposals(); ++k) {
        const Instance& inst = scene.instances[k];
        QCOMPARE(f.proposals[k].vertices, inst.vertices);
        const AABB box = scene.alignedBox(inst);
        QCOMPARE(f.boxes[k].min.x, box.min.x);
        // 3D: the instance's aligned points and colors, recomputed here.
        const std::vector<float> expected = MomentEncoder::moments(instancePoints(scene, inst));
        for (size_t i = 0; i < 7; ++i) QCOMPARE(f.feat3d[k * 7 + i], expected[i]);
        QVERIFY(std::abs(expected[2] - float(box.center().z)) < box.size().z);  // aligned frame: inside its box in z
        // 2D: the selector's frames and boxes, and the crops cut from those frames.
        const ViewSelection sel = selector.select(inst);
        for (size_t j = 0; j < 3; ++j) {
            const int32_t frame = f.viewFrames[k * 3 + j];
            if (j >= sel.views.size()) {
                QCOMPARE(frame, -1);
                continue;
            }
            ++withViews;
            QCOMPARE(frame, int32_t(sel.views[j].frame));
            const ImageRGB8 color = scene.frames->color(sel.views[j].frame);
            std::vector<double> mean(5, 0.0);
            for (size_t level = 0; level < 3; ++level) {
                const PixelBox& b = sel.views[j].crops[level];
                const int32_t* stored = &f.cropBoxes[((k * 3 + j) * 3 + level) * 4];
                QCOMPARE(stored[0], b.x1);
                QCOMPARE(stored[3], b.y2);
                const auto want = CropStatsEncoder::stats(cropImage(color, scaleBoxToImage(b, 160, 120, 320, 240)));
                for (size_t i = 0; i < 5; ++i) QCOMPARE(f.cropFeatures[(((k * 3 + j) * 3 + level) * 5) + i], want[i]);
            }
        }
    }
    QVERIFY(withViews > 10);
    QCOMPARE(f.provenance.at("encoder_3d"), std::string("test-moments"));
    QCOMPARE(f.provenance.at("crop_source"), std::string("projected-mask-box"));
    QVERIFY(f.provenance.at("view_selection").find("\"top_k\":3") != std::string::npos);
    // The same features survive the file.
    const std::string file = tmp_.filePath("one.safetensors").toStdString();
    writeSceneFeatures(file, f);
    const SceneFeatures back = readSceneFeatures(file);
    QCOMPARE(back.feat2d, f.feat2d);
    QCOMPARE(back.feat3d, f.feat3d);
}

void TestExtraction::jobResumesAndSurvivesBrokenScenes() {
    const std::string out = tmp_.filePath("cache").toStdString();
    ExtractJob job;
    job.sceneDirs = listSceneDirs(scans());
    QCOMPARE(job.sceneDirs.size(), size_t(3));
    job.outDir = out;
    ExtractOptions options;
    options.views = smallViews();
    MomentEncoder e3;
    CropStatsEncoder e2;
    std::vector<size_t> seen;
    ExtractReport first = runExtraction(job, options, &e3, &e2, [&](size_t done, size_t total, const std::string&) {
        seen.push_back(done);
        return total == 3;
    });
    QCOMPARE(first.written.size(), size_t(3));
    QCOMPARE(seen, (std::vector<size_t>{0, 1, 2, 3}));
    for (const char* id : {"scene0000_00", "scene0001_00", "scene0002_00"})
        QVERIFY(isCompleteFeatureCache(featureCachePath(out, id)));
    // Resumed: finished scenes are skipped; a damaged cache is redone.
    const std::string damaged = featureCachePath(out, "scene0001_00");
    const auto bytes = readBinaryFile(damaged);
    writeFileAtomic(damaged, bytes.data(), bytes.size() / 2);
    const int callsBefore = e2.calls;
    ExtractReport second = runExtraction(job, options, &e3, &e2);
    QCOMPARE(second.skipped.size(), size_t(2));
    QCOMPARE(second.written, (std::vector<std::string>{job.sceneDirs[1]}));
    QVERIFY(e2.calls > callsBefore);
    QVERIFY(isCompleteFeatureCache(damaged));
    // A broken scene (its mesh cut short) and a missing one are reported; the rest are written.
    const std::string broken = tmp_.filePath("broken/scene0009_00").toStdString();
    std::filesystem::create_directories(broken);
    const auto ply = readBinaryFile(joinPath(scans(), "scene0000_00/scene0000_00_vh_clean_2.ply"));
    writeFileAtomic(joinPath(broken, "scene0009_00_vh_clean_2.ply"), ply.data(), ply.size() / 3);
    job.sceneDirs = {broken, tmp_.filePath("nowhere/scene0010_00").toStdString(), job.sceneDirs[2]};
    job.outDir = tmp_.filePath("cache2").toStdString();
    ExtractReport third = runExtraction(job, options, &e3, nullptr);
    QCOMPARE(third.failed.size(), size_t(2));
    QVERIFY2(third.failed[0].second.find("scene0009_00_vh_clean_2.ply") != std::string::npos, third.failed[0].second.c_str());
    QCOMPARE(third.written.size(), size_t(1));
    QVERIFY(!fileExists(featureCachePath(job.outDir, "scene0009_00")));
    const SceneFeatures only3d = readSceneFeatures(featureCachePath(job.outDir, "scene0002_00"));
    QCOMPARE(only3d.dim3d, 7);
    QCOMPARE(only3d.dim2d, 0);   // no 2D encoder: views and boxes only
    QCOMPARE(only3d.views, 3);
}

void TestExtraction::sceneWithoutFramesHasNo2d() {
    Scene scene = loadScene(joinPath(scans(), "scene0000_00"));
    scene.frames.reset();
    ExtractOptions options;
    CropStatsEncoder e2;
    const SceneFeatures f = extractSceneFeatures(scene, options, nullptr, &e2);
    QCOMPARE(f.views, 0);
    QCOMPARE(f.dim2d, 0);
    QCOMPARE(f.dim3d, 0);
    QCOMPARE(e2.calls, 0);
    QVERIFY(f.provenance.at("view_selection").find("no RGB-D frames") != std::string::npos);
    // Proposals from a provider instead of the ground truth.
    options.proposalsName = "first-two";
    options.proposals = [](const Scene& s) { return std::vector<Instance>(s.instances.begin(), s.instances.begin() + 2); };
    QCOMPARE(extractSceneFeatures(scene, options, nullptr, nullptr).numProposals(), size_t(2));
}

void TestExtraction::listsScenesBySplitOrFolder() {
    const std::string split = tmp_.filePath("split.txt").toStdString();
    writeFileAtomic(split, std::string("scene0002_00\n\nscene0000_00\n"));
    const auto listed = listSceneDirs(scans(), split);
    QCOMPARE(listed, (std::vector<std::string>{joinPath(scans(), "scene0000_00"), joinPath(scans(), "scene0002_00")}));
    QVERIFY_THROWS_EXCEPTION(Error, listSceneDirs(tmp_.filePath("nothing").toStdString()));
    QVERIFY_THROWS_EXCEPTION(Error, listSceneDirs(scans(), tmp_.filePath("nosplit.txt").toStdString()));
}

void TestExtraction::cropsScaleOutward() {
    PixelBox b{3, 5, 7, 9};
    PixelBox same = scaleBoxToImage(b, 160, 120, 160, 120);
    QVERIFY(same == b);
    PixelBox twice = scaleBoxToImage(b, 160, 120, 320, 240);
    QVERIFY((twice == PixelBox{6, 10, 14, 18}));
    PixelBox odd = scaleBoxToImage(b, 160, 120, 200, 150);  // x1 3.75 -> 3, x2 8.75 -> 9
    QVERIFY((odd == PixelBox{3, 6, 9, 12}));
    ImageRGB8 img;
    img.width = 4, img.height = 3;
    for (int i = 0; i < 36; ++i) img.pixels.push_back(uint8_t(i));
    const ImageRGB8 c = cropImage(img, PixelBox{1, 1, 3, 3});
    QCOMPARE(c.width, 2);
    QCOMPARE(c.height, 2);
    QCOMPARE(int(c.at(0, 0)[0]), (1 * 4 + 1) * 3);
    QCOMPARE(int(c.at(1, 1)[2]), (2 * 4 + 2) * 3 + 2);
    QCOMPARE(cropImage(img, PixelBox{2, 2, 2, 3}).pixels.size(), size_t(0));
}

QTEST_GUILESS_MAIN(TestExtraction)
#include "test_extraction.moc"
