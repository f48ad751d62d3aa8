#include "training/model_bundle.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/common/sha256.h"
#include "core/config/config.h"
#include "core/features/extraction.h"
#include "core/features/feature_cache.h"
#include "core/features/proposal_provider.h"
#include "core/io/json_file.h"
#include "core/io/scene_loader.h"
#include "models/vision/scene_encoders.h"
#include "training/inst3d_checkpoint.h"

namespace inst3d {

namespace fs = std::filesystem;

namespace {

constexpr const char* kEncodersFile = "encoders.json";
constexpr const char* kCheckpointFolder = "checkpoint";
constexpr size_t kPathKeyChars = 16;  // hex digits of the scene path's SHA-256 naming its user cache folder
// Share of the progress bar for loading the scene; extraction takes the rest.
constexpr double kLoadShare = 0.2;

std::string absolutePath(const std::string& p) { return fs::absolute(p).lexically_normal().string(); }

// "none" and "random:..." stay as they are; files are relative to the bundle.
std::string resolveSpec(const std::string& dir, const std::string& spec) {
    if (spec == "none" || spec.rfind("random:", 0) == 0) return spec;
    return absolutePath(fs::path(spec).is_absolute() ? spec : joinPath(dir, spec));
}

EncoderSpecs readEncoderSpecs(const std::string& dir) {
    const std::string path = joinPath(dir, kEncodersFile);
    const nlohmann::json j = parseJsonFile(path);
    if (!j.is_object()) fail(path, "expected an object {\"uni3d\": ..., \"clip\": ...}");
    auto text = [&](const char* key, const std::string& fallback, bool required) {
        if (!j.contains(key)) {
            if (required) fail(path, std::string("missing \"") + key + "\"");
            return fallback;
        }
        if (!j.at(key).is_string()) fail(path, std::string("\"") + key + "\" must be a string");
        return j.at(key).get<std::string>();
    };
    EncoderSpecs e;
    e.uni3d = resolveSpec(dir, text("uni3d", "", true));
    e.uni3dConfig = text("uni3d_config", e.uni3dConfig, false);
    e.clip = resolveSpec(dir, text("clip", "", true));
    e.proposals = text("proposals", e.proposals, false);
    for (const std::string* f : {&e.uni3d, &e.clip})
        if (*f != "none" && f->rfind("random:", 0) != 0 && !fileExists(*f)) fail(path, "names " + *f + ", which does not exist");
    return e;
}

// A scene's id without loading it: the ScanNet folder's, or a mesh file's stem.
std::string sceneIdOf(const std::string& scenePath) {
    if (isDirectory(scenePath)) return findScenePaths(scenePath).id;
    return fs::path(scenePath).stem().string();
}

bool folderWritable(const std::string& dir) { return ::access(dir.c_str(), W_OK) == 0; }

bool fitsCheckpoint(const std::string& path, const CheckpointInfo& info) {
    return isCompleteFeatureCache(path) && encoderMismatch(info, readSceneFeatures(path).provenance).empty();
}

std::string makeFeatureCache(const EncoderSpecs& enc, const CheckpointInfo& info, const std::string& scenePath,
                             const std::string& target, const Progress& progress) {
    auto report = [&](double f, const std::string& what) { return progress ? progress(f, what) : true; };
    LoadOptions load;
    load.progress = [&](double f, const std::string& what) { return report(kLoadShare * f, what); };
    const Scene scene = loadScene(scenePath, load);
    ExtractOptions options;
    options.views = ViewSelectionOptions::fromConfig(Config::defaults());
    // A capture without annotations has no ground truth: the built-in segmenter's proposals instead.
    setProposalSource(options, enc.proposals == "gt" && scene.instances.empty() ? "builtin" : enc.proposals);
    if (!report(kLoadShare, "opening the encoders")) throw Cancelled();
    std::unique_ptr<PointEncoder> e3 = openPointEncoder(enc.uni3d, enc.uni3dConfig);
    std::unique_ptr<CropEncoder> e2 = openCropEncoder(enc.clip);
    if (!report(kLoadShare, "extracting features (" + options.proposalsName + " proposals)")) throw Cancelled();
    const SceneFeatures f = extractSceneFeatures(scene, options, e3.get(), e2.get());
    const std::string mismatch = encoderMismatch(info, f.provenance);
    if (!mismatch.empty()) fail(target, "the model's encoders.json does not make the caches its checkpoint was trained on: " + mismatch);
    makeDirectories(parentPath(target));
    writeSceneFeatures(target, f);
    report(1.0, "feature cache written");
    return target;
}

}  // namespace

ModelBundle openModelBundle(const std::string& dir) {
    if (!isDirectory(dir)) fail(dir, "no such model folder (a model bundle or an inst3d checkpoint folder)");
    ModelBundle b;
    b.dir = dir;
    const std::string inside = joinPath(dir, kCheckpointFolder);
    b.checkpointDir = fileExists(joinPath(inside, "checkpoint.json")) ? inside : dir;
    readCheckpointInfo(b.checkpointDir);  // an error naming checkpoint.json when it is not a model
    if (fileExists(joinPath(dir, kEncodersFile))) b.encoders = readEncoderSpecs(dir);
    return b;
}

std::string bundledModelDir() {
    const std::string dir = joinPath(resourceDir(), "models/demo");
    return fileExists(joinPath(joinPath(dir, kCheckpointFolder), "checkpoint.json")) ? dir : "";
}

std::string userFeatureCachePath(const std::string& scenePath, const std::string& sceneId) {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    const std::string root = xdg && *xdg ? xdg : joinPath(home && *home ? home : "/tmp", ".cache");
    const std::string key = sha256Hex(absolutePath(scenePath)).substr(0, kPathKeyChars);
    return featureCachePath(joinPath(joinPath(root, "inst3d/features"), key), sceneId);
}

std::string featureCacheFor(const ModelBundle& model, const std::string& scenePath, const Progress& progress) {
    if (!fileExists(scenePath) && !isDirectory(scenePath)) fail(scenePath, "no such scene (a ScanNet scene folder or a PLY/OBJ file)");
    const CheckpointInfo info = readCheckpointInfo(model.checkpointDir);
    const std::string id = sceneIdOf(scenePath);
    std::vector<std::string> candidates = featureCacheCandidates(scenePath, id);
    const std::string user = userFeatureCachePath(scenePath, id);
    candidates.push_back(user);
    for (const std::string& path : candidates)
        if (fitsCheckpoint(path, info)) return path;
    if (!model.encoders)
        fail(scenePath, "no feature cache made with this model's encoders (looked for " + candidates.front() +
                            " and beside it); make one with `inst3d extract` and the encoders the model was trained on, "
                            "or give --features FILE");
    const std::string folder = isDirectory(scenePath) ? scenePath : parentPath(scenePath);
    const std::string beside = featureCachePath(folder, id);
    const bool besideFree = !fileExists(beside) && folderWritable(folder);
    return makeFeatureCache(*model.encoders, info, scenePath, besideFree ? beside : user, progress);
}

}  // namespace inst3d
