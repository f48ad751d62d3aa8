#include "core/features/feature_cache.h"

#include <cmath>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/common/sha256.h"
#include "core/io/json_file.h"
#include "core/io/safetensors.h"

namespace inst3d {
namespace {

using json = nlohmann::json;

// Metadata keys the cache owns; everything else in __metadata__ is provenance.
const char* const kOwnKeys[] = {"format", "scene_id", "mesh_vertices", "labels", "sources", "ids"};

bool isOwnKey(const std::string& key) {
    for (const char* own : kOwnKeys)
        if (key == own) return true;
    return false;
}

void expectSize(const std::string& path, const char* field, size_t actual, size_t expected) {
    if (actual != expected)
        fail(path, std::string(field) + " has " + std::to_string(actual) + " values, expected " + std::to_string(expected));
}

void checkConsistent(const std::string& path, const SceneFeatures& f) {
    const size_t n = f.numProposals();
    if (f.sceneId.empty()) fail(path, "scene id is empty");
    expectSize(path, "boxes", f.boxes.size(), n);
    if (f.dim3d < 0 || f.dim2d < 0 || f.views < 0 || f.levels < 0) fail(path, "negative dimension");
    expectSize(path, "feat_3d", f.feat3d.size(), n * size_t(f.dim3d));
    const size_t nv = n * size_t(f.views);
    expectSize(path, "view_frames", f.viewFrames.size(), nv);
    expectSize(path, "crop_boxes", f.cropBoxes.size(), nv * size_t(f.levels) * 4);
    expectSize(path, "feat_2d_crops", f.cropFeatures.size(), nv * size_t(f.levels) * size_t(f.dim2d));
    expectSize(path, "feat_2d", f.feat2d.size(), n * size_t(f.dim2d));
    for (size_t k = 0; k < n; ++k)
        for (size_t i = 0; i < f.proposals[k].vertices.size(); ++i) {
            const uint32_t v = f.proposals[k].vertices[i];
            if (v >= f.meshVertices)
                fail(path, "proposal " + std::to_string(k) + " has vertex " + std::to_string(v) + " but the mesh has " +
                               std::to_string(f.meshVertices));
            if (i > 0 && v <= f.proposals[k].vertices[i - 1])
                fail(path, "proposal " + std::to_string(k) + ": vertex indices are not strictly ascending");
        }
    auto finite = [&](const std::vector<float>& values, const char* field) {
        for (float x : values)
            if (!std::isfinite(x)) fail(path, std::string(field) + " holds a NaN or infinite value");
    };
    finite(f.feat3d, "feat_3d");
    finite(f.cropFeatures, "feat_2d_crops");
    finite(f.feat2d, "feat_2d");
    for (const AABB& b : f.boxes)
        if (!std::isfinite(b.min.x + b.min.y + b.min.z + b.max.x + b.max.y + b.max.z))
            fail(path, "boxes hold a NaN or infinite value");
}

// --- writing ------------------------------------------------------------------------------------

struct Columns {
    std::vector<int64_t> offsets;
    std::vector<int32_t> vertices;
    std::vector<float> boxes, scores;
};

Columns proposalColumns(const SceneFeatures& f) {
    Columns c;
    c.offsets.push_back(0);
    for (const Instance& p : f.proposals) {
        c.vertices.insert(c.vertices.end(), p.vertices.begin(), p.vertices.end());
        c.offsets.push_back(static_cast<int64_t>(c.vertices.size()));
        c.scores.push_back(p.score);
    }
    for (const AABB& b : f.boxes) {
        const Vec3 center = b.empty() ? Vec3() : b.center(), size = b.empty() ? Vec3() : b.size();
        for (double x : {center.x, center.y, center.z, size.x, size.y, size.z}) c.boxes.push_back(float(x));
    }
    return c;
}

std::map<std::string, std::string> metadataOf(const SceneFeatures& f) {
    std::map<std::string, std::string> meta;
    for (const auto& [key, value] : f.provenance)
        if (!isOwnKey(key)) meta[key] = value;
    json labels = json::array(), sources = json::array(), ids = json::array();
    for (const Instance& p : f.proposals) {
        labels.push_back(p.label);
        sources.push_back(toString(p.source));
        ids.push_back(p.id);
    }
    meta["format"] = kFeatureCacheFormat;
    meta["scene_id"] = f.sceneId;
    meta["mesh_vertices"] = std::to_string(f.meshVertices);
    meta["labels"] = labels.dump();
    meta["sources"] = sources.dump();
    meta["ids"] = ids.dump();
    return meta;
}

// --- reading ------------------------------------------------------------------------------------

class Reader {
public:
    explicit Reader(const std::string& path) : path_(path), file_(path) {}

    const SafetensorsFile& file() const { return file_; }
    bool has(const std::string& name) const { return file_.find(name) != nullptr; }

    // The tensor's values, after checking dtype and shape (-1 in `shape` = any, filled in).
    template <typename T>
    std::vector<T> values(const std::string& name, DType dtype, std::vector<int64_t>& shape) const {
        const TensorInfo& t = file_.get(name);
        if (t.dtype != dtype) fail(path_, "tensor '" + name + "' is " + dtypeName(t.dtype) + ", expected " + dtypeName(dtype));
        if (t.shape.size() != shape.size())
            fail(path_, "tensor '" + name + "' has " + std::to_string(t.shape.size()) + " dimensions, expected " +
                            std::to_string(shape.size()));
        for (size_t i = 0; i < shape.size(); ++i) {
            if (shape[i] >= 0 && t.shape[i] != shape[i])
                fail(path_, "tensor '" + name + "' dimension " + std::to_string(i) + " is " + std::to_string(t.shape[i]) +
                                ", expected " + std::to_string(shape[i]));
            shape[i] = t.shape[i];
        }
        std::vector<T> out(static_cast<size_t>(t.numel()));
        if (!out.empty()) std::memcpy(out.data(), file_.data(t), out.size() * sizeof(T));
        return out;
    }

    std::string meta(const std::string& key) const {
        auto it = file_.metadata().find(key);
        if (it == file_.metadata().end()) fail(path_, "metadata '" + key + "' missing");
        return it->second;
    }

    json metaArray(const std::string& key, size_t n) const {
        const json j = parseJsonText(meta(key), path_, "metadata '" + key + "'");
        if (!j.is_array() || j.size() != n) fail(path_, "metadata '" + key + "' is not an array of " + std::to_string(n));
        return j;
    }

private:
    std::string path_;
    SafetensorsFile file_;
};

void readProposals(const Reader& r, const std::string& path, SceneFeatures& f) {
    std::vector<int64_t> offsetShape{-1};
    const auto offsets = r.values<int64_t>("proposal_offsets", DType::I64, offsetShape);
    if (offsets.empty() || offsets.front() != 0) fail(path, "proposal_offsets must start with 0");
    const size_t n = offsets.size() - 1;
    // All of them before any is used: one that rises past the last would index past proposal_vertices.
    for (size_t k = 0; k < n; ++k)
        if (offsets[k + 1] < offsets[k]) fail(path, "proposal_offsets decrease at " + std::to_string(k + 1));
    std::vector<int64_t> vertexShape{offsets.back()};
    const auto vertices = r.values<int32_t>("proposal_vertices", DType::I32, vertexShape);
    std::vector<int64_t> boxShape{int64_t(n), 6}, scoreShape{int64_t(n)};
    const auto boxes = r.values<float>("boxes", DType::F32, boxShape);
    const auto scores = r.values<float>("scores", DType::F32, scoreShape);
    const json labels = r.metaArray("labels", n), sources = r.metaArray("sources", n), ids = r.metaArray("ids", n);
    for (size_t k = 0; k < n; ++k) {
        Instance p;
        try {
            const auto id = ids[k].is_number_integer() ? jsonInt32(ids[k]) : std::nullopt;  // 4294967303 is not 7
            if (!id) throw std::out_of_range("id " + ids[k].dump() + " is not a 32-bit integer");
            p.id = *id;
            p.label = labels[k].get<std::string>();
            p.source = instanceSourceFromString(sources[k].get<std::string>());
        } catch (const std::exception& e) {
            fail(path, "proposal " + std::to_string(k) + ": bad id, label or source (" + e.what() + ")");
        }
        p.score = scores[k];
        for (int64_t i = offsets[k]; i < offsets[k + 1]; ++i) {
            if (vertices[size_t(i)] < 0) fail(path, "proposal " + std::to_string(k) + " has a negative vertex index");
            p.vertices.push_back(uint32_t(vertices[size_t(i)]));
        }
        f.proposals.push_back(std::move(p));
        const float* b = &boxes[6 * k];
        AABB box;
        box.min = {b[0] - b[3] / 2.0, b[1] - b[4] / 2.0, b[2] - b[5] / 2.0};
        box.max = {b[0] + b[3] / 2.0, b[1] + b[4] / 2.0, b[2] + b[5] / 2.0};
        f.boxes.push_back(box);
    }
}

void readViewsAndFeatures(const Reader& r, SceneFeatures& f) {
    const int64_t n = int64_t(f.numProposals());
    if (r.has("feat_3d")) {
        std::vector<int64_t> shape{n, -1};
        f.feat3d = r.values<float>("feat_3d", DType::F32, shape);
        f.dim3d = int(shape[1]);
    }
    if (!r.has("view_frames")) return;
    std::vector<int64_t> frameShape{n, -1};
    f.viewFrames = r.values<int32_t>("view_frames", DType::I32, frameShape);
    f.views = int(frameShape[1]);
    std::vector<int64_t> boxShape{n, f.views, -1, 4};
    f.cropBoxes = r.values<int32_t>("crop_boxes", DType::I32, boxShape);
    f.levels = int(boxShape[2]);
    if (!r.has("feat_2d")) return;
    std::vector<int64_t> meanShape{n, -1};
    f.feat2d = r.values<float>("feat_2d", DType::F32, meanShape);
    f.dim2d = int(meanShape[1]);
    std::vector<int64_t> cropShape{n, f.views, f.levels, f.dim2d};
    f.cropFeatures = r.values<float>("feat_2d_crops", DType::F32, cropShape);
}

}  // namespace

std::string featureCachePath(const std::string& dir, const std::string& sceneId) {
    return joinPath(dir, sceneId + ".features.safetensors");
}

std::vector<std::string> featureCacheCandidates(const std::string& scenePath, const std::string& sceneId) {
    std::string folder = isDirectory(scenePath) ? scenePath : parentPath(scenePath);
    while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
    const std::string world = parentPath(parentPath(folder));  // W of W/scans/<scene>
    return {featureCachePath(folder, sceneId), featureCachePath(joinPath(folder, "features"), sceneId),
            featureCachePath(joinPath(world, "features"), sceneId)};
}

std::string findFeatureCache(const std::string& scenePath, const std::string& sceneId) {
    for (const std::string& path : featureCacheCandidates(scenePath, sceneId))
        if (isCompleteFeatureCache(path)) return path;
    return "";
}

void writeSceneFeatures(const std::string& path, const SceneFeatures& f) {
    checkConsistent(path, f);
    const Columns c = proposalColumns(f);
    const int64_t n = int64_t(f.numProposals());
    std::vector<TensorToWrite> tensors{
        {"proposal_offsets", DType::I64, {n + 1}, c.offsets.data()},
        {"proposal_vertices", DType::I32, {int64_t(c.vertices.size())}, c.vertices.data()},
        {"boxes", DType::F32, {n, 6}, c.boxes.data()},
        {"scores", DType::F32, {n}, c.scores.data()},
    };
    if (f.dim3d > 0) tensors.push_back({"feat_3d", DType::F32, {n, f.dim3d}, f.feat3d.data()});
    if (f.views > 0) {
        tensors.push_back({"view_frames", DType::I32, {n, f.views}, f.viewFrames.data()});
        tensors.push_back({"crop_boxes", DType::I32, {n, f.views, f.levels, 4}, f.cropBoxes.data()});
        if (f.dim2d > 0) {
            tensors.push_back({"feat_2d_crops", DType::F32, {n, f.views, f.levels, f.dim2d}, f.cropFeatures.data()});
            tensors.push_back({"feat_2d", DType::F32, {n, f.dim2d}, f.feat2d.data()});
        }
    }
    writeSafetensors(path, tensors, metadataOf(f));
}

SceneFeatures readSceneFeatures(const std::string& path) {
    Reader r(path);
    SceneFeatures f;
    auto formatIt = r.file().metadata().find("format");
    if (formatIt == r.file().metadata().end() || formatIt->second != kFeatureCacheFormat)
        fail(path, std::string("not an inst3d feature cache (metadata 'format' is not \"") + kFeatureCacheFormat + "\")");
    f.sceneId = r.meta("scene_id");
    try {
        f.meshVertices = std::stoull(r.meta("mesh_vertices"));
    } catch (const std::exception&) {
        fail(path, "metadata 'mesh_vertices' is not a number");
    }
    readProposals(r, path, f);
    readViewsAndFeatures(r, f);
    for (const auto& [key, value] : r.file().metadata())
        if (!isOwnKey(key)) f.provenance[key] = value;
    checkConsistent(path, f);
    return f;
}

bool isCompleteFeatureCache(const std::string& path) {
    if (!fileExists(path)) return false;
    try {
        readSceneFeatures(path);
        return true;
    } catch (const Error&) {
        return false;
    }
}

void averageCropFeatures(SceneFeatures& f) {
    const size_t n = f.numProposals(), v = size_t(f.views), l = size_t(f.levels), d = size_t(f.dim2d);
    f.feat2d.assign(n * d, 0.f);
    for (size_t k = 0; k < n; ++k) {
        size_t used = 0;
        float* mean = &f.feat2d[k * d];
        for (size_t j = 0; j < v; ++j) {
            if (f.viewFrames[k * v + j] < 0) continue;
            for (size_t level = 0; level < l; ++level) {
                const float* crop = &f.cropFeatures[((k * v + j) * l + level) * d];
                for (size_t i = 0; i < d; ++i) mean[i] += crop[i];
                ++used;
            }
        }
        if (used)
            for (size_t i = 0; i < d; ++i) mean[i] /= float(used);
    }
}

std::string checkpointFingerprint(const std::string& path) {
    constexpr size_t kChunk = 1 << 20;
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) fail(path, "cannot open to fingerprint");
    const uint64_t size = static_cast<uint64_t>(in.tellg());
    Sha256 hash;
    hash.update(&size, sizeof size);
    std::vector<char> buffer(kChunk);
    auto hashRange = [&](uint64_t from, size_t count) {
        in.seekg(static_cast<std::streamoff>(from));
        in.read(buffer.data(), static_cast<std::streamsize>(count));
        if (!in) fail(path, "read error while fingerprinting");
        hash.update(buffer.data(), count);
    };
    hashRange(0, size_t(std::min<uint64_t>(size, kChunk)));
    if (size > kChunk) hashRange(size - std::min<uint64_t>(size - kChunk, kChunk), size_t(std::min<uint64_t>(size - kChunk, kChunk)));
    return "sha256-head-tail:" + hash.hexDigest();
}

}  // namespace inst3d
