// torch.save writer: see torch_save.h. A protocol-2 pickler for SaveValue trees, then a STORED zip.
#include "core/io/torch_save.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <unordered_set>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {

// ---- values ---------------------------------------------------------------------------------------

SaveValue SaveValue::fromBool(bool v) {
    SaveValue s;
    s.kind = Kind::Bool;
    s.boolean = v;
    return s;
}

SaveValue SaveValue::fromInt(int64_t v) {
    SaveValue s;
    s.kind = Kind::Int;
    s.integer = v;
    return s;
}

SaveValue SaveValue::fromFloat(double v) {
    SaveValue s;
    s.kind = Kind::Float;
    s.real = v;
    return s;
}

SaveValue SaveValue::fromString(std::string v) {
    SaveValue s;
    s.kind = Kind::String;
    s.text = std::move(v);
    return s;
}

SaveValue SaveValue::list(std::vector<SaveValue> items) {
    SaveValue s;
    s.kind = Kind::List;
    s.items = std::move(items);
    return s;
}

SaveValue SaveValue::tuple(std::vector<SaveValue> items) {
    SaveValue s = list(std::move(items));
    s.kind = Kind::Tuple;
    return s;
}

SaveValue SaveValue::dict() {
    SaveValue s;
    s.kind = Kind::Dict;
    return s;
}

SaveValue SaveValue::tensor(DType dtype, std::vector<int64_t> shape, std::vector<uint8_t> bytes) {
    SaveValue s;
    s.kind = Kind::Tensor;
    s.dtype = dtype;
    s.shape = std::move(shape);
    for (int64_t d : s.shape)
        if (d < 0) fail("", "torch.save: tensor dimension " + std::to_string(d) + " is negative");
    if (bytes.size() != uint64_t(s.numel()) * dtypeSize(dtype))
        fail("", "torch.save: tensor of " + std::to_string(s.numel()) + " " + dtypeName(dtype) + " elements given " +
                     std::to_string(bytes.size()) + " bytes");
    s.bytes = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
    return s;
}

SaveValue SaveValue::floatTensor(std::vector<int64_t> shape, const float* data) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<uint8_t> bytes(size_t(std::max<int64_t>(n, 0)) * sizeof(float));
    if (!bytes.empty()) std::memcpy(bytes.data(), data, bytes.size());
    return tensor(DType::F32, std::move(shape), std::move(bytes));
}

SaveValue& SaveValue::set(std::string key, SaveValue value) {
    if (kind != Kind::Dict) fail("", "torch.save: set() on a non-dict value");
    entries.emplace_back(std::move(key), std::move(value));
    return entries.back().second;
}

SaveValue& SaveValue::append(SaveValue value) {
    if (kind != Kind::List && kind != Kind::Tuple) fail("", "torch.save: append() on a value that is not a list or tuple");
    items.push_back(std::move(value));
    return items.back();
}

int64_t SaveValue::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

namespace {

// ---- pickle (protocol 2) --------------------------------------------------------------------------

const char* storageClass(DType t, const std::string& path) {
    switch (t) {
        case DType::F64: return "DoubleStorage";
        case DType::F32: return "FloatStorage";
        case DType::F16: return "HalfStorage";
        case DType::BF16: return "BFloat16Storage";
        case DType::I64: return "LongStorage";
        case DType::I32: return "IntStorage";
        case DType::I16: return "ShortStorage";
        case DType::I8: return "CharStorage";
        case DType::U8: return "ByteStorage";
        case DType::Bool: return "BoolStorage";
    }
    fail(path, "torch.save: unsupported tensor dtype");
}

template <typename T>
void putLE(std::string& out, T v, int bytes = sizeof(T)) {
    for (int i = 0; i < bytes; ++i) out += char(uint64_t(v) >> (8 * i) & 0xFF);
}

class Pickler {
public:
    explicit Pickler(const std::string& path) : path_(path) {}

    std::string run(const SaveValue& root) {
        out_ = "\x80\x02";
        value(root);
        out_ += '.';
        return std::move(out_);
    }
    const std::vector<const SaveValue*>& storages() const { return storages_; }

private:
    void value(const SaveValue& v) {
        switch (v.kind) {
            case SaveValue::Kind::None: out_ += 'N'; return;
            case SaveValue::Kind::Bool: out_ += v.boolean ? '\x88' : '\x89'; return;
            case SaveValue::Kind::Int: integer(v.integer); return;
            case SaveValue::Kind::Float: real(v.real); return;
            case SaveValue::Kind::String: string(v.text); return;
            case SaveValue::Kind::List: list(v.items); return;
            case SaveValue::Kind::Tuple: tuple(v.items); return;
            case SaveValue::Kind::Dict: dict(v.entries); return;
            case SaveValue::Kind::Tensor: tensor(v); return;
        }
    }

    void integer(int64_t v) {
        if (v >= 0 && v < 256) {
            out_ += 'K';
            putLE(out_, v, 1);
        } else if (v >= 0 && v < 65536) {
            out_ += 'M';
            putLE(out_, v, 2);
        } else if (v >= INT32_MIN && v <= INT32_MAX) {
            out_ += 'J';
            putLE(out_, v, 4);
        } else {  // LONG1: minimal little-endian two's complement (8 bytes always suffice)
            out_ += '\x8a';
            out_ += char(8);
            putLE(out_, v, 8);
        }
    }

    void real(double v) {
        uint64_t bits;
        std::memcpy(&bits, &v, 8);
        out_ += 'G';
        for (int i = 7; i >= 0; --i) out_ += char(bits >> (8 * i) & 0xFF);  // big-endian
    }

    void string(const std::string& s) {
        out_ += 'X';
        putLE(out_, uint32_t(s.size()));
        out_ += s;
    }

    // Module-level callables are memoized, as pickle does, so a dict of 100k tensors stays compact.
    void global(const std::string& module, const std::string& name) {
        const std::string key = module + "\n" + name + "\n";
        auto it = memo_.find(key);
        if (it != memo_.end()) return get(it->second);
        out_ += 'c';
        out_ += key;
        uint32_t index = uint32_t(memo_.size());
        memo_.emplace(key, index);
        if (index < 256) {
            out_ += 'q';
            putLE(out_, index, 1);
        } else {
            out_ += 'r';
            putLE(out_, index, 4);
        }
    }

    void get(uint32_t index) {
        if (index < 256) {
            out_ += 'h';
            putLE(out_, index, 1);
        } else {
            out_ += 'j';
            putLE(out_, index, 4);
        }
    }

    // Batches of 1000 between MARK and APPENDS/SETITEMS, as pickle writes them.
    template <typename Items, typename Emit>
    void batched(const Items& items, char op, Emit emit) {
        for (size_t start = 0; start < items.size(); start += 1000) {
            out_ += '(';
            for (size_t i = start; i < std::min(items.size(), start + 1000); ++i) emit(items[i]);
            out_ += op;
        }
    }

    void list(const std::vector<SaveValue>& items) {
        out_ += ']';
        batched(items, 'e', [&](const SaveValue& v) { value(v); });
    }

    void tuple(const std::vector<SaveValue>& items) {
        if (items.empty()) {
            out_ += ')';
            return;
        }
        if (items.size() > 3) out_ += '(';
        for (const SaveValue& v : items) value(v);
        static const char ops[] = {'\x85', '\x86', '\x87'};
        out_ += items.size() > 3 ? 't' : ops[items.size() - 1];
    }

    void dict(const std::vector<std::pair<std::string, SaveValue>>& entries) {
        std::unordered_set<std::string> seen;
        for (const auto& e : entries)
            if (!seen.insert(e.first).second) fail(path_, "torch.save: duplicate dict key '" + e.first + "'");
        out_ += '}';
        batched(entries, 'u', [&](const std::pair<std::string, SaveValue>& e) {
            string(e.first);
            value(e.second);
        });
    }

    void intTuple(const std::vector<int64_t>& v) {
        SaveValue t = SaveValue::tuple();
        for (int64_t x : v) t.items.push_back(SaveValue::fromInt(x));
        tuple(t.items);
    }

    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)
    void tensor(const SaveValue& t) {
        const char* cls = storageClass(t.dtype, path_);
        if (!t.bytes || t.bytes->size() != uint64_t(t.numel()) * dtypeSize(t.dtype))
            fail(path_, "torch.save: tensor bytes do not match its shape");
        global("torch._utils", "_rebuild_tensor_v2");
        out_ += '(';
        out_ += '(';
        string("storage");
        global("torch", cls);
        string(std::to_string(storages_.size()));
        string("cpu");
        integer(t.numel());
        out_ += 't';
        out_ += 'Q';  // BINPERSID
        storages_.push_back(&t);
        integer(0);
        intTuple(t.shape);
        std::vector<int64_t> stride(t.shape.size(), 1);
        for (size_t i = t.shape.size(); i-- > 1;) stride[i - 1] = stride[i] * t.shape[i];
        intTuple(stride);
        out_ += '\x89';  // requires_grad False
        global("collections", "OrderedDict");
        out_ += ')';
        out_ += 'R';
        out_ += 't';
        out_ += 'R';
    }

    std::string path_;
    std::string out_;
    std::map<std::string, uint32_t> memo_;
    std::vector<const SaveValue*> storages_;
};

// ---- zip (STORED, 64-byte aligned) ----------------------------------------------------------------

constexpr uint64_t kMax32 = 0xFFFFFFFFull;

class ZipWriter {
public:
    ZipWriter(std::FILE* f, bool forceZip64) : f_(f), force_(forceZip64) {}

    void add(const std::string& name, const uint8_t* data, uint64_t size) {
        Record r{name, crc(data, size), size, offset_};
        const bool z64 = force_ || size >= kMax32;
        std::string extra;
        if (z64) {
            putLE(extra, uint16_t(1));
            putLE(extra, uint16_t(16));
            putLE(extra, size);
            putLE(extra, size);
        }
        const uint64_t before = offset_ + 30 + name.size() + extra.size() + 4;
        const uint64_t pad = (64 - before % 64) % 64;
        putLE(extra, uint16_t(0x4246));  // "FB", torch's padding field
        putLE(extra, uint16_t(pad));
        extra.append(pad, 'Z');

        std::string h;
        putLE(h, uint32_t(0x04034b50));
        putLE(h, uint16_t(z64 ? 45 : 20));
        putLE(h, uint16_t(0));  // flags
        putLE(h, uint16_t(0));  // STORED
        putLE(h, uint32_t(0));  // time, date
        putLE(h, r.crc);
        putLE(h, uint32_t(z64 ? kMax32 : size));
        putLE(h, uint32_t(z64 ? kMax32 : size));
        putLE(h, uint16_t(name.size()));
        putLE(h, uint16_t(extra.size()));
        h += name;
        h += extra;
        write(h.data(), h.size());
        write(data, size);
        records_.push_back(std::move(r));
    }

    void finish() {
        const uint64_t cdOffset = offset_;
        for (const Record& r : records_) central(r);
        const uint64_t cdSize = offset_ - cdOffset, count = records_.size();
        const bool z64 = force_ || count >= 0xFFFF || cdOffset >= kMax32 || cdSize >= kMax32;
        std::string e;
        if (z64) {
            const uint64_t recordOffset = offset_;
            putLE(e, uint32_t(0x06064b50));
            putLE(e, uint64_t(44));
            putLE(e, uint16_t(45));
            putLE(e, uint16_t(45));
            putLE(e, uint32_t(0));
            putLE(e, uint32_t(0));
            putLE(e, count);
            putLE(e, count);
            putLE(e, cdSize);
            putLE(e, cdOffset);
            putLE(e, uint32_t(0x07064b50));
            putLE(e, uint32_t(0));
            putLE(e, recordOffset);
            putLE(e, uint32_t(1));
        }
        putLE(e, uint32_t(0x06054b50));
        putLE(e, uint32_t(0));  // disk numbers
        putLE(e, uint16_t(z64 ? 0xFFFF : count));
        putLE(e, uint16_t(z64 ? 0xFFFF : count));
        putLE(e, uint32_t(z64 ? kMax32 : cdSize));
        putLE(e, uint32_t(z64 ? kMax32 : cdOffset));
        putLE(e, uint16_t(0));
        write(e.data(), e.size());
    }

private:
    struct Record {
        std::string name;
        uint32_t crc;
        uint64_t size, offset;
    };

    static uint32_t crc(const uint8_t* data, uint64_t size) {
        uLong c = ::crc32(0L, Z_NULL, 0);
        for (uint64_t done = 0; done < size;) {  // zlib takes 32-bit lengths
            uInt chunk = uInt(std::min<uint64_t>(size - done, 1u << 30));
            c = ::crc32(c, data + done, chunk);
            done += chunk;
        }
        return uint32_t(c);
    }

    void central(const Record& r) {
        const bool z64 = force_ || r.size >= kMax32 || r.offset >= kMax32;
        std::string h;
        putLE(h, uint32_t(0x02014b50));
        putLE(h, uint16_t(45));  // made by
        putLE(h, uint16_t(z64 ? 45 : 20));
        putLE(h, uint16_t(0));
        putLE(h, uint16_t(0));
        putLE(h, uint32_t(0));
        putLE(h, r.crc);
        putLE(h, uint32_t(z64 ? kMax32 : r.size));
        putLE(h, uint32_t(z64 ? kMax32 : r.size));
        putLE(h, uint16_t(r.name.size()));
        putLE(h, uint16_t(z64 ? 28 : 0));
        putLE(h, uint16_t(0));  // comment
        putLE(h, uint16_t(0));  // disk
        putLE(h, uint16_t(0));  // internal attributes
        putLE(h, uint32_t(0));  // external attributes
        putLE(h, uint32_t(z64 ? kMax32 : r.offset));
        h += r.name;
        if (z64) {  // all three 32-bit fields hold 0xFFFFFFFF, so all three 64-bit values follow
            putLE(h, uint16_t(1));
            putLE(h, uint16_t(24));
            putLE(h, r.size);
            putLE(h, r.size);
            putLE(h, r.offset);
        }
        write(h.data(), h.size());
    }

    void write(const void* data, uint64_t size) {
        if (size && std::fwrite(data, 1, size, f_) != size) fail("", "short write");
        offset_ += size;
    }

    std::FILE* f_;
    bool force_;
    uint64_t offset_ = 0;
    std::vector<Record> records_;
};

const uint8_t* bytesOf(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

}  // namespace

void torchSave(const std::string& path, const SaveValue& root, const TorchSaveOptions& options) {
    Pickler pickler(path);
    const std::string pkl = pickler.run(root);
    const std::string prefix = options.stem + "/";
    writeFileAtomic(path, [&](std::FILE* f) {
        ZipWriter zip(f, options.forceZip64);
        try {
            zip.add(prefix + "data.pkl", bytesOf(pkl), pkl.size());
            const std::string order = "little";
            zip.add(prefix + "byteorder", bytesOf(order), order.size());
            const auto& storages = pickler.storages();
            for (size_t k = 0; k < storages.size(); ++k)
                zip.add(prefix + "data/" + std::to_string(k), storages[k]->bytes->data(), storages[k]->bytes->size());
            const std::string version = "3\n";
            zip.add(prefix + "version", bytesOf(version), version.size());
            zip.finish();
        } catch (const Error& e) {
            fail(path, e.problem());
        }
    });
}

}  // namespace inst3d
