// Tensors from safetensors files, zero-copy where the dtype allows: the tensor views the mapped file,
// and keeps it alive. Kept free of <torch/torch.h> (at::Tensor is forward-declared) so that this header
// can be included anywhere without the 20-second torch parse.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/io/safetensors.h"

namespace at {
class Tensor;
}

namespace inst3d {

// Loads `name` from `file` as a CPU tensor of the stored dtype. The returned tensor shares the file's
// memory (read-only: clone() before writing into it). Throws Error naming the tensor and file.
at::Tensor loadTensor(const std::shared_ptr<SafetensorsFile>& file, const std::string& name);

// Checks shape, then loads. Error: "<file>: tensor 'x' has shape [2, 3], expected [3, 2]".
at::Tensor loadTensorChecked(const std::shared_ptr<SafetensorsFile>& file, const std::string& name,
                             const std::vector<int64_t>& expectedShape);

// Writes CPU tensors (any of the supported dtypes) to a safetensors file, atomically.
void saveTensors(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                 const std::map<std::string, std::string>& metadata = {});

std::string shapeString(const std::vector<int64_t>& shape);

}  // namespace inst3d
