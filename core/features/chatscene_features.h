// Chat-Scene's released aggregated feature files as a feature source beside the per-scene cache
// (docs/model.md, "Chat-Scene compatibility"): torch.save dicts {"<scene>_<ii>": Tensor[D]} (ii = the
// object index, at least 2 digits, Python f"{ii:02}"; fp32, fp16 or bf16), e.g. Chat-Scene's
// scannet_mask3d_uni3d_feats.pt (3D) and scannet_mask3d_videofeats.pt (2D), or what
// `inst3d export-features` writes (core/features/chatscene_export.h). Read through the project's own
// unpickler (core/io/torch_pickle.h); torch-free.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/io/torch_pickle.h"

namespace inst3d {

class ChatSceneFeatureFile {
public:
    // Errors "<path>: problem": not a dict of 1-D tensors, widths that differ between keys, a non-float dtype.
    explicit ChatSceneFeatureFile(const std::string& path);

    const std::string& path() const { return path_; }
    int64_t dim() const { return dim_; }       // D (0 for an empty dict)
    size_t size() const { return rows_.size(); }  // keys
    bool has(const std::string& sceneId, int64_t index) const;

    // The scene's slots as Chat-Scene's dataset builds them: [count, D] row-major fp32 (count = the slot count, e.g. max_obj_num), row i = the key
    // "<sceneId>_<ii>" converted to float, or zeros when the file has no such key (dataset/base_dataset.py).
    // `found`, when given, receives how many rows came from the file.
    std::vector<float> sceneRows(const std::string& sceneId, int64_t count, int64_t* found = nullptr) const;

private:
    std::string path_;
    int64_t dim_ = 0;
    std::unique_ptr<TorchCheckpoint> ckpt_;            // the tensors view its mapping
    std::map<std::string, const TensorRef*> rows_;
};

}  // namespace inst3d
