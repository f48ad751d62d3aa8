// `inst3d chat-llm`.
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

namespace {
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

}  // namespace

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


}  // namespace inst3d
