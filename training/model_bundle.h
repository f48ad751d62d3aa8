// A model folder that `inst3d chat` and the viewer open on any scene; the bundled demo model
// (resources/models/demo, docs/demo-model.md) is one:
//   checkpoint/     an Inst3D checkpoint (training/inst3d_checkpoint.h)
//   encoders.json   the encoders its feature caches come from, paths relative to the folder:
//                   {"uni3d": "encoders/uni3d-tiny.safetensors", "uni3d_config": "tiny", "clip": "random:tiny",
//                    "proposals": "gt"}
// A bare checkpoint folder (run/checkpoint) opens too; a scene without a cache of its encoders then cannot
// get one made, and the error says how to extract it.
#pragma once
#include <optional>
#include <string>

#include "core/common/progress.h"

namespace inst3d {

struct EncoderSpecs {
    std::string uni3d;                 // models/vision/scene_encoders.h specs, paths made absolute
    std::string uni3dConfig = "tiny";
    std::string clip;
    std::string proposals = "gt";      // core/features/proposal_provider.h; a scene without GT falls back to builtin
};

struct ModelBundle {
    std::string dir;                   // as given
    std::string checkpointDir;         // DIR/checkpoint, or DIR itself when it is a checkpoint
    std::optional<EncoderSpecs> encoders;
};

// DIR: a bundle or a checkpoint folder. Error naming the file when it is neither or encoders.json is bad.
ModelBundle openModelBundle(const std::string& dir);

// resourceDir()/models/demo, "" when that folder holds no checkpoint (a build without the demo model).
std::string bundledModelDir();

// The feature cache the model reads for the scene at `scenePath` (a ScanNet scene folder or a mesh file):
// the first complete cache beside it (findFeatureCache's places, then the user's cache folder) whose
// encoders are the checkpoint's; otherwise one made with the bundle's encoders, written beside the scene
// when that folder is writable, else under $XDG_CACHE_HOME/inst3d/features (progress while it is made).
// Error naming the scene when none fits and the bundle has no encoders.
std::string featureCacheFor(const ModelBundle& model, const std::string& scenePath, const Progress& progress = {});

// Where featureCacheFor puts a cache it cannot write beside the scene: one folder per scene path.
std::string userFeatureCachePath(const std::string& scenePath, const std::string& sceneId);

}  // namespace inst3d
