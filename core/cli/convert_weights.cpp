#include "core/cli/convert_weights.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/cli/command.h"
#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/safetensors.h"
#include "core/io/torch_pickle.h"
#include "core/io/json_file.h"

namespace inst3d {
namespace {

using NamedTensors = std::vector<std::pair<std::string, TensorRef>>;

std::string shapeText(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// flattenTensors' names with the prefix removed; a clash or an empty name would lose a tensor.
NamedTensors namedTensors(const TorchCheckpoint& c, const std::string& prefix) {
    NamedTensors flat = flattenTensors(c.root());
    std::set<std::string> seen;
    for (auto& [name, t] : flat) {
        if (!prefix.empty() && name.compare(0, prefix.size(), prefix) == 0) name = name.substr(prefix.size());
        if (name.empty()) fail(c.path(), "stripping '" + prefix + "' leaves a tensor without a name");
        if (!seen.insert(name).second) fail(c.path(), "two tensors are named '" + name + "' after stripping '" + prefix + "'");
    }
    return flat;
}

std::vector<ConvertedTensor> describe(const NamedTensors& tensors) {
    std::vector<ConvertedTensor> out;
    for (const auto& [name, t] : tensors) out.push_back({name, dtypeName(t.dtype), t.shape});
    return out;
}

// Contiguous tensors are written straight from the mapped checkpoint; strided views are copied first.
void writeTensors(const std::string& path, const std::string& out, const NamedTensors& tensors) {
    std::vector<std::vector<uint8_t>> copies;
    std::vector<TensorToWrite> toWrite;
    copies.reserve(tensors.size());
    for (const auto& [name, t] : tensors) {
        const void* data = t.data();
        if (!t.isContiguous()) {
            // A view can need more bytes than its storage only by reusing elements (a stride of 0, as
            // expand() makes): a 4-byte storage would become gigabytes on disk. Checkpoints do not do this.
            if (t.nbytes() > t.storageBytes)
                fail(path, "tensor '" + name + "' is a view of " + std::to_string(t.nbytes()) + " bytes over a " +
                               std::to_string(t.storageBytes) + "-byte storage (overlapping strides); refusing to expand it");
            copies.push_back(t.contiguousBytes());
            data = copies.back().data();
        }
        toWrite.push_back({name, t.dtype, t.shape, data});
    }
    writeSafetensors(out, toWrite, {{"format", "pt"}});
}

// ordered_json: shards are converted, and the new weight_map written, in the input's order.
nlohmann::ordered_json readIndex(const std::string& path) {
    nlohmann::ordered_json j = parseJsonFile<nlohmann::ordered_json>(path);
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) fail(path, "no 'weight_map' object");
    for (const auto& [name, file] : j["weight_map"].items())
        if (!file.is_string()) fail(path, "weight_map['" + name + "'] is not a file name");
    return j;
}

void printList(const std::string& source, const NamedTensors& tensors) {
    for (const auto& [name, t] : tensors)
        std::cout << name << "\t" << dtypeName(t.dtype) << "\t" << shapeText(t.shape)
                  << (t.isContiguous() ? "" : "\tstrided") << (t.numpy ? "\tnumpy" : "") << "\n";
    std::cerr << source << ": " << tensors.size() << " tensor(s)\n";
}

int runConvertWeights(const std::vector<std::string>& argv) {
    ArgParser args("inst3d convert-weights",
                   "Converts a PyTorch checkpoint (torch.save zip: pytorch_model.bin, .pth, .pt; numpy arrays\n"
                   "inside included) to safetensors with the same tensor names. Nested dicts give dotted names\n"
                   "({\"model\": {...}} -> model.<key>), lists and tuples their indices. IN may also be a\n"
                   "pytorch_model.bin.index.json: OUT is then a folder (or an .index.json path) that receives\n"
                   "model.safetensors.index.json and one shard per .bin shard. No Python or LibTorch needed;\n"
                   "legacy (pre-zip) files need tools/convert_to_safetensors.py.");
    args.positional("IN", "checkpoint file or pytorch_model.bin.index.json")
        .positional("OUT", "output .safetensors (a folder for an index)", false)
        .option("prefix-strip", "P", "remove this prefix from names that start with it (e.g. model.)")
        .flag("list", "print name, dtype and shape of every tensor instead of converting");
    if (!args.parse(argv)) return 0;
    const std::string in = args.get("IN"), prefix = args.get("prefix-strip");
    const bool isIndex = endsWith(in, ".index.json");
    if (args.has("list")) {
        if (!isIndex) {
            TorchCheckpoint c(in);
            printList(in, namedTensors(c, prefix));
            return 0;
        }
        nlohmann::ordered_json j = readIndex(in);
        std::vector<std::string> shards;
        for (const auto& [name, file] : j["weight_map"].items())
            if (std::find(shards.begin(), shards.end(), file.get<std::string>()) == shards.end()) shards.push_back(file);
        for (const auto& s : shards) {
            TorchCheckpoint c(joinPath(parentPath(in), s));
            printList(c.path(), namedTensors(c, prefix));
        }
        return 0;
    }
    if (!args.has("OUT")) throw UsageError("missing OUT (see inst3d convert-weights --help)");
    std::string out = args.get("OUT");
    if (isIndex) {
        if (!endsWith(out, ".json")) out = joinPath(out, "model.safetensors.index.json");
        auto tensors = convertTorchIndex(in, out, prefix);
        std::cout << "wrote " << tensors.size() << " tensors to " << out << " and its shards\n";
        return 0;
    }
    auto tensors = convertTorchCheckpoint(in, out, prefix);
    std::cout << "wrote " << tensors.size() << " tensors to " << out << "\n";
    return 0;
}

}  // namespace

std::string safetensorsShardName(const std::string& torchShard) {
    std::string stem = torchShard;
    for (const char* ext : {".bin", ".pth", ".pt"})
        if (endsWith(stem, ext)) {
            stem.resize(stem.size() - std::string(ext).size());
            break;
        }
    if (stem.compare(0, 13, "pytorch_model") == 0) stem = "model" + stem.substr(13);
    return stem + ".safetensors";
}

std::vector<ConvertedTensor> convertTorchCheckpoint(const std::string& in, const std::string& out, const std::string& prefixStrip) {
    TorchCheckpoint c(in);
    NamedTensors tensors = namedTensors(c, prefixStrip);
    if (tensors.empty()) fail(in, "holds no tensors");
    writeTensors(in, out, tensors);
    return describe(tensors);
}

std::vector<ConvertedTensor> convertTorchIndex(const std::string& indexPath, const std::string& outIndex,
                                               const std::string& prefixStrip) {
    nlohmann::ordered_json j = readIndex(indexPath);
    std::vector<std::string> order;                          // shards in order of first mention
    std::map<std::string, std::vector<std::string>> listed;  // shard -> tensor names it should hold
    for (const auto& [name, file] : j["weight_map"].items()) {
        std::string shard = file.get<std::string>();
        if (!listed.count(shard)) order.push_back(shard);
        listed[shard].push_back(name);
    }
    const std::string outDir = parentPath(outIndex);
    nlohmann::ordered_json weightMap = nlohmann::ordered_json::object();
    std::vector<ConvertedTensor> all;
    uint64_t total = 0;
    for (const std::string& shard : order) {
        TorchCheckpoint c(joinPath(parentPath(indexPath), shard));
        std::set<std::string> present;
        for (const auto& [name, t] : flattenTensors(c.root())) present.insert(name);
        for (const std::string& name : listed[shard])
            if (!present.count(name)) fail(indexPath, "tensor '" + name + "' is listed in " + shard + " but that shard lacks it");
        NamedTensors tensors = namedTensors(c, prefixStrip);
        const std::string outShard = safetensorsShardName(baseName(shard));
        writeTensors(c.path(), outDir.empty() ? outShard : joinPath(outDir, outShard), tensors);
        for (const auto& [name, t] : tensors) {
            if (weightMap.contains(name)) fail(indexPath, "tensor '" + name + "' appears in two shards");
            weightMap[name] = outShard;
            total += t.nbytes();
        }
        auto d = describe(tensors);
        all.insert(all.end(), d.begin(), d.end());
    }
    nlohmann::ordered_json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weightMap}};
    writeFileAtomic(outIndex, index.dump(2) + "\n");
    return all;
}

void registerConvertWeightsCommand(CommandRegistry& registry) {
    registry.add({"convert-weights", "PyTorch checkpoint (.bin/.pth/.pt, or a .bin index) to safetensors, same tensor names",
                  runConvertWeights});
}

}  // namespace inst3d
