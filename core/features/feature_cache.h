// The per-scene feature cache: where geometry and the model meet. Feature extraction (proposals,
// view selection, crops, the 3D and 2D encoders) writes one file per scene; training, evaluation
// and the chat read it, as the paper's offline extraction does. Torch-free: the file is safetensors,
// read and written through core/io/safetensors.h, so GUI code can inspect a cache without LibTorch.
//
// File `<dir>/<scene_id>.features.safetensors` (layout in docs/formats.md, "Feature cache"):
//   proposal_offsets  I64 [N + 1]           proposal k owns proposal_vertices[offsets[k] .. offsets[k+1])
//   proposal_vertices I32 [M]               vertex indices into the scene mesh (raw PLY order), ascending
//   boxes             F32 [N, 6]            axis-aligned box in the aligned frame: center xyz, size xyz
//   scores            F32 [N]
//   feat_3d           F32 [N, D3]           per-instance 3D feature (Uni3D), when extracted
//   view_frames       I32 [N, V]            chosen frames per proposal, best first; -1 = no view
//   crop_boxes        I32 [N, V, L, 4]      x1 y1 x2 y2 (half-open, depth resolution) per view and level
//   feat_2d_crops     F32 [N, V, L, D2]     per-crop 2D feature (CLIP), zeros where there is no view
//   feat_2d           F32 [N, D2]           mean over the crops that exist (zeros if none)
// __metadata__ (strings): format "inst3d-features/1", scene_id, mesh_vertices, labels (JSON array),
//   sources (JSON array of gt|imported|builtin|user), ids (JSON array of instance ids), and provenance
//   keys (encoder_3d, encoder_3d_checkpoint, encoder_2d, encoder_2d_checkpoint, crop_source,
//   proposals, view_selection as JSON, ...), kept verbatim.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/common/math.h"
#include "core/scene/instance.h"

namespace inst3d {

constexpr const char* kFeatureCacheFormat = "inst3d-features/1";

struct SceneFeatures {
    std::string sceneId;
    size_t meshVertices = 0;          // of the scene the vertex indices refer to
    std::vector<Instance> proposals;  // id, label, score, source, vertices (segments are not stored)
    std::vector<AABB> boxes;          // aligned frame, one per proposal

    int dim3d = 0;                    // 0: no 3D features
    std::vector<float> feat3d;        // [N, dim3d]

    int views = 0, levels = 0;        // V, L; 0: no 2D data
    int dim2d = 0;                    // 0: views and crops without 2D features
    std::vector<int32_t> viewFrames;  // [N, V]
    std::vector<int32_t> cropBoxes;   // [N, V, L, 4]
    std::vector<float> cropFeatures;  // [N, V, L, dim2d]
    std::vector<float> feat2d;        // [N, dim2d]

    std::map<std::string, std::string> provenance;  // encoder names, checkpoint fingerprints, settings

    size_t numProposals() const { return proposals.size(); }
};

std::string featureCachePath(const std::string& dir, const std::string& sceneId);

// Where a scene's cache usually is, in the order looked at: the scene folder itself, its `features/`, and
// the world's `features/` beside `scans/` (`inst3d extract --scenes W/scans --out W/features`). For a
// mesh file, `scenePath`'s folder stands in for the scene folder.
std::vector<std::string> featureCacheCandidates(const std::string& scenePath, const std::string& sceneId);
// The first candidate that holds a readable cache; "" when none does.
std::string findFeatureCache(const std::string& scenePath, const std::string& sceneId);

// Checks every size against N, V, L and the dims (Error naming `what` and the field), then writes
// atomically: an interrupted extraction never leaves a partial cache file behind.
void writeSceneFeatures(const std::string& path, const SceneFeatures& features);

// Reads and validates (format tag, shapes, offsets, vertex indices < mesh_vertices, finite values);
// Error "path: problem" on any inconsistency.
SceneFeatures readSceneFeatures(const std::string& path);

// True when `path` holds a readable cache of the current format (what a resumed extraction skips).
bool isCompleteFeatureCache(const std::string& path);

// Averages each proposal's existing crops ([N, V, L, D2] where view_frames >= 0) into feat2d [N, D2].
// Crop features are stored L2-normalized, as OpenMask3D normalizes each crop's CLIP feature, and the
// mean is not re-normalized (its step 8; brief §5); zeros when a proposal has no view.
void averageCropFeatures(SceneFeatures& features);

// A short, stable identity for a weights file: SHA-256 over its size and its first and last MiB
// (hashing a 13 GB checkpoint whole would take longer than extracting a scene).
std::string checkpointFingerprint(const std::string& path);

}  // namespace inst3d
