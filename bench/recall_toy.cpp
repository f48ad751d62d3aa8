// Diagnostic: does inst3d's random LLaMA + LmTrainer learn key-first associative recall like transformers'
// (tools/diagnostics/recall_toy.py --key-first)? Prints the answer loss every 250 steps.
//   build/bench/inst3d_recall_toy [--fused] [--objects 8 --keys 16 ...]
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/cli/command.h"
#include "models/llm/llama_model.h"
#include "training/lm_trainer.h"

using namespace inst3d;

// A 2-layer, 4-head LLaMA of `hidden` width, FFN 256, over `vocab` tokens.
LlamaConfig toyConfig(int vocab, int hidden) {
    LlamaConfig c;
    c.vocabSize = vocab;
    c.hiddenSize = hidden;
    c.intermediateSize = 256;
    c.numLayers = 2;
    c.numHeads = c.numKvHeads = 4;
    c.headDim = hidden / 4;
    c.maxPositions = 1024;
    return c;
}

// --fused: one input embedding per object, E(key) + E(id), then the query key; trained with
// forwardTrainEmbeds and AdamW directly, as Inst3dTrainer feeds the LLM.
int fusedToy(int objects, int keys, int identifiers, int steps, int batch, double lr) {
    const int key0 = 10, id0 = 10 + keys;
    auto model = LlamaModel::random(toyConfig(id0 + identifiers, 96), LlmDType::F32, 0);
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

// Flags through ArgParser, as the verbs.
static int runToy(const std::vector<std::string>& argv) {
    ArgParser args("inst3d_recall_toy",
                   "Trains inst3d's random LLaMA on associative recall (docs/performance.md, session 8): key-first\n"
                   "pairs through LmTrainer, or --fused object embeddings through forwardTrainEmbeds + AdamW.");
    args.option("objects", "N", "pairs per sequence", "8")
        .option("keys", "K", "key vocabulary", "16")
        .option("identifiers", "I", "identifier vocabulary", "16")
        .option("queries", "Q", "queries per sequence (the last supervised; key-first only)", "8")
        .option("steps", "S", "optimizer steps", "1500")
        .option("batch", "B", "sequences per step", "64")
        .option("lr", "LR", "AdamW learning rate", "1e-3")
        .flag("fused", "one embedding per object, E(key) + E(id), batch 16, lr 2e-3, 1000 steps");
    if (!args.parse(argv)) return 0;
    if (args.has("fused")) return fusedToy(args.getInt("objects"), args.getInt("keys"), args.getInt("identifiers"), 1000, 16, 2e-3);
    const int objects = args.getInt("objects"), keys = args.getInt("keys"), identifiers = args.getInt("identifiers");
    const int queries = args.getInt("queries"), steps = args.getInt("steps"), batch = args.getInt("batch");
    const double lr = args.getDouble("lr");
    const int key0 = 10, id0 = 10 + keys;
    auto model = LlamaModel::random(toyConfig(id0 + identifiers, 128), LlmDType::F32, 0);
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
    return 0;
}

int main(int argc, char** argv) { return runProgram("inst3d_recall_toy", argc, argv, runToy); }
