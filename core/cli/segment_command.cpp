#include "core/cli/segment_command.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "core/cli/command.h"
#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/label_map.h"
#include "core/io/scene_loader.h"
#include "core/proposals/instance_eval.h"
#include "core/proposals/mask3d_export.h"
#include "core/proposals/segmenter.h"
#include "core/scene/scene.h"

namespace inst3d {
namespace {

// A scene folder or mesh file as is; otherwise every sub-folder that holds a ScanNet mesh, sorted.
std::vector<std::string> scenePaths(const std::string& path) {
    if (!isDirectory(path) || !findScenePaths(path).mesh.empty()) return {path};
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path))
        if (e.is_directory() && !findScenePaths(e.path().string()).mesh.empty()) out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    if (out.empty()) fail(path, "no scene mesh here nor in its sub-folders");
    return out;
}

std::string fixed3(double v) {
    if (std::isnan(v)) return "nan";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    return buf;
}

void printAp(const std::string& what, const InstanceApEvaluator& ev) {
    const std::vector<double> ap = ev.averagePrecision();
    std::cout << what << ": AP@25 " << fixed3(ap[0]) << "  AP@50 " << fixed3(ap[1]) << "\n";
}

int runSegment(const std::vector<std::string>& argv) {
    ArgParser args("inst3d segment",
                   "Segments a scene into class-agnostic instances with the built-in segmenter (graph-based\n"
                   "over-segmentation, floor/walls/ceiling from planar segment groups, region-adjacency merging of\n"
                   "the rest). SCENE is a ScanNet scene folder, a PLY/OBJ mesh or point cloud, or a folder of scene\n"
                   "folders (every one is segmented; --eval pools them as ScanNet's evaluator does).");
    args.option("scene", "DIR", "scene folder, mesh/point-cloud file, or folder of scene folders")
        .option("out", "DIR", "write each result as a Mask3D-style export: DIR/<scene>.txt + DIR/pred_mask/")
        .option("labels", "TSV", "scannetv2-labels.combined.tsv: class ids for the export's floor/wall/ceiling")
        .flag("eval", "print class-agnostic AP@25/AP@50 against the scenes' ground truth (ScanNet protocol)");
    if (!args.parse(argv)) return 0;
    if (!args.has("scene")) throw UsageError("--scene is required (see inst3d segment --help)");
    std::unique_ptr<LabelMap> labels;
    if (args.has("labels")) labels = std::make_unique<LabelMap>(LabelMap::read(args.get("labels")));
    const bool eval = args.has("eval");
    InstanceApEvaluator objects, everything(InstanceEvalOptions{{0.25, 0.5}, 100, {}});
    LoadOptions load;
    load.loadLabels = false;
    load.loadFrames = false;
    load.loadAnnotations = eval;
    const std::vector<std::string> paths = scenePaths(args.get("scene"));
    for (const std::string& path : paths) {
        const Scene scene = loadScene(path, load);
        if (eval && scene.instances.empty()) fail(path, "has no ground-truth instances to evaluate against (segs + aggregation)");
        const auto start = std::chrono::steady_clock::now();
        const SegmenterOutput out = segmentScene(scene);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const auto& inst = out.proposals.instances;
        std::cout << scene.id << ": " << inst.size() << " instances (floor " << out.floorInstances << ", walls "
                  << out.wallInstances << ", ceiling " << out.ceilingInstances << ", objects "
                  << inst.size() - size_t(out.floorInstances + out.wallInstances + out.ceilingInstances) << ") in "
                  << fixed3(seconds) << " s\n";
        if (args.has("out")) writeMask3DExport(args.get("out"), out.proposals, scene.mesh.numVertices(), labels.get());
        if (!eval) continue;
        objects.addScene(scene.instances, inst, scene.mesh.numVertices());
        everything.addScene(scene.instances, inst, scene.mesh.numVertices());
    }
    if (args.has("out")) std::cout << "wrote Mask3D-style export(s) to " << args.get("out") << "\n";
    if (eval) {
        const std::string n = std::to_string(paths.size()) + " scene(s)";
        printAp("class-agnostic, ScanNet protocol (wall/floor/ceiling excluded), " + n, objects);
        printAp("class-agnostic, every ground-truth instance, " + n, everything);
    }
    return 0;
}

}  // namespace

void registerSegmentCommand(CommandRegistry& registry) {
    registry.add({"segment", "class-agnostic instances with the built-in segmenter (Mask3D-style export, AP vs ground truth)",
                  runSegment});
}

}  // namespace inst3d
