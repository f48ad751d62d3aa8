#include "models/weights/checkpoint_files.h"

#include <torch/torch.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/json_file.h"
#include "models/weights/torch_dtype.h"
#include "models/weights/torch_weights.h"

namespace inst3d {
namespace {

// weight_map of an HF index (both formats use {"metadata": .., "weight_map": {tensor: shard file}}).
std::map<std::string, std::string> readWeightMap(const std::string& index) {
    const nlohmann::json j = parseJsonFile(index);
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) fail(index, "no 'weight_map' object");
    std::map<std::string, std::string> out;
    for (const auto& [name, file] : j["weight_map"].items()) {
        if (!file.is_string()) fail(index, "weight_map['" + name + "'] is not a file name");
        out[name] = file.get<std::string>();
    }
    return out;
}

// One torch.save file's tensors by flattened name; the refs keep the mapping alive, the value tree goes.
struct TorchShard {
    std::string path;
    std::map<std::string, TensorRef> tensors;
    explicit TorchShard(const std::string& file) : path(file) {
        TorchCheckpoint c(file);
        for (auto& [name, ref] : flattenTensors(c.root())) tensors.emplace(name, std::move(ref));
    }
};

}  // namespace

at::Tensor tensorFromRef(const TensorRef& ref) {
    auto options = torch::TensorOptions().dtype(torchDtypeOf(ref.dtype));
    void* ptr = const_cast<uint8_t*>(ref.data());
    // from_blob needs element alignment; torch.save aligns storages to 64 bytes, other zip writers do not.
    const bool aligned = reinterpret_cast<uintptr_t>(ptr) % dtypeSize(ref.dtype) == 0;
    if (ref.numel() > 0 && ref.isContiguous() && aligned) {
        std::shared_ptr<const void> keepAlive = ref.owner;
        return torch::from_blob(ptr, ref.shape, [keepAlive](void*) {}, options);
    }
    torch::Tensor t = torch::empty(ref.shape, options);
    ref.copyContiguous(static_cast<uint8_t*>(t.data_ptr()));
    return t;
}

struct CheckpointFiles::Impl {
    std::string source;
    std::string indexPath;  // empty for a single file
    std::shared_ptr<SafetensorsFile> safeSingle;
    std::map<std::string, std::shared_ptr<SafetensorsFile>> safeWhere;
    std::shared_ptr<TorchShard> torchSingle;
    std::map<std::string, std::shared_ptr<TorchShard>> torchWhere;

    template <class File, class Open>
    void openIndex(const std::string& dir, const std::string& index, std::map<std::string, std::shared_ptr<File>>& where, Open open) {
        source = indexPath = index;
        std::map<std::string, std::shared_ptr<File>> shards;
        for (const auto& [name, file] : readWeightMap(index)) {
            auto& shard = shards[file];
            if (!shard) shard = open(joinPath(dir, file));
            where[name] = shard;
        }
    }

    template <class File>
    std::shared_ptr<File> locate(const std::shared_ptr<File>& single, const std::map<std::string, std::shared_ptr<File>>& where,
                                 const std::string& name) const {
        if (single) return single;
        auto it = where.find(name);
        if (it == where.end()) fail(indexPath, "tensor '" + name + "' missing from weight_map");
        return it->second;
    }

    torch::Tensor getTorch(const std::string& name, const std::vector<int64_t>& shape) const {
        std::shared_ptr<TorchShard> shard = locate(torchSingle, torchWhere, name);
        auto it = shard->tensors.find(name);
        if (it == shard->tensors.end()) fail(shard->path, "tensor '" + name + "' missing");
        if (it->second.shape != shape)
            fail(shard->path, "tensor '" + name + "' has shape " + shapeString(it->second.shape) + ", expected " + shapeString(shape));
        return tensorFromRef(it->second);
    }
};

CheckpointFiles::CheckpointFiles(const std::string& dir) : impl_(std::make_unique<Impl>()) {
    Impl& s = *impl_;
    const std::string safeSingle = joinPath(dir, "model.safetensors"), safeIndex = joinPath(dir, "model.safetensors.index.json");
    const std::string binSingle = joinPath(dir, "pytorch_model.bin"), binIndex = joinPath(dir, "pytorch_model.bin.index.json");
    if (fileExists(safeSingle)) {
        s.source = safeSingle;
        s.safeSingle = std::make_shared<SafetensorsFile>(safeSingle);
    } else if (fileExists(safeIndex)) {
        s.openIndex(dir, safeIndex, s.safeWhere, [](const std::string& f) { return std::make_shared<SafetensorsFile>(f); });
    } else if (fileExists(binSingle)) {
        s.source = binSingle;
        s.torchSingle = std::make_shared<TorchShard>(binSingle);
    } else if (fileExists(binIndex)) {
        s.openIndex(dir, binIndex, s.torchWhere, [](const std::string& f) { return std::make_shared<TorchShard>(f); });
    } else {
        fail(dir, "no model.safetensors, model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json");
    }
}

CheckpointFiles::~CheckpointFiles() = default;

const std::string& CheckpointFiles::source() const { return impl_->source; }

bool CheckpointFiles::has(const std::string& name) const {
    const Impl& s = *impl_;
    if (s.safeSingle) return s.safeSingle->find(name) != nullptr;
    if (s.torchSingle) return s.torchSingle->tensors.count(name) > 0;
    auto st = s.safeWhere.find(name);
    if (st != s.safeWhere.end()) return st->second->find(name) != nullptr;
    auto tt = s.torchWhere.find(name);
    return tt != s.torchWhere.end() && tt->second->tensors.count(name) > 0;
}

at::Tensor CheckpointFiles::get(const std::string& name, const std::vector<int64_t>& shape) const {
    const Impl& s = *impl_;
    if (s.torchSingle || !s.torchWhere.empty()) return s.getTorch(name, shape);
    std::shared_ptr<SafetensorsFile> file = s.locate(s.safeSingle, s.safeWhere, name);
    if (!file->find(name)) fail(file->path(), "tensor '" + name + "' missing");
    return loadTensorChecked(file, name, shape);
}

}  // namespace inst3d
