// The `convert-weights` verb: PyTorch checkpoints (torch.save .bin/.pth/.pt, or a sharded
// pytorch_model.bin.index.json) to safetensors with the same tensor names, without LibTorch or Python.
#pragma once
#include <string>
#include <vector>

namespace inst3d {

class CommandRegistry;

// Adds `convert-weights` to the registry (called by registerCoreCommands).
void registerConvertWeightsCommand(CommandRegistry& registry);

struct ConvertedTensor {
    std::string name;     // after --prefix-strip
    std::string dtype;    // "F32", ...
    std::vector<int64_t> shape;
};

// One torch.save file -> one safetensors file (strided views and numpy arrays copied to C order).
// Names are flattenTensors' dotted names with `prefixStrip` removed where they start with it.
std::vector<ConvertedTensor> convertTorchCheckpoint(const std::string& in, const std::string& out,
                                                    const std::string& prefixStrip = "");

// pytorch_model.bin.index.json -> `outIndex` (model.safetensors.index.json) plus, beside it, one
// safetensors shard per .bin shard ("pytorch_model-00001-of-00002.bin" -> "model-00001-of-00002.safetensors"),
// so the split stays the same. Every tensor the input weight_map lists must be in its shard.
std::vector<ConvertedTensor> convertTorchIndex(const std::string& indexPath, const std::string& outIndex,
                                               const std::string& prefixStrip = "");

// Shard name rule above.
std::string safetensorsShardName(const std::string& torchShard);

}  // namespace inst3d
