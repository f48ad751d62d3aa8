// The per-scene feature cache (core/features/feature_cache.h): a round trip keeps every field, the
// file is plain safetensors with the documented tensors, the 2D mean follows OpenMask3D's rule,
// inconsistent data is refused on write and on read, a damaged file is not taken as complete, and
// SHA-256 matches the FIPS test vectors.
#include <QTemporaryDir>
#include <QtTest>
#include <cstring>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/common/sha256.h"
#include "core/features/feature_cache.h"
#include "core/io/safetensors.h"

using namespace inst3d;

namespace {

AABB box(Vec3 lo, Vec3 hi) {
    AABB b;
    b.extend(lo);
    b.extend(hi);
    return b;
}

// 3 proposals, 2 views of 3 levels, D3 = 5, D2 = 4; proposal 1 has only its first view.
SceneFeatures sample() {
    SceneFeatures f;
    f.sceneId = "scene0042_00";
    f.meshVertices = 100;
    Instance a, b, c;
    a.id = 0, a.label = "chair", a.score = 0.9f, a.source = InstanceSource::Imported, a.vertices = {1, 2, 3};
    b.id = 1, b.label = "", b.score = 0.5f, b.source = InstanceSource::BuiltIn, b.vertices = {10, 50};
    c.id = 7, c.label = "coffee table", c.score = 1.0f, c.source = InstanceSource::GroundTruth, c.vertices = {99};
    f.proposals = {a, b, c};
    f.boxes = {box({0, 0, 0}, {1, 2, 3}), box({-1, -1, 0}, {1, 1, 0.5}), box({2, 2, 2}, {2.5, 2.25, 2.125})};
    f.dim3d = 5;
    for (int i = 0; i < 15; ++i) f.feat3d.push_back(0.25f * i - 1);
    f.views = 2, f.levels = 3, f.dim2d = 4;
    f.viewFrames = {0, 10, 20, -1, 30, 40};
    for (int i = 0; i < 3 * 2 * 3 * 4; ++i) f.cropBoxes.push_back(i);
    for (int i = 0; i < 3 * 2 * 3 * 4; ++i) f.cropFeatures.push_back(float(i % 7));
    averageCropFeatures(f);
    f.provenance = {{"encoder_3d", "uni3d-tiny"}, {"crop_source", "projected-mask-box"}};
    return f;
}

}  // namespace

class TestFeatureCache : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sha256MatchesTestVectors();
    void roundTripKeepsEveryField();
    void fileIsDocumentedSafetensors();
    void meanUsesOnlyExistingViews();
    void inconsistentDataIsRefused();
    void damagedFilesAreErrorsAndNotComplete();
    void fingerprintFollowsContent();

private:
    QTemporaryDir tmp_;
    std::string path(const char* name) { return tmp_.filePath(name).toStdString(); }
};

void TestFeatureCache::sha256MatchesTestVectors() {
    QCOMPARE(sha256Hex(""), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    QCOMPARE(sha256Hex("abc"), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    QCOMPARE(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
             std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    Sha256 million;  // one million 'a', fed in uneven pieces
    const std::string piece(997, 'a');
    size_t fed = 0;
    while (fed + piece.size() <= 1000000) million.update(piece), fed += piece.size();
    million.update(std::string(1000000 - fed, 'a'));
    QCOMPARE(million.hexDigest(), std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

void TestFeatureCache::roundTripKeepsEveryField() {
    const SceneFeatures f = sample();
    const std::string file = featureCachePath(tmp_.path().toStdString(), f.sceneId);
    QVERIFY(endsWith(file, "/scene0042_00.features.safetensors"));
    writeSceneFeatures(file, f);
    QVERIFY(isCompleteFeatureCache(file));
    const SceneFeatures g = readSceneFeatures(file);
    QCOMPARE(g.sceneId, f.sceneId);
    QCOMPARE(g.meshVertices, f.meshVertices);
    QCOMPARE(g.numProposals(), size_t(3));
    for (size_t k = 0; k < 3; ++k) {
        QCOMPARE(g.proposals[k].id, f.proposals[k].id);
        QCOMPARE(g.proposals[k].label, f.proposals[k].label);
        QCOMPARE(g.proposals[k].score, f.proposals[k].score);
        QCOMPARE(g.proposals[k].source, f.proposals[k].source);
        QCOMPARE(g.proposals[k].vertices, f.proposals[k].vertices);
        // Boxes travel as float center + size: exact for these dyadic values.
        QCOMPARE(g.boxes[k].min.x, f.boxes[k].min.x);
        QCOMPARE(g.boxes[k].max.z, f.boxes[k].max.z);
    }
    QCOMPARE(g.dim3d, 5);
    QCOMPARE(g.feat3d, f.feat3d);
    QCOMPARE(g.views, 2);
    QCOMPARE(g.levels, 3);
    QCOMPARE(g.dim2d, 4);
    QCOMPARE(g.viewFrames, f.viewFrames);
    QCOMPARE(g.cropBoxes, f.cropBoxes);
    QCOMPARE(g.cropFeatures, f.cropFeatures);
    QCOMPARE(g.feat2d, f.feat2d);
    QCOMPARE(g.provenance.at("encoder_3d"), std::string("uni3d-tiny"));
    QCOMPARE(g.provenance.at("crop_source"), std::string("projected-mask-box"));
    QVERIFY(!g.provenance.count("labels"));  // the cache's own keys are not provenance
}

void TestFeatureCache::fileIsDocumentedSafetensors() {
    const std::string file = path("doc.safetensors");
    SceneFeatures f = sample();
    writeSceneFeatures(file, f);
    SafetensorsFile st(file);
    QCOMPARE(st.get("proposal_offsets").shape, (std::vector<int64_t>{4}));
    QCOMPARE(st.get("proposal_vertices").shape, (std::vector<int64_t>{6}));
    QCOMPARE(st.get("boxes").shape, (std::vector<int64_t>{3, 6}));
    QCOMPARE(st.get("feat_3d").shape, (std::vector<int64_t>{3, 5}));
    QCOMPARE(st.get("view_frames").shape, (std::vector<int64_t>{3, 2}));
    QCOMPARE(st.get("crop_boxes").shape, (std::vector<int64_t>{3, 2, 3, 4}));
    QCOMPARE(st.get("feat_2d_crops").shape, (std::vector<int64_t>{3, 2, 3, 4}));
    QCOMPARE(st.get("feat_2d").shape, (std::vector<int64_t>{3, 4}));
    float center[6];
    std::memcpy(center, st.data(st.get("boxes")), sizeof center);
    QCOMPARE(center[0], 0.5f);  // box 0: [0,1]x[0,2]x[0,3] -> center (0.5, 1, 1.5), size (1, 2, 3)
    QCOMPARE(center[2], 1.5f);
    QCOMPARE(center[5], 3.0f);
    QCOMPARE(st.metadata().at("format"), std::string(kFeatureCacheFormat));
    QCOMPARE(st.metadata().at("labels"), std::string(R"(["chair","","coffee table"])"));
    // Without 2D data or 3D features the optional tensors are simply absent.
    f.dim3d = 0, f.feat3d.clear();
    f.views = f.levels = f.dim2d = 0;
    f.viewFrames.clear(), f.cropBoxes.clear(), f.cropFeatures.clear(), f.feat2d.clear();
    writeSceneFeatures(file, f);
    QVERIFY(!SafetensorsFile(file).find("feat_3d"));
    QVERIFY(!SafetensorsFile(file).find("view_frames"));
    QCOMPARE(readSceneFeatures(file).numProposals(), size_t(3));
}

void TestFeatureCache::meanUsesOnlyExistingViews() {
    const SceneFeatures f = sample();
    // Proposal 1 (crop values i % 7 for i = 24 + ...): only view 0 (frame 20) exists, its 3 levels.
    for (int d = 0; d < 4; ++d) {
        float sum = 0;
        for (int level = 0; level < 3; ++level) sum += float((24 + level * 4 + d) % 7);
        QCOMPARE(f.feat2d[4 + size_t(d)], sum / 3);
    }
    // Proposal 0: both views, 6 crops.
    float sum = 0;
    for (int crop = 0; crop < 6; ++crop) sum += float((crop * 4) % 7);
    QCOMPARE(f.feat2d[0], sum / 6);
    SceneFeatures none = f;
    none.viewFrames = {-1, -1, -1, -1, -1, -1};
    averageCropFeatures(none);
    QCOMPARE(none.feat2d, std::vector<float>(12, 0.f));
}

void TestFeatureCache::inconsistentDataIsRefused() {
    const std::string file = path("bad.safetensors");
    // The error of writing `f` ("" when it was accepted); it must name the file.
    auto refused = [&](const SceneFeatures& f, const char* words) {
        try {
            writeSceneFeatures(file, f);
        } catch (const Error& e) {
            const std::string what = e.what();
            return what.find(words) != std::string::npos && what.find(file) != std::string::npos;
        }
        return false;
    };
    SceneFeatures f = sample();
    f.proposals[2].vertices = {100};
    QVERIFY(refused(f, "but the mesh has 100"));
    f = sample();
    f.proposals[0].vertices = {3, 2};
    QVERIFY(refused(f, "not strictly ascending"));
    f = sample();
    f.feat3d.pop_back();
    QVERIFY(refused(f, "feat_3d has 14 values, expected 15"));
    f = sample();
    f.cropFeatures[5] = std::nanf("");
    QVERIFY(refused(f, "NaN"));
    f = sample();
    f.boxes.pop_back();
    QVERIFY(refused(f, "boxes has 2 values"));
    QVERIFY(!fileExists(file));  // nothing was written by the refused calls
}

void TestFeatureCache::damagedFilesAreErrorsAndNotComplete() {
    const std::string good = path("good.safetensors");
    writeSceneFeatures(good, sample());
    const std::vector<uint8_t> bytes = readBinaryFile(good);
    const std::string cut = path("cut.safetensors");
    writeFileAtomic(cut, bytes.data(), bytes.size() - 10);
    QVERIFY(!isCompleteFeatureCache(cut));
    QVERIFY_THROWS_EXCEPTION(Error, readSceneFeatures(cut));
    QVERIFY(!isCompleteFeatureCache(path("missing.safetensors")));
    // A valid safetensors file that is not a cache: named as such.
    const std::string other = path("other.safetensors");
    const float x = 1;
    writeSafetensors(other, {{"x", DType::F32, {1}, &x}});
    try {
        readSceneFeatures(other);
        QFAIL("a non-cache file was accepted");
    } catch (const Error& e) {
        QVERIFY2(std::string(e.what()).find("not an inst3d feature cache") != std::string::npos, e.what());
    }
    // A cache whose offsets point past the vertex list: the reader names the tensor.
    std::string text(bytes.begin(), bytes.end());
    const size_t at = text.find("\"proposal_vertices\"");
    QVERIFY(at != std::string::npos);
    const size_t shape = text.find("\"shape\":[6]", at);
    QVERIFY(shape != std::string::npos);
    text.replace(shape, 11, "\"shape\":[5]");
    const std::string tampered = path("tampered.safetensors");
    writeFileAtomic(tampered, text);
    QVERIFY_THROWS_EXCEPTION(Error, readSceneFeatures(tampered));
    // An offset in the middle that rises past the last one (the last still matches the vertex count):
    // refused before any proposal reads its vertices, which would run past proposal_vertices.
    std::vector<uint8_t> rising = bytes;
    const TensorInfo offsets = SafetensorsFile(good).get("proposal_offsets");
    const size_t dataStart = 8 + [&] { uint64_t n; std::memcpy(&n, bytes.data(), 8); return size_t(n); }();
    const int64_t far = 1000000;
    std::memcpy(rising.data() + dataStart + offsets.begin + sizeof(int64_t), &far, sizeof far);
    const std::string past = path("past.safetensors");
    writeFileAtomic(past, rising.data(), rising.size());
    try {
        readSceneFeatures(past);
        QFAIL("offsets past the vertex list were accepted");
    } catch (const Error& e) {
        QVERIFY2(std::string(e.what()).find("proposal_offsets decrease at 2") != std::string::npos &&
                     std::string(e.what()).find("past.safetensors") != std::string::npos, e.what());
    }
    // A 64-bit proposal id in the metadata: refused, not narrowed (4294967303 would become 7, a duplicate).
    const size_t headerLen = dataStart - 8;
    std::string header(bytes.begin() + 8, bytes.begin() + long(dataStart));
    const size_t idsAt = header.find("[0,1,7]");
    QVERIFY2(idsAt != std::string::npos, header.c_str());
    header.replace(idsAt, 7, "[0,1,4294967303]");
    const uint64_t newLen = header.size();
    std::string wide(reinterpret_cast<const char*>(&newLen), 8);
    wide += header;
    wide.append(bytes.begin() + long(8 + headerLen), bytes.end());
    const std::string wideIds = path("wide_ids.safetensors");
    writeFileAtomic(wideIds, wide);
    try {
        readSceneFeatures(wideIds);
        QFAIL("a 64-bit proposal id was accepted");
    } catch (const Error& e) {
        QVERIFY2(std::string(e.what()).find("id 4294967303 is not a 32-bit integer") != std::string::npos &&
                     std::string(e.what()).find("wide_ids.safetensors") != std::string::npos, e.what());
    }
}

void TestFeatureCache::fingerprintFollowsContent() {
    const std::string a = path("a.bin"), b = path("b.bin");
    std::string big(3 << 20, 'x');
    writeFileAtomic(a, big);
    big[big.size() - 1] = 'y';  // only the last byte differs: the tail is hashed
    writeFileAtomic(b, big);
    const std::string fa = checkpointFingerprint(a);
    QCOMPARE(fa, checkpointFingerprint(a));
    QVERIFY(fa != checkpointFingerprint(b));
    QVERIFY(fa.rfind("sha256-head-tail:", 0) == 0);
    writeFileAtomic(b, std::string("tiny"));
    QCOMPARE(checkpointFingerprint(b).size(), fa.size());
    QVERIFY_THROWS_EXCEPTION(Error, checkpointFingerprint(path("none.bin")));
}

QTEST_GUILESS_MAIN(TestFeatureCache)
#include "test_feature_cache.moc"
