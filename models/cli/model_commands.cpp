#include "models/cli/model_commands.h"

#include <torch/torch.h>

#include <cstdio>
#include <iostream>

#include "models/llm/tokenizer.h"
#include "models/weights/torch_weights.h"

namespace inst3d {
namespace {

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

// `inst3d tokenize --tokenizer FILE [--obj-tokens] TEXT`: the ids Inst3D's LLM sees (BOS first), one
// line, space-separated. --obj-tokens adds <OBJ000>..<OBJ199> after the SentencePiece vocabulary.
int runTokenize(const std::vector<std::string>& argv) {
    ArgParser args("inst3d tokenize", "Prints the LLaMA token ids of TEXT (BOS first), space-separated.");
    args.option("tokenizer", "FILE", "a SentencePiece tokenizer.model (LLaMA / Vicuna)")
        .flag("obj-tokens", "add the special tokens <OBJ000>..<OBJ199> (ids 32000..32199 on LLaMA)")
        .flag("no-bos", "leave out BOS")
        .flag("pieces", "print the pieces instead of the ids")
        .positional("TEXT", "the text to tokenize");
    if (!args.parse(argv)) return 0;
    if (args.get("tokenizer").empty()) throw UsageError("--tokenizer FILE is required (see inst3d tokenize --help)");
    LlamaTokenizer tok(args.get("tokenizer"));
    if (args.has("obj-tokens")) tok.addObjectTokens(200);
    std::vector<int> ids = tok.encode(args.get("TEXT"), !args.has("no-bos"));
    std::string line;
    for (size_t i = 0; i < ids.size(); ++i)
        line += (i ? " " : "") + (args.has("pieces") ? tok.idToPiece(ids[i]) : std::to_string(ids[i]));
    std::printf("%s\n", line.c_str());
    return 0;
}

}  // namespace

void registerModelCommands(CommandRegistry& registry) {
    registry.add({"tokenize", "LLaMA token ids of a text (with the <OBJ###> tokens)", runTokenize});
    registry.add({"weights", "list (and check) the tensors of a safetensors file", runWeights});
}

}  // namespace inst3d
