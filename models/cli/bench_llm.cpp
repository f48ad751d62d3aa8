// `inst3d bench` and `inst3d bench llm` (bench_encoders.cpp and extract_command.cpp hold the other subjects).
#include "models/cli/model_verbs.h"

#include "models/cli/bench_encoders.h"
#include "models/cli/extract_command.h"
#include "models/weights/torch_runtime.h"

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
#include "core/common/memory_stats.h"
#include "core/common/file_util.h"
#include "models/llm/generation.h"
#include "models/llm/llama_model.h"
#include "models/weights/torch_device.h"
#include "models/llm/prompt_builder.h"
#include "models/llm/tokenizer.h"
#include "models/weights/torch_weights.h"
#include "core/cli/command.h"

namespace inst3d {

namespace {
// ---- bench llm -------------------------------------------------------------------------------------

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }


// LlamaConfig::named's shapes; a bad name is a bad command line.
LlamaConfig randomConfig(const std::string& name) {
    try {
        return LlamaConfig::named(name);
    } catch (const Error&) {
        throw UsageError("--random-config takes tiny or 7b");
    }
}

int64_t parameterCount(const LlamaConfig& c) {
    const int64_t D = c.hiddenSize, F = c.intermediateSize, V = c.vocabSize;
    const int64_t q = int64_t(c.numHeads) * c.headDim, kv = int64_t(c.numKvHeads) * c.headDim;
    int64_t layer = 2 * D + D * q + 2 * D * kv + q * D + 3 * D * F;
    return V * D * (c.tieWordEmbeddings ? 1 : 2) + D + layer * c.numLayers;
}

// Token ids from a text file: whitespace-separated integers, each in [0, vocab).
std::vector<int64_t> readTokenIds(const std::string& path, int64_t vocab) {
    std::istringstream in(readTextFile(path));
    std::vector<int64_t> ids;
    for (std::string word; in >> word;) {
        size_t used = 0;
        long long id = -1;
        try {
            id = std::stoll(word, &used);
        } catch (const std::exception&) {
        }
        if (used != word.size() || id < 0 || id >= vocab)
            fail(path, "token " + std::to_string(ids.size()) + " ('" + word + "') is not an id in [0, " +
                           std::to_string(vocab) + ")");
        ids.push_back(id);
    }
    if (ids.empty()) fail(path, "no token ids");
    return ids;
}

std::string idsLine(const std::vector<int64_t>& ids) {
    std::string line;
    for (size_t i = 0; i < ids.size(); ++i) line += (i ? " " : "") + std::to_string(ids[i]);
    return line;
}

const char* dtypeLabel(LlmDType t) { return t == LlmDType::BF16 ? "bf16" : t == LlmDType::F16 ? "f16" : "f32"; }

}  // namespace

// `inst3d bench llm`: prefill P random prompt tokens, then greedily decode N tokens with the KV cache,
// as generation does; prints time to first token, decode speed and peak memory.
int runBench(const std::vector<std::string>& argv) {
    if (!argv.empty() && argv.front() == "extract") return runBenchExtract({argv.begin() + 1, argv.end()});
    if (!argv.empty() && argv.front() == "encoders") return runBenchEncoders({argv.begin() + 1, argv.end()});
    // `inst3d bench` alone, or with the machine bench's own options: the machine summary.
    if (argv.empty() || (argv.front().rfind("--", 0) == 0 && argv.front() != "--help")) return runBenchMachine(argv);
    if (argv.front() == "machine") return runBenchMachine({argv.begin() + 1, argv.end()});
    ArgParser args("inst3d bench",
                   "Measures a neural component on this machine. SUBJECT: llm (LLaMA prefill + decode),\n"
                   "extract (per-stage feature extraction time: `inst3d bench extract --help`), encoders\n"
                   "(CLIP / Uni3D throughput against the device's matmul rate: `inst3d bench encoders --help`),\n"
                   "machine (the default: the BLAS, threads and matmul rate every CPU figure depends on), or train\n"
                   "(Inst3D training steps: `inst3d bench train --help`).");
    args.positional("SUBJECT", "what to measure: machine | llm | extract | encoders | train")
        .option("model", "DIR", "a LLaMA / Vicuna folder (config.json + safetensors)")
        .option("random-config", "NAME", "random weights of shape tiny or 7b instead of --model")
        .option("dtype", "TYPE", "f32, bf16 or f16", "f32")
        .option("device", "DEV", "cpu, cuda or cuda:N (needs a CUDA LibTorch)", "cpu")
        .option("prompt-tokens", "P", "prompt length", "32")
        .option("new-tokens", "N", "tokens decoded after the prompt", "16")
        .option("threads", "T", "intra-op threads (default: every CPU this process may use, or $INST3D_THREADS)")
        .option("seed", "S", "seed of the random weights and prompt", "0")
        .option("prompt-ids", "FILE", "the prompt as whitespace-separated token ids (default: BOS + random ids)")
        .option("ids-out", "FILE", "write the prompt and the greedy ids decoded, one line each (for comparing runs)");
    if (!args.parse(argv)) return 0;
    if (args.get("SUBJECT") != "llm") throw UsageError("unknown bench subject '" + args.get("SUBJECT") + "' (machine, llm, extract, encoders)");
    if (args.has("model") == args.has("random-config")) throw UsageError("give --model DIR or --random-config tiny|7b");
    const LlmDType dtype = llmDTypeFromName(args.get("dtype"));
    const std::string device = checkTorchDevice(args.get("device"));
    const int promptTokens = args.getInt("prompt-tokens"), N = args.getInt("new-tokens");
    if (promptTokens < 1 || N < 1) throw UsageError("--prompt-tokens and --new-tokens must be >= 1");
    if (args.has("threads")) setThreads(args.getInt("threads"));
    const uint64_t seed = uint64_t(args.getInt("seed"));

    // The model, refused up front when its weights cannot fit in the available memory.
    std::string what;
    auto t0 = Clock::now();
    std::unique_ptr<LlamaModel> model;
    if (args.has("random-config")) {
        LlamaConfig cfg = randomConfig(args.get("random-config"));
        const int64_t bytes = parameterCount(cfg) * (dtype == LlmDType::F32 ? 4 : 2);
        const int64_t avail = availableMemoryBytes();
        if (device == "cpu" && avail > 0 && bytes > avail * 9 / 10)
            fail("", "random " + args.get("random-config") + " model needs " + std::to_string(bytes >> 20) + " MiB in " +
                         dtypeLabel(dtype) + ", only " + std::to_string(avail >> 20) +
                         " MiB available (try --dtype bf16)");
        model = LlamaModel::random(cfg, dtype, seed, device);
        what = "random " + args.get("random-config");
    } else {
        model = LlamaModel::load(args.get("model"), dtype, device);
        what = args.get("model");
    }
    const double initSeconds = secondsSince(t0);
    const LlamaConfig& c = model->config();

    // Prefill, then greedy steps with the cache (what generate() runs per token).
    torch::NoGradGuard noGrad;
    std::mt19937_64 rng(seed);
    std::vector<int64_t> prompt = {c.bosId};
    while (int(prompt.size()) < promptTokens) prompt.push_back(3 + int64_t(rng() % uint64_t(c.vocabSize - 3)));
    if (args.has("prompt-ids")) prompt = readTokenIds(args.get("prompt-ids"), c.vocabSize);
    const int P = int(prompt.size());
    model->allocateCache(1, P + N);
    auto t1 = Clock::now();
    torch::Tensor logits = model->forward(torch::tensor(prompt, torch::kInt64).unsqueeze(0), 0);  // [1, P, V]
    int64_t next = logits.select(1, P - 1).argmax(-1).item<int64_t>();
    const double ttft = secondsSince(t1);
    std::vector<int64_t> decoded = {next};
    auto t2 = Clock::now();
    for (int i = 1; i < N; ++i) {
        logits = model->forward(torch::tensor({next}, torch::kInt64).unsqueeze(0), P + i - 1);  // [1, 1, V]
        next = logits.select(1, 0).argmax(-1).item<int64_t>();
        decoded.push_back(next);
    }
    const double decodeSeconds = secondsSince(t2);
    if (args.has("ids-out")) writeFileAtomic(args.get("ids-out"), idsLine(prompt) + "\n" + idsLine(decoded) + "\n");

    // Each step reads its token id back (item()), so the timings include the device's work.
    std::printf("%s\n", cpuRuntimeLine().c_str());
    std::printf("inst3d bench llm: %s, %.2f B parameters, %s on %s, %d prompt tokens, %d new tokens, %d threads\n\n",
                what.c_str(), double(parameterCount(c)) / 1e9, dtypeLabel(dtype), device.c_str(), P, N,
                torch::get_num_threads());
    std::printf("| measure | value |\n|---|---|\n");
    std::printf("| weights ready | %.2f s |\n", initSeconds);
    std::printf("| time to first token | %.3f s (prefill %.3g tokens/s) |\n", ttft, P / ttft);
    if (N > 1)
        std::printf("| decode | %.3g tokens/s (%.1f ms/token) |\n", (N - 1) / decodeSeconds, 1000 * decodeSeconds / (N - 1));
    else
        std::printf("| decode | n/a (1 new token) |\n");
    std::printf("| peak RSS | %.2f GiB |\n", double(peakResidentBytes()) / (1 << 30));
    return 0;
}


}  // namespace inst3d
