#include "models/weights/autocast.h"

#include <ATen/autocast_mode.h>

#include "core/common/error.h"

namespace inst3d {

TrainPrecision parseTrainPrecision(const std::string& name, const std::string& what) {
    if (name == "fp32") return TrainPrecision::Fp32;
    if (name == "bf16") return TrainPrecision::Bf16;
    throw UsageError(what + " is fp32 or bf16, not '" + name + "'");
}

const char* trainPrecisionName(TrainPrecision p) { return p == TrainPrecision::Bf16 ? "bf16" : "fp32"; }

AutocastScope::AutocastScope(TrainPrecision precision, const c10::Device& device) {
    if (precision != TrainPrecision::Bf16) return;
    active_ = true;
    cuda_ = device.is_cuda();
    if (cuda_) {
        previous_ = at::autocast::is_enabled();
        at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
        at::autocast::set_enabled(true);
    } else {
        previous_ = at::autocast::is_cpu_enabled();
        at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
        at::autocast::set_cpu_enabled(true);
    }
    at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
    if (!active_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    if (cuda_) at::autocast::set_enabled(previous_);
    else at::autocast::set_cpu_enabled(previous_);
}

}  // namespace inst3d
