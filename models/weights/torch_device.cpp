#include "models/weights/torch_device.h"

#include <torch/torch.h>

#include <optional>

#include "core/common/error.h"

namespace inst3d {

c10::Device parseTorchDevice(const std::string& name) {
    std::optional<torch::Device> d;
    try {
        d = torch::Device(name);
    } catch (const c10::Error&) {
        fail("", "unknown device '" + name + "' (cpu, cuda or cuda:N)");
    }
    if (d->is_cpu()) return *d;
    if (!d->is_cuda()) fail("", "device '" + name + "' is not supported (cpu, cuda or cuda:N)");
    if (!torch::cuda::is_available())
        fail("", "device '" + name + "': this LibTorch has no CUDA or sees no GPU (Debian's LibTorch is CPU-only; "
                 "docs/building.md shows how to build against a CUDA LibTorch)");
    const int64_t count = int64_t(torch::cuda::device_count());
    if (d->has_index() && d->index() >= count)
        fail("", "device '" + name + "': only " + std::to_string(count) + " GPU(s) visible");
    return torch::Device(torch::kCUDA, d->has_index() ? d->index() : 0);
}

std::string checkTorchDevice(const std::string& name) { return parseTorchDevice(name).str(); }

}  // namespace inst3d
