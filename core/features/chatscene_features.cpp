#include "core/features/chatscene_features.h"

#include <cstring>

#include "core/common/error.h"
#include "core/features/chatscene_export.h"  // chatSceneFeatureKey

namespace inst3d {

namespace {

float halfToFloat(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu, bits;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000u | (man << 13);  // inf / nan
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else {  // subnormal: renormalise
        exp = 113;
        while (!(man & 0x400u)) {
            man <<= 1;
            --exp;
        }
        bits = sign | (exp << 23) | ((man & 0x3FFu) << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

void toFloats(const TensorRef& t, float* out) {
    const std::vector<uint8_t> bytes = t.contiguousBytes();
    const int64_t n = t.numel();
    for (int64_t i = 0; i < n; ++i) {
        const uint8_t* p = bytes.data() + size_t(i) * dtypeSize(t.dtype);
        uint16_t h;
        switch (t.dtype) {
            case DType::F32: std::memcpy(out + i, p, 4); break;
            case DType::F64: { double d; std::memcpy(&d, p, 8); out[i] = float(d); break; }
            case DType::F16: std::memcpy(&h, p, 2); out[i] = halfToFloat(h); break;
            case DType::BF16: {
                std::memcpy(&h, p, 2);
                const uint32_t bits = uint32_t(h) << 16;
                std::memcpy(out + i, &bits, 4);
                break;
            }
            default: break;  // refused in the constructor
        }
    }
}

}  // namespace

ChatSceneFeatureFile::ChatSceneFeatureFile(const std::string& path) : path_(path) {
    ckpt_ = std::make_unique<TorchCheckpoint>(path);
    const PickleValue& root = ckpt_->root();
    if (!root.is(PickleValue::Kind::Dict)) fail(path, "expected a dict {\"<scene>_<ii>\": tensor}, found " + root.typeName());
    for (const auto& [k, v] : root.entries()) {
        if (!k->is(PickleValue::Kind::String)) fail(path, "a key is a " + k->typeName() + ", expected \"<scene>_<ii>\"");
        const std::string& key = k->asString();
        if (!v->is(PickleValue::Kind::Tensor)) fail(path, "'" + key + "' is a " + v->typeName() + ", expected a tensor");
        const TensorRef& t = v->tensor();
        if (t.shape.size() != 1) fail(path, "'" + key + "' has " + std::to_string(t.shape.size()) + " dims, expected a 1-D feature");
        if (t.dtype != DType::F32 && t.dtype != DType::F16 && t.dtype != DType::BF16 && t.dtype != DType::F64)
            fail(path, "'" + key + "' is " + dtypeName(t.dtype) + ", expected a float tensor");
        if (rows_.empty()) dim_ = t.shape[0];
        else if (t.shape[0] != dim_)
            fail(path, "'" + key + "' has " + std::to_string(t.shape[0]) + " values, the others " + std::to_string(dim_));
        rows_[key] = &t;
    }
}

bool ChatSceneFeatureFile::has(const std::string& sceneId, int64_t index) const {
    return rows_.count(chatSceneFeatureKey(sceneId, size_t(index))) > 0;
}

std::vector<float> ChatSceneFeatureFile::sceneRows(const std::string& sceneId, int64_t count, int64_t* found) const {
    std::vector<float> out(size_t(count * dim_), 0.0f);  // [count, D]
    int64_t n = 0;
    for (int64_t i = 0; i < count; ++i) {
        auto it = rows_.find(chatSceneFeatureKey(sceneId, size_t(i)));
        if (it == rows_.end()) continue;
        toFloats(*it->second, out.data() + size_t(i * dim_));
        ++n;
    }
    if (found) *found = n;
    return out;
}

}  // namespace inst3d
