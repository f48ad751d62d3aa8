// OpenMask3D view selection (core/geometry/view_selection.h) on a synthetic scene: selected views are
// ones where the rendered depth really shows the instance, occluded and out-of-view frames are never
// chosen, scores equal a brute-force recount, crops and intrinsics follow the reference formulas.
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "core/common/error.h"
#include "core/config/config.h"
#include "core/geometry/view_selection.h"
#include "core/io/scene_loader.h"
#include "core/synth/synth.h"

using namespace inst3d;

namespace {

// Independent ground truth per (instance, frame), from the frame's rendered depth, the file's own
// depth intrinsics (pixel-center convention, rounding) and a rigid pose inverse: nothing shared
// with the selector's code path. The margins absorb the reference's truncation and intrinsics quirk.
struct Truth {
    int surelyVisible = 0;   // vertices on the depth surface (5 cm) at their rounded pixel
    int maybeVisible = 0;    // vertices within 0.2 m + 3 cm of the surface somewhere in their 3x3 block
    int inFrustum = 0;       // vertices in front of the camera and inside the image
};

Truth groundTruth(const Scene& scene, const Instance& inst, size_t frame, const ImageDepth16& depth) {
    const Intrinsics k = scene.frames->depthIntrinsics();
    const Mat4 toCam = scene.frames->pose(frame).cameraToWorld.rigidInverse();
    Truth t;
    for (uint32_t v : inst.vertices) {
        const Vec3 c = toCam.transformPoint(scene.mesh.vertex(v));
        if (c.z <= 0.01) continue;
        const double u = k.fx * c.x / c.z + k.cx, w = k.fy * c.y / c.z + k.cy;
        const int x = static_cast<int>(std::lround(u)), y = static_cast<int>(std::lround(w));
        if (x >= 0 && y >= 0 && x < depth.width && y < depth.height) {
            ++t.inFrustum;
            if (depth.at(x, y) && std::fabs(depth.at(x, y) / 1000.0 - c.z) < 0.05) ++t.surelyVisible;
        }
        bool maybe = false;
        for (int dy = -1; dy <= 1 && !maybe; ++dy)
            for (int dx = -1; dx <= 1 && !maybe; ++dx) {
                const int xx = x + dx, yy = y + dy;
                if (xx < 0 || yy < 0 || xx >= depth.width || yy >= depth.height) continue;
                maybe = std::fabs(depth.at(xx, yy) / 1000.0 - c.z) <= 0.23;
            }
        t.maybeVisible += maybe ? 1 : 0;
    }
    return t;
}

// The reference loop written out plainly: adapted intrinsics by the literal formula, numpy-style
// truncation, a std::set of distinct pixels.
int bruteForceScore(const Scene& scene, const Instance& inst, size_t frame, const ImageDepth16& depth) {
    const Intrinsics c = scene.frames->colorIntrinsics();
    const double H0 = c.height, W0 = c.width, H = depth.height, W = depth.width;
    const double fx = c.fx * std::floor(W * H0 / W0) / H0, fy = c.fy * W / W0;
    const double cx = c.cx * (H - 1) / (H0 - 1), cy = c.cy * (W - 1) / (W0 - 1);
    const Mat4 P = scene.frames->pose(frame).cameraToWorld.inverse();
    std::set<long> pixels;
    for (uint32_t v : inst.vertices) {
        const Vec3 p = P.transformPoint(scene.mesh.vertex(v));
        const double u = fx * p.x + cx * p.z, w = fy * p.y + cy * p.z, z = p.z;
        if (z == 0) continue;
        const long x = static_cast<long>(u / z), y = static_cast<long>(w / z);
        if (x < 0 || y < 0 || x >= W || y >= H) continue;
        if (std::fabs(depth.at(int(x), int(y)) / 1000.0 - z) <= 0.2) pixels.insert(y * long(W) + x);
    }
    return static_cast<int>(pixels.size());
}

// Marks some frames' poses invalid, as ScanNet's -inf poses are.
class LostTrackingFrames : public FrameSource {
public:
    LostTrackingFrames(std::shared_ptr<FrameSource> inner, std::set<size_t> lost)
        : inner_(std::move(inner)), lost_(std::move(lost)) {}
    std::string description() const override { return inner_->description(); }
    size_t numFrames() const override { return inner_->numFrames(); }
    Intrinsics colorIntrinsics() const override { return inner_->colorIntrinsics(); }
    Intrinsics depthIntrinsics() const override { return inner_->depthIntrinsics(); }
    FramePose pose(size_t f) const override {
        if (!lost_.count(f)) return inner_->pose(f);
        FramePose p;
        p.cameraToWorld.m.fill(-std::numeric_limits<double>::infinity());
        p.valid = false;
        return p;
    }
    ImageRGB8 color(size_t f) const override { return inner_->color(f); }
    ImageDepth16 depth(size_t f) const override { return inner_->depth(f); }

private:
    std::shared_ptr<FrameSource> inner_;
    std::set<size_t> lost_;
};

}  // namespace

class TestViewSelection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void adaptedIntrinsicsFollowReferenceFormula();
    void cropLevelsFollowFormula();
    void optionsFromConfig();
    void selectedViewsShowTheInstance();
    void scoresMatchBruteForce();
    void invalidPosesAreSkipped();
    void sceneWithoutFramesIsAnError();

private:
    QTemporaryDir tmp_;
    Scene scene_;
    ViewSelectionOptions options_;
    std::unique_ptr<ViewSelector> selector_;
    std::map<size_t, ImageDepth16> depths_;  // sampled frames
};

void TestViewSelection::initTestCase() {
    QVERIFY(tmp_.isValid());
    SynthOptions o;
    o.numScenes = 1;
    o.seed = 3;
    o.numFrames = 36;
    o.colorWidth = 160;
    o.colorHeight = 120;
    o.depthWidth = 80;
    o.depthHeight = 60;
    o.vertexSpacing = 0.1;
    o.writeSens = false;
    o.writeLanguage = false;
    writeSynthWorld(tmp_.path().toStdString(), o);
    scene_ = loadScene(tmp_.filePath("scans/scene0000_00").toStdString());
    QVERIFY(scene_.frames);
    QVERIFY(scene_.instances.size() > 5);
    options_.frameStride = 3;
    options_.topK = 4;
    selector_ = std::make_unique<ViewSelector>(scene_, options_);
    QVERIFY(selector_->computeVisibility());
    for (size_t f : selector_->sampledFrames()) depths_[f] = scene_.frames->depth(f);
    QCOMPARE(depths_.size(), size_t(12));
}

void TestViewSelection::adaptedIntrinsicsFollowReferenceFormula() {
    // ScanNet: 1296x968 color intrinsics to 640x480 depth; factors quoted in the brief.
    Intrinsics c{1170.187988, 1170.187988, 647.75, 483.75, 1296, 968};
    Intrinsics k = adaptIntrinsicsOpenMask3D(c, 640, 480);
    QCOMPARE(k.width, 640);
    QCOMPARE(k.height, 480);
    QVERIFY(std::fabs(k.fx / c.fx - 478.0 / 968.0) < 1e-15);
    QVERIFY(std::fabs(k.fy / c.fy - 640.0 / 1296.0) < 1e-15);
    QVERIFY(std::fabs(k.cx / c.cx - 479.0 / 967.0) < 1e-15);
    QVERIFY(std::fabs(k.cy / c.cy - 639.0 / 1295.0) < 1e-15);
    QVERIFY(std::fabs(k.fx / c.fx - 0.49380) < 5e-6 && std::fabs(k.cy / c.cy - 0.49344) < 5e-6);
    // Same size: unchanged, as the reference returns the matrix as is.
    Intrinsics same = adaptIntrinsicsOpenMask3D(c, 1296, 968);
    QCOMPARE(same.fx, c.fx);
    QCOMPARE(same.cx, c.cx);
}

void TestViewSelection::cropLevelsFollowFormula() {
    const int W = 100, H = 50;
    // Mask spanning columns 10..32 and rows 20..31: box [10,33) x [20,32), 23 x 12 pixels.
    std::vector<uint32_t> mask = {20u * W + 10, 31u * W + 32, 25u * W + 15};
    auto crops = multiLevelCrops(mask, W, H, 3, 0.1);
    QCOMPARE(crops.size(), size_t(3));
    QVERIFY(crops[0] == (PixelBox{10, 20, 33, 32}));
    // int(23*0.1)=2, int(12*0.1)=1 per level.
    QVERIFY(crops[1] == (PixelBox{8, 19, 35, 33}));
    QVERIFY(crops[2] == (PixelBox{6, 18, 37, 34}));
    // Near the border the expansion is clipped to the image.
    std::vector<uint32_t> corner = {0u, 49u * W + 99};
    auto big = multiLevelCrops(corner, W, H, 3, 0.1);
    QVERIFY(big[0] == (PixelBox{0, 0, 100, 50}));
    QVERIFY(big[2] == (PixelBox{0, 0, 100, 50}));
    QVERIFY(multiLevelCrops({}, W, H, 3, 0.1).empty());
}

void TestViewSelection::optionsFromConfig() {
    Config config = Config::defaults();
    ViewSelectionOptions d = ViewSelectionOptions::fromConfig(config);
    QCOMPARE(d.topK, 5);
    QCOMPARE(d.frameStride, 10);
    QCOMPARE(d.depthThreshold, 0.2);
    QCOMPARE(d.cropLevels, 3);
    QCOMPARE(d.cropExpansion, 0.1);
    QVERIFY(d.referenceIntrinsics);
    config.applyOverrides({"views.top_k=7", "views.frame_stride=2", "views.depth_threshold=0.05",
                           "views.reference_intrinsics=false"});
    ViewSelectionOptions o = ViewSelectionOptions::fromConfig(config);
    QVERIFY(!o.referenceIntrinsics);
    // The reference's rescaling by default; the scene's own depth intrinsics when switched off.
    const Intrinsics quirky = ViewSelector(scene_, d).intrinsics(), depth = ViewSelector(scene_, o).intrinsics();
    const Intrinsics fileDepth = scene_.frames->depthIntrinsics();
    QCOMPARE(depth.fx, fileDepth.fx);
    QCOMPARE(depth.cy, fileDepth.cy);
    const Intrinsics expected = adaptIntrinsicsOpenMask3D(scene_.frames->colorIntrinsics(), 80, 60);
    QCOMPARE(quirky.fx, expected.fx);
    QCOMPARE(quirky.cy, expected.cy);
    QVERIFY(quirky.cy != fileDepth.cy);  // the quirk really differs here (cy scaled by a width ratio)
    QCOMPARE(o.topK, 7);
    QCOMPARE(o.frameStride, 2);
    QCOMPARE(o.depthThreshold, 0.05);
    config.applyOverride("views.top_k=0");
    QVERIFY_THROWS_EXCEPTION(Error, ViewSelectionOptions::fromConfig(config));
}

void TestViewSelection::selectedViewsShowTheInstance() {
    int occludedPairs = 0, outOfViewPairs = 0, checkedViews = 0, instancesWithViews = 0;
    for (const Instance& inst : scene_.instances) {
        ViewSelection sel = selector_->select(inst);
        QCOMPARE(sel.width, 80);
        QCOMPARE(sel.height, 60);
        QVERIFY(sel.views.size() <= size_t(options_.topK));
        std::set<size_t> chosen;
        for (const InstanceView& v : sel.views) chosen.insert(v.frame);
        instancesWithViews += sel.views.empty() ? 0 : 1;
        for (const auto& [frame, depth] : depths_) {
            Truth t = groundTruth(scene_, inst, frame, depth);
            const QString where = QString("instance %1 (%2) frame %3: surely %4 maybe %5 frustum %6")
                                      .arg(inst.id).arg(QString::fromStdString(inst.label)).arg(frame)
                                      .arg(t.surelyVisible).arg(t.maybeVisible).arg(t.inFrustum);
            if (t.maybeVisible == 0) {
                // Fully occluded or out of view: never selected.
                QVERIFY2(!chosen.count(frame), qPrintable(where));
                (t.inFrustum > 0 ? occludedPairs : outOfViewPairs) += 1;
            }
            if (chosen.count(frame)) {
                ++checkedViews;
                QVERIFY2(t.maybeVisible > 0, qPrintable(where));
            }
            // Clearly visible somewhere in this frame: the instance must have views at all.
            if (t.surelyVisible >= 3) QVERIFY2(!sel.views.empty(), qPrintable(where));
        }
        // Selected frames really are the best ones by ground truth too: the best view by score is
        // never a frame where the instance is barely there while another frame shows it widely.
        if (!sel.views.empty()) {
            int bestTruth = 0;
            for (const auto& [frame, depth] : depths_)
                bestTruth = std::max(bestTruth, groundTruth(scene_, inst, frame, depth).surelyVisible);
            int topTruth = groundTruth(scene_, inst, sel.views[0].frame, depths_.at(sel.views[0].frame)).surelyVisible;
            QVERIFY2(topTruth * 3 >= bestTruth,
                     qPrintable(QString("instance %1: top view %2 shows %3 vertices, the best frame %4")
                                    .arg(inst.id).arg(sel.views[0].frame).arg(topTruth).arg(bestTruth)));
        }
    }
    // The scene must exercise all cases, or the checks above prove nothing.
    QVERIFY2(occludedPairs > 0, "no instance is occluded in any sampled frame");
    QVERIFY2(outOfViewPairs > 0, "no instance is out of view in any sampled frame");
    QVERIFY(checkedViews > 20);
    QVERIFY(instancesWithViews > 5);
}

void TestViewSelection::scoresMatchBruteForce() {
    for (const Instance& inst : scene_.instances) {
        // Brute force over all sampled frames, ranked as the selector documents.
        std::vector<std::pair<int, size_t>> ranked;  // (-score, frame)
        for (const auto& [frame, depth] : depths_) {
            int s = bruteForceScore(scene_, inst, frame, depth);
            if (s > 0) ranked.push_back({-s, frame});
        }
        std::sort(ranked.begin(), ranked.end());
        ranked.resize(std::min(ranked.size(), size_t(options_.topK)));
        ViewSelection sel = selector_->select(inst);
        QCOMPARE(sel.views.size(), ranked.size());
        for (size_t i = 0; i < ranked.size(); ++i) {
            const InstanceView& v = sel.views[i];
            QCOMPARE(v.frame, ranked[i].second);
            QCOMPARE(v.score, -ranked[i].first);
            QCOMPARE(v.pixels.size(), size_t(v.score));
            QVERIFY(std::is_sorted(v.pixels.begin(), v.pixels.end()));
            // Crops: level 0 is the pixels' bounding box, then 0.1 per level, clipped.
            int x1 = 1 << 30, y1 = 1 << 30, x2 = -1, y2 = -1;
            for (uint32_t p : v.pixels) {
                x1 = std::min<int>(x1, p % 80);
                x2 = std::max<int>(x2, p % 80 + 1);
                y1 = std::min<int>(y1, p / 80);
                y2 = std::max<int>(y2, p / 80 + 1);
            }
            QCOMPARE(v.crops.size(), size_t(3));
            for (int l = 0; l < 3; ++l) {
                int dx = int((x2 - x1) * 0.1) * l, dy = int((y2 - y1) * 0.1) * l;
                PixelBox want{std::max(0, x1 - dx), std::max(0, y1 - dy), std::min(80, x2 + dx), std::min(60, y2 + dy)};
                QVERIFY(v.crops[size_t(l)] == want);
            }
        }
    }
}

void TestViewSelection::invalidPosesAreSkipped() {
    Scene scene = scene_;
    scene.frames = std::make_shared<LostTrackingFrames>(scene_.frames, std::set<size_t>{0, 9, 10});
    ViewSelector selector(scene, options_);
    std::vector<size_t> frames = selector.sampledFrames();
    QCOMPARE(frames, (std::vector<size_t>{3, 6, 12, 15, 18, 21, 24, 27, 30, 33}));
    QVERIFY(selector.computeVisibility());
    for (const Instance& inst : scene.instances)
        for (const InstanceView& v : selector.select(inst).views) QVERIFY(v.frame != 0 && v.frame != 9);
    // Cancelling leaves it unprepared.
    ViewSelector cancelled(scene, options_);
    QVERIFY(!cancelled.computeVisibility([](double f) { return f < 0.3; }));
    QVERIFY(!cancelled.hasVisibility());
}

void TestViewSelection::sceneWithoutFramesIsAnError() {
    Scene scene = scene_;
    scene.frames.reset();
    QVERIFY_THROWS_EXCEPTION(Error, ViewSelector(scene, options_));
}

QTEST_GUILESS_MAIN(TestViewSelection)
#include "test_view_selection.moc"
