#include "models/cli/lora_command.h"

#include <torch/torch.h>

#include <cstdio>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "models/llm/llama_model.h"
#include "models/llm/lora.h"
#include "models/weights/torch_weights.h"

namespace inst3d {
namespace {

int runLoraMerge(const std::vector<std::string>& argv) {
    ArgParser args("inst3d lora-merge",
                   "Merges a LoRA adapter (PEFT layout: adapter_config.json + adapter_model.safetensors or .bin)\n"
                   "into its base LLaMA / Vicuna folder, W += (lora_alpha / r) B A, and writes a plain Hugging Face\n"
                   "folder (config.json + model.safetensors) that loads without the adapter.");
    args.option("model", "DIR", "base model folder (config.json + safetensors or pytorch_model.bin)")
        .option("adapter", "DIR", "LoRA adapter folder")
        .option("out", "DIR", "output folder (created; config.json copied, model.safetensors written)")
        .option("dtype", "TYPE", "f32, bf16 or f16: the merged weights' dtype", "f32");
    if (!args.parse(argv)) return 0;
    if (!args.has("model") || !args.has("adapter") || !args.has("out"))
        throw UsageError("--model, --adapter and --out are required");
    const std::string out = args.get("out");
    auto model = LlamaModel::load(args.get("model"), llmDTypeFromName(args.get("dtype")));
    loadLoraAdapter(*model, args.get("adapter"));
    const LoraConfig config = *model->loraConfig();
    model->mergeLora();
    makeDirectories(out);
    writeFileAtomic(joinPath(out, "config.json"), readTextFile(joinPath(args.get("model"), "config.json")));
    std::vector<std::pair<std::string, at::Tensor>> weights;
    for (auto& [name, tensor] : model->namedWeights()) weights.push_back({name, tensor.contiguous()});
    saveTensors(joinPath(out, "model.safetensors"), weights, {{"format", "pt"}});
    std::printf("merged LoRA r=%d alpha=%g into %zu tensors -> %s\n", config.r, config.alpha, weights.size(), out.c_str());
    return 0;
}

}  // namespace

void registerLoraCommand(CommandRegistry& registry) {
    registry.add({"lora-merge", "merge a PEFT LoRA adapter into its LLaMA folder (a plain Hugging Face folder out)",
                  runLoraMerge});
}

}  // namespace inst3d
