// Multi-process training on torch.distributed's c10d (torchrun's convention): RANK, WORLD_SIZE,
// MASTER_ADDR and MASTER_PORT in the environment start a TCPStore rendezvous and a Gloo process group
// (CPU; NCCL is the GPU build's). Each rank computes the gradients of its share of a step's samples;
// the sums are all-reduced, so the update equals one process running the whole global batch.
// <torch/torch.h> stays out.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace at {
class Tensor;
}

namespace inst3d {

class DistributedGroup {
public:
    // From the environment; a single process (rank 0 of 1) when WORLD_SIZE is unset or 1. Errors name
    // the variable (missing MASTER_ADDR, a bad number) or say that this LibTorch has no Gloo.
    static std::shared_ptr<DistributedGroup> fromEnvironment();
    ~DistributedGroup();
    int rank() const { return rank_; }
    int worldSize() const { return world_; }
    bool isMain() const { return rank_ == 0; }
    // In-place sum over the ranks (one flattened buffer per call).
    void allReduceSum(const std::vector<at::Tensor>& tensors) const;
    double allReduceSum(double value) const;
    void barrier() const;

private:
    DistributedGroup() = default;
    int rank_ = 0, world_ = 1;
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace inst3d
