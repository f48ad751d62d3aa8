#include "core/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_set>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/json_file.h"

namespace inst3d {

size_t dtypeSize(DType t) {
    switch (t) {
        case DType::F64: case DType::I64: return 8;
        case DType::F32: case DType::I32: return 4;
        case DType::F16: case DType::BF16: case DType::I16: return 2;
        case DType::I8: case DType::U8: case DType::Bool: return 1;
    }
    return 0;
}

static const std::pair<DType, const char*> kNames[] = {
    {DType::F64, "F64"}, {DType::F32, "F32"}, {DType::F16, "F16"}, {DType::BF16, "BF16"}, {DType::I64, "I64"},
    {DType::I32, "I32"}, {DType::I16, "I16"}, {DType::I8, "I8"},   {DType::U8, "U8"},     {DType::Bool, "BOOL"}};

const char* dtypeName(DType t) {
    for (const auto& kv : kNames)
        if (kv.first == t) return kv.second;
    return "?";
}

DType dtypeFromName(const std::string& s, const std::string& path, const std::string& tensor) {
    for (const auto& kv : kNames)
        if (s == kv.second) return kv.first;
    fail(path, "tensor '" + tensor + "' has unsupported dtype '" + s + "'");
}

int64_t TensorInfo::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

namespace {

// The bytes a tensor's shape and dtype need, refusing products that would overflow or exceed the data
// section: a shape such as [3074457345618258603, 3] F32 wraps around to 4 bytes in 64-bit arithmetic.
uint64_t byteSize(const TensorInfo& t, uint64_t dataSize, const std::string& path) {
    uint64_t bytes = dtypeSize(t.dtype);
    for (int64_t d : t.shape) {
        if (d == 0) return 0;
        if (bytes > dataSize / static_cast<uint64_t>(d))
            fail(path, "tensor '" + t.name + "' has a shape larger than the " + std::to_string(dataSize) + "-byte data section");
        bytes *= static_cast<uint64_t>(d);
    }
    return bytes;
}

// The format's rule, as the reference implementation enforces it: the tensors tile the data section,
// in offset order, with no overlap and no unused byte.
void checkTiling(const std::vector<TensorInfo>& tensors, uint64_t dataSize, const std::string& path) {
    std::vector<const TensorInfo*> order;
    for (const TensorInfo& t : tensors) order.push_back(&t);
    std::sort(order.begin(), order.end(), [](const TensorInfo* a, const TensorInfo* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    uint64_t at = 0;
    for (const TensorInfo* t : order) {
        if (t->begin < at) fail(path, "tensor '" + t->name + "' overlaps another tensor's bytes at offset " + std::to_string(t->begin));
        if (t->begin > at) fail(path, "bytes [" + std::to_string(at) + ", " + std::to_string(t->begin) + ") belong to no tensor");
        at = t->end;
    }
    if (at != dataSize) fail(path, "bytes [" + std::to_string(at) + ", " + std::to_string(dataSize) + ") belong to no tensor");
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path), file_(std::make_unique<MappedFile>(path)) {
    const size_t size = file_->size();
    if (size < 8) fail(path, "too small for a safetensors file (" + std::to_string(size) + " bytes)");
    uint64_t headerLen = 0;
    std::memcpy(&headerLen, file_->data(), 8);
    if (headerLen > size - 8) fail(path, "header length " + std::to_string(headerLen) + " exceeds the file size (truncated?)");
    const std::string_view headerText(reinterpret_cast<const char*>(file_->data()) + 8, headerLen);
    const nlohmann::json header = parseJsonText(headerText, path, "safetensors header");
    if (!header.is_object()) fail(path, "safetensors header is not a JSON object");
    dataStart_ = file_->data() + 8 + headerLen;
    const uint64_t dataSize = size - 8 - headerLen;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (it->is_object())
                for (auto m = it->begin(); m != it->end(); ++m)
                    if (m->is_string()) metadata_[m.key()] = m->get<std::string>();
            continue;
        }
        const auto& v = it.value();
        TensorInfo t;
        t.name = it.key();
        try {
            t.dtype = dtypeFromName(v.at("dtype").get<std::string>(), path, t.name);
            const nlohmann::json& shape = v.at("shape");
            if (!shape.is_array()) fail(path, "tensor '" + t.name + "': shape is not a list");
            for (const nlohmann::json& d : shape)  // get<int64_t> would turn 1.5 into 1 without a word
                if (!d.is_number_integer()) fail(path, "tensor '" + t.name + "' has a non-integer dimension " + d.dump());
            t.shape = shape.get<std::vector<int64_t>>();
            auto off = v.at("data_offsets").get<std::vector<uint64_t>>();
            if (off.size() != 2) fail(path, "tensor '" + t.name + "': data_offsets must have 2 entries");
            t.begin = off[0];
            t.end = off[1];
        } catch (const nlohmann::json::exception& e) {
            fail(path, "tensor '" + t.name + "': bad header entry (" + e.what() + ")");
        }
        for (int64_t d : t.shape)
            if (d < 0) fail(path, "tensor '" + t.name + "' has a negative dimension");
        if (t.end < t.begin || t.end > dataSize)
            fail(path, "tensor '" + t.name + "' data [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                           ") lies outside the " + std::to_string(dataSize) + "-byte data section (truncated?)");
        const uint64_t need = byteSize(t, dataSize, path);
        if (t.end - t.begin != need)
            fail(path, "tensor '" + t.name + "' has " + std::to_string(t.end - t.begin) + " bytes but its shape and dtype need " +
                           std::to_string(need));
        index_[t.name] = tensors_.size();
        tensors_.push_back(std::move(t));
    }
    checkTiling(tensors_, dataSize, path);
}

SafetensorsFile::~SafetensorsFile() = default;

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &tensors_[it->second];
}

const TensorInfo& SafetensorsFile::get(const std::string& name) const {
    const TensorInfo* t = find(name);
    if (!t) fail(path_, "has no tensor '" + name + "'");
    return *t;
}

const uint8_t* SafetensorsFile::data(const TensorInfo& t) const { return dataStart_ + t.begin; }

void writeSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata) {
    // The header keeps the tensors' order (the Python converter's bytes, tested) but is assembled entry by
    // entry: one ordered_json of every tensor made 65536 tensors take 24 s, its lookups being linear.
    std::string h = "{";
    if (!metadata.empty()) h += "\"__metadata__\":" + nlohmann::ordered_json(metadata).dump();
    std::unordered_set<std::string> names;
    uint64_t offset = 0;
    for (const auto& t : tensors) {
        if (!names.insert(t.name).second) fail(path, "two tensors are named '" + t.name + "'");
        int64_t numel = 1;
        for (int64_t d : t.shape) numel *= d;
        uint64_t bytes = static_cast<uint64_t>(numel) * dtypeSize(t.dtype);
        const nlohmann::ordered_json entry = {{"dtype", dtypeName(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
        h += (h.size() > 1 ? "," : "") + nlohmann::json(t.name).dump() + ":" + entry.dump();
        offset += bytes;
    }
    h += "}";
    while ((8 + h.size()) % 8) h.push_back(' ');
    writeFileAtomic(path, [&](std::FILE* f) {
        uint64_t n = h.size();
        std::fwrite(&n, 8, 1, f);
        std::fwrite(h.data(), 1, h.size(), f);
        for (const auto& t : tensors) {
            int64_t numel = 1;
            for (int64_t d : t.shape) numel *= d;
            size_t bytes = static_cast<size_t>(numel) * dtypeSize(t.dtype);
            if (bytes && std::fwrite(t.data, 1, bytes, f) != bytes) fail(path, "short write");
        }
    });
}

}  // namespace inst3d
