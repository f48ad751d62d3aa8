// Readers for OpenMask3D and Chat-Scene proposal files; formats in torch_proposals.h.
#include "core/proposals/torch_proposals.h"

#include <algorithm>
#include <cstring>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/torch_pickle.h"

namespace inst3d {
namespace {

using Kind = PickleValue::Kind;

// Nonzero test on one little-endian element; half types only need their magnitude bits.
bool nonzero(const uint8_t* p, DType t) {
    switch (t) {
        case DType::F64: { double v; std::memcpy(&v, p, 8); return v != 0; }
        case DType::F32: { float v; std::memcpy(&v, p, 4); return v != 0; }
        case DType::F16: case DType::BF16: { uint16_t v; std::memcpy(&v, p, 2); return (v & 0x7FFF) != 0; }
        default: {
            for (size_t i = 0; i < dtypeSize(t); ++i)
                if (p[i]) return true;
            return false;
        }
    }
}

std::string sceneIdOf(const std::string& path, const std::string& suffix) {
    std::string name = baseName(path);
    return endsWith(name, suffix) ? name.substr(0, name.size() - suffix.size()) : name;
}

std::vector<uint32_t> vertexList(const PickleValue& segments, size_t numVertices, const std::string& path, size_t item) {
    std::vector<int64_t> raw;
    if (segments.is(Kind::Tensor)) {
        const TensorRef& t = segments.tensor();
        if (t.shape.size() != 1 || (t.dtype != DType::I64 && t.dtype != DType::I32))
            fail(path, "item " + std::to_string(item) + ": \"segments\" tensor must be 1-D int64/int32");
        std::vector<uint8_t> bytes = t.contiguousBytes();
        for (int64_t i = 0; i < t.numel(); ++i) {
            int64_t v = 0;
            if (t.dtype == DType::I64) std::memcpy(&v, bytes.data() + 8 * i, 8);
            else { int32_t w; std::memcpy(&w, bytes.data() + 4 * i, 4); v = w; }
            raw.push_back(v);
        }
    } else {
        for (const auto& v : segments.items()) raw.push_back(v->asInt());
    }
    std::vector<uint32_t> out;
    out.reserve(raw.size());
    for (int64_t v : raw) {
        if (v < 0 || static_cast<uint64_t>(v) >= numVertices)
            fail(path, "item " + std::to_string(item) + ": vertex index " + std::to_string(v) + " outside the mesh's " +
                           std::to_string(numVertices) + " vertices");
        out.push_back(static_cast<uint32_t>(v));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Instance importedInstance(size_t index) {
    Instance inst;
    inst.id = static_cast<int>(index);
    inst.score = 1.0f;
    inst.source = InstanceSource::Imported;
    return inst;
}

}  // namespace

ProposalSet readOpenMask3DMasks(const std::string& path, size_t numVertices) {
    TorchCheckpoint ckpt(path);
    const TensorRef& t = ckpt.root().tensor();
    if (t.shape.size() != 2) fail(path, "expected a 2-D [vertices, masks] array, found " + std::to_string(t.shape.size()) + "-D");
    const size_t rows = size_t(t.shape[0]), cols = size_t(t.shape[1]);
    if (rows != numVertices)
        fail(path, "mask array has " + std::to_string(rows) + " rows but the mesh has " + std::to_string(numVertices) + " vertices");
    ProposalSet set;
    set.sceneId = sceneIdOf(path, "_masks.pt");
    set.origin = ProposalOrigin::OpenMask3DMasks;
    set.path = path;
    for (size_t m = 0; m < cols; ++m) set.instances.push_back(importedInstance(m));
    const std::vector<uint8_t> bytes = t.contiguousBytes();
    const size_t es = dtypeSize(t.dtype);
    for (size_t v = 0; v < rows; ++v)
        for (size_t m = 0; m < cols; ++m)
            if (nonzero(bytes.data() + (v * cols + m) * es, t.dtype)) set.instances[m].vertices.push_back(uint32_t(v));
    return set;
}

ProposalSet readChatSceneInstSeg(const std::string& path, size_t numVertices) {
    TorchCheckpoint ckpt(path);
    const PickleValue& root = ckpt.root();
    if (!root.is(Kind::List) && !root.is(Kind::Tuple)) fail(path, "expected a list of {label, segments}, found " + root.typeName());
    ProposalSet set;
    set.sceneId = sceneIdOf(path, ".pt");
    set.origin = ProposalOrigin::ChatSceneInstSeg;
    set.path = path;
    for (size_t i = 0; i < root.items().size(); ++i) {
        const PickleValue& item = *root.items()[i];
        Instance inst = importedInstance(i);
        inst.label = item.at("label").asString();
        inst.vertices = vertexList(item.at("segments"), numVertices, path, i);
        set.instances.push_back(std::move(inst));
    }
    return set;
}

}  // namespace inst3d
