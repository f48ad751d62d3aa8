// Loads a file with real torch.load (Python + torch, when this machine has them) and returns a JSON
// digest of what torch sees, for tests of the torch.save writer (core/io/torch_save.h):
//   dict -> {"dict": [[key, value], ...]}, list/tuple -> {"list"|"tuple": [...]}, tensor ->
//   {"dtype": "torch.float32", "shape": [..], "values": [flattened, as float64]}, scalars as themselves.
// The interpreter is $INST3D_PYTHON, else /usr/bin/python3 (Debian's python3-torch), else python3.
// digestOf() gives the same form for a SaveValue (what was written) and a PickleValue (our reader).
#pragma once
#include <QProcess>
#include <QStringList>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "core/io/torch_pickle.h"
#include "core/io/torch_save.h"

namespace inst3d::test {

inline const char* kTorchDigestScript = R"PY(
import json, sys, torch
def canon(v):
    if isinstance(v, torch.Tensor):
        return {"dtype": str(v.dtype), "shape": list(v.shape), "values": [float(x) for x in v.double().flatten().tolist()]}
    if isinstance(v, dict):
        return {"dict": [[k, canon(x)] for k, x in v.items()]}
    if isinstance(v, (list, tuple)):
        return {"list" if isinstance(v, list) else "tuple": [canon(x) for x in v]}
    return v
print(json.dumps(canon(torch.load(sys.argv[1]))))
)PY";

// The first interpreter that imports torch, or "" (tests then skip through INST3D_REQUIRE_TORCH_PYTHON).
inline std::string torchPython() {
    static const std::string found = [] {
        std::vector<std::string> candidates;
        if (const char* env = std::getenv("INST3D_PYTHON")) candidates.push_back(env);
        candidates.insert(candidates.end(), {"/usr/bin/python3", "python3"});
        for (const std::string& py : candidates) {
            QProcess p;
            p.start(QString::fromStdString(py), {"-c", "import torch"});
            if (p.waitForFinished(120000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0) return py;
        }
        return std::string();
    }();
    return found;
}

// Skips the calling test function when no interpreter imports torch. A macro, not a helper function:
// QSKIP returns from the function it is written in, so inside a helper it would only end the helper
// and the test would go on without torch. tools/test.sh fails on any skip outside its allow-list, and
// the setup installs python3-torch, so on a set-up machine this never skips.
#define INST3D_REQUIRE_TORCH_PYTHON()                                                                      \
    do {                                                                                                 \
        if (::inst3d::test::torchPython().empty())                                                       \
            QSKIP("no Python with torch on this machine (apt-get install python3-torch, or set INST3D_PYTHON)"); \
    } while (false)

// torch.load(path) digested as above; throws std::runtime_error with Python's stderr when it fails.
inline nlohmann::json torchLoadDigest(const std::string& path) {
    QProcess p;
    p.start(QString::fromStdString(torchPython()), {"-c", kTorchDigestScript, QString::fromStdString(path)});
    if (!p.waitForFinished(300000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        throw std::runtime_error("torch.load(" + path + ") failed: " + p.readAllStandardError().toStdString());
    return nlohmann::json::parse(p.readAllStandardOutput().toStdString());
}

inline double halfBitsToDouble(uint16_t h) {
    const int exp = (h >> 10) & 31, mant = h & 1023;
    const double v = exp == 0 ? std::ldexp(mant, -24) : std::ldexp(1024 + mant, exp - 25);
    return (h & 0x8000) ? -v : v;  // (no inf/NaN in the tests)
}

// n little-endian elements of `dtype` as float64, as torch's `.double().flatten().tolist()`.
inline nlohmann::json elementValues(DType dtype, const uint8_t* p, int64_t n) {
    nlohmann::json out = nlohmann::json::array();
    for (int64_t i = 0; i < n; ++i) {
        const uint8_t* e = p + i * dtypeSize(dtype);
        auto as = [&](auto v) { std::memcpy(&v, e, sizeof v); return v; };
        switch (dtype) {
            case DType::F64: out.push_back(as(double())); break;
            case DType::F32: out.push_back(double(as(float()))); break;
            case DType::F16: out.push_back(halfBitsToDouble(as(uint16_t()))); break;
            case DType::BF16: { uint32_t b = uint32_t(as(uint16_t())) << 16; float f; std::memcpy(&f, &b, 4); out.push_back(double(f)); break; }
            case DType::I64: out.push_back(double(as(int64_t()))); break;
            case DType::I32: out.push_back(double(as(int32_t()))); break;
            case DType::I16: out.push_back(double(as(int16_t()))); break;
            case DType::I8: out.push_back(double(as(int8_t()))); break;
            case DType::U8: case DType::Bool: out.push_back(double(*e)); break;
        }
    }
    return out;
}

inline const char* torchDtypeName(DType t) {
    switch (t) {
        case DType::F64: return "torch.float64";
        case DType::F32: return "torch.float32";
        case DType::F16: return "torch.float16";
        case DType::BF16: return "torch.bfloat16";
        case DType::I64: return "torch.int64";
        case DType::I32: return "torch.int32";
        case DType::I16: return "torch.int16";
        case DType::I8: return "torch.int8";
        case DType::U8: return "torch.uint8";
        case DType::Bool: return "torch.bool";
    }
    return "?";
}

inline nlohmann::json digestOf(const SaveValue& v) {
    using K = SaveValue::Kind;
    switch (v.kind) {
        case K::None: return nullptr;
        case K::Bool: return v.boolean;
        case K::Int: return v.integer;
        case K::Float: return v.real;
        case K::String: return v.text;
        case K::List: case K::Tuple: {
            nlohmann::json items = nlohmann::json::array();
            for (const SaveValue& x : v.items) items.push_back(digestOf(x));
            return {{v.is(K::List) ? "list" : "tuple", items}};
        }
        case K::Dict: {
            nlohmann::json entries = nlohmann::json::array();
            for (const auto& [k, x] : v.entries) entries.push_back({k, digestOf(x)});
            return {{"dict", entries}};
        }
        case K::Tensor:
            return {{"dtype", torchDtypeName(v.dtype)}, {"shape", v.shape},
                    {"values", elementValues(v.dtype, v.bytes->data(), v.numel())}};
    }
    return nullptr;
}

inline nlohmann::json digestOf(const PickleValue& v) {
    using K = PickleValue::Kind;
    switch (v.kind()) {
        case K::Bool: return v.asBool();
        case K::Int: return v.asInt();
        case K::Float: return v.asFloat();
        case K::String: return v.asString();
        case K::List: case K::Tuple: {
            nlohmann::json items = nlohmann::json::array();
            for (const auto& x : v.items()) items.push_back(digestOf(*x));
            return {{v.is(K::List) ? "list" : "tuple", items}};
        }
        case K::Dict: {
            nlohmann::json entries = nlohmann::json::array();
            for (const auto& [k, x] : v.entries()) entries.push_back({k->asString(), digestOf(*x)});
            return {{"dict", entries}};
        }
        case K::Tensor: {
            const TensorRef& t = v.tensor();
            std::vector<uint8_t> bytes = t.contiguousBytes();
            return {{"dtype", torchDtypeName(t.dtype)}, {"shape", t.shape}, {"values", elementValues(t.dtype, bytes.data(), t.numel())}};
        }
        default: return nullptr;
    }
}

}  // namespace inst3d::test
