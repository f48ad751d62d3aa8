// Helpers shared by the LibTorch test suites (tests/models): goldens stored as nested JSON arrays or
// safetensors files, compared with a max-abs difference. Header-only; include after <torch/torch.h>.
#pragma once
#include <torch/torch.h>

#include <QDir>
#include <QTemporaryDir>
#include <functional>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/io/safetensors.h"
#include "models/weights/torch_weights.h"

namespace inst3d::test {

using Tensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Every tensor of a safetensors file, copied out of the mapping.
inline Tensors readAllTensors(const std::string& file) {
    auto f = std::make_shared<SafetensorsFile>(file);
    Tensors out;
    for (const TensorInfo& t : f->tensors()) out.emplace_back(t.name, loadTensor(f, t.name).clone());
    return out;
}

// A nested JSON array as a tensor of `type` (parsed as double; null stands for -inf, as the
// generation goldens write masked logits).
inline torch::Tensor jsonTensor(const nlohmann::json& j, torch::ScalarType type = torch::kFloat32) {
    std::vector<double> flat;
    std::vector<int64_t> shape;
    std::function<void(const nlohmann::json&, size_t)> walk = [&](const nlohmann::json& v, size_t depth) {
        if (v.is_array()) {
            if (shape.size() <= depth) shape.push_back(int64_t(v.size()));
            for (const auto& e : v) walk(e, depth + 1);
        } else {
            flat.push_back(v.is_null() ? -std::numeric_limits<double>::infinity() : v.get<double>());
        }
    };
    walk(j, 0);
    return torch::tensor(flat, torch::kFloat64).reshape(shape).to(type);
}

inline double maxDiff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

// DIR/name inside a test's temporary folder, created.
inline std::string makeSubdir(const QTemporaryDir& dir, const std::string& name) {
    const std::string d = dir.filePath(QString::fromStdString(name)).toStdString();
    QDir().mkpath(QString::fromStdString(d));
    return d;
}

}  // namespace inst3d::test
