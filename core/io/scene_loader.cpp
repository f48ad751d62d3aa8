#include "core/io/scene_loader.h"

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/exported_frames.h"
#include "core/io/obj_mesh.h"
#include "core/io/ply.h"
#include "core/io/scannet_json.h"
#include "core/io/scene_meta.h"
#include "core/io/sens.h"

namespace inst3d {
namespace fs = std::filesystem;
namespace {

std::string firstMatching(const std::string& dir, const std::string& suffix) {
    std::vector<std::string> hits;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.is_regular_file() && endsWith(entry.path().filename().string(), suffix))
            hits.push_back(entry.path().string());
    std::sort(hits.begin(), hits.end());
    return hits.empty() ? "" : hits.front();
}

std::string existing(const std::string& path) { return fileExists(path) ? path : ""; }

void report(const LoadOptions& o, double fraction, const std::string& step) {
    if (o.progress && !o.progress(fraction, step)) throw Cancelled();
}

std::shared_ptr<FrameSource> openFrames(const std::string& dir, const std::string& sens) {
    ExportedLayout layout;
    if (findExportedLayout(dir, layout)) return std::make_shared<ExportedFrameSource>(layout);
    if (!sens.empty()) return std::make_shared<SensFrameSource>(sens);
    return nullptr;
}

Scene loadMeshFile(const std::string& path, const LoadOptions& options) {
    Scene scene;
    scene.sourcePath = path;
    scene.id = fs::path(path).stem().string();
    report(options, 0.0, "reading " + baseName(path));
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (ext == ".ply") {
        PlyData ply = readPly(path);
        scene.mesh = std::move(ply.mesh);
        scene.semanticLabel = std::move(ply.label);
    } else if (ext == ".obj") {
        scene.mesh = readObj(path);
    } else {
        fail(path, "unsupported file type '" + ext + "' (expected a ScanNet scene folder, .ply or .obj)");
    }
    if (scene.mesh.numVertices() == 0) fail(path, "contains no vertices");
    // A capture may come with posed RGB-D exported beside it.
    if (options.loadFrames) scene.frames = openFrames(parentPath(path).empty() ? "." : parentPath(path), "");
    report(options, 1.0, "done");
    return scene;
}

}  // namespace

ScenePaths findScenePaths(const std::string& dirIn) {
    ScenePaths p;
    p.dir = fs::path(dirIn).lexically_normal().string();
    if (!p.dir.empty() && p.dir.back() == '/') p.dir.pop_back();
    p.id = fs::path(p.dir).filename().string();
    auto in = [&](const std::string& name) { return joinPath(p.dir, name); };
    p.mesh = existing(in(p.id + "_vh_clean_2.ply"));
    if (p.mesh.empty()) {
        p.mesh = firstMatching(p.dir, "_vh_clean_2.ply");
        if (!p.mesh.empty()) {
            std::string name = baseName(p.mesh);
            p.id = name.substr(0, name.size() - std::string("_vh_clean_2.ply").size());
        }
    }
    p.labels = existing(in(p.id + "_vh_clean_2.labels.ply"));
    p.segs = existing(in(p.id + "_vh_clean_2.0.010000.segs.json"));
    if (p.segs.empty()) p.segs = firstMatching(p.dir, "_vh_clean_2.0.010000.segs.json");
    p.aggregation = existing(in(p.id + ".aggregation.json"));
    p.meta = existing(in(p.id + ".txt"));
    p.sens = existing(in(p.id + ".sens"));
    return p;
}

std::vector<Instance> instancesFromAggregation(const std::vector<int32_t>& segIndices, const Aggregation& agg) {
    std::unordered_map<int32_t, std::vector<size_t>> groupsOfSegment;
    for (size_t g = 0; g < agg.segGroups.size(); ++g)
        for (int s : agg.segGroups[g].segments) groupsOfSegment[s].push_back(g);
    std::vector<Instance> out(agg.segGroups.size());
    for (size_t g = 0; g < out.size(); ++g) {
        out[g].id = agg.segGroups[g].objectId;
        out[g].label = agg.segGroups[g].label;
        out[g].segments = agg.segGroups[g].segments;
        out[g].source = InstanceSource::GroundTruth;
        out[g].score = 1.0f;
    }
    for (size_t v = 0; v < segIndices.size(); ++v) {
        auto it = groupsOfSegment.find(segIndices[v]);
        if (it == groupsOfSegment.end()) continue;
        for (size_t g : it->second) out[g].vertices.push_back(static_cast<uint32_t>(v));
    }
    return out;
}

static void checkSegmentsExist(const std::vector<int32_t>& segIndices, const Aggregation& agg, const std::string& aggPath) {
    std::unordered_map<int32_t, bool> present;
    present.reserve(segIndices.size() / 16 + 16);
    for (int32_t s : segIndices) present[s] = true;
    for (size_t g = 0; g < agg.segGroups.size(); ++g)
        for (int s : agg.segGroups[g].segments)
            if (!present.count(s))
                fail(aggPath, "segGroups[" + std::to_string(g) + "] ('" + agg.segGroups[g].label + "') references segment " +
                                  std::to_string(s) + ", which no vertex of the segmentation has");
}

std::string sceneFolderOf(const std::string& path) {
    if (isDirectory(path)) return path;
    const std::string name = baseName(path), dir = parentPath(path);
    for (const std::string suffix : {".sens", "_vh_clean_2.ply"}) {
        if (name.size() <= suffix.size() || !endsWith(name, suffix)) continue;
        const std::string id = name.substr(0, name.size() - suffix.size());
        const ScenePaths p = findScenePaths(dir.empty() ? "." : dir);
        const bool sceneFolder = p.id == id && !p.mesh.empty() && (suffix == ".sens" || !p.aggregation.empty() || !p.labels.empty());
        if (sceneFolder) return dir.empty() ? "." : dir;
    }
    return path;
}

Scene loadScene(const std::string& path, const LoadOptions& options) {
    if (!fs::exists(path)) fail(path, "no such file or folder");
    if (!isDirectory(path) && fs::path(path).extension() == ".sens") {
        const std::string dir = sceneFolderOf(path);
        if (dir == path) fail(path, "a .sens stream opens with its scene folder, and this folder has no " +
                                        fs::path(path).stem().string() + "_vh_clean_2.ply mesh");
        return loadScene(dir, options);
    }
    if (!isDirectory(path)) return loadMeshFile(path, options);

    ScenePaths p = findScenePaths(path);
    if (p.mesh.empty()) fail(path, "no *_vh_clean_2.ply mesh in this folder (is it a ScanNet scene folder?)");
    Scene scene;
    scene.id = p.id;
    scene.sourcePath = p.dir;

    report(options, 0.0, "reading mesh");
    PlyData ply = readPly(p.mesh);
    scene.mesh = std::move(ply.mesh);
    const size_t nv = scene.mesh.numVertices();

    if (options.loadLabels && !p.labels.empty()) {
        report(options, 0.45, "reading labels");
        PlyData labels = readPly(p.labels);
        if (labels.mesh.numVertices() != nv)
            fail(p.labels, "has " + std::to_string(labels.mesh.numVertices()) + " vertices but " + baseName(p.mesh) +
                               " has " + std::to_string(nv));
        if (labels.label.empty()) fail(p.labels, "has no 'label' vertex property");
        scene.semanticLabel = std::move(labels.label);
    }
    if (!p.meta.empty()) {
        report(options, 0.6, "reading metadata");
        scene.meta = readSceneMeta(p.meta);
        scene.axisAlignment = axisAlignmentOf(scene.meta, p.meta);
    }
    if (options.loadAnnotations && !p.segs.empty()) {
        report(options, 0.65, "reading over-segmentation");
        Segmentation segs = readSegs(p.segs);
        if (segs.segIndices.size() != nv)
            fail(p.segs, "has " + std::to_string(segs.segIndices.size()) + " segment ids but " + baseName(p.mesh) +
                             " has " + std::to_string(nv) + " vertices");
        scene.segIndices = std::move(segs.segIndices);
        if (!p.aggregation.empty()) {
            report(options, 0.85, "reading instances");
            Aggregation agg = readAggregation(p.aggregation);
            checkSegmentsExist(scene.segIndices, agg, p.aggregation);
            scene.instances = instancesFromAggregation(scene.segIndices, agg);
        }
    } else if (options.loadAnnotations && !p.aggregation.empty()) {
        fail(p.aggregation, "has no matching *_vh_clean_2.0.010000.segs.json to resolve its segments");
    }
    if (options.loadFrames) {
        report(options, 0.95, "indexing frames");
        scene.frames = openFrames(p.dir, p.sens);
    }
    report(options, 1.0, "done");
    return scene;
}

void writeScanNetScene(const std::string& dir, const Scene& scene) {
    makeDirectories(dir);
    const std::string base = joinPath(dir, scene.id);
    writePly(base + "_vh_clean_2.ply", scene.mesh);
    if (!scene.semanticLabel.empty()) {
        PlyWriteOptions o;
        o.label = &scene.semanticLabel;
        writePly(base + "_vh_clean_2.labels.ply", scene.mesh, o);
    }
    if (!scene.segIndices.empty()) {
        Segmentation segs;
        segs.sceneId = scene.id;
        segs.segIndices = scene.segIndices;
        writeSegs(base + "_vh_clean_2.0.010000.segs.json", segs);
        Aggregation agg;
        agg.sceneId = "scannet." + scene.id;
        agg.segmentsFile = "scannet." + scene.id + "_vh_clean_2.0.010000.segs.json";
        for (const Instance& inst : scene.instances) {
            if (inst.segments.empty()) continue;
            SegGroup g;
            g.id = g.objectId = inst.id;
            g.label = inst.label;
            g.segments = inst.segments;
            agg.segGroups.push_back(g);
        }
        writeAggregation(base + ".aggregation.json", agg);
    }
    SceneMeta meta = scene.meta;
    setAxisAlignment(meta, scene.axisAlignment);
    writeSceneMeta(base + ".txt", meta);
}

}  // namespace inst3d
