#include "training/scene_chat.h"

#include <torch/torch.h>

#include <chrono>
#include <set>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/config/config.h"
#include "core/data/answer_parser.h"
#include "core/features/chatscene_features.h"
#include "models/inst3d/chat_scene.h"
#include "models/inst3d/sequence.h"
#include "models/llm/llama_model.h"
#include "models/llm/tokenizer.h"
#include "training/inst3d_checkpoint.h"

namespace inst3d {

struct SceneChat::Parts {
    LlamaModel* llm = nullptr;
    const LlamaTokenizer* tokenizer = nullptr;
    ObjectPrompt prompt;
    std::vector<torch::Tensor> segments;  // the current scene's object segment(s), [T_i, H] each
    std::vector<std::pair<std::string, std::vector<int64_t>>> history;  // answered turns: question, answer ids + EOS
};

namespace {
constexpr size_t kMaxHistoryTurns = 7;  // earlier turns kept: with the question, the 8 turns the demo trains on
}

SceneChat::SceneChat() : parts_(std::make_unique<Parts>()) {}
SceneChat::~SceneChat() = default;

namespace {

std::vector<int64_t> ids64(const std::vector<int>& v) { return {v.begin(), v.end()}; }

// A question as the sequence holds it: the first turn's " {q} ASSISTANT: ", a later one's "USER: ..." (the
// form of training's packed conversations, training/inst3d_trainer.h encodeFollowUpTurn).
std::vector<int64_t> questionIds(const LlamaTokenizer& tok, const ObjectPrompt& prompt, const std::string& question,
                                 bool followUp) {
    return ids64(tok.encode((followUp ? "USER:" : "") + prompt.question(question), false));
}

// Streams what each new token adds to the decoded text (a token can end inside a UTF-8 character or
// change how the previous ones decode, so the text is decoded whole and its new tail emitted).
class StreamDecoder {
public:
    StreamDecoder(const LlamaTokenizer& tok, const TextStream& out) : tok_(tok), out_(out) {}
    bool operator()(int64_t id) {
        ids_.push_back(int(id));
        const std::string text = tok_.decode(ids_);
        if (text.size() <= emitted_.size() || text.compare(0, emitted_.size(), emitted_) != 0) return true;
        const std::string piece = text.substr(emitted_.size());
        emitted_ = text;
        return out_ ? out_(piece) : true;
    }

private:
    const LlamaTokenizer& tok_;
    const TextStream& out_;
    std::vector<int> ids_;
    std::string emitted_;
};

// Inst3D: the checkpoint's stack over a feature cache.
class Inst3dChat : public SceneChat {
public:
    Inst3dChat(const std::string& dir, const std::string& device) {
        stack_ = loadInst3dCheckpoint(dir, &info_, device);
        parts_->llm = stack_.llm.get();
        parts_->tokenizer = stack_.tokenizer.get();
        parts_->prompt = stack_.prompt;
    }

    void setScene(const std::string& cachePath) override {
        torch::NoGradGuard noGrad;
        const SceneFeatures f = readSceneFeatures(cachePath);
        const SceneObjects s = sceneObjects(f, int(stack_.config.maxObjects), cachePath, stack_.config.viewFusion == ViewFusion::Views);
        checkSceneEncoders(info_, s, cachePath);
        if (s.dim3d != stack_.config.dim3d || s.dim2d != stack_.config.dim2d)
            fail(cachePath, "features are " + std::to_string(s.dim3d) + " / " + std::to_string(s.dim2d) + "-d, the checkpoint's model expects " +
                                std::to_string(stack_.config.dim3d) + " / " + std::to_string(stack_.config.dim2d));
        const ObjectTokens tokens = encodeScenes(*stack_.model, {&s});
        const torch::Tensor idEmbeds = identifierEmbeddings(stack_);
        const std::vector<int64_t> order = objectOrder(s, false, 0);
        parts_->segments = stack_.model->objectSegments(tokens, 0, order, idEmbeds, stack_.config.tokenLayout);
        objects_.clear();
        for (int64_t j : order) objects_.push_back({int(j), s.labels[size_t(j)], f.boxes[size_t(j)]});
        sceneId_ = s.sceneId;
        reset();
    }

    GenerationConfig defaultGeneration() const override { return GenerationConfig::inst3dEval(); }

private:
    Inst3dStack stack_;
    CheckpointInfo info_;
};

// Chat-Scene: its projectors over the aggregated feature files, every slot shown (no label filter).
class ChatSceneChat : public SceneChat {
public:
    ChatSceneChat(const std::string& ckpt, const std::string& llmDir, const std::string& f3, const std::string& f2,
                  const std::string& device) {
        llm_ = LlamaModel::load(llmDir, LlmDType::F32, device);
        model_ = ChatSceneModel::load(ckpt, *llm_);
        tokenizer_ = std::make_unique<LlamaTokenizer>(joinPath(llmDir, "tokenizer.model"));
        if (tokenizer_->vocabSize() != model_->info().objTokenBase)
            fail(joinPath(llmDir, "tokenizer.model"), "the tokenizer has " + std::to_string(tokenizer_->vocabSize()) +
                                                          " tokens, the checkpoint's identifiers start at " + std::to_string(model_->info().objTokenBase));
        tokenizer_->addObjectTokens(int(model_->maxObjects()));
        file3_ = std::make_unique<ChatSceneFeatureFile>(f3);
        file2_ = std::make_unique<ChatSceneFeatureFile>(f2);
        checkWidth(*file3_, model_->dim3d());
        checkWidth(*file2_, model_->dim2d());
        const std::string dir = joinPath(resourceDir(), "prompts");
        parts_->llm = llm_.get();
        parts_->tokenizer = tokenizer_.get();
        parts_->prompt = ObjectPrompt::load(joinPath(dir, "chat_scene_system.txt"), joinPath(dir, "chat_scene_instruction.txt"));
    }

    void setScene(const std::string& sceneId) override {
        torch::NoGradGuard noGrad;
        const int64_t K = model_->maxObjects();
        int64_t found3 = 0, found2 = 0;
        const std::vector<float> r3 = file3_->sceneRows(sceneId, K, &found3), r2 = file2_->sceneRows(sceneId, K, &found2);
        if (found3 == 0) fail(file3_->path(), "no features of scene '" + sceneId + "' (keys \"" + sceneId + "_00\", ...)");
        auto rows = [&](const std::vector<float>& v, int64_t d) { return torch::from_blob(const_cast<float*>(v.data()), {K, d}).clone(); };
        std::vector<int64_t> identity(static_cast<size_t>(K));
        for (int64_t k = 0; k < K; ++k) identity[size_t(k)] = k;
        parts_->segments = {model_->objectTokens(*llm_, rows(r3, file3_->dim()), rows(r2, file2_->dim()), identity)};
        objects_.clear();
        for (int64_t k = 0; k < K; ++k)
            if (file3_->has(sceneId, k)) objects_.push_back({int(k), "", AABB{}});
        sceneId_ = sceneId;
        reset();
    }

    GenerationConfig defaultGeneration() const override { return GenerationConfig::chatSceneEval(); }

private:
    static void checkWidth(const ChatSceneFeatureFile& f, int64_t want) {
        if (f.dim() != want)
            fail(f.path(), "features are " + std::to_string(f.dim()) + "-d, the checkpoint's projector takes " + std::to_string(want));
    }
    std::unique_ptr<LlamaModel> llm_;
    std::unique_ptr<ChatSceneModel> model_;
    std::unique_ptr<LlamaTokenizer> tokenizer_;
    std::unique_ptr<ChatSceneFeatureFile> file3_, file2_;
};

}  // namespace

std::unique_ptr<SceneChat> SceneChat::openInst3d(const std::string& checkpointDir, const std::string& device) {
    return std::make_unique<Inst3dChat>(checkpointDir, device);
}

std::unique_ptr<SceneChat> SceneChat::openChatScene(const std::string& checkpoint, const std::string& llmDir,
                                                    const std::string& features3d, const std::string& features2d,
                                                    const std::string& device) {
    return std::make_unique<ChatSceneChat>(checkpoint, llmDir, features3d, features2d, device);
}

GenerationResult generateAnswer(LlamaModel& llm, const LlamaTokenizer& tokenizer, const ObjectPrompt& prompt,
                                const std::vector<at::Tensor>& segments, const std::string& question,
                                const GenerationConfig& gen, const TokenCallback& onToken, const std::atomic<bool>* cancel,
                                const ChatHistory& history) {
    torch::NoGradGuard noGrad;
    SequenceParts sp;
    for (size_t i = 0; i < prompt.segments.size(); ++i) sp.text.push_back(ids64(tokenizer.encode(prompt.segments[i], i == 0)));
    const std::vector<int64_t> asked = questionIds(tokenizer, prompt, question, !history.empty());
    if (history.empty()) {
        sp.question = asked;
    } else {  // [first question | its answer | (question | answer)... | this question]
        sp.question = history.front().first;
        sp.answer = history.front().second;
        sp.turns.assign(history.begin() + 1, history.end());
        sp.turns.push_back({asked, {}});
    }
    const EmbeddedSequence seq = embedSequence(llm, sp, segments);
    GenerationConfig g = gen;
    g.eosId = tokenizer.eosId();
    return generateFromEmbeds(llm, seq.embeds().unsqueeze(0), g, onToken, cancel);
}

ChatReply SceneChat::ask(const std::string& question, const GenerationConfig& gen, const TextStream& onText,
                         const std::atomic<bool>* cancel) {
    Parts& p = *parts_;
    if (p.segments.empty()) fail("", "no scene to ask about (open one first)");
    std::set<int> shown;
    for (const ChatObject& o : objects_) shown.insert(o.id);
    ChatReply reply;
    const auto start = std::chrono::steady_clock::now();
    auto since = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    std::string streamed;
    const TextStream timed = [&](const std::string& piece) {
        streamed += piece;
        if (reply.groundedSeconds < 0)
            for (int id : parseObjectIds(streamed))
                if (shown.count(id)) reply.groundedSeconds = since();
        return onText ? onText(piece) : true;
    };
    StreamDecoder stream(*p.tokenizer, timed);
    const TokenCallback onToken = [&](int64_t id) {
        if (reply.tokens++ == 0) reply.promptSeconds = since();
        return stream(id);
    };
    ChatHistory earlier;
    if (keepHistory_)
        for (const auto& [q, a] : p.history) earlier.push_back({questionIds(*p.tokenizer, p.prompt, q, !earlier.empty()), a});
    const GenerationResult r = generateAnswer(*p.llm, *p.tokenizer, p.prompt, p.segments, question, gen, onToken, cancel, earlier);
    reply.totalSeconds = since();
    if (reply.tokens == 0) reply.promptSeconds = reply.totalSeconds;  // an answer that is only EOS
    reply.tokens = int(r.ids.size());
    reply.text = tidyAnswer(p.tokenizer->decode(std::vector<int>(r.ids.begin(), r.ids.end())));
    reply.cancelled = r.cancelled;
    for (int id : parseObjectIds(reply.text)) (shown.count(id) ? reply.objectIds : reply.unknownIds).push_back(id);
    if (keepHistory_ && !r.cancelled) {
        std::vector<int64_t> answer = r.ids;
        answer.push_back(p.tokenizer->eosId());
        p.history.push_back({question, answer});
        if (p.history.size() > kMaxHistoryTurns) p.history.erase(p.history.begin());  // the oldest turn goes
    }
    return reply;
}

void SceneChat::reset() { parts_->history.clear(); }

size_t SceneChat::historyTurns() const { return parts_->history.size(); }

}  // namespace inst3d
