// PyTorch checkpoints (torch.save zip files: HF pytorch_model.bin, .pth, .pt) read without LibTorch or
// Python: the zip (core/io/zip_archive.h) plus an own unpickler for the opcodes torch.save and numpy
// write (protocol 2, and 3-5 as `pickle_protocol=` produces). The result is a value tree whose tensors
// point into the memory-mapped storage entries. Debian's LibTorch 1.13 `torch::pickle_load` cannot read
// OrderedDict state dicts, 1-key dicts, 1-element lists or numpy payloads, hence this reader
// (docs/formats.md, "PyTorch checkpoints").
//
// Nothing is executed: GLOBALs name callables, and only the ones below are interpreted. Any other
// class or function (argparse.Namespace, a training-config class) becomes an opaque "object" value
// carrying its module.name, its arguments and state, so a checkpoint that holds one still loads; only
// using such a value as a tensor is an Error.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/io/safetensors.h"  // DType

namespace inst3d {

class ZipArchive;

// A tensor as stored: dtype, shape and strides (in elements) over a storage of raw little-endian bytes.
// Views (transposes, slices) keep their strides; contiguousBytes() makes the C-order copy.
struct TensorRef {
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    std::vector<int64_t> stride;      // elements
    int64_t storageOffset = 0;        // elements
    std::string storageKey;           // torch storage key ("0", "1", ...); empty for numpy arrays
    const uint8_t* storage = nullptr; // start of the storage bytes
    uint64_t storageBytes = 0;
    std::shared_ptr<const void> owner; // keeps `storage` alive (the mapped file, or the numpy bytes)
    bool numpy = false;               // a numpy array pickled inside the checkpoint

    int64_t numel() const;
    uint64_t nbytes() const { return uint64_t(numel()) * dtypeSize(dtype); }
    bool isContiguous() const;        // C order, so data() .. data()+nbytes() is the tensor
    const uint8_t* data() const { return storage + uint64_t(storageOffset) * dtypeSize(dtype); }
    // Elements in C order, strides applied. `out` must hold nbytes().
    void copyContiguous(uint8_t* out) const;
    std::vector<uint8_t> contiguousBytes() const;
};

class PickleValue;
using PickleValuePtr = std::shared_ptr<PickleValue>;

class PickleValue {
public:
    enum class Kind { None, Bool, Int, Float, String, Bytes, List, Tuple, Dict, Tensor, Object };

    Kind kind() const { return kind_; }
    bool is(Kind k) const { return kind_ == k; }
    // "int", "str", "OrderedDict", "tensor", "argparse.Namespace object", ...
    std::string typeName() const;

    // Typed access; the wrong kind is an Error "<file>: expected <what>, found <typeName>".
    bool asBool() const;
    int64_t asInt() const;
    double asFloat() const;                 // Int converts
    const std::string& asString() const;    // String (UTF-8) or Bytes (raw)
    const std::vector<PickleValuePtr>& items() const;  // List, Tuple, or an Object's appended items
    const std::vector<std::pair<PickleValuePtr, PickleValuePtr>>& entries() const;  // Dict (insertion order) or Object
    const PickleValue* find(const std::string& key) const;  // Dict/Object entry with this string key, or null
    const PickleValue& at(const std::string& key) const;    // Error when missing
    const TensorRef& tensor() const;

    // Objects: the callable's "module.name" and its argument tuple (or null); any object or dict: the
    // BUILD state (instance attributes, e.g. a state_dict's `_metadata`), or null.
    const std::string& objectName() const { return text_; }
    const PickleValue* objectArgs() const { return args_.get(); }
    const PickleValue* state() const { return state_.get(); }
    const std::string& file() const;        // the checkpoint this value came from

private:
    friend class Unpickler;
    Kind kind_ = Kind::None;
    bool isClass_ = false;                  // a GLOBAL not yet called
    int64_t int_ = 0;
    double float_ = 0;
    std::string text_;                      // String/Bytes payload, Object/class name, dict flavour
    std::string detail_;                    // why an Object is opaque; numpy dtype byte order
    std::vector<PickleValuePtr> items_;
    std::vector<std::pair<PickleValuePtr, PickleValuePtr>> entries_;
    std::map<std::string, size_t> keyIndex_;  // "s:<str>" / "i:<int>" -> entries_ index
    PickleValuePtr args_;
    PickleValuePtr state_;
    std::shared_ptr<TensorRef> tensor_;
    bool isStorage_ = false;                // a BINPERSID storage, before _rebuild_tensor_v2 views it
    std::shared_ptr<const std::string> file_;
};

// The bytes behind a torch storage key (torch.save: the zip entry "<stem>/data/<key>").
struct StorageBytes {
    bool found = false;
    std::string where;                      // the entry name, for messages
    const uint8_t* data = nullptr;
    uint64_t size = 0;
    std::shared_ptr<const void> owner;
};
using StorageResolver = std::function<StorageBytes(const std::string& key)>;

// Unpickles `size` bytes. Errors: "<file>: <entry>: <problem> at byte N" (truncated, unknown opcode,
// stack underflow, bad tensor metadata, missing storage). Never reads outside [data, data + size).
PickleValuePtr unpickle(const uint8_t* data, size_t size, const std::string& file, const std::string& entry,
                        const StorageResolver& storages);

// A torch.save file: finds "<stem>/data.pkl" (stem = the file stem under torch 1.x, "archive" under
// 2.x), checks `byteorder`, and unpickles with storages resolved to "<stem>/data/<key>".
class TorchCheckpoint {
public:
    explicit TorchCheckpoint(const std::string& path);
    ~TorchCheckpoint();
    const std::string& path() const { return path_; }
    const PickleValue& root() const { return *root_; }
    const PickleValuePtr& rootPtr() const { return root_; }
    const std::string& recordPrefix() const { return prefix_; }  // "archive/"

private:
    std::string path_;
    std::string prefix_;
    std::shared_ptr<ZipArchive> zip_;
    PickleValuePtr root_;
};

// Every tensor reachable through dicts, lists and tuples, with dotted names: {"model": {"a.weight": T}}
// gives "model.a.weight", a tuple's second item "1". A tensor at the root is named "tensor". Dict keys
// that are neither strings nor ints are skipped, and so are objects other than dict-like ones.
std::vector<std::pair<std::string, TensorRef>> flattenTensors(const PickleValue& root);

}  // namespace inst3d
