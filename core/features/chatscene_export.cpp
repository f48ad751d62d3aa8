// Chat-Scene / Inst3D aggregated files: see chatscene_export.h.
#include "core/features/chatscene_export.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/features/feature_cache.h"
#include "core/io/torch_save.h"

namespace inst3d {
namespace {

std::vector<std::string> cacheFiles(const std::string& dir) {
    if (!isDirectory(dir)) fail(dir, "not a folder");
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (e.is_regular_file() && endsWith(name, ".features.safetensors")) out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    if (out.empty()) fail(dir, "no *.features.safetensors feature caches");
    return out;
}

bool allZero(const float* row, int dim) {
    return std::all_of(row, row + dim, [](float x) { return x == 0.f; });
}

// One feature dict ("<scene>_<ii>" -> [D]) and the dim every scene must share.
struct FeatureDict {
    const char* what;
    SaveValue dict = SaveValue::dict();
    int dim = 0;
    int keys = 0, skipped = 0;

    void add(const std::string& path, const SceneFeatures& f, int dimension, const std::vector<float>& rows, bool skipZeros) {
        if (dimension == 0) return;
        if (dim && dim != dimension)
            fail(path, std::string(what) + " features have dimension " + std::to_string(dimension) + ", earlier caches " +
                           std::to_string(dim));
        dim = dimension;
        for (size_t k = 0; k < f.numProposals(); ++k) {
            const float* row = rows.data() + k * size_t(dim);
            if (skipZeros && allZero(row, dim)) {
                ++skipped;
                continue;
            }
            dict.set(chatSceneFeatureKey(f.sceneId, k), SaveValue::floatTensor({dim}, row));
            ++keys;
        }
    }
};

// {"objects": [every label], "locs": [min(n, max), 6] center + size}, as prepare_scannet_mask3d_attributes.py.
SaveValue attributesOf(const SceneFeatures& f, int maxInstances) {
    SaveValue objects = SaveValue::list();
    for (const Instance& p : f.proposals) objects.append(SaveValue::fromString(p.label));
    const size_t n = std::min(f.numProposals(), size_t(std::max(maxInstances, 0)));
    std::vector<float> locs;
    for (size_t k = 0; k < n; ++k) {
        const AABB& b = f.boxes[k];
        const Vec3 c = b.empty() ? Vec3() : b.center(), s = b.empty() ? Vec3() : b.size();
        for (double x : {c.x, c.y, c.z, s.x, s.y, s.z}) locs.push_back(float(x));
    }
    SaveValue out = SaveValue::dict();
    out.set("objects", std::move(objects));
    out.set("locs", SaveValue::floatTensor({int64_t(n), 6}, locs.data()));
    return out;
}

}  // namespace

std::string chatSceneAttributesFile(const std::string& split) { return "scannet_mask3d_" + split + "_attributes.pt"; }

std::string chatSceneFeatureKey(const std::string& sceneId, size_t index) {
    char ii[24];
    std::snprintf(ii, sizeof ii, "%02zu", index);
    return sceneId + "_" + ii;
}

ChatSceneExportResult exportChatSceneFeatures(const ChatSceneExportOptions& o) {
    if (o.splitName.empty()) fail(o.outDir, "empty split name");
    FeatureDict feats3d{"3D"}, feats2d{"2D"};
    SaveValue attributes = SaveValue::dict();
    std::set<std::string> scenes;
    ChatSceneExportResult result;
    for (const std::string& path : cacheFiles(o.cacheDir)) {
        const SceneFeatures f = readSceneFeatures(path);
        if (!scenes.insert(f.sceneId).second) fail(path, "scene " + f.sceneId + " appears in more than one cache");
        feats3d.add(path, f, f.dim3d, f.feat3d, true);
        feats2d.add(path, f, f.dim2d, f.feat2d, false);
        attributes.set(f.sceneId, attributesOf(f, o.maxInstances));
        ++result.scenes;
    }
    auto save = [&](const std::string& name, const SaveValue& value) {
        const std::string path = joinPath(o.outDir, name);
        torchSave(path, value);
        result.files.push_back(path);
    };
    if (feats3d.dim) save(kChatScene3dFile, feats3d.dict);
    if (feats2d.dim) save(kChatScene2dFile, feats2d.dict);
    save(chatSceneAttributesFile(o.splitName), attributes);
    result.keys3d = feats3d.keys;
    result.skipped3d = feats3d.skipped;
    result.keys2d = feats2d.keys;
    return result;
}

}  // namespace inst3d
