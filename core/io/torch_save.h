// torch.save files written without Python or LibTorch: what Chat-Scene / Inst3D training reads with
// torch.load (the aggregated feature dicts, the attributes files). The reader is core/io/torch_pickle.h.
//
// Layout (docs/formats.md, "PyTorch checkpoints", "Writing"): a ZIP of STORED entries whose data starts
// 64-byte aligned (padding in an "FB" extra field, as torch's writer does), ZIP64 fields where a size,
// an offset or the entry count needs them; records `<stem>/data.pkl` (pickle protocol 2),
// `<stem>/byteorder` ("little", torch >= 2.1), `<stem>/data/<key>` (raw little-endian storage bytes, one
// storage per tensor, keys "0", "1", ... in pickling order) and `<stem>/version` ("3\n"). Tensors are
// pickled as torch does: `torch._utils._rebuild_tensor_v2` over a BINPERSID
// ('storage', torch.<Type>Storage, key, 'cpu', numel), so torch 1.13 and 2.x (weights_only included) load them.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/io/safetensors.h"  // DType

namespace inst3d {

// A value to save: the part of Python that checkpoints and feature dicts use.
struct SaveValue {
    enum class Kind { None, Bool, Int, Float, String, List, Tuple, Dict, Tensor };

    Kind kind = Kind::None;
    bool boolean = false;
    int64_t integer = 0;
    double real = 0;
    std::string text;
    std::vector<SaveValue> items;                              // List, Tuple
    std::vector<std::pair<std::string, SaveValue>> entries;    // Dict, insertion order (keys checked unique at save)
    DType dtype = DType::F32;                                  // Tensor
    std::vector<int64_t> shape;
    std::shared_ptr<const std::vector<uint8_t>> bytes;         // C order, numel * dtypeSize, little-endian

    static SaveValue none() { return {}; }
    static SaveValue fromBool(bool v);
    static SaveValue fromInt(int64_t v);
    static SaveValue fromFloat(double v);
    static SaveValue fromString(std::string v);
    static SaveValue list(std::vector<SaveValue> items = {});
    static SaveValue tuple(std::vector<SaveValue> items = {});
    static SaveValue dict();
    // Error when bytes.size() != numel * dtypeSize(dtype) or a dimension is negative.
    static SaveValue tensor(DType dtype, std::vector<int64_t> shape, std::vector<uint8_t> bytes);
    static SaveValue floatTensor(std::vector<int64_t> shape, const float* data);  // copies numel floats

    bool is(Kind k) const { return kind == k; }
    SaveValue& set(std::string key, SaveValue value);  // Dict: appends (returns the stored value)
    SaveValue& append(SaveValue value);                // List / Tuple
    int64_t numel() const;                             // Tensor
};

struct TorchSaveOptions {
    std::string stem = "archive";  // record prefix: torch 2.x writes "archive", 1.x the file stem
    bool forceZip64 = false;       // ZIP64 fields on every entry and the end records (tests the > 4 GB path)
};

// Writes `root` atomically (core/common/file_util.h). Errors "path: problem": an unsupported dtype,
// a duplicate dict key, a tensor whose bytes do not match its shape, a failed write.
void torchSave(const std::string& path, const SaveValue& root, const TorchSaveOptions& options = {});

}  // namespace inst3d
