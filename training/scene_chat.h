// Talking with one scene: the scene's object tokens computed once, each question asked in the prompt
// format the model was trained with, the answer streamed as text and its <OBJ###> identifiers parsed into
// the scene's objects. One question at a time by default (the released models answer single questions);
// with setKeepHistory(true) the earlier turns of the conversation come before it, in the packed multi-turn
// form `inst3d train` writes (optim.turns_per_conversation). Two backends share the asking:
//   - an Inst3D checkpoint of `inst3d train` over a scene's feature cache (inst3d extract);
//   - Chat-Scene's released checkpoint over its aggregated feature files and a Vicuna folder
//     (docs/model.md, "Chat-Scene compatibility").
// What `inst3d chat` and the viewer's chat panel call. <torch/torch.h> stays out.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/common/math.h"
#include "models/llm/generation.h"

namespace inst3d {

class LlamaModel;
class LlamaTokenizer;
struct ObjectPrompt;

// Earlier turns of a conversation: each (question ids in the sequence's form, answer ids + EOS).
using ChatHistory = std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>>;

// The answer to `question` over prepared object segments ([T_i, H] each, one per prompt slot): the prompt's
// text around them, the earlier turns when given, the question in its form, generation until EOS. What
// chat and `inst3d eval` run.
GenerationResult generateAnswer(LlamaModel& llm, const LlamaTokenizer& tokenizer, const ObjectPrompt& prompt,
                                const std::vector<at::Tensor>& segments, const std::string& question,
                                const GenerationConfig& gen, const TokenCallback& onToken = {},
                                const std::atomic<bool>* cancel = nullptr, const ChatHistory& history = {});

struct ChatObject {
    int id = 0;           // the identifier <OBJ id> the model sees (the proposal rank / feature index)
    std::string label;    // the proposal's label, "" when the source has none
    AABB box;             // aligned frame, metres (the feature cache's); empty for Chat-Scene's files
};

struct ChatReply {
    std::string text;              // tidied as the evaluation does (double spaces, " .")
    std::vector<int> objectIds;    // every <OBJ###> of the text that names an object of the scene, in order
    std::vector<int> unknownIds;   // identifiers beyond the scene's objects (shown, never highlighted)
    bool cancelled = false;
    int tokens = 0;                // generated tokens (EOS not counted)
    double promptSeconds = 0;      // question asked -> first token decoded (prompt processing + one step)
    double groundedSeconds = -1;   // question asked -> first identifier of the scene decoded; -1: none
    double totalSeconds = 0;       // question asked -> answer complete
};

// Text pieces as they are decoded; returning false stops the answer.
using TextStream = std::function<bool(const std::string& piece)>;

class SceneChat {
public:
    virtual ~SceneChat();

    // An Inst3D checkpoint folder (training/inst3d_checkpoint.h).
    static std::unique_ptr<SceneChat> openInst3d(const std::string& checkpointDir, const std::string& device = "cpu");
    // Chat-Scene: ckpt.pth, the base LLM folder (Vicuna-7B v1.5, with tokenizer.model), and the aggregated
    // 3D and 2D feature files ({"<scene>_<ii>": Tensor}). The prompt: resources/prompts/chat_scene_*.txt.
    static std::unique_ptr<SceneChat> openChatScene(const std::string& checkpoint, const std::string& llmDir,
                                                    const std::string& features3d, const std::string& features2d,
                                                    const std::string& device = "cpu");

    // Inst3D: a feature cache file (<scene>.features.safetensors); Chat-Scene: a scene id of the feature
    // files. Error naming the file when the scene cannot be read or does not match the model.
    virtual void setScene(const std::string& scene) = 0;
    const std::vector<ChatObject>& objects() const { return objects_; }  // shown to the model, by identifier
    const std::string& sceneId() const { return sceneId_; }

    // One question, answered from the scene. `cancel`, when given, stops decoding once raised.
    ChatReply ask(const std::string& question, const GenerationConfig& gen, const TextStream& onText = {},
                  const std::atomic<bool>* cancel = nullptr);

    // The generation settings the model's evaluation uses (Inst3D: 5-beam sampling; Chat-Scene: 5 beams).
    virtual GenerationConfig defaultGeneration() const = 0;

    // Multi-turn: each answered question is kept and asked before the next one (off by default). reset()
    // forgets the turns so far; a new scene forgets them too.
    void setKeepHistory(bool keep) { keepHistory_ = keep; }
    void reset();
    size_t historyTurns() const;

protected:
    SceneChat();
    struct Parts;
    std::unique_ptr<Parts> parts_;  // the LLM, tokenizer, prompt and the current scene's object segments
    std::vector<ChatObject> objects_;
    std::string sceneId_;
    bool keepHistory_ = false;
};

}  // namespace inst3d
