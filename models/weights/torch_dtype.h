// The LibTorch dtype of a safetensors / checkpoint DType. Internal to .cpp files that already include
// <torch/torch.h>: this header includes it, so keep it out of widely included headers.
#pragma once
#include <torch/torch.h>

#include "core/io/safetensors.h"

namespace inst3d {

torch::Dtype torchDtypeOf(DType t);

}  // namespace inst3d
