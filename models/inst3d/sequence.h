// The LLM input of one Inst3D sample (docs/model.md step 8): text embeddings with the object segments
// spliced in, `[p0 | objects | p1 | question | answer | (question | answer)...]` (two object segments with
// the `slots` layout: `[p0 | slot 1 | p_mid | slot 2 | p1 | ...]`), and labels that supervise the answer
// tokens only.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace at {
class Tensor;
}

namespace inst3d {

class LlamaModel;

struct SequenceParts {
    std::vector<std::vector<int64_t>> text;  // p0 (with BOS), then the text after each object segment
    std::vector<int64_t> question;           // " {question} ASSISTANT: " ids, no BOS
    std::vector<int64_t> answer;             // answer ids + EOS; empty when generating
    // A packed conversation (optim.turns_per_conversation): further (question, answer) turns about the same
    // scene after the first answer, "USER: {q} ASSISTANT: " then "{a}</s>", every answer supervised.
    std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> turns;
};

struct EmbeddedSequence {
    std::vector<at::Tensor> parts;  // embeds [T, D], labels [T] int64 (-100 outside the answer)
    const at::Tensor& embeds() const { return parts[0]; }
    const at::Tensor& labels() const { return parts[1]; }
};

// Error when parts.text does not hold one more piece than there are object segments.
EmbeddedSequence embedSequence(const LlamaModel& llm, const SequenceParts& parts,
                               const std::vector<at::Tensor>& objectSegments);

// Right-padded batch: embeds [B, T, D] (zeros after the end), mask [B, T] int64, labels [B, T] (-100 there).
void collateSequences(const std::vector<EmbeddedSequence>& batch, at::Tensor& embeds, at::Tensor& mask,
                      at::Tensor& labels);

}  // namespace inst3d
