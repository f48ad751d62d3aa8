// Offline feature extraction, the paper's preprocessing as one resumable job: for every scene,
// proposals -> per-instance points -> 3D encoder; view selection -> crops -> 2D encoder; then one
// feature cache file (core/features/feature_cache.h). The encoders are interfaces so that this stays
// torch-free: models/ implements them with Uni3D and CLIP, and `inst3d extract` wires them in.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/features/feature_cache.h"
#include "core/geometry/view_selection.h"
#include "core/scene/scene.h"

namespace inst3d {

// One instance's points for a 3D encoder: every vertex, aligned frame, colors scaled to 0..1.
struct InstancePoints {
    std::vector<float> xyz;  // [P, 3]
    std::vector<float> rgb;  // [P, 3], 0..1
    size_t size() const { return xyz.size() / 3; }
};
InstancePoints instancePoints(const Scene& scene, const Instance& instance);
// Its colours back to the 8-bit values of the mesh, exactly (what Uni3D's preparation takes).
std::vector<uint8_t> colourBytes(const InstancePoints& points);

class PointEncoder {
public:
    virtual ~PointEncoder() = default;
    virtual std::string name() const = 0;        // e.g. "uni3d-g"
    virtual std::string checkpoint() const = 0;  // fingerprint or "random:<seed>"
    virtual int dim() const = 0;
    // One instance -> [dim]. Instances the encoder cannot take (Uni3D: fewer than 10 points) give an
    // empty vector; the cache then holds zeros for them, as the reference leaves them out.
    virtual std::vector<float> encode(const InstancePoints& points) = 0;
};

class CropEncoder {
public:
    virtual ~CropEncoder() = default;
    virtual std::string name() const = 0;        // e.g. "clip-vit-l-14-336"
    virtual std::string checkpoint() const = 0;
    virtual int dim() const = 0;
    // Crops -> one L2-normalized [dim] feature each.
    virtual std::vector<std::vector<float>> encode(const std::vector<ImageRGB8>& crops) = 0;
};

// Seconds spent per stage, summed over scenes (what `inst3d bench extract` prints).
struct StageTimes {
    double load = 0, proposals = 0, views = 0, crops = 0, encode3d = 0, encode2d = 0, write = 0;
    StageTimes& operator+=(const StageTimes& o);
};

// Where proposals come from: "gt" (the scene's aggregation), "mask3d:DIR" (a Mask3D export folder),
// "builtin" (the built-in segmenter). A function so that core/proposals can plug in without this
// module depending on it.
using ProposalProvider = std::function<std::vector<Instance>(const Scene& scene)>;

struct ExtractOptions {
    ViewSelectionOptions views;
    std::string proposalsName = "gt";  // recorded as provenance
    ProposalProvider proposals;        // empty: the scene's own instances (ground truth)
    bool with2d = true;                // views, crops and (with an encoder) 2D features
};

// Everything for one loaded scene. Either encoder may be null: its tensors are then left out.
SceneFeatures extractSceneFeatures(const Scene& scene, const ExtractOptions& options, PointEncoder* encoder3d,
                                   CropEncoder* encoder2d, StageTimes* times = nullptr);

struct ExtractJob {
    std::vector<std::string> sceneDirs;  // ScanNet scene folders (or capture files)
    std::string outDir;
    bool resume = true;                  // skip scenes whose cache already reads back whole
};

struct ExtractReport {
    std::vector<std::string> written, skipped;
    std::vector<std::pair<std::string, std::string>> failed;  // scene dir, error
    StageTimes times;
};

// Runs the job scene by scene. A scene that fails (unreadable file, encoder error) is reported and the
// job goes on. progress(done, total, scene) is called before each scene; returning false stops early.
ExtractReport runExtraction(const ExtractJob& job, const ExtractOptions& options, PointEncoder* encoder3d,
                            CropEncoder* encoder2d,
                            const std::function<bool(size_t, size_t, const std::string&)>& progress = {});

// Scene folders under `scansDir`: those named in `splitFile` (one id per line, ScanNet's
// scannetv2_val.txt) or, without a split, every subfolder holding a `<id>_vh_clean_2.ply`; sorted.
std::vector<std::string> listSceneDirs(const std::string& scansDir, const std::string& splitFile = "");

}  // namespace inst3d
