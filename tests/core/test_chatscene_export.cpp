// Chat-Scene / Inst3D aggregated files (core/features/chatscene_export.h, `inst3d export-features`)
// from synthetic feature caches: keys, zero-row rule, the 100-row locs limit, read back through our
// reader and, where Python + torch exist, through real torch.load (tests/support/torch_digest.h).
#include <QTemporaryDir>
#include <QtTest>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/features/chatscene_export.h"
#include "core/features/feature_cache.h"
#include "core/io/torch_pickle.h"
#include "core/io/torch_save.h"
#include "support/test_support.h"
#include "support/torch_digest.h"

using namespace inst3d;

namespace {

AABB box(Vec3 center, Vec3 size) {
    AABB b;
    b.extend(center - size * 0.5);
    b.extend(center + size * 0.5);
    return b;
}

Instance proposal(int id, const std::string& label, uint32_t vertex) {
    Instance p;
    p.id = id, p.label = label, p.score = 0.5f, p.source = InstanceSource::Imported, p.vertices = {vertex};
    return p;
}

// scene0001_00: 3 proposals, D3 = 2 (proposal 1 all zeros: too small for the encoder), D2 = 3.
SceneFeatures small() {
    SceneFeatures f;
    f.sceneId = "scene0001_00";
    f.meshVertices = 10;
    f.proposals = {proposal(0, "chair", 1), proposal(1, "lamp", 2), proposal(2, "coffee table", 3)};
    f.boxes = {box({0, 0, 0}, {1, 2, 3}), box({1, 1, 1}, {0.5, 0.5, 0.5}), box({-2, 3, 0.25}, {4, 1, 0.5})};
    f.dim3d = 2;
    f.feat3d = {1, 2, 0, 0, -3, 0.5};
    f.views = 1, f.levels = 1, f.dim2d = 3;
    f.viewFrames = {0, -1, 4};
    f.cropBoxes.assign(3 * 4, 0);
    f.cropFeatures = {0.25f, 0.5f, 1, 0, 0, 0, -1, 2, 3};
    averageCropFeatures(f);
    return f;
}

// scene0002_00: 102 proposals (locs keep 100, objects all; keys "…_100", "…_101"), 3D only.
SceneFeatures large() {
    SceneFeatures f;
    f.sceneId = "scene0002_00";
    f.meshVertices = 200;
    f.dim3d = 2;
    for (uint32_t k = 0; k < 102; ++k) {
        f.proposals.push_back(proposal(int(k), "obj" + std::to_string(k), k));
        f.boxes.push_back(box({double(k), 0, 0}, {1, 1, 1}));
        f.feat3d.insert(f.feat3d.end(), {float(k) + 1, -1});
    }
    return f;
}

SaveValue vec(std::vector<float> v) { return SaveValue::floatTensor({int64_t(v.size())}, v.data()); }

SaveValue attributes(const SceneFeatures& f, size_t rows) {
    SaveValue objects = SaveValue::list();
    for (const Instance& p : f.proposals) objects.append(SaveValue::fromString(p.label));
    std::vector<float> locs;
    for (size_t k = 0; k < rows; ++k) {
        const Vec3 c = f.boxes[k].center(), s = f.boxes[k].size();
        locs.insert(locs.end(), {float(c.x), float(c.y), float(c.z), float(s.x), float(s.y), float(s.z)});
    }
    SaveValue a = SaveValue::dict();
    a.set("objects", std::move(objects));
    a.set("locs", SaveValue::floatTensor({int64_t(rows), 6}, locs.data()));
    return a;
}

SaveValue expected3d() {
    SaveValue d = SaveValue::dict();
    d.set("scene0001_00_00", vec({1, 2}));
    d.set("scene0001_00_02", vec({-3, 0.5}));  // _01 is all zeros: no key
    for (int k = 0; k < 102; ++k) d.set(chatSceneFeatureKey("scene0002_00", size_t(k)), vec({float(k) + 1, -1}));
    return d;
}

SaveValue expected2d() {  // every proposal of the scene with 2D features, zeros included
    SaveValue d = SaveValue::dict();
    d.set("scene0001_00_00", vec({0.25f, 0.5f, 1}));
    d.set("scene0001_00_01", vec({0, 0, 0}));
    d.set("scene0001_00_02", vec({-1, 2, 3}));
    return d;
}

SaveValue expectedAttributes() {
    SaveValue d = SaveValue::dict();
    d.set("scene0001_00", attributes(small(), 3));
    d.set("scene0002_00", attributes(large(), 100));
    return d;
}

void compareDigests(const nlohmann::json& got, const nlohmann::json& want) {
    if (got != want) QFAIL(("digest differs:\n got  " + got.dump().substr(0, 2000) + "\n want " + want.dump().substr(0, 2000)).c_str());
}

}  // namespace

class TestChatSceneExport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        cache_ = tmp_.filePath("cache").toStdString();
        out_ = tmp_.filePath("annotations").toStdString();
        writeSceneFeatures(featureCachePath(cache_, "scene0002_00"), large());
        writeSceneFeatures(featureCachePath(cache_, "scene0001_00"), small());
        ChatSceneExportOptions o;
        o.cacheDir = cache_;
        o.outDir = out_;
        result_ = exportChatSceneFeatures(o);
    }

    void keyFormat() {
        QCOMPARE(chatSceneFeatureKey("scene0000_00", 7), std::string("scene0000_00_07"));
        QCOMPARE(chatSceneFeatureKey("scene0000_00", 42), std::string("scene0000_00_42"));
        QCOMPARE(chatSceneFeatureKey("scene0000_00", 123), std::string("scene0000_00_123"));
        QCOMPARE(chatSceneAttributesFile("train"), std::string("scannet_mask3d_train_attributes.pt"));
    }

    void summary() {
        QCOMPARE(result_.scenes, 2);
        QCOMPARE(result_.keys3d, 104);
        QCOMPARE(result_.skipped3d, 1);
        QCOMPARE(result_.keys2d, 3);
        QCOMPARE(result_.files.size(), size_t(3));
    }

    void ownReaderSeesTheDicts() {
        compareDigests(test::digestOf(TorchCheckpoint(file(kChatScene3dFile)).root()), test::digestOf(expected3d()));
        compareDigests(test::digestOf(TorchCheckpoint(file(kChatScene2dFile)).root()), test::digestOf(expected2d()));
        compareDigests(test::digestOf(TorchCheckpoint(file(chatSceneAttributesFile("val"))).root()),
                       test::digestOf(expectedAttributes()));
    }

    void torchLoadSeesTheDicts() {
        INST3D_REQUIRE_TORCH_PYTHON();
        compareDigests(test::torchLoadDigest(file(kChatScene3dFile)), test::digestOf(expected3d()));
        compareDigests(test::torchLoadDigest(file(kChatScene2dFile)), test::digestOf(expected2d()));
        compareDigests(test::torchLoadDigest(file(chatSceneAttributesFile("val"))), test::digestOf(expectedAttributes()));
    }

    void verbWritesTheFiles() {
        const std::string out = tmp_.filePath("verb").toStdString();
        std::string stdoutText, err;
        const int rc = test::runInst3d({"export-features", "--cache", cache_, "--out", out, "--split-name", "train"}, &stdoutText, &err);
        QVERIFY2(rc == 0, err.c_str());
        QVERIFY(stdoutText.find("2 scene(s): 104 3D feature(s) (1 all-zero left out), 3 2D feature(s)") != std::string::npos);
        QVERIFY(fileExists(joinPath(out, "scannet_mask3d_train_attributes.pt")));
        QVERIFY(fileExists(joinPath(out, kChatScene3dFile)));
    }

    void errors() {
        QCOMPARE(test::errorOf([&] {
                     ChatSceneExportOptions o;
                     o.cacheDir = out_;  // holds .pt files only
                     o.outDir = out_;
                     exportChatSceneFeatures(o);
                 }),
                 out_ + ": no *.features.safetensors feature caches");
        const std::string mixed = tmp_.filePath("mixed").toStdString();
        writeSceneFeatures(featureCachePath(mixed, "scene0001_00"), small());
        SceneFeatures other = large();
        other.sceneId = "scene0003_00";
        other.dim3d = 1;
        other.feat3d.resize(102);
        writeSceneFeatures(featureCachePath(mixed, "scene0003_00"), other);
        ChatSceneExportOptions o;
        o.cacheDir = mixed;
        o.outDir = mixed;
        QCOMPARE(test::errorOf([&] { exportChatSceneFeatures(o); }),
                 featureCachePath(mixed, "scene0003_00") + ": 3D features have dimension 1, earlier caches 2");
    }

private:
    std::string file(const std::string& name) const { return joinPath(out_, name); }
    QTemporaryDir tmp_;
    std::string cache_, out_;
    ChatSceneExportResult result_;
};

QTEST_GUILESS_MAIN(TestChatSceneExport)
#include "test_chatscene_export.moc"
