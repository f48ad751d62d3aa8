// Diagnostic: does inst3d's random LLaMA + LmTrainer learn key-first associative recall like transformers'
// (tools/diagnostics/recall_toy.py --key-first)? Prints the answer loss every 250 steps.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "models/llm/llama_model.h"
#include "training/lm_trainer.h"

using namespace inst3d;

// --fused: one input embedding per object, E(key) + E(id), then the query key; trained with
// forwardTrainEmbeds and AdamW directly, as Inst3dTrainer feeds the LLM.
int fusedToy(int objects, int keys, int identifiers, int steps, int batch, double lr) {
    const int key0 = 10, id0 = 10 + keys;
    LlamaConfig c;
    c.vocabSize = id0 + identifiers;
    c.hiddenSize = 96;
    c.intermediateSize = 256;
    c.numLayers = 2;
    c.numHeads = c.numKvHeads = 4;
    c.headDim = 24;
    c.maxPositions = 1024;
    auto model = LlamaModel::random(c, LlmDType::F32, 0);
    model->setTrainBaseWeights(true);
    model->setTrainEmbeddings(true);
    torch::optim::AdamW opt(model->trainableParameters(), torch::optim::AdamWOptions(lr).weight_decay(0.01));
    for (int s = 0; s <= steps; ++s) {
        std::vector<torch::Tensor> ks, is;
        for (int i = 0; i < batch; ++i) {
            ks.push_back(torch::randperm(keys).narrow(0, 0, objects) + key0);
            is.push_back(torch::randperm(identifiers).narrow(0, 0, objects) + id0);
        }
        torch::Tensor K = torch::stack(ks), I = torch::stack(is);                     // [B, n]
        torch::Tensor t = torch::randint(0, objects, {batch}, torch::kInt64);         // [B]
        torch::Tensor rows = torch::arange(batch);
        torch::Tensor q = K.index({rows, t}).unsqueeze(1), a = I.index({rows, t});    // [B, 1], [B]
        torch::Tensor x = torch::cat({model->embed(K) + model->embed(I), model->embed(q)}, 1);  // [B, n + 1, D]
        torch::Tensor logits = model->forwardTrainEmbeds(x, nullptr, true);          // [B, n + 1, V]
        torch::Tensor loss = torch::nn::functional::cross_entropy(logits.select(1, objects), a);
        opt.zero_grad();
        loss.backward();
        opt.step();
        if (s % 250 == 0) std::printf("%d %.3f\n", s, loss.item<double>()), std::fflush(stdout);
    }
    return 0;
}

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "--fused") return fusedToy(8, 16, 16, 1000, 16, 2e-3);
    const int objects = argc > 1 ? std::atoi(argv[1]) : 8, keys = argc > 2 ? std::atoi(argv[2]) : 16;
    const int identifiers = argc > 3 ? std::atoi(argv[3]) : 16, queries = argc > 4 ? std::atoi(argv[4]) : 8;
    const int steps = argc > 5 ? std::atoi(argv[5]) : 1500, batch = argc > 6 ? std::atoi(argv[6]) : 64;
    const double lr = argc > 7 ? std::atof(argv[7]) : 1e-3;
    const int key0 = 10, id0 = 10 + keys;
    LlamaConfig c;
    c.vocabSize = id0 + identifiers;
    c.hiddenSize = 128;
    c.intermediateSize = 256;
    c.numLayers = 2;
    c.numHeads = c.numKvHeads = 4;
    c.headDim = 32;
    c.maxPositions = 1024;
    auto model = LlamaModel::random(c, LlmDType::F32, 0);
    model->setTrainBaseWeights(true);
    model->setTrainEmbeddings(true);
    TrainerConfig tc;
    tc.lr = lr;
    tc.totalSteps = steps;
    tc.minLrMulti = 1.0;
    tc.weightDecay = 0.01;
    LmTrainer trainer(*model, tc);
    std::srand(1);
    for (int s = 0; s <= steps; ++s) {
        std::vector<LmExample> b;
        for (int i = 0; i < batch; ++i) {
            std::vector<int64_t> ks, is;
            torch::Tensor pk = torch::randperm(keys), pi = torch::randperm(identifiers);
            LmExample e;
            e.prompt.push_back(1);
            for (int j = 0; j < objects; ++j) {
                ks.push_back(key0 + pk[j].item<int64_t>());
                is.push_back(id0 + pi[j].item<int64_t>());
                e.prompt.push_back(ks.back());
                e.prompt.push_back(is.back());
            }
            for (int q = 0; q + 1 < queries; ++q) {  // unsupervised extra queries: one supervised answer at the end
                const int t = std::rand() % objects;
                e.prompt.push_back(ks[t]);
                e.prompt.push_back(is[t]);
            }
            const int t = std::rand() % objects;
            e.prompt.push_back(ks[t]);
            e.answer = {is[t]};
            b.push_back(e);
        }
        const double loss = trainer.step(b);
        if (s % 250 == 0) std::printf("%d %.3f\n", s, loss), std::fflush(stdout);
    }
}
