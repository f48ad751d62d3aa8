// `inst3d tokenize`.
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


}  // namespace inst3d
