// Opens a scene from a ScanNet folder or from a single mesh/point-cloud file (PLY or OBJ).
// ScanNet folder: <dir>/<id>_vh_clean_2.ply (+ .labels.ply, <id>_vh_clean_2.0.010000.segs.json,
// <id>.aggregation.json, <id>.txt, <id>.sens or exported frames), each optional but the mesh.
#pragma once
#include "core/common/progress.h"
#include <functional>
#include <stdexcept>
#include <string>

#include "core/scene/scene.h"

namespace inst3d {

struct LoadOptions {
    bool loadLabels = true;       // .labels.ply
    bool loadAnnotations = true;  // segs + aggregation -> ground-truth instances
    bool loadFrames = true;       // .sens or exported frames (index only; images stay lazy)
    // progress(fraction 0..1, step name); return false to cancel (loadScene then throws Cancelled).
    Progress progress;
};

struct ScenePaths {
    std::string dir, id, mesh, labels, segs, aggregation, meta, sens;
};

class Cancelled : public std::runtime_error {
public:
    Cancelled() : std::runtime_error("cancelled") {}
};

// Locates the files of a ScanNet scene folder (fields left empty when absent).
ScenePaths findScenePaths(const std::string& dir);
// PATH itself is a folder, a mesh file or a scene's `<id>.sens`; the `.sens` loads its scene folder.
Scene loadScene(const std::string& path, const LoadOptions& options = {});

// What a file manager hands over, as the scene to open: a ScanNet scene's `<id>.sens` or
// `<id>_vh_clean_2.ply` (beside its other files) gives the scene folder; any other path is itself.
std::string sceneFolderOf(const std::string& path);

// Ground-truth instances from segs + aggregation: vertices whose segment is in a segGroup.
// Throws when a segGroup names a segment id that no vertex has... no: ScanNet has such ids rarely;
// they are ignored. Throws on size mismatch between segs and mesh.
std::vector<Instance> instancesFromAggregation(const std::vector<int32_t>& segIndices, const struct Aggregation& agg);

// Writes a scene back in ScanNet layout under `dir` (mesh, labels, segs, aggregation, txt).
void writeScanNetScene(const std::string& dir, const Scene& scene);

}  // namespace inst3d
