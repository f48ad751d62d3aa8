// safetensors (Hugging Face): 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}},
// then the raw little-endian tensor bytes. Memory-mapped; no LibTorch here, so the per-scene feature
// cache and the weight loaders share one reader (models/weights wraps the bytes as tensors).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace inst3d {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };
size_t dtypeSize(DType t);
const char* dtypeName(DType t);             // "F32", ...
DType dtypeFromName(const std::string& s, const std::string& path, const std::string& tensor);

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;            // offsets inside the data section
    int64_t numel() const;
};

class MappedFile;

class SafetensorsFile {
public:
    explicit SafetensorsFile(const std::string& path);  // validates the whole header; throws Error
    ~SafetensorsFile();
    const std::string& path() const { return path_; }
    const std::vector<TensorInfo>& tensors() const { return tensors_; }
    const TensorInfo* find(const std::string& name) const;
    const TensorInfo& get(const std::string& name) const;  // throws Error naming the tensor and file
    const uint8_t* data(const TensorInfo& t) const;        // pointer into the mapped file
    const std::map<std::string, std::string>& metadata() const { return metadata_; }

private:
    std::string path_;
    std::unique_ptr<MappedFile> file_;
    const uint8_t* dataStart_ = nullptr;
    std::vector<TensorInfo> tensors_;
    std::map<std::string, size_t> index_;
    std::map<std::string, std::string> metadata_;
};

struct TensorToWrite {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    const void* data;  // numel * dtypeSize bytes, little-endian
};

// Atomic write; tensors are stored in the order given, header padded to 8 bytes as the reference does.
void writeSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace inst3d
