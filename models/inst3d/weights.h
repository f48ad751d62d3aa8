// The Inst3D model's trainable tensors by checkpoint name (docs/model.md's table). The names are spelled
// once, in inst3dLayout(); loading, random init and saving all walk that table.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/inst3d/inst3d_config.h"

namespace at {
class Tensor;
}

namespace inst3d {

enum class Init { Matrix, Bias, NormWeight, Normal };  // how random() fills a tensor

struct WeightSpec {
    std::string name;
    std::vector<int64_t> shape;
    Init init;
};

// Every tensor of the model for `config`, in a fixed order.
std::vector<WeightSpec> inst3dLayout(const Inst3dConfig& config);

class Inst3dWeights {
public:
    Inst3dWeights();
    ~Inst3dWeights();
    Inst3dWeights(Inst3dWeights&&) noexcept;
    Inst3dWeights& operator=(Inst3dWeights&&) noexcept;

    const at::Tensor& operator[](const std::string& name) const;  // Error naming a missing tensor
    void set(const std::string& name, const at::Tensor& t);
    std::vector<std::pair<std::string, at::Tensor>> items() const;  // layout order
    std::vector<at::Tensor> trainable() const;  // everything but the Fourier matrix (a buffer)

private:
    std::map<std::string, at::Tensor>* tensors_;
    std::vector<std::string> order_;
};

}  // namespace inst3d
