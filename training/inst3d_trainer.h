// Multi-task instruction tuning of Inst3D-LMM (brief §1.7, §1.8): the scene encoder (models/inst3d), the
// LLM's LoRA and its embedding rows trained together on one shuffled stream of every task's samples,
// AdamW (no decay on 1-D tensors) with warmup + cosine stepped every iteration, gradient accumulation,
// optional clipping, the answer-only causal-LM loss. Deterministic: step k always sees the same samples,
// object orders and dropout masks, so a resumed run continues bit-exactly (saveState / loadState).
// <torch/torch.h> stays out.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/inst3d/inst3d_model.h"
#include "models/llm/llama_model.h"
#include "models/llm/prompt_builder.h"
#include "models/llm/tokenizer.h"
#include "models/weights/autocast.h"
#include "training/distributed.h"
#include "training/inst3d_data.h"
#include "training/lm_trainer.h"

namespace inst3d {

// What a training, evaluation or chat run holds: the scene encoder, the LLM with its identifier rows,
// the tokenizer (with <OBJ000>.. added) and the object prompt.
struct Inst3dStack {
    Inst3dConfig config;
    std::unique_ptr<Inst3dModel> model;
    std::unique_ptr<LlamaModel> llm;
    std::unique_ptr<LlamaTokenizer> tokenizer;
    ObjectPrompt prompt;
    int64_t objectTokenBase() const { return tokenizer->vocabSize() - config.identifierTokens; }
};

struct Inst3dTrainOptions {
    TrainerConfig optimizer;      // lr, weight decay, betas, warmup, cosine floor, clipping, total steps
    int batchSize = 8;            // samples per micro-batch
    int gradAccum = 1;            // micro-batches per optimizer step
    uint64_t seed = 38;           // Inst3D's seed: sample stream, object order, dropout
    bool shuffleObjects = true;   // Inst3D's random.shuffle(valid_ids)
    // Chat-Scene dev's reading (brief §2.4, open question 4): every training sample draws a random
    // identifier for each object (object j carries <OBJ idOf[j]>, and the <OBJ###> of its question and
    // answer are rewritten to match), so an identifier carries no prior and grounding must come from
    // the object's features. False: Inst3D's fixed identifiers (object j always carries <OBJ j>).
    bool randomIdentifiers = false;
    // Not in the released recipe: up to this many samples of one scene and task become one multi-turn
    // conversation (the scene's tokens once, then question / answer turns, every answer supervised), so a
    // step supervises more answers per object prefix. 1: one sample per sequence, as Inst3D.
    int turnsPerConversation = 1;
    // A curriculum for an LLM trained from scratch (not in the released recipe): for the first
    // labelTokenSteps steps every object token is the word embedding of the object's label (the mean of
    // its pieces), so the LLM learns to read an identifier out by a word of the question; over the next
    // labelFadeSteps steps the tokens fade linearly from those embeddings to the model's own, so the
    // projectors learn to speak into the read-out the LLM already has. 0 / 0: off.
    int64_t labelTokenSteps = 0, labelFadeSteps = 0;
    // > 0, while the label embeddings are in use (the K + F steps above): the model's own object tokens are
    // also pulled toward them, this weight times the mean (1 - cosine) over the valid objects, so that the
    // feature path learns the label directions before the fade hands the tokens over to it.
    double labelAlignWeight = 0;
    // Which of an object's three LLM-bound tokens the curriculum replaces (and aligns): ObjectTokens parts
    // 2 (instance), 3 (scene: 3D-ISR) and 4 (fused: MCMF). The others carry the model's own features from
    // step 0, so the read-out can learn what the label lacks (colour, relations) while the label names the
    // category.
    std::vector<int> labelTokenParts = {2, 3, 4};
    // bf16: the forward and backward under LibTorch's bf16 autocast (models/weights/autocast.h), the
    // parameters, gradients and AdamW moments fp32; the losses are computed from fp32 logits.
    TrainPrecision precision = TrainPrecision::Fp32;
    // Several processes (training/distributed.h): each computes its share of every step (samples
    // k with k % world == rank) and the gradient sums are all-reduced. Null: one process.
    std::shared_ptr<DistributedGroup> group;
};

struct StepResult {
    double loss = 0;                       // mean over the step's answer tokens (all ranks)
    std::map<std::string, double> perTask;  // mean over each task's answer tokens in this rank's share
    double lr = 0, gradNorm = 0;
};

// The text of a sample as the LLM reads it (docs/model.md step 8): p0 (BOS) and the text after each
// object slot, " {prompt} ASSISTANT: ", and the answer ids + EOS (empty answer: generation).
struct SampleText {
    std::vector<std::vector<int64_t>> text;
    std::vector<int64_t> question, answer;
    std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> turns;  // packed follow-up turns
    size_t answerTokens() const;                                                // supervised tokens, all turns
};
SampleText encodeSampleText(const Inst3dStack& stack, const std::string& prompt, const std::string& answer);
// A follow-up turn of a packed conversation: ("USER: {prompt} ASSISTANT: ", "{answer}</s>") ids.
std::pair<std::vector<int64_t>, std::vector<int64_t>> encodeFollowUpTurn(const Inst3dStack& stack, const std::string& prompt,
                                                                         const std::string& answer);

// optim.turns_per_conversation: the training samples grouped into conversations of up to `turns` samples
// of one scene and task, in the data's order, no two turns of a conversation naming the same <OBJ###>
// (else a later turn could copy an earlier answer instead of reading the scene). turns == 1: one sample
// per conversation, in the data's order (the reference).
std::vector<std::vector<const TaskSample*>> packConversations(const Inst3dData& data, int turns);
size_t packedSequenceCount(const Inst3dData& data, int turns);

// A random identifier per object slot: a permutation of [0, identifiers) drawn from `seed`.
std::vector<int64_t> identifierAssignment(int64_t identifiers, uint64_t seed);
// `ids` with every identifier token base + j replaced by base + idOf[j].
std::vector<int64_t> reassignIdentifiers(const std::vector<int64_t>& ids, int64_t base, const std::vector<int64_t>& idOf);

// E(<OBJ000>) .. E(<OBJ{I-1}>) from the LLM's embedding rows: [identifier_tokens, dim_llm].
at::Tensor identifierEmbeddings(const Inst3dStack& stack);

// The scene encoder over scenes padded to the largest object count: tokens [B, N, ...] (training,
// evaluation and chat all encode through this).
ObjectTokens encodeScenes(const Inst3dModel& model, const std::vector<const SceneObjects*>& scenes);

// The valid objects of a scene in sequence order: rank order, or shuffled by `seed` (training).
std::vector<int64_t> objectOrder(const SceneObjects& scene, bool shuffle, uint64_t seed);

class Inst3dTrainer {
public:
    Inst3dTrainer(Inst3dStack& stack, const Inst3dData& data, const Inst3dTrainOptions& options);
    ~Inst3dTrainer();
    StepResult step();
    // The mean answer loss over (at most maxSamples of) `data`'s samples, eval mode, rank order.
    double validationLoss(const Inst3dData& data, int maxSamples) const;
    int64_t stepsDone() const;
    int64_t totalSteps() const;  // the schedule's length
    int64_t samplesPerStep() const;
    // Optimizer moments, step count and the dropout generator (DIR/trainer_state.safetensors).
    void saveState(const std::string& dir) const;
    void loadState(const std::string& dir);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace inst3d
