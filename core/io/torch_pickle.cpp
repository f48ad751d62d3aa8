#include "core/io/torch_pickle.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/zip_archive.h"

namespace inst3d {

// ---------------------------------------------------------------------------------------------------
// TensorRef

int64_t TensorRef::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

bool TensorRef::isContiguous() const {
    if (numel() == 0) return true;
    int64_t expected = 1;
    for (size_t i = shape.size(); i-- > 0;) {
        if (shape[i] != 1 && stride[i] != expected) return false;
        expected *= shape[i];
    }
    return true;
}

namespace {

void copyDim(const TensorRef& t, size_t dim, const uint8_t* src, uint8_t*& out, size_t es) {
    if (dim == t.shape.size()) {
        std::memcpy(out, src, es);
        out += es;
        return;
    }
    if (dim + 1 == t.shape.size() && t.stride[dim] == 1) {  // innermost run: one block
        size_t n = size_t(t.shape[dim]) * es;
        std::memcpy(out, src, n);
        out += n;
        return;
    }
    for (int64_t i = 0; i < t.shape[dim]; ++i) copyDim(t, dim + 1, src + size_t(i * t.stride[dim]) * es, out, es);
}

}  // namespace

void TensorRef::copyContiguous(uint8_t* out) const {
    if (numel() == 0) return;
    if (isContiguous()) {
        std::memcpy(out, data(), nbytes());
        return;
    }
    copyDim(*this, 0, data(), out, dtypeSize(dtype));
}

std::vector<uint8_t> TensorRef::contiguousBytes() const {
    std::vector<uint8_t> out(nbytes());
    copyContiguous(out.data());
    return out;
}

// ---------------------------------------------------------------------------------------------------
// PickleValue

namespace {
const std::string kEmpty;

[[noreturn]] void wrongKind(const PickleValue& v, const std::string& expected) {
    fail(v.file(), "expected " + expected + ", found " + v.typeName());
}
}  // namespace

const std::string& PickleValue::file() const { return file_ ? *file_ : kEmpty; }

std::string PickleValue::typeName() const {
    switch (kind_) {
        case Kind::None: return "None";
        case Kind::Bool: return "bool";
        case Kind::Int: return "int";
        case Kind::Float: return "float";
        case Kind::String: return "str";
        case Kind::Bytes: return "bytes";
        case Kind::List: return "list";
        case Kind::Tuple: return "tuple";
        case Kind::Dict: return text_ == "collections.OrderedDict" ? "OrderedDict" : text_.empty() ? "dict" : text_;
        case Kind::Tensor: return isStorage_ ? "torch storage" : tensor_->numpy ? "numpy array" : "tensor";
        case Kind::Object:
            if (isClass_) return "class " + text_;
            return text_ + " object" + (detail_.empty() ? "" : " (" + detail_ + ")");
    }
    return "?";
}

bool PickleValue::asBool() const {
    if (kind_ != Kind::Bool) wrongKind(*this, "a bool");
    return int_ != 0;
}

int64_t PickleValue::asInt() const {
    if (kind_ != Kind::Int) wrongKind(*this, "an int");
    return int_;
}

double PickleValue::asFloat() const {
    if (kind_ == Kind::Int) return double(int_);
    if (kind_ != Kind::Float) wrongKind(*this, "a float");
    return float_;
}

const std::string& PickleValue::asString() const {
    if (kind_ != Kind::String && kind_ != Kind::Bytes) wrongKind(*this, "a string");
    return text_;
}

const std::vector<PickleValuePtr>& PickleValue::items() const {
    if (kind_ != Kind::List && kind_ != Kind::Tuple && kind_ != Kind::Object) wrongKind(*this, "a list or tuple");
    return items_;
}

const std::vector<std::pair<PickleValuePtr, PickleValuePtr>>& PickleValue::entries() const {
    if (kind_ != Kind::Dict && kind_ != Kind::Object) wrongKind(*this, "a dict");
    return entries_;
}

const PickleValue* PickleValue::find(const std::string& key) const {
    auto it = keyIndex_.find("s:" + key);
    return it == keyIndex_.end() ? nullptr : entries_[it->second].second.get();
}

const PickleValue& PickleValue::at(const std::string& key) const {
    if (kind_ != Kind::Dict && kind_ != Kind::Object) wrongKind(*this, "a dict with key '" + key + "'");
    const PickleValue* v = find(key);
    if (!v) fail(file(), "key '" + key + "' missing from the " + typeName());
    return *v;
}

const TensorRef& PickleValue::tensor() const {
    if (kind_ != Kind::Tensor) wrongKind(*this, "a tensor");
    return *tensor_;
}

// ---------------------------------------------------------------------------------------------------
// Unpickler

namespace {

bool storageDType(const std::string& cls, DType& out) {
    static const std::pair<const char*, DType> kStorages[] = {
        {"torch.FloatStorage", DType::F32},  {"torch.HalfStorage", DType::F16},   {"torch.BFloat16Storage", DType::BF16},
        {"torch.DoubleStorage", DType::F64}, {"torch.LongStorage", DType::I64},   {"torch.IntStorage", DType::I32},
        {"torch.ShortStorage", DType::I16},  {"torch.CharStorage", DType::I8},    {"torch.ByteStorage", DType::U8},
        {"torch.BoolStorage", DType::Bool},  {"torch.UntypedStorage", DType::U8}, {"torch.storage.UntypedStorage", DType::U8}};
    for (const auto& [name, t] : kStorages)
        if (cls == name) return out = t, true;
    return false;
}

// numpy's dtype.str without the byte order ("f2", "i8", "b1").
bool numpyDType(const std::string& typestr, DType& out) {
    static const std::pair<const char*, DType> kTypes[] = {
        {"f2", DType::F16}, {"f4", DType::F32}, {"f8", DType::F64}, {"i1", DType::I8}, {"i2", DType::I16},
        {"i4", DType::I32}, {"i8", DType::I64}, {"u1", DType::U8},  {"b1", DType::Bool}};
    for (const auto& [name, t] : kTypes)
        if (typestr == name) return out = t, true;
    return false;
}

bool isOneOf(const std::string& s, std::initializer_list<const char*> names) {
    for (const char* n : names)
        if (s == n) return true;
    return false;
}

float halfToFloat(uint16_t h) {
    int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float v = exp == 0 ? std::ldexp(float(mant), -24) : exp == 31 ? (mant ? NAN : INFINITY) : std::ldexp(float(mant | 0x400), exp - 25);
    return sign ? -v : v;
}

// REDUCE callables that real checkpoints hold beside their tensors (a config's paths, a device, a date, a
// quantised or sparse tensor inst3d does not convert): kept as opaque values, never called. Every other
// callable is refused: under Python, REDUCE on `os.system` or `builtins.eval` runs it, which is why
// torch.load(weights_only=True) has an allow-list too. NEWOBJ (`cls.__new__`, then BUILD's state) stays
// open to any class: it is how argparse.Namespace, an EasyDict config or a whole nn.Module are stored.
const std::initializer_list<const char*> kOpaqueCallables = {
    "torch.device", "torch.dtype", "torch.serialization._get_layout",
    "torch._utils._rebuild_qtensor", "torch._utils._rebuild_sparse_tensor", "torch._utils._rebuild_sparse_csr_tensor",
    "torch._utils._rebuild_meta_tensor_no_storage", "torch._utils._rebuild_device_tensor_from_numpy",
    "torch._utils._rebuild_wrapper_subclass", "torch._utils._rebuild_nested_tensor", "torch._utils._rebuild_xla_tensor",
    "torch._utils._rebuild_mlc_tensor", "torch._utils._rebuild_tensor_v3",
    "builtins.slice", "builtins.range", "builtins.complex", "builtins.object", "builtins.int", "builtins.float",
    "builtins.str", "builtins.tuple", "builtins.list",
    "pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.PurePosixPath", "pathlib.PureWindowsPath",
    "datetime.datetime", "datetime.date", "datetime.time", "datetime.timedelta", "datetime.timezone",
    "uuid.UUID", "fractions.Fraction", "decimal.Decimal", "collections.Counter", "collections.deque"};

const char* kUnsupportedOpcodes[][2] = {{"S", "STRING"}, {"V", "UNICODE"}, {"i", "INST"}, {"o", "OBJ"},
                                        {"P", "PERSID"}, {"\x82", "EXT1"},  {"\x83", "EXT2"}, {"\x84", "EXT4"},
                                        {"\x97", "NEXT_BUFFER (out-of-band data)"}, {"\x98", "READONLY_BUFFER"}};

}  // namespace

class Unpickler {
public:
    Unpickler(const uint8_t* data, size_t size, const std::string& file, const std::string& entry, const StorageResolver& storages)
        : d_(data), n_(size), file_(std::make_shared<const std::string>(file)), entry_(entry), storages_(storages) {}

    PickleValuePtr run() {
        try {
            PickleValuePtr root = interpret();
            auto reachable = checkShape(root);
            unlink([&](const PickleValue* v) { return !reachable.count(v); });  // popped garbage may hold cycles
            return root;
        } catch (...) {
            unlink([](const PickleValue*) { return true; });
            throw;
        }
    }

private:
    PickleValuePtr interpret() {
        for (;;) {
            op_ = pos_;
            if (pos_ >= n_) error("unexpected end of data before STOP (truncated?)");
            uint8_t op = d_[pos_++];
            if (op == '.') {
                if (stack_.empty()) error("STOP with an empty stack");
                return stack_.back();
            }
            step(op);
        }
    }

    template <class F>
    static void forEachChild(const PickleValue& v, F f) {
        for (const auto& c : v.items_) f(c);
        for (const auto& [k, c] : v.entries_) f(k), f(c);
        if (v.state_) f(v.state_);
        if (v.args_) f(v.args_);
    }

    // A corrupt pickle can make a container hold itself (a shared_ptr cycle that would never be freed)
    // or nest values so deeply that freeing them recursively overflows the stack. Legitimate
    // checkpoints do neither, so both are errors; the walk is iterative for the same reason.
    std::unordered_map<const PickleValue*, bool> checkShape(const PickleValuePtr& root) {
        constexpr size_t kMaxDepth = 1000;
        std::unordered_map<const PickleValue*, bool> done;  // false: on the current path
        std::vector<std::pair<const PickleValue*, std::vector<const PickleValue*>>> path;
        auto enter = [&](const PickleValue* v) {
            done[v] = false;
            std::vector<const PickleValue*> kids;
            forEachChild(*v, [&](const PickleValuePtr& c) { kids.push_back(c.get()); });
            path.emplace_back(v, std::move(kids));
        };
        op_ = n_;
        enter(root.get());
        while (!path.empty()) {
            if (path.back().second.empty()) {
                done[path.back().first] = true;
                path.pop_back();
                continue;
            }
            const PickleValue* next = path.back().second.back();
            path.back().second.pop_back();
            auto it = done.find(next);
            if (it != done.end()) {
                if (!it->second) error("a container holds itself");
                continue;
            }
            if (path.size() >= kMaxDepth) error("values nested deeper than " + std::to_string(kMaxDepth) + " levels");
            enter(next);
        }
        return done;
    }

    // Empties the selected containers (all of them after an error, the unreachable ones after success)
    // while holding them, so that they are then freed without recursion and without cycles keeping
    // them alive.
    template <class Select>
    void unlink(Select select) {
        std::vector<PickleValuePtr> alive;
        for (const auto& w : created_)
            if (auto v = w.lock(); v && select(v.get())) alive.push_back(std::move(v));
        for (const auto& v : alive) {
            v->items_.clear();
            v->entries_.clear();
            v->state_.reset();
            v->args_.reset();
        }
    }

    using Kind = PickleValue::Kind;
    const uint8_t* d_;
    size_t n_;
    size_t pos_ = 0, op_ = 0;
    std::shared_ptr<const std::string> file_;
    std::string entry_;
    const StorageResolver& storages_;
    std::vector<PickleValuePtr> stack_;
    std::vector<size_t> marks_;
    std::unordered_map<uint64_t, PickleValuePtr> memo_;
    std::vector<std::weak_ptr<PickleValue>> created_;

    [[noreturn]] void error(const std::string& problem) const {
        fail(*file_, entry_ + ": " + problem + " at byte " + std::to_string(op_));
    }

    // --- reading the opcode stream
    const uint8_t* take(uint64_t k) {
        if (k > n_ - pos_) error("unexpected end of data (truncated?)");
        const uint8_t* p = d_ + pos_;
        pos_ += size_t(k);
        return p;
    }
    uint64_t le(int bytes) {
        const uint8_t* p = take(bytes);
        uint64_t v = 0;
        for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
        return v;
    }
    std::string bytes(uint64_t k) {
        const uint8_t* p = take(k);
        return std::string(reinterpret_cast<const char*>(p), size_t(k));
    }
    std::string line() {
        const void* nl = std::memchr(d_ + pos_, '\n', n_ - pos_);
        if (!nl) error("unexpected end of data in a text argument (truncated?)");
        size_t len = static_cast<const uint8_t*>(nl) - (d_ + pos_);
        std::string s = bytes(len);
        ++pos_;
        return s;
    }
    int64_t decimal(std::string s) {
        if (!s.empty() && s.back() == 'L') s.pop_back();
        errno = 0;
        char* end = nullptr;
        long long v = std::strtoll(s.c_str(), &end, 10);
        if (s.empty() || *end || errno == ERANGE) error("bad or out-of-range integer '" + s + "'");
        return v;
    }
    // LONG1/LONG4: little-endian two's complement; inst3d's values fit in 64 bits.
    int64_t longBytes(uint64_t k) {
        if (k > 8) error("integer of " + std::to_string(k) + " bytes does not fit in 64 bits");
        const uint8_t* p = take(k);
        uint64_t v = 0;
        for (uint64_t i = k; i-- > 0;) v = (v << 8) | p[i];
        if (k > 0 && k < 8 && (p[k - 1] & 0x80)) v |= ~uint64_t(0) << (8 * k);  // sign-extend
        return int64_t(v);
    }

    // --- values and the stack
    PickleValuePtr make(Kind k) {
        auto v = std::make_shared<PickleValue>();
        v->kind_ = k;
        v->file_ = file_;
        created_.push_back(v);
        return v;
    }
    PickleValuePtr makeInt(int64_t i, Kind k = Kind::Int) {
        auto v = make(k);
        v->int_ = i;
        return v;
    }
    PickleValuePtr makeText(Kind k, std::string s) {
        auto v = make(k);
        v->text_ = std::move(s);
        return v;
    }
    PickleValuePtr makeSeq(Kind k, std::vector<PickleValuePtr> items) {
        auto v = make(k);
        v->items_ = std::move(items);
        return v;
    }
    size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
    void push(PickleValuePtr v) { stack_.push_back(std::move(v)); }
    PickleValuePtr pop() {
        if (stack_.size() <= floor()) error("stack underflow");
        PickleValuePtr v = std::move(stack_.back());
        stack_.pop_back();
        return v;
    }
    PickleValuePtr& top() {
        if (stack_.size() <= floor()) error("stack underflow");
        return stack_.back();
    }
    std::vector<PickleValuePtr> popMark() {
        if (marks_.empty()) error("no MARK on the stack");
        size_t m = marks_.back();
        marks_.pop_back();
        std::vector<PickleValuePtr> items(stack_.begin() + long(m), stack_.end());
        stack_.resize(m);
        return items;
    }
    PickleValuePtr memoGet(uint64_t key) {
        auto it = memo_.find(key);
        if (it == memo_.end()) error("memo key " + std::to_string(key) + " is not defined");
        return it->second;
    }
    void memoPut(uint64_t key) { memo_[key] = top(); }

    // --- containers
    static std::string keyOf(const PickleValue& k) {
        if (k.kind_ == Kind::String) return "s:" + k.text_;
        if (k.kind_ == Kind::Int || k.kind_ == Kind::Bool) return "i:" + std::to_string(k.int_);
        return "";
    }
    void setItem(PickleValue& target, PickleValuePtr key, PickleValuePtr value) {
        if (target.kind_ != Kind::Dict && target.kind_ != Kind::Object) error("SETITEM on a " + target.typeName());
        std::string k = keyOf(*key);
        if (!k.empty()) {
            auto [it, fresh] = target.keyIndex_.emplace(k, target.entries_.size());
            if (!fresh) {  // Python: a repeated key keeps its place and takes the new value
                target.entries_[it->second].second = std::move(value);
                return;
            }
        }
        target.entries_.emplace_back(std::move(key), std::move(value));
    }
    void appendTo(PickleValue& target, std::vector<PickleValuePtr> items) {
        if (target.kind_ != Kind::List && target.kind_ != Kind::Object) error("APPEND on a " + target.typeName());
        for (auto& v : items) target.items_.push_back(std::move(v));
    }
    void setItems(std::vector<PickleValuePtr> kv) {
        if (kv.size() % 2) error("SETITEMS with an odd number of values");
        PickleValue& target = *top();
        for (size_t i = 0; i < kv.size(); i += 2) setItem(target, kv[i], kv[i + 1]);
    }
    PickleValuePtr makeDict(const std::string& flavour) {
        auto v = make(Kind::Dict);
        v->text_ = flavour;
        return v;
    }

    // --- the opcode interpreter
    void step(uint8_t op) {
        switch (op) {
            case 0x80: {  // PROTO
                uint64_t proto = le(1);
                if (proto > 5) error("pickle protocol " + std::to_string(proto) + " is newer than 5");
                break;
            }
            case 0x95: le(8); break;  // FRAME: only a read-ahead hint
            case '(': marks_.push_back(stack_.size()); break;
            case '0':  // POP: an empty segment pops its MARK, as Python does
                if (!marks_.empty() && marks_.back() == stack_.size()) marks_.pop_back();
                else pop();
                break;
            case '1': popMark(); break;
            case '2': push(top()); break;
            case 'N': push(make(Kind::None)); break;
            case 0x88: push(makeInt(1, Kind::Bool)); break;
            case 0x89: push(makeInt(0, Kind::Bool)); break;
            case 'J': push(makeInt(int32_t(uint32_t(le(4))))); break;
            case 'K': push(makeInt(int64_t(le(1)))); break;
            case 'M': push(makeInt(int64_t(le(2)))); break;
            case 0x8a: push(makeInt(longBytes(le(1)))); break;
            case 0x8b: push(makeInt(longBytes(le(4)))); break;
            case 'I': {
                std::string s = line();
                if (s == "00" || s == "01") push(makeInt(s == "01", Kind::Bool));
                else push(makeInt(decimal(s)));
                break;
            }
            case 'L': push(makeInt(decimal(line()))); break;
            case 'G': {
                const uint8_t* p = take(8);
                uint64_t bits = 0;
                for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];  // big-endian
                auto v = make(Kind::Float);
                std::memcpy(&v->float_, &bits, 8);
                push(v);
                break;
            }
            case 'F': {
                std::string s = line();
                char* end = nullptr;
                auto v = make(Kind::Float);
                v->float_ = std::strtod(s.c_str(), &end);
                if (s.empty() || *end) error("bad float '" + s + "'");
                push(v);
                break;
            }
            case 'X': push(makeText(Kind::String, bytes(le(4)))); break;
            case 0x8c: push(makeText(Kind::String, bytes(le(1)))); break;
            case 0x8d: push(makeText(Kind::String, bytes(le(8)))); break;
            case 'T': {
                int32_t len = int32_t(uint32_t(le(4)));
                if (len < 0) error("negative BINSTRING length");
                push(makeText(Kind::String, bytes(uint64_t(len))));
                break;
            }
            case 'U': push(makeText(Kind::String, bytes(le(1)))); break;
            case 'B': push(makeText(Kind::Bytes, bytes(le(4)))); break;
            case 'C': push(makeText(Kind::Bytes, bytes(le(1)))); break;
            case 0x8e: case 0x96: push(makeText(Kind::Bytes, bytes(le(8)))); break;
            case ']': push(make(Kind::List)); break;
            case ')': push(make(Kind::Tuple)); break;
            case '}': push(makeDict("dict")); break;
            case 0x8f: push(makeText(Kind::List, "set")); break;
            case 'l': push(makeSeq(Kind::List, popMark())); break;
            case 't': push(makeSeq(Kind::Tuple, popMark())); break;
            case 0x91: push(makeSeq(Kind::List, popMark())); break;  // FROZENSET, kept as a list
            case 0x85: case 0x86: case 0x87: {
                std::vector<PickleValuePtr> items(op - 0x84);
                for (size_t i = items.size(); i-- > 0;) items[i] = pop();
                push(makeSeq(Kind::Tuple, std::move(items)));
                break;
            }
            case 'd': {
                auto kv = popMark();
                push(makeDict("dict"));
                setItems(std::move(kv));
                break;
            }
            case 'a': {
                auto v = pop();
                appendTo(*top(), {v});
                break;
            }
            case 'e': case 0x90: {
                auto items = popMark();
                appendTo(*top(), std::move(items));
                break;
            }
            case 's': {
                auto v = pop();
                auto k = pop();
                setItem(*top(), k, v);
                break;
            }
            case 'u': setItems(popMark()); break;
            case 'g': push(memoGet(uint64_t(decimal(line())))); break;
            case 'h': push(memoGet(le(1))); break;
            case 'j': push(memoGet(le(4))); break;
            case 'p': memoPut(uint64_t(decimal(line()))); break;
            case 'q': memoPut(le(1)); break;
            case 'r': memoPut(le(4)); break;
            case 0x94: memoPut(memo_.size()); break;
            case 'c': {
                std::string module = line();
                push(makeClass(module, line()));
                break;
            }
            case 0x93: {
                auto name = pop();
                auto module = pop();
                if (module->kind_ != Kind::String || name->kind_ != Kind::String) error("STACK_GLOBAL needs two strings");
                push(makeClass(module->text_, name->text_));
                break;
            }
            case 'R': {
                auto args = pop();
                auto callable = pop();
                push(call(callable, args));
                break;
            }
            case 0x81: {
                auto args = pop();
                auto cls = pop();
                push(construct(cls, args));
                break;
            }
            case 0x92: {
                pop();  // kwargs
                auto args = pop();
                auto cls = pop();
                push(construct(cls, args));
                break;
            }
            case 'b': {
                auto state = pop();
                build(top(), state);
                break;
            }
            case 'Q': push(persistent(pop())); break;
            default: {
                for (const auto& u : kUnsupportedOpcodes)
                    if (uint8_t(u[0][0]) == op) error(std::string("unsupported pickle opcode ") + u[1]);
                char buf[64];
                std::snprintf(buf, sizeof buf, "unknown pickle opcode 0x%02x", op);
                error(buf);
            }
        }
    }

    PickleValuePtr makeClass(std::string module, const std::string& name) {
        if (module == "__builtin__") module = "builtins";  // Python 2 names
        if (module == "copy_reg") module = "copyreg";
        auto v = makeText(Kind::Object, module + "." + name);
        v->isClass_ = true;
        return v;
    }

    PickleValuePtr opaque(const std::string& name, PickleValuePtr args, const std::string& detail = "") {
        auto v = makeText(Kind::Object, name);
        v->args_ = std::move(args);
        v->detail_ = detail;
        return v;
    }

    const std::vector<PickleValuePtr>& tupleArgs(const PickleValuePtr& args, const std::string& callable, size_t minCount) {
        if (args->kind_ != Kind::Tuple) error("arguments of " + callable + " are a " + args->typeName() + ", not a tuple");
        if (args->items_.size() < minCount)
            error(callable + " takes at least " + std::to_string(minCount) + " arguments, got " + std::to_string(args->items_.size()));
        return args->items_;
    }
    int64_t intOf(const PickleValuePtr& v, const std::string& what) {
        if (v->kind_ != Kind::Int) error(what + " is a " + v->typeName() + ", expected an int");
        return v->int_;
    }
    std::vector<int64_t> intsOf(const PickleValuePtr& v, const std::string& what) {
        if (v->kind_ != Kind::Tuple && v->kind_ != Kind::List) error(what + " is a " + v->typeName() + ", expected a tuple");
        std::vector<int64_t> out;
        for (const auto& e : v->items_) out.push_back(intOf(e, what));
        return out;
    }
    const std::string& stringOf(const PickleValuePtr& v, const std::string& what) {
        if (v->kind_ != Kind::String && v->kind_ != Kind::Bytes) error(what + " is a " + v->typeName() + ", expected a string");
        return v->text_;
    }

    // REDUCE: only the callables below are interpreted; the rest become opaque objects.
    PickleValuePtr call(const PickleValuePtr& callable, const PickleValuePtr& args) {
        if (callable->kind_ != Kind::Object || !callable->isClass_) error("REDUCE on a " + callable->typeName() + ", not a callable");
        const std::string& name = callable->text_;
        if (isOneOf(name, {"torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor"}))
            return rebuildTensor(tupleArgs(args, name, 4));
        if (isOneOf(name, {"torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state"}))
            return tupleArgs(args, name, 1)[0];
        if (isOneOf(name, {"torch._tensor._rebuild_from_type_v2", "torch._tensor._rebuild_from_type"})) {
            const auto& a = tupleArgs(args, name, 3);
            return call(a[0], a[2]);
        }
        if (isOneOf(name, {"collections.OrderedDict", "builtins.dict", "collections.defaultdict"})) {
            auto d = makeDict(name == "builtins.dict" ? "dict" : name);
            const auto& a = tupleArgs(args, name, 0);
            if (name != "collections.defaultdict" && !a.empty()) fillDict(*d, a[0]);
            return d;
        }
        if (isOneOf(name, {"numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct"}))
            return opaque("numpy.ndarray", args, "array data never set");  // BUILD fills it in
        if (name == "numpy.dtype") {
            stringOf(tupleArgs(args, name, 1)[0], "numpy dtype");
            return opaque(name, args);
        }
        if (isOneOf(name, {"numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer"})) {
            const auto& a = tupleArgs(args, name, 4);
            auto v = make(Kind::Tensor);
            numpyArray(*v, a[0], a[1], a[2], stringOf(a[3], "array order") == "F");
            return v;
        }
        if (isOneOf(name, {"numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar"}))
            return numpyScalar(tupleArgs(args, name, 2));
        if (name == "_codecs.encode") {
            const auto& a = tupleArgs(args, name, 1);
            return makeText(Kind::Bytes, encode(stringOf(a[0], "text"), a.size() > 1 ? stringOf(a[1], "encoding") : "utf-8"));
        }
        if (isOneOf(name, {"builtins.bytes", "builtins.bytearray"})) {
            const auto& a = tupleArgs(args, name, 0);
            if (a.empty()) return makeText(Kind::Bytes, "");
            if (a[0]->kind_ == Kind::Bytes) return makeText(Kind::Bytes, a[0]->text_);
            return makeText(Kind::Bytes, encode(stringOf(a[0], "text"), a.size() > 1 ? stringOf(a[1], "encoding") : "utf-8"));
        }
        if (isOneOf(name, {"builtins.set", "builtins.frozenset", "torch.Size"})) {
            const auto& a = tupleArgs(args, name, 0);
            if (a.empty()) return make(name == "torch.Size" ? Kind::Tuple : Kind::List);
            if (a[0]->kind_ != Kind::List && a[0]->kind_ != Kind::Tuple) error(name + " of a " + a[0]->typeName());
            return makeSeq(name == "torch.Size" ? Kind::Tuple : Kind::List, a[0]->items_);
        }
        if (name == "copyreg._reconstructor") {  // protocol 0/1 objects: (cls, base, state)
            const auto& a = tupleArgs(args, name, 1);
            return opaque(a[0]->isClass_ ? a[0]->text_ : name, args);
        }
        if (isOneOf(name, kOpaqueCallables)) return opaque(name, args);
        error("refusing to call '" + name + "': a pickle can run any function it names, and inst3d calls only the "
              "checkpoint types on its allow-list (tensor rebuilders, storages, dicts, numpy arrays; "
              "core/io/torch_pickle.cpp kOpaqueCallables); this file is not a plain checkpoint");
    }

    // NEWOBJ: cls.__new__(cls, *args); a dict subclass gets its items through SETITEMS afterwards.
    PickleValuePtr construct(const PickleValuePtr& cls, const PickleValuePtr& args) {
        if (cls->kind_ != Kind::Object || !cls->isClass_) error("NEWOBJ on a " + cls->typeName() + ", not a class");
        if (isOneOf(cls->text_, {"collections.OrderedDict", "builtins.dict"})) return makeDict(cls->text_ == "builtins.dict" ? "dict" : cls->text_);
        if (cls->text_ == "builtins.set" || cls->text_ == "builtins.frozenset") return make(Kind::List);
        return opaque(cls->text_, args);
    }

    void fillDict(PickleValue& d, const PickleValuePtr& pairs) {
        if (pairs->kind_ == Kind::Dict) {
            for (const auto& [k, v] : pairs->entries_) setItem(d, k, v);
            return;
        }
        if (pairs->kind_ != Kind::List && pairs->kind_ != Kind::Tuple) error("dict built from a " + pairs->typeName());
        for (const auto& p : pairs->items_) {
            if ((p->kind_ != Kind::List && p->kind_ != Kind::Tuple) || p->items_.size() != 2) error("dict item is not a pair");
            setItem(d, p->items_[0], p->items_[1]);
        }
    }

    void build(const PickleValuePtr& target, const PickleValuePtr& state) {
        PickleValue& t = *target;
        if (t.kind_ == Kind::Object && t.text_ == "numpy.ndarray" && !t.isClass_) return finishNdarray(t, state);
        if (t.kind_ == Kind::Object || t.kind_ == Kind::Dict) {
            t.state_ = state;  // instance attributes (a state_dict's _metadata, a dtype's byte order, ...)
            return;
        }
        if (t.kind_ == Kind::Tensor) return;  // a Parameter's or tensor's __dict__: nothing inst3d reads
        error("BUILD on a " + t.typeName());
    }

    // `_codecs.encode(text, "latin1")` is how protocol 2 stores Python 3 bytes: one code point per byte.
    std::string encode(const std::string& utf8, const std::string& encoding) {
        if (isOneOf(encoding, {"utf-8", "utf8", "UTF-8"})) return utf8;
        if (!isOneOf(encoding, {"latin1", "latin-1", "iso-8859-1", "ISO-8859-1"})) error("unsupported encoding '" + encoding + "'");
        std::string out;
        out.reserve(utf8.size());
        for (size_t i = 0; i < utf8.size();) {
            uint8_t c = uint8_t(utf8[i]);
            if (c < 0x80) {
                out.push_back(char(c));
                ++i;
            } else if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size() && (uint8_t(utf8[i + 1]) & 0xC0) == 0x80) {
                unsigned cp = ((c & 0x1Fu) << 6) | (uint8_t(utf8[i + 1]) & 0x3Fu);
                if (cp > 0xFF) error("latin-1 bytes hold a code point above 255");
                out.push_back(char(cp));
                i += 2;
            } else {
                error("latin-1 bytes hold invalid UTF-8 or a code point above 255");
            }
        }
        return out;
    }

    // BINPERSID ('storage', torch.FloatStorage, key, location, numel) -> a 1-D view of the storage bytes.
    PickleValuePtr persistent(const PickleValuePtr& pid) {
        if (pid->kind_ != Kind::Tuple || pid->items_.size() < 5 || pid->items_[0]->kind_ != Kind::String ||
            pid->items_[0]->text_ != "storage")
            error("persistent id is not a ('storage', type, key, location, numel) tuple");
        const auto& a = pid->items_;
        if (a[1]->kind_ != Kind::Object || !a[1]->isClass_) error("storage type is a " + a[1]->typeName());
        const std::string& key = stringOf(a[2], "storage key");
        int64_t numel = intOf(a[4], "storage size");
        DType dtype;
        if (!storageDType(a[1]->text_, dtype)) return opaque(a[1]->text_, pid, "unsupported storage type");
        StorageBytes s = storages_(key);
        if (!s.found) error("storage '" + key + "' has no entry '" + s.where + "' in the archive");
        if (numel < 0 || uint64_t(numel) > s.size / dtypeSize(dtype))
            error("storage '" + key + "' holds " + std::to_string(s.size) + " bytes, fewer than its " + std::to_string(numel) +
                  " elements of " + dtypeName(dtype));
        auto v = make(Kind::Tensor);
        v->isStorage_ = true;
        v->tensor_ = std::make_shared<TensorRef>();
        TensorRef& t = *v->tensor_;
        t.dtype = dtype;
        t.shape = {numel};
        t.stride = {1};
        t.storageKey = key;
        t.storage = s.data;
        t.storageBytes = s.size;
        t.owner = s.owner;
        return v;
    }

    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    PickleValuePtr rebuildTensor(const std::vector<PickleValuePtr>& a) {
        if (a[0]->kind_ == Kind::Object) return opaque("torch.Tensor", nullptr, "storage " + a[0]->text_ + " is not supported");
        if (a[0]->kind_ != Kind::Tensor || !a[0]->isStorage_) error("tensor storage is a " + a[0]->typeName());
        TensorRef t = *a[0]->tensor_;
        t.storageOffset = intOf(a[1], "storage offset");
        t.shape = intsOf(a[2], "tensor size");
        t.stride = intsOf(a[3], "tensor stride");
        if (t.shape.size() != t.stride.size()) error("tensor size and stride have different lengths");
        checkView(t, uint64_t(a[0]->tensor_->shape[0]));
        auto v = make(Kind::Tensor);
        v->tensor_ = std::make_shared<TensorRef>(std::move(t));
        return v;
    }

    // Every element the view can reach must lie inside the storage; overflow counts as outside.
    void checkView(const TensorRef& t, uint64_t storageNumel) {
        if (t.storageOffset < 0) error("negative storage offset");
        int64_t last = t.storageOffset, numel = 1;
        for (size_t i = 0; i < t.shape.size(); ++i) {
            if (t.shape[i] < 0 || t.stride[i] < 0) error("negative tensor size or stride");
            if (__builtin_mul_overflow(numel, t.shape[i], &numel)) error("tensor size overflows");
        }
        if (numel == 0) return;
        for (size_t i = 0; i < t.shape.size(); ++i) {
            int64_t reach;
            if (__builtin_mul_overflow(t.shape[i] - 1, t.stride[i], &reach) || __builtin_add_overflow(last, reach, &last))
                error("tensor view overflows");
        }
        if (uint64_t(last) >= storageNumel)
            error("tensor view reaches element " + std::to_string(last) + " of a storage of " + std::to_string(storageNumel));
    }

    // A numpy dtype object -> DType; `why` says what makes it unreadable.
    bool dtypeOf(const PickleValuePtr& dt, DType& out, std::string& why) {
        if (dt->kind_ != Kind::Object || dt->text_ != "numpy.dtype" || !dt->args_ || dt->args_->items_.empty()) {
            why = "dtype is a " + dt->typeName();
            return false;
        }
        const std::string& ts = dt->args_->items_[0]->text_;
        if (!numpyDType(ts, out)) {
            why = "numpy dtype '" + ts + "' is not supported";
            return false;
        }
        const PickleValue* st = dt->state_.get();
        if (st && st->kind_ == Kind::Tuple && st->items_.size() > 1 && st->items_[1]->text_ == ">" && dtypeSize(out) > 1) {
            why = "big-endian numpy array";
            return false;
        }
        return true;
    }

    // ndarray.__setstate__((version, shape, dtype, is_fortran, rawdata)); the version is optional.
    void finishNdarray(PickleValue& arr, const PickleValuePtr& state) {
        if (state->kind_ != Kind::Tuple || state->items_.size() < 4) error("numpy array state is not a 4- or 5-tuple");
        const auto& s = state->items_;
        size_t base = s.size() >= 5 ? 1 : 0;
        if (s[base + 3]->kind_ == Kind::List) {  // object arrays pickle their elements
            arr.detail_ = "object-dtype numpy array";
            return;
        }
        numpyArray(arr, s[base + 3], s[base + 1], s[base], s[base + 2]->kind_ == Kind::Bool && s[base + 2]->int_);
    }

    void numpyArray(PickleValue& arr, const PickleValuePtr& raw, const PickleValuePtr& dtype, const PickleValuePtr& shapeV, bool fortran) {
        TensorRef t;
        t.numpy = true;
        t.shape = intsOf(shapeV, "numpy array shape");
        std::string why;
        if (!dtypeOf(dtype, t.dtype, why)) {
            arr.kind_ = Kind::Object;
            arr.text_ = "numpy.ndarray";
            arr.detail_ = why;
            return;
        }
        const std::string& bytes = stringOf(raw, "numpy array data");
        int64_t numel = 1;
        for (int64_t d : t.shape)
            if (d < 0 || __builtin_mul_overflow(numel, d, &numel)) error("bad numpy array shape");
        if (uint64_t(bytes.size()) != uint64_t(numel) * dtypeSize(t.dtype))
            error("numpy array of " + std::to_string(numel) + " " + dtypeName(t.dtype) + " elements has " +
                  std::to_string(bytes.size()) + " bytes");
        t.stride.assign(t.shape.size(), 1);
        int64_t step = 1;
        for (size_t k = 0; k < t.shape.size(); ++k) {  // C order: last dim fastest; Fortran: first
            size_t i = fortran ? k : t.shape.size() - 1 - k;
            t.stride[i] = step;
            step *= std::max<int64_t>(t.shape[i], 1);
        }
        auto owned = std::make_shared<std::vector<uint8_t>>(bytes.begin(), bytes.end());
        t.storage = owned->data();
        t.storageBytes = owned->size();
        t.owner = owned;
        arr.kind_ = Kind::Tensor;
        arr.detail_.clear();
        arr.args_.reset();
        arr.tensor_ = std::make_shared<TensorRef>(std::move(t));
    }

    // numpy scalars (np.float32(0.5) as a "best score" in a training checkpoint) -> int/float/bool.
    PickleValuePtr numpyScalar(const std::vector<PickleValuePtr>& a) {
        DType dt;
        std::string why;
        if (!dtypeOf(a[0], dt, why)) return opaque("numpy scalar", nullptr, why);
        const std::string& b = stringOf(a[1], "numpy scalar data");
        if (b.size() != dtypeSize(dt)) error("numpy scalar has " + std::to_string(b.size()) + " bytes");
        auto read = [&](auto x) { std::memcpy(&x, b.data(), sizeof x); return x; };
        switch (dt) {
            case DType::F64: { auto v = make(Kind::Float); v->float_ = read(double()); return v; }
            case DType::F32: { auto v = make(Kind::Float); v->float_ = read(float()); return v; }
            case DType::F16: { auto v = make(Kind::Float); v->float_ = halfToFloat(read(uint16_t())); return v; }
            case DType::I64: return makeInt(read(int64_t()));
            case DType::I32: return makeInt(read(int32_t()));
            case DType::I16: return makeInt(read(int16_t()));
            case DType::I8: return makeInt(read(int8_t()));
            case DType::U8: return makeInt(read(uint8_t()));
            case DType::Bool: return makeInt(read(uint8_t()) != 0, Kind::Bool);
            default: return opaque("numpy scalar", nullptr, "unsupported dtype");
        }
    }
};

PickleValuePtr unpickle(const uint8_t* data, size_t size, const std::string& file, const std::string& entry,
                        const StorageResolver& storages) {
    return Unpickler(data, size, file, entry, storages).run();
}

// ---------------------------------------------------------------------------------------------------
// TorchCheckpoint

TorchCheckpoint::TorchCheckpoint(const std::string& path) : path_(path), zip_(std::make_shared<ZipArchive>(path)) {
    const ZipEntry* pkl = nullptr;
    for (const ZipEntry& e : zip_->entries()) {
        // "<stem>/data.pkl" at the top level only (TorchScript archives nest other .pkl files deeper).
        size_t slash = e.name.find('/');
        if (!endsWith(e.name, "data.pkl") || slash == std::string::npos || slash + 9 != e.name.size()) continue;
        if (pkl) fail(path, "two records '" + pkl->name + "' and '" + e.name + "' in one archive");
        pkl = &e;
    }
    if (!pkl) fail(path, "zip archive without a '<name>/data.pkl' record: not a torch.save file");
    prefix_ = pkl->name.substr(0, pkl->name.size() - 8);
    if (const ZipEntry* bo = zip_->find(prefix_ + "byteorder")) {
        ByteSpan s = zip_->checkedData(*bo);
        std::string order = trim(std::string(reinterpret_cast<const char*>(s.data), size_t(s.size)));
        if (order != "little") fail(path, "byteorder is '" + order + "': only little-endian checkpoints are supported");
    }
    ByteSpan p = zip_->checkedData(*pkl);
    std::shared_ptr<ZipArchive> zip = zip_;
    root_ = unpickle(p.data, size_t(p.size), path, pkl->name, [&](const std::string& key) {
        StorageBytes s;
        s.where = prefix_ + "data/" + key;
        const ZipEntry* e = zip->find(s.where);
        if (!e) return s;
        ByteSpan b = zip->data(*e);
        s.found = true;
        s.data = b.data;
        s.size = b.size;
        s.owner = zip->file();
        return s;
    });
}

TorchCheckpoint::~TorchCheckpoint() = default;

// ---------------------------------------------------------------------------------------------------
// flattenTensors

namespace {

struct FlattenState {
    std::vector<std::pair<std::string, TensorRef>> out;
    size_t visits = 0;  // shared containers can multiply paths: [[x, x], [x, x]] ... grows as 2^depth
};

void flatten(const PickleValue& v, const std::string& name, int depth, FlattenState& st) {
    using Kind = PickleValue::Kind;
    if (depth > 64) fail(v.file(), "'" + name + "': values nested deeper than 64 levels");
    if (++st.visits > 10000000) fail(v.file(), "more than 10 million values reachable (shared containers?)");
    auto& out = st.out;
    auto join = [&](const std::string& k) { return name.empty() ? k : name + "." + k; };
    switch (v.kind()) {
        case Kind::Tensor: out.emplace_back(name.empty() ? "tensor" : name, v.tensor()); return;
        case Kind::List: case Kind::Tuple:
            for (size_t i = 0; i < v.items().size(); ++i) flatten(*v.items()[i], join(std::to_string(i)), depth + 1, st);
            return;
        case Kind::Dict: case Kind::Object:
            // A tensor this reader cannot hold (complex storage, big-endian numpy) must not vanish silently.
            if (v.is(Kind::Object) && (v.objectName() == "numpy.ndarray" || v.objectName() == "torch.Tensor"))
                fail(v.file(), "'" + name + "' is a " + v.typeName() + ", not a readable tensor");
            for (const auto& [k, val] : v.entries()) {
                if (k->is(Kind::String)) flatten(*val, join(k->asString()), depth + 1, st);
                else if (k->is(Kind::Int)) flatten(*val, join(std::to_string(k->asInt())), depth + 1, st);
            }
            return;
        default: return;
    }
}

}  // namespace

std::vector<std::pair<std::string, TensorRef>> flattenTensors(const PickleValue& root) {
    FlattenState st;
    flatten(root, "", 0, st);
    return std::move(st.out);
}

}  // namespace inst3d
