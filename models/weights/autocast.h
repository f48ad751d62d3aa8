// Mixed precision for training: inside an AutocastScope, LibTorch's autocast runs the matmul-heavy ops
// (linear, matmul, bmm, baddbmm...) in bf16 on the scope's device while the parameters, their gradients
// and the optimizer's moments stay fp32 (what torch.autocast(dtype=torch.bfloat16) does for the PyTorch
// recipes, Inst3D's `bf16` included). Ops on autocast's fp32 list and everything outside the scope run in
// fp32. <torch/torch.h> stays out: c10's Device is small.
#pragma once
#include <c10/core/Device.h>

#include <string>

namespace inst3d {

enum class TrainPrecision { Fp32, Bf16 };

// "fp32" or "bf16"; UsageError naming `what` (the config key or option) otherwise.
TrainPrecision parseTrainPrecision(const std::string& name, const std::string& what);
const char* trainPrecisionName(TrainPrecision p);

// Enables bf16 autocast on `device`'s type for its lifetime when `precision` is Bf16 (a no-op for Fp32),
// restoring the previous state and clearing autocast's weight-cast cache on exit.
class AutocastScope {
public:
    AutocastScope(TrainPrecision precision, const c10::Device& device);
    ~AutocastScope();
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

private:
    bool active_ = false, cuda_ = false, previous_ = false;
};

}  // namespace inst3d
