// `inst3d weights`.
#include "models/cli/model_verbs.h"

#include <torch/torch.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "models/llm/generation.h"
#include "models/llm/llama_model.h"
#include "models/weights/torch_device.h"
#include "models/llm/prompt_builder.h"
#include "models/llm/tokenizer.h"
#include "models/weights/torch_weights.h"
#include "core/cli/command.h"

namespace inst3d {
// `inst3d weights FILE.safetensors`: lists every tensor (dtype, shape) and, with --stats, loads each one
// through LibTorch and prints its mean and absolute maximum: a quick check that a checkpoint is whole.
int runWeights(const std::vector<std::string>& argv) {
    ArgParser args("inst3d weights", "Lists the tensors of a safetensors file (a checkpoint or a feature cache).");
    args.positional("FILE", "a .safetensors file").flag("stats", "load every tensor and print mean / abs max");
    if (!args.parse(argv)) return 0;
    auto file = std::make_shared<SafetensorsFile>(args.get("FILE"));
    std::printf("%s: %zu tensors\n", file->path().c_str(), file->tensors().size());
    for (const auto& [k, v] : file->metadata()) std::printf("  metadata %s = %s\n", k.c_str(), v.c_str());
    int64_t total = 0;
    for (const TensorInfo& t : file->tensors()) {
        total += t.numel();
        std::printf("  %-48s %-5s %s", t.name.c_str(), dtypeName(t.dtype), shapeString(t.shape).c_str());
        if (args.has("stats") && t.numel() > 0) {
            torch::Tensor x = loadTensor(file, t.name).to(torch::kFloat64);
            std::printf("  mean %.6g  absmax %.6g", x.mean().item<double>(), x.abs().max().item<double>());
        }
        std::printf("\n");
    }
    std::printf("  %lld parameters\n", static_cast<long long>(total));
    return 0;
}


}  // namespace inst3d
