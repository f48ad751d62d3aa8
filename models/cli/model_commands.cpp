#include "models/cli/model_commands.h"

#include "models/cli/bench_encoders.h"
#include "models/weights/torch_runtime.h"
#include "models/cli/extract_command.h"
#include "models/cli/lora_command.h"

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

// ---- bench llm -------------------------------------------------------------------------------------

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Peak resident set size of this process (VmHWM), in bytes; 0 when /proc is not there.
int64_t peakRssBytes() {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;  // "VmHWM:  1234 kB"
    return 0;
}

int64_t memAvailableBytes() {
    std::ifstream in("/proc/meminfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("MemAvailable:", 0) == 0) return std::stoll(line.substr(13)) * 1024;
    return 0;
}

// Shapes for --random-config: `tiny` (58 M parameters, a quick CPU figure) and `7b` (LLaMA-2-7B / Vicuna-7B).
LlamaConfig randomConfig(const std::string& name) {
    LlamaConfig c;
    if (name == "7b") return c;  // LlamaConfig's defaults are the 7B shapes
    if (name != "tiny") throw UsageError("--random-config takes tiny or 7b");
    c.hiddenSize = 512;
    c.intermediateSize = 1376;
    c.numLayers = 8;
    c.numHeads = c.numKvHeads = 8;
    c.headDim = 64;
    return c;
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
                   "or machine (the default: the BLAS, threads and matmul rate every CPU figure depends on).");
    args.positional("SUBJECT", "what to measure: machine | llm | extract | encoders")
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
        const int64_t avail = memAvailableBytes();
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
    std::printf("| peak RSS | %.2f GiB |\n", double(peakRssBytes()) / (1 << 30));
    return 0;
}

// ---- chat-llm ----------------------------------------------------------------------------------------

std::atomic<bool> gStop{false};        // raised by Ctrl-C while a reply is being decoded
std::atomic<bool> gGenerating{false};

extern "C" void onInterrupt(int) {
    if (!gGenerating.load()) std::_Exit(130);
    gStop.store(true);
}

// Prints a reply as it is decoded: the text of all reply ids so far, minus what is already printed.
// SentencePiece decodes a half-finished UTF-8 byte sequence (byte fallback) as U+FFFD, so text ending
// in one waits for the next token.
class ReplyPrinter {
public:
    explicit ReplyPrinter(const LlamaTokenizer& tok) : tok_(tok) {}
    void add(int64_t id) {
        ids_.push_back(int(id));
        std::string text = tok_.decode(ids_);
        if (text.size() >= 3 && text.compare(text.size() - 3, 3, "\xEF\xBF\xBD") == 0) return;
        if (text.compare(0, printed_.size(), printed_) == 0) {
            std::fwrite(text.data() + printed_.size(), 1, text.size() - printed_.size(), stdout);
            std::fflush(stdout);
            printed_ = text;
        }
    }
    std::string finish() {  // flushes what was held back; returns the reply text
        std::string text = tok_.decode(ids_);
        if (text.compare(0, printed_.size(), printed_) == 0)
            std::fwrite(text.data() + printed_.size(), 1, text.size() - printed_.size(), stdout);
        std::printf("\n");
        std::fflush(stdout);
        return text;
    }

private:
    const LlamaTokenizer& tok_;
    std::vector<int> ids_;
    std::string printed_;
};

// `inst3d chat-llm --model DIR`: a terminal chat in the Vicuna v1.1 template; the whole conversation is
// the prompt of each reply (oldest turns dropped when it no longer fits the context). The keys/values
// of the part a prompt shares with the previous turn stay in the KV cache, so a turn costs its own
// tokens, not the whole history (dropping a turn changes the prefix and recomputes once).
int runChat(const std::vector<std::string>& argv) {
    ArgParser args("inst3d chat-llm",
                   "Chats with a LLaMA / Vicuna model on stdin/stdout, streaming each reply as it is decoded.\n"
                   "Type /reset to start a new conversation, /quit (or end of input) to leave; Ctrl-C stops a reply.");
    args.option("model", "DIR", "a LLaMA / Vicuna folder (config.json + safetensors)")
        .option("tokenizer", "FILE", "SentencePiece tokenizer.model (default: DIR/tokenizer.model)")
        .option("template", "NAME", "conversation template in resources/prompts/ (vicuna = vicuna_v1.1)", "vicuna_v1.1")
        .option("dtype", "TYPE", "f32, bf16 or f16", "f32")
        .option("device", "DEV", "cpu, cuda or cuda:N (needs a CUDA LibTorch)", "cpu")
        .option("max-new-tokens", "N", "reply length limit", "256")
        .option("temperature", "T", "sample with this temperature (default: greedy)")
        .option("top-p", "P", "sampling: nucleus probability", "1.0")
        .option("top-k", "K", "sampling: keep the K most likely tokens (0 = all)", "0")
        .option("beams", "K", "beam search with K beams (replies are printed when complete)", "1")
        .option("repetition-penalty", "R", "transformers' repetition penalty", "1.0")
        .option("seed", "S", "sampling seed", "0")
        .flag("no-cache-reuse", "recompute the whole conversation every turn (default: keep the earlier turns' keys/values)")
        .flag("show-prompt", "print each prompt (and how many of its tokens were cached) to stderr");
    if (!args.parse(argv)) return 0;
    if (!args.has("model")) throw UsageError("--model DIR is required (see inst3d chat-llm --help)");
    const std::string dir = args.get("model");
    std::string name = args.get("template");
    if (name == "vicuna") name = "vicuna_v1.1";
    Conversation conv(fileExists(name) ? ConversationTemplate::load(name) : ConversationTemplate::loadDefault(name));
    LlamaTokenizer tok(args.has("tokenizer") ? args.get("tokenizer") : dir + "/tokenizer.model");
    auto model = LlamaModel::load(dir, llmDTypeFromName(args.get("dtype")), args.get("device"));
    const LlamaConfig& c = model->config();
    // A checkpoint with Inst3D's 200 object tokens after the base vocabulary.
    if (c.vocabSize == tok.baseVocabSize() + 200) tok.addObjectTokens(200);
    if (tok.vocabSize() > c.vocabSize)
        fail(dir, "tokenizer has " + std::to_string(tok.vocabSize()) + " ids, the model only " + std::to_string(c.vocabSize));

    GenerationConfig gen;
    gen.maxNewTokens = args.getInt("max-new-tokens");
    gen.numBeams = args.getInt("beams");
    gen.repetitionPenalty = args.getDouble("repetition-penalty");
    gen.eosId = tok.eosId() >= 0 ? tok.eosId() : c.eosId;
    gen.seed = uint64_t(args.getInt("seed"));
    gen.reuseCache = !args.has("no-cache-reuse");  // beam search ignores it (its cache holds the beams)
    gen.doSample = args.has("temperature");
    if (gen.doSample) {
        gen.temperature = args.getDouble("temperature");
        gen.topP = args.getDouble("top-p");
        gen.topK = args.getInt("top-k");
    }
    std::signal(SIGINT, onInterrupt);
    const bool interactive = isatty(STDIN_FILENO);

    for (std::string line;;) {
        if (interactive) {
            std::printf("%s: ", conv.tmpl().userRole.c_str());
            std::fflush(stdout);
        }
        if (!std::getline(std::cin, line) || line == "/quit") break;
        if (line == "/reset") {
            conv.reset();
            std::printf("(conversation cleared)\n");
            continue;
        }
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        conv.addUser(line);

        // The prompt: the conversation, oldest exchanges dropped until it leaves room for the reply.
        std::vector<int> ids = tok.encode(conv.prompt(), /*addBos=*/true);
        while (int(ids.size()) + gen.maxNewTokens > c.maxPositions && conv.messages() > 1) {
            conv.dropOldestExchange();
            ids = tok.encode(conv.prompt(), /*addBos=*/true);
        }
        if (int(ids.size()) + gen.maxNewTokens > c.maxPositions) {
            std::fprintf(stderr, "the prompt (%zu tokens) leaves no room for a reply of %d tokens in %d positions\n",
                         ids.size(), gen.maxNewTokens, c.maxPositions);
            conv.reset();
            continue;
        }
        if (args.has("show-prompt")) {  // one line: line breaks shown as \n
            std::string shown;
            for (char ch : conv.prompt()) shown += ch == '\n' ? std::string("\\n") : std::string(1, ch);
            std::fprintf(stderr, "[prompt] %s\n", shown.c_str());
        }

        std::printf("%s: ", conv.tmpl().assistantRole.c_str());
        std::fflush(stdout);
        ReplyPrinter printer(tok);
        gStop.store(false);
        gGenerating.store(true);
        std::vector<int64_t> prompt(ids.begin(), ids.end());
        GenerationResult r = generate(*model, prompt, gen, [&](int64_t t) { printer.add(t); return true; }, &gStop);
        gGenerating.store(false);
        std::string reply = printer.finish();
        if (r.cancelled) std::printf("(stopped)\n");
        if (args.has("show-prompt"))
            std::fprintf(stderr, "[cache] %lld of %zu prompt tokens reused\n", static_cast<long long>(r.reusedPositions),
                         ids.size());
        conv.addAssistant(reply);
    }
    return 0;
}

}  // namespace

void registerModelCommands(CommandRegistry& registry) {
    CommandRegistry models;
    models.add({"tokenize", "LLaMA token ids of a text (with the <OBJ###> tokens)", runTokenize});
    models.add({"weights", "list (and check) the tensors of a safetensors file", runWeights});
    models.add({"bench", "measure a neural component here (bench: BLAS, threads, matmul rate; bench llm: time to first token, tokens/s, peak RSS; bench extract: per-stage times; bench encoders: CLIP / Uni3D throughput)", runBench});
    registerExtractCommand(models);
    registerLoraCommand(models);
    models.add({"chat-llm", "chat with a LLaMA / Vicuna model in the terminal (Vicuna v1.1 template, streamed)", runChat});
    // Every neural verb starts with the process-wide CPU setup: all CPUs this process may use (LibTorch
    // alone takes one per physical core, 1 on a 2-vCPU machine), $INST3D_THREADS overriding. Inside the
    // verb, so a bad $INST3D_THREADS is reported like any other error.
    for (const Command& c : models.commands())
        registry.add({c.name, c.summary, [run = c.run](const std::vector<std::string>& args) {
                          applyDefaultThreads();
                          return run(args);
                      }});
}

}  // namespace inst3d
