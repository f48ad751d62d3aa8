#include "models/inst3d/sequence.h"

#include <torch/torch.h>

#include "core/common/error.h"
#include "models/llm/llama_model.h"

namespace inst3d {

namespace {

constexpr int64_t kIgnoreLabel = -100;  // transformers' CrossEntropyLoss ignore_index

torch::Tensor embedIds(const LlamaModel& llm, const std::vector<int64_t>& ids) {
    return llm.embed(torch::tensor(ids, torch::kInt64).unsqueeze(0))[0].to(torch::kFloat32);  // [T, D]
}

}  // namespace

EmbeddedSequence embedSequence(const LlamaModel& llm, const SequenceParts& p, const std::vector<at::Tensor>& objects) {
    if (p.text.size() != objects.size() + 1)
        fail("", "Inst3D sequence: " + std::to_string(p.text.size()) + " text pieces for " +
                     std::to_string(objects.size()) + " object segment(s) (needs one more)");
    std::vector<torch::Tensor> pieces, labels;
    auto add = [&](const torch::Tensor& e, const std::vector<int64_t>* supervised) {      // e [t, D]
        pieces.push_back(e);
        labels.push_back(supervised ? torch::tensor(*supervised, torch::kInt64) : torch::full({e.size(0)}, kIgnoreLabel, torch::kInt64));
    };
    for (size_t i = 0; i < p.text.size(); ++i) {
        if (!p.text[i].empty()) add(embedIds(llm, p.text[i]), nullptr);
        if (i < objects.size()) add(objects[i].to(torch::kFloat32), nullptr);
    }
    if (!p.question.empty()) add(embedIds(llm, p.question), nullptr);
    if (!p.answer.empty()) add(embedIds(llm, p.answer), &p.answer);
    for (const auto& [question, answer] : p.turns) {
        add(embedIds(llm, question), nullptr);
        if (!answer.empty()) add(embedIds(llm, answer), &answer);  // empty: the question being asked
    }
    torch::Tensor embeds = torch::cat(pieces, 0);                                             // [T, D]
    return {{embeds, torch::cat(labels, 0).to(embeds.device())}};                            // labels [T]
}

void collateSequences(const std::vector<EmbeddedSequence>& batch, at::Tensor& embeds, at::Tensor& mask,
                      at::Tensor& labels) {
    int64_t T = 0;
    for (const EmbeddedSequence& s : batch) T = std::max(T, s.embeds().size(0));
    const int64_t D = batch.front().embeds().size(1);
    const auto dev = batch.front().embeds().device();
    std::vector<torch::Tensor> e, m, l;
    for (const EmbeddedSequence& s : batch) {
        const int64_t t = s.embeds().size(0), pad = T - t;
        e.push_back(torch::cat({s.embeds(), torch::zeros({pad, D}, s.embeds().options())}, 0));
        m.push_back(torch::cat({torch::ones({t}, torch::kInt64), torch::zeros({pad}, torch::kInt64)}).to(dev));
        l.push_back(torch::cat({s.labels(), torch::full({pad}, kIgnoreLabel, s.labels().options())}));
    }
    embeds = torch::stack(e);
    mask = torch::stack(m);
    labels = torch::stack(l);
}

}  // namespace inst3d
