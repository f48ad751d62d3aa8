#include "core/features/extraction.h"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/geometry/image_crops.h"
#include "core/io/scene_loader.h"

namespace inst3d {
namespace {

using Clock = std::chrono::steady_clock;

// Adds the seconds since construction to `slot` when it goes out of scope.
class StageTimer {
public:
    explicit StageTimer(double* slot) : slot_(slot), start_(Clock::now()) {}
    ~StageTimer() {
        if (slot_) *slot_ += std::chrono::duration<double>(Clock::now() - start_).count();
    }

private:
    double* slot_;
    Clock::time_point start_;
};

double* slot(StageTimes* times, double StageTimes::*member) { return times ? &(times->*member) : nullptr; }

std::string viewSettingsJson(const ViewSelectionOptions& o) {
    return nlohmann::json{{"top_k", o.topK},
                          {"frame_stride", o.frameStride},
                          {"depth_threshold", o.depthThreshold},
                          {"crop_levels", o.cropLevels},
                          {"crop_expansion", o.cropExpansion}}
        .dump();
}

void encode3d(const Scene& scene, PointEncoder& encoder, SceneFeatures& f) {
    f.dim3d = encoder.dim();
    f.feat3d.assign(f.numProposals() * size_t(f.dim3d), 0.f);
    for (size_t k = 0; k < f.numProposals(); ++k) {
        const std::vector<float> feature = encoder.encode(instancePoints(scene, f.proposals[k]));
        if (feature.empty()) continue;  // too few points for the encoder: zeros, as the reference skips it
        if (feature.size() != size_t(f.dim3d))
            fail(encoder.name(), "returned " + std::to_string(feature.size()) + " values, expected " + std::to_string(f.dim3d));
        std::copy(feature.begin(), feature.end(), f.feat3d.begin() + std::ptrdiff_t(k * size_t(f.dim3d)));
    }
}

// Views and crop boxes of every proposal ([N, V] frames, [N, V, L, 4] boxes), -1 / zeros where fewer
// than V views see it. Returns the selections for the crop stage.
std::vector<ViewSelection> selectViews(const Scene& scene, const ExtractOptions& options, SceneFeatures& f,
                                       StageTimes* times) {
    StageTimer timer(slot(times, &StageTimes::views));
    ViewSelector selector(scene, options.views);
    selector.computeVisibility();
    f.views = options.views.topK;
    f.levels = options.views.cropLevels;
    f.viewFrames.assign(f.numProposals() * size_t(f.views), -1);
    f.cropBoxes.assign(f.numProposals() * size_t(f.views) * size_t(f.levels) * 4, 0);
    std::vector<ViewSelection> selections;
    for (size_t k = 0; k < f.numProposals(); ++k) {
        std::vector<uint32_t> vertices = f.proposals[k].vertices;
        std::sort(vertices.begin(), vertices.end());
        selections.push_back(selector.selectVertices(vertices));
        const auto& views = selections.back().views;
        for (size_t j = 0; j < views.size() && j < size_t(f.views); ++j) {
            const size_t row = k * size_t(f.views) + j;
            f.viewFrames[row] = int32_t(views[j].frame);
            for (size_t level = 0; level < views[j].crops.size() && level < size_t(f.levels); ++level) {
                const PixelBox& b = views[j].crops[level];
                int32_t* out = &f.cropBoxes[(row * size_t(f.levels) + level) * 4];
                out[0] = b.x1, out[1] = b.y1, out[2] = b.x2, out[3] = b.y2;
            }
        }
    }
    return selections;
}

// Cuts each proposal's crops from the color frames (each frame decoded once per scene) and encodes them.
void encode2d(const Scene& scene, const std::vector<ViewSelection>& selections, CropEncoder& encoder,
              SceneFeatures& f, StageTimes* times) {
    f.dim2d = encoder.dim();
    const size_t d = size_t(f.dim2d), levels = size_t(f.levels);
    f.cropFeatures.assign(f.numProposals() * size_t(f.views) * levels * d, 0.f);
    std::map<size_t, ImageRGB8> colors;
    for (size_t k = 0; k < f.numProposals(); ++k) {
        const ViewSelection& sel = selections[k];
        std::vector<ImageRGB8> crops;
        std::vector<size_t> slots;  // where each crop's feature goes in cropFeatures
        {
            StageTimer timer(slot(times, &StageTimes::crops));
            for (size_t j = 0; j < sel.views.size() && j < size_t(f.views); ++j) {
                const InstanceView& view = sel.views[j];
                auto it = colors.find(view.frame);
                if (it == colors.end()) it = colors.emplace(view.frame, scene.frames->color(view.frame)).first;
                const ImageRGB8& color = it->second;
                for (size_t level = 0; level < view.crops.size() && level < levels; ++level) {
                    crops.push_back(cropImage(color, scaleBoxToImage(view.crops[level], sel.width, sel.height,
                                                                     color.width, color.height)));
                    slots.push_back((k * size_t(f.views) + j) * levels + level);
                }
            }
        }
        if (crops.empty()) continue;
        StageTimer timer(slot(times, &StageTimes::encode2d));
        const auto features = encoder.encode(crops);
        if (features.size() != crops.size())
            fail(encoder.name(), "returned " + std::to_string(features.size()) + " features for " +
                                     std::to_string(crops.size()) + " crops");
        for (size_t i = 0; i < features.size(); ++i) {
            if (features[i].size() != d)
                fail(encoder.name(), "returned " + std::to_string(features[i].size()) + " values, expected " + std::to_string(d));
            std::copy(features[i].begin(), features[i].end(), f.cropFeatures.begin() + std::ptrdiff_t(slots[i] * d));
        }
    }
    averageCropFeatures(f);
}

std::string sceneIdOfPath(const std::string& path) {
    std::string name = baseName(path);
    while (!name.empty() && name.back() == '/') name.pop_back();
    const size_t dot = name.find('.');
    return isDirectory(path) || dot == std::string::npos ? name : name.substr(0, dot);
}

}  // namespace

StageTimes& StageTimes::operator+=(const StageTimes& o) {
    load += o.load, proposals += o.proposals, views += o.views, crops += o.crops;
    encode3d += o.encode3d, encode2d += o.encode2d, write += o.write;
    return *this;
}

InstancePoints instancePoints(const Scene& scene, const Instance& instance) {
    InstancePoints p;
    p.xyz.reserve(instance.vertices.size() * 3);
    p.rgb.reserve(instance.vertices.size() * 3);
    for (uint32_t v : instance.vertices) {
        const Vec3 a = scene.alignedVertex(v);
        p.xyz.insert(p.xyz.end(), {float(a.x), float(a.y), float(a.z)});
        for (int c = 0; c < 3; ++c)
            p.rgb.push_back(scene.mesh.hasColors() ? scene.mesh.rgba[size_t(v) * 4 + size_t(c)] / 255.f : 0.5f);
    }
    return p;
}

std::vector<uint8_t> colourBytes(const InstancePoints& p) {
    std::vector<uint8_t> rgb(p.rgb.size());
    for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = uint8_t(std::lround(std::clamp(p.rgb[i], 0.f, 1.f) * 255.f));
    return rgb;
}

SceneFeatures extractSceneFeatures(const Scene& scene, const ExtractOptions& options, PointEncoder* encoder3d,
                                   CropEncoder* encoder2d, StageTimes* times) {
    SceneFeatures f;
    f.sceneId = scene.id;
    f.meshVertices = scene.mesh.numVertices();
    {
        StageTimer timer(slot(times, &StageTimes::proposals));
        f.proposals = options.proposals ? options.proposals(scene) : scene.instances;
        for (const Instance& p : f.proposals) f.boxes.push_back(scene.alignedBox(p));
    }
    f.provenance["proposals"] = options.proposalsName;
    if (encoder3d) {
        StageTimer timer(slot(times, &StageTimes::encode3d));
        encode3d(scene, *encoder3d, f);
        f.provenance["encoder_3d"] = encoder3d->name();
        f.provenance["encoder_3d_checkpoint"] = encoder3d->checkpoint();
    }
    if (options.with2d && scene.frames && scene.frames->numFrames() > 0) {
        const auto selections = selectViews(scene, options, f, times);
        f.provenance["view_selection"] = viewSettingsJson(options.views);
        f.provenance["crop_source"] = "projected-mask-box";  // SAM refinement not applied
        if (encoder2d) {
            encode2d(scene, selections, *encoder2d, f, times);
            f.provenance["encoder_2d"] = encoder2d->name();
            f.provenance["encoder_2d_checkpoint"] = encoder2d->checkpoint();
        }
    } else if (options.with2d) {
        f.provenance["view_selection"] = "none: the scene has no RGB-D frames";
    }
    return f;
}

ExtractReport runExtraction(const ExtractJob& job, const ExtractOptions& options, PointEncoder* encoder3d,
                            CropEncoder* encoder2d, const std::function<bool(size_t, size_t, const std::string&)>& progress) {
    ExtractReport report;
    makeDirectories(job.outDir);
    removeStaleTemporaries(job.outDir);  // caches an interrupted earlier run was writing
    for (size_t i = 0; i < job.sceneDirs.size(); ++i) {
        const std::string& dir = job.sceneDirs[i];
        if (progress && !progress(i, job.sceneDirs.size(), dir)) break;
        const std::string out = featureCachePath(job.outDir, sceneIdOfPath(dir));
        if (job.resume && isCompleteFeatureCache(out)) {
            report.skipped.push_back(dir);
            continue;
        }
        try {
            StageTimes t;
            Scene scene;
            {
                StageTimer timer(&t.load);
                scene = loadScene(dir);
            }
            const SceneFeatures f = extractSceneFeatures(scene, options, encoder3d, encoder2d, &t);
            {
                StageTimer timer(&t.write);
                writeSceneFeatures(out, f);
            }
            report.times += t;
            report.written.push_back(dir);
        } catch (const std::exception& e) {
            report.failed.push_back({dir, e.what()});
        }
    }
    if (progress) progress(job.sceneDirs.size(), job.sceneDirs.size(), "");
    return report;
}

std::vector<std::string> listSceneDirs(const std::string& scansDir, const std::string& splitFile) {
    namespace fs = std::filesystem;
    if (!isDirectory(scansDir)) fail(scansDir, "not a folder");
    if (!parentPath(scansDir).empty()) requireComplete(parentPath(scansDir));  // W of W/scans: a killed synth
    std::vector<std::string> dirs;
    if (!splitFile.empty()) {
        std::ifstream in(splitFile);
        if (!in) fail(splitFile, "cannot open the split file");
        for (std::string line; std::getline(in, line);)
            if (!trim(line).empty()) dirs.push_back(joinPath(scansDir, trim(line)));
        if (dirs.empty()) fail(splitFile, "names no scene");
    } else {
        for (const auto& entry : fs::directory_iterator(scansDir)) {
            const std::string id = entry.path().filename().string();
            if (entry.is_directory() && fileExists(joinPath(entry.path().string(), id + "_vh_clean_2.ply")))
                dirs.push_back(entry.path().string());
        }
        if (dirs.empty()) fail(scansDir, "holds no ScanNet scene folder (<id>/<id>_vh_clean_2.ply)");
    }
    std::sort(dirs.begin(), dirs.end());
    return dirs;
}

}  // namespace inst3d
