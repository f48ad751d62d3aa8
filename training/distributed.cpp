#include "training/distributed.h"

#include <torch/torch.h>

#include <cstdlib>

#include "core/common/error.h"

#if __has_include(<gloo/context.h>) && __has_include(<torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>)
#define INST3D_HAS_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace inst3d {

namespace {

int envInt(const char* name, int fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (*end != '\0' || n < 0) fail("", std::string("$") + name + "='" + v + "' is not a non-negative integer");
    return int(n);
}

}  // namespace

struct DistributedGroup::Impl {
#ifdef INST3D_HAS_GLOO
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
#endif
};

DistributedGroup::~DistributedGroup() = default;

std::shared_ptr<DistributedGroup> DistributedGroup::fromEnvironment() {
    std::shared_ptr<DistributedGroup> g(new DistributedGroup());
    g->world_ = envInt("WORLD_SIZE", 1);
    g->rank_ = envInt("RANK", 0);
    if (g->world_ <= 1) return g;
    if (g->rank_ >= g->world_) fail("", "$RANK=" + std::to_string(g->rank_) + " is not below $WORLD_SIZE=" + std::to_string(g->world_));
#ifdef INST3D_HAS_GLOO
    const char* addr = std::getenv("MASTER_ADDR");
    if (!addr || !*addr) fail("", "$MASTER_ADDR is not set (torchrun's convention: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT)");
    const int port = envInt("MASTER_PORT", -1);
    if (port <= 0) fail("", "$MASTER_PORT is not set");
    c10d::TCPStoreOptions so;
    so.port = uint16_t(port);
    so.isServer = g->rank_ == 0;
    so.numWorkers = size_t(g->world_);
    auto store = c10::make_intrusive<c10d::TCPStore>(addr, so);
    auto options = c10d::ProcessGroupGloo::Options::create();
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(addr));
    g->impl_ = std::make_shared<Impl>();
    g->impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, g->rank_, g->world_, options);
    return g;
#else
    fail("", "WORLD_SIZE=" + std::to_string(g->world_) + ": this LibTorch build has no Gloo (install libgloo-dev, rebuild)");
#endif
}

void DistributedGroup::allReduceSum(const std::vector<at::Tensor>& tensors) const {
    if (world_ <= 1 || tensors.empty()) return;
#ifdef INST3D_HAS_GLOO
    std::vector<torch::Tensor> flat = {torch::cat([&] {
        std::vector<torch::Tensor> parts;
        for (const at::Tensor& t : tensors) parts.push_back(t.detach().reshape({-1}));
        return parts;
    }())};
    impl_->group->allreduce(flat)->wait();
    int64_t offset = 0;
    for (const at::Tensor& t : tensors) {
        const int64_t n = t.numel();
        torch::NoGradGuard noGrad;
        const_cast<at::Tensor&>(t).copy_(flat[0].narrow(0, offset, n).view(t.sizes()));
        offset += n;
    }
#endif
}

double DistributedGroup::allReduceSum(double value) const {
    if (world_ <= 1) return value;
    torch::Tensor t = torch::tensor({value}, torch::kFloat64);
    allReduceSum({t});
    return t.item<double>();
}

void DistributedGroup::barrier() const {
#ifdef INST3D_HAS_GLOO
    if (world_ > 1) impl_->group->barrier()->wait();
#endif
}

}  // namespace inst3d
