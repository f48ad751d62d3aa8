// The tensors of a Hugging Face checkpoint folder, whichever way it was saved: model.safetensors,
// model.safetensors.index.json (shards), pytorch_model.bin, or pytorch_model.bin.index.json. Safetensors
// is preferred when both kinds are present. Files are memory-mapped; tensors view them where they can.
// <torch/torch.h> stays out of this header (at::Tensor forward-declared).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/io/torch_pickle.h"

namespace at {
class Tensor;
}

namespace inst3d {

class CheckpointFiles {
public:
    // Opens DIR's checkpoint (and, for an index, every shard it names). Error when DIR holds none.
    explicit CheckpointFiles(const std::string& dir);
    ~CheckpointFiles();
    CheckpointFiles(const CheckpointFiles&) = delete;
    CheckpointFiles& operator=(const CheckpointFiles&) = delete;

    // The tensor, shape-checked. Errors name the tensor and the file (or index) that should hold it:
    // "<file>: tensor 'x' has shape [2, 3], expected [3, 2]", "<index>: tensor 'x' missing from weight_map".
    at::Tensor get(const std::string& name, const std::vector<int64_t>& shape) const;
    bool has(const std::string& name) const;
    // The single file or the index that was read.
    const std::string& source() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// A tensor from a torch.save checkpoint as a CPU at::Tensor: a read-only view of the mapping (kept
// alive by the tensor) when contiguous and element-aligned, else a contiguous copy. Error for values
// that are not tensors.
at::Tensor tensorFromRef(const TensorRef& ref);

}  // namespace inst3d
