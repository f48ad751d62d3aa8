// Chat-Scene / Inst3D's aggregated training files from a folder of feature caches (issue 6): what
// `inst3d export-features` writes, torch.save files (core/io/torch_save.h) that their dataset code
// torch.loads unchanged (brief §2.4, §2.6 steps 2 and 9; docs/formats.md, "Chat-Scene export"):
//   scannet_mask3d_uni3d_feats.pt          {"<scene>_<ii>": FloatTensor[D3]}   (3D, Uni3D)
//   scannet_total_image_feat.pt            {"<scene>_<ii>": FloatTensor[D2]}   (2D, Inst3D's CLIP name)
//   scannet_mask3d_<split>_attributes.pt   {scene: {"objects": [labels], "locs": FloatTensor[min(n,100), 6]}}
// ii = proposal index, at least 2 digits (Python f"{ii:02}"). 3D: a proposal whose feature row is all
// zeros (fewer points than the encoder takes; Uni3D extraction skips < 10 points) gets no key, as the
// reference writes none; the dataset code fills missing keys with zeros either way. 2D: every proposal
// has a key (OpenMask3D's per-scene array holds zeros for a mask no view sees).
#pragma once
#include <string>
#include <vector>

namespace inst3d {

struct ChatSceneExportOptions {
    std::string cacheDir;          // *.features.safetensors
    std::string outDir;
    std::string splitName = "val"; // scannet_mask3d_<split>_attributes.pt
    int maxInstances = 100;        // prepare_scannet_mask3d_attributes.py --max_inst_num
};

struct ChatSceneExportResult {
    int scenes = 0;
    int keys3d = 0, skipped3d = 0;  // written / left out (all-zero rows)
    int keys2d = 0;
    std::vector<std::string> files;  // written, in order
};

inline constexpr const char* kChatScene3dFile = "scannet_mask3d_uni3d_feats.pt";
inline constexpr const char* kChatScene2dFile = "scannet_total_image_feat.pt";  // Chat-Scene: scannet_mask3d_videofeats.pt
std::string chatSceneAttributesFile(const std::string& split);  // scannet_mask3d_<split>_attributes.pt
std::string chatSceneFeatureKey(const std::string& sceneId, size_t index);  // "scene0000_00_07"

// Reads every cache of `cacheDir` (sorted by file name) and writes the files above; a file is written
// only when some scene has its features (attributes always). Errors "path: problem": no cache in the
// folder, dims that differ between scenes, a scene id that appears twice.
ChatSceneExportResult exportChatSceneFeatures(const ChatSceneExportOptions& options);

}  // namespace inst3d
