// Device names for the neural modules: "cpu", "cuda", "cuda:N". One parser so every model and verb
// refuses the same things with the same words. <torch/torch.h> stays out (c10's Device is small).
#pragma once
#include <c10/core/Device.h>

#include <string>

namespace inst3d {

// The device LibTorch will use for `name`. Error when the name is unknown, when this LibTorch has no
// CUDA or sees no GPU (Debian's LibTorch is CPU-only: docs/building.md shows how to build against a
// CUDA one), or when cuda:N is past the visible GPUs. "cuda" means cuda:0.
c10::Device parseTorchDevice(const std::string& name);
// The same check, as the canonical name ("cpu", "cuda:0", ...), for callers without c10.
std::string checkTorchDevice(const std::string& name);

}  // namespace inst3d
