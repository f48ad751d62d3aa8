#include "models/weights/torch_weights.h"

#include "models/weights/torch_dtype.h"

#include <torch/torch.h>

#include "core/common/error.h"

namespace inst3d {
namespace {

DType fromTorch(torch::Dtype t, const std::string& path, const std::string& name) {
    for (DType d : {DType::F64, DType::F32, DType::F16, DType::BF16, DType::I64, DType::I32, DType::I16, DType::I8,
                    DType::U8, DType::Bool})
        if (torchDtypeOf(d) == t) return d;
    fail(path, "tensor '" + name + "' has a dtype safetensors cannot store");
}

}  // namespace

std::string shapeString(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

at::Tensor loadTensor(const std::shared_ptr<SafetensorsFile>& file, const std::string& name) {
    const TensorInfo& info = file->get(name);
    void* ptr = const_cast<uint8_t*>(file->data(info));
    auto options = torch::TensorOptions().dtype(torchDtypeOf(info.dtype));
    // safetensors does not promise element alignment inside the data section; from_blob needs it.
    if (reinterpret_cast<uintptr_t>(ptr) % dtypeSize(info.dtype) != 0)
        return torch::from_blob(ptr, info.shape, options).clone();
    std::shared_ptr<SafetensorsFile> keepAlive = file;
    return torch::from_blob(ptr, info.shape, [keepAlive](void*) {}, options);
}

at::Tensor loadTensorChecked(const std::shared_ptr<SafetensorsFile>& file, const std::string& name,
                             const std::vector<int64_t>& expectedShape) {
    const TensorInfo& info = file->get(name);
    if (info.shape != expectedShape)
        fail(file->path(), "tensor '" + name + "' has shape " + shapeString(info.shape) + ", expected " +
                               shapeString(expectedShape));
    return loadTensor(file, name);
}

void saveTensors(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                 const std::map<std::string, std::string>& metadata) {
    std::vector<torch::Tensor> contiguous;
    std::vector<TensorToWrite> out;
    contiguous.reserve(tensors.size());
    for (const auto& [name, t] : tensors) {
        contiguous.push_back(t.detach().to(torch::kCPU).contiguous());
        const torch::Tensor& c = contiguous.back();
        out.push_back({name, fromTorch(c.scalar_type(), path, name), c.sizes().vec(), c.data_ptr()});
    }
    writeSafetensors(path, out, metadata);
}

torch::Dtype torchDtypeOf(DType t) {
    switch (t) {
        case DType::F64: return torch::kFloat64;
        case DType::F32: return torch::kFloat32;
        case DType::F16: return torch::kFloat16;
        case DType::BF16: return torch::kBFloat16;
        case DType::I64: return torch::kInt64;
        case DType::I32: return torch::kInt32;
        case DType::I16: return torch::kInt16;
        case DType::I8: return torch::kInt8;
        case DType::U8: return torch::kUInt8;
        case DType::Bool: return torch::kBool;
    }
    return torch::kFloat32;
}

}  // namespace inst3d
