// LoRA (models/llm/lora) and the training forward: a PEFT-layout adapter written by an independent script
// (tools/lora_reference.py, plain PyTorch) loads and gives the reference's logits; merging equals the
// un-merged model; save -> load round-trips; forwardTrain equals the cached forward, handles right padding,
// and LoRA gradients reach A and B only.
#include <torch/torch.h>

#include <QtTest>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "models/llm/llama_model.h"
#include "models/llm/lora.h"
#include "models/weights/torch_weights.h"
#include "support/test_support.h"
#include "support/torch_test_support.h"

using namespace inst3d;

namespace {
const std::string kData = INST3D_TEST_DATA_DIR "/llm/";


// Random non-zero B so that the adapter changes the logits (B starts at zero).
void randomiseB(LlamaModel& m) {
    torch::NoGradGuard g;
    torch::manual_seed(3);
    for (auto& [name, t] : m.adapterTensors())
        if (name.find("lora_B") != std::string::npos) t.copy_(torch::randn(t.sizes()) * 0.1);
}

const torch::Tensor kIds = torch::tensor({1, 17, 42, 5, 63, 88, 9, 30}, torch::kInt64).unsqueeze(0);  // [1, 8]
}  // namespace

class LoraTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::string tmp(const std::string& name) { return dir_.filePath(QString::fromStdString(name)).toStdString(); }

private Q_SLOTS:
    // An adapter made and saved by peft 0.9 itself over transformers' llama-mha gives peft's logits
    // (tools/oracles/make_hf_goldens.py, tests/data/hf/llama-mha-peft).
    void peftAdapterMatchesPeft() {
        const std::string hf = INST3D_TEST_DATA_DIR "/hf/";
        QVERIFY2(fileExists(hf + "llama-mha-peft/golden.json"),
                 "peft goldens missing: regenerate with tools/oracles/make_hf_goldens.py (docs/building.md)");
        auto model = LlamaModel::load(hf + "llama-mha");
        nlohmann::json g = nlohmann::json::parse(readTextFile(hf + "llama-mha-peft/golden.json"));
        torch::Tensor ids = torch::tensor(g["input_ids"].get<std::vector<int64_t>>()).unsqueeze(0);  // [1, T]
        torch::Tensor base = model->forward(ids, 0)[0];
        loadLoraAdapter(*model, hf + "llama-mha-peft");
        QCOMPARE(model->loraConfig()->r, 4);
        QCOMPARE(model->adapterTensors().size(), size_t(2 * 5 * 2));  // 2 layers x 5 targets x {A, B}
        torch::Tensor ref = test::jsonTensor(g["logits"]);
        const double d = test::maxDiff(model->forward(ids, 0)[0], ref);
        qInfo("peft adapter: max |logits - peft| = %.3g (the adapter moves them by %.3g)", d, test::maxDiff(base, ref));
        QVERIFY2(d < 1e-4, qPrintable(QString::number(d)));
        QVERIFY(test::maxDiff(base, ref) > 0.1);
    }

    void peftAdapterMatchesReference() {
        auto model = LlamaModel::load(kData + "tiny-llama-mha");
        torch::Tensor base = model->forward(kIds, 0);
        loadLoraAdapter(*model, kData + "tiny-llama-mha-lora");
        QCOMPARE(model->loraConfig()->r, 4);
        QCOMPARE(model->loraConfig()->scale(), 2.0);
        QCOMPARE(model->adapterTensors().size(), size_t(2 * 5 * 2));  // 2 layers x 5 targets x {A, B}
        nlohmann::json g = nlohmann::json::parse(readTextFile(kData + "tiny-llama-mha-lora/golden.json"));
        QCOMPARE(g["input_ids"].get<std::vector<int64_t>>(), std::vector<int64_t>(kIds[0].data_ptr<int64_t>(),
                                                                                  kIds[0].data_ptr<int64_t>() + 8));
        torch::Tensor ref = test::jsonTensor(g["logits"]);
        torch::Tensor logits = model->forward(kIds, 0)[0];
        double d = test::maxDiff(logits, ref);
        qInfo("adapter: max |logits - reference| = %.3g (adapter moves logits by %.3g)", d, test::maxDiff(base[0], ref));
        QVERIFY2(d < 1e-4, qPrintable(QString::number(d)));
        QVERIFY(test::maxDiff(base[0], ref) > 0.1);
        model->mergeLora();
        QVERIFY(model->loraConfig() == nullptr);
        QVERIFY2(test::maxDiff(model->forward(kIds, 0)[0], ref) < 1e-4, "merged");
    }

    void mergeVerbWritesAPlainFolder() {
        const std::string out = tmp("merged");
        std::string stdout_, stderr_;
        QCOMPARE(test::runInst3d({"lora-merge", "--model", kData + "tiny-llama-mha", "--adapter",
                                  kData + "tiny-llama-mha-lora", "--out", out},
                                 &stdout_, &stderr_),
                 0);
        QVERIFY2(stdout_.find("merged LoRA r=4") != std::string::npos, stdout_.c_str());
        // The merged folder loads as a plain model and gives the reference's adapted logits.
        auto merged = LlamaModel::load(out);
        QVERIFY(merged->loraConfig() == nullptr);
        nlohmann::json g = nlohmann::json::parse(readTextFile(kData + "tiny-llama-mha-lora/golden.json"));
        QVERIFY(test::maxDiff(merged->forward(kIds, 0)[0], test::jsonTensor(g["logits"])) < 1e-4);
        QVERIFY(test::runInst3d({"lora-merge", "--model", kData + "tiny-llama-mha", "--out", out}, &stdout_, &stderr_) == 2);
    }

    void mergeEqualsUnmerged() {
        for (std::string name : {"tiny-llama-mha", "tiny-llama-gqa"}) {
            auto model = LlamaModel::load(kData + name);
            LoraConfig c;
            c.r = 8;
            model->enableLora(c, 7);
            QVERIFY2(test::maxDiff(model->forward(kIds, 0), LlamaModel::load(kData + name)->forward(kIds, 0)) == 0,
                     "B = 0 must leave the model unchanged");
            randomiseB(*model);
            torch::Tensor lora = model->forward(kIds, 0);
            model->mergeLora();
            // fp32 rounding of a different summation order, relative to the logits' scale.
            double d = test::maxDiff(model->forward(kIds, 0), lora), scale = lora.abs().max().item<double>();
            qInfo("%s: max |merged - unmerged| = %.3g (max |logit| %.3g)", name.c_str(), d, scale);
            QVERIFY2(d < 1e-5 * std::max(1.0, scale), qPrintable(QString::number(d)));
        }
        // The checkpoint files are untouched by merging (new tensors, not writes into the mapping).
        auto fresh = LlamaModel::load(kData + "tiny-llama-mha");
        nlohmann::json g = nlohmann::json::parse(readTextFile(kData + "tiny-llama-mha/golden.json"));
        QVERIFY(test::maxDiff(fresh->forward(torch::tensor(g["input_ids"].get<std::vector<int64_t>>()).unsqueeze(0), 0)[0],
                        test::jsonTensor(g["logits"])) < 1e-4);
    }

    void saveLoadRoundTrip() {
        auto model = LlamaModel::load(kData + "tiny-llama-gqa");
        LoraConfig c;
        c.r = 4;
        c.alpha = 16;
        c.targetModules = {"q_proj", "v_proj", "down_proj"};
        c.baseModel = "tiny-llama-gqa";
        model->enableLora(c, 1);
        randomiseB(*model);
        const std::string out = tmp("adapter");
        saveLoraAdapter(*model, out);
        nlohmann::json j = nlohmann::json::parse(readTextFile(out + "/adapter_config.json"));
        QCOMPARE(j["peft_type"].get<std::string>(), std::string("LORA"));
        QCOMPARE(j["task_type"].get<std::string>(), std::string("CAUSAL_LM"));
        QCOMPARE(j["r"].get<int>(), 4);
        QCOMPARE(j["lora_alpha"].get<double>(), 16.0);
        QCOMPARE(j["target_modules"].size(), size_t(3));
        auto f = std::make_shared<SafetensorsFile>(out + "/adapter_model.safetensors");
        torch::Tensor a = loadTensor(f, "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight");
        torch::Tensor b = loadTensor(f, "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight");
        QCOMPARE(a.sizes().vec(), (std::vector<int64_t>{4, model->config().hiddenSize}));
        QCOMPARE(b.sizes().vec(), (std::vector<int64_t>{model->config().hiddenSize, 4}));
        auto again = LlamaModel::load(kData + "tiny-llama-gqa");
        loadLoraAdapter(*again, out);
        QCOMPARE(test::maxDiff(again->forward(kIds, 0), model->forward(kIds, 0)), 0.0);

        // A tensor missing from the file is named in the error.
        auto other = LlamaModel::load(kData + "tiny-llama-gqa");
        LoraConfig wider = c;
        wider.targetModules.push_back("k_proj");
        writeFileAtomic(out + "/adapter_config.json", wider.toJson());
        try {
            loadLoraAdapter(*other, out);
            QFAIL("missing k_proj tensors accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("k_proj.lora_A.weight"), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(Error, LoraConfig::fromJson(R"({"peft_type":"IA3","r":4,"lora_alpha":8})", "x"));
        LoraConfig bad;
        bad.targetModules = {"qkv"};
        QVERIFY_THROWS_EXCEPTION(Error, LlamaModel::load(kData + "tiny-llama-mha")->enableLora(bad));
    }

    void trainForwardMatchesAndPads() {
        auto model = LlamaModel::load(kData + "tiny-llama-gqa");
        LoraConfig c;
        c.r = 4;
        c.dropout = 0.5;
        model->enableLora(c, 2);
        randomiseB(*model);
        torch::Tensor ref = model->forward(kIds, 0);                      // [1, 8, V]
        QVERIFY(test::maxDiff(model->forwardTrain(kIds, nullptr, false).detach(), ref) < 1e-5);
        // Dropout acts only in training mode.
        torch::manual_seed(0);
        QVERIFY(test::maxDiff(model->forwardTrain(kIds, nullptr, true).detach(), ref) > 1e-3);

        // Right padding: the real positions of a padded row equal the unpadded sequence.
        torch::Tensor shortIds = kIds.slice(1, 0, 5);                     // [1, 5]
        torch::Tensor batch = torch::cat({kIds, torch::cat({shortIds, torch::zeros({1, 3}, torch::kInt64)}, 1)});
        torch::Tensor mask = torch::ones({2, 8}, torch::kInt64);
        mask.index_put_({1, torch::indexing::Slice(5, 8)}, 0);
        torch::Tensor padded = model->forwardTrain(batch, &mask, false).detach();  // [2, 8, V]
        QVERIFY(test::maxDiff(padded[0], ref[0]) < 1e-5);
        QVERIFY(test::maxDiff(padded[1].slice(0, 0, 5), model->forward(shortIds, 0)[0]) < 1e-5);

        // Gradients reach LoRA A and B, never the frozen weights.
        torch::Tensor loss = model->forwardTrain(kIds, nullptr, false).logsumexp(-1).sum();
        loss.backward();
        for (auto& [name, t] : model->adapterTensors()) QVERIFY2(t.grad().defined() && t.grad().abs().sum().item<double>() > 0, name.c_str());
        for (auto& [name, t] : model->namedWeights()) QVERIFY2(!t.requires_grad(), name.c_str());
    }
};

QTEST_GUILESS_MAIN(LoraTest)
#include "test_lora.moc"
