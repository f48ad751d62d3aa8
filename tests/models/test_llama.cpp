// The LLaMA runtime (models/llm) against transformers itself: tiny random LlamaForCausalLM checkpoints
// saved by transformers 4.39.3 with its logits, hidden states and greedy ids (tests/data/hf/, from
// tools/oracles/make_hf_goldens.py), and against tools/llama_reference.py's goldens (tests/data/llm/). Plus self-consistency: KV-cache
// decoding == full forward, GQA == MHA with repeated kv heads, inputs_embeds == ids, shards == one file.
#include <torch/torch.h>

#include <QtTest>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "models/llm/llama_config.h"
#include "models/llm/llama_model.h"
#include "models/weights/torch_weights.h"
#include "support/torch_test_support.h"

using namespace inst3d;

namespace {
const std::string kData = INST3D_TEST_DATA_DIR "/llm/";

}  // namespace

class LlamaTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::string tmp(const std::string& name) { return test::makeSubdir(dir_, name); }

    void checkGolden(const std::string& name, const std::string& root = kData) {
        auto model = LlamaModel::load(root + name);
        nlohmann::json g = nlohmann::json::parse(readTextFile(root + name + "/golden.json"));
        std::vector<int64_t> ids = g["input_ids"].get<std::vector<int64_t>>();
        std::vector<torch::Tensor> hidden;
        torch::Tensor logits = model->forward(torch::tensor(ids).unsqueeze(0), 0, &hidden);  // [1, T, V]
        double d = test::maxDiff(logits[0], test::jsonTensor(g["logits"]));
        qInfo("%s: max |logits - reference| = %.3g", name.c_str(), d);
        QVERIFY2(d < 1e-4, qPrintable(QString::number(d)));
        QCOMPARE(hidden.size(), g["hidden_states"].size());
        for (size_t i = 0; i < hidden.size(); ++i)
            QVERIFY2(test::maxDiff(hidden[i][0], test::jsonTensor(g["hidden_states"][i])) < 1e-4, qPrintable(QString::number(i)));
        std::vector<int64_t> greedy = model->generateGreedy(ids, g.value("max_new_tokens", 8));
        QCOMPARE(greedy, g["greedy_new_ids"].get<std::vector<int64_t>>());
    }

    void checkTransformersGolden(const std::string& name) {
        const std::string root = INST3D_TEST_DATA_DIR "/hf/";
        QVERIFY2(fileExists(root + name + "/golden.json"),
                 "transformers goldens missing: regenerate with tools/oracles/make_hf_goldens.py (docs/building.md)");
        checkGolden(name, root);
    }

private Q_SLOTS:
    void configBothRopeForms() {
        LlamaConfig a = LlamaConfig::load(kData + "tiny-llama-mha/config.json");
        QCOMPARE(a.ropeTheta, 10000.0);
        QCOMPARE(a.numKvHeads, 4);
        QCOMPARE(a.headDim, 8);
        LlamaConfig b = LlamaConfig::load(kData + "tiny-llama-gqa/config.json");
        QCOMPARE(b.ropeTheta, 500000.0);
        QCOMPARE(b.numKvHeads, 2);
        QCOMPARE(b.rmsNormEps, 1e-5);
        LlamaConfig c = LlamaConfig::fromJson(a.toJson(), "x");
        QCOMPARE(c.hiddenSize, a.hiddenSize);
        QCOMPARE(c.intermediateSize, a.intermediateSize);
        try {
            LlamaConfig::fromJson(R"({"vocab_size":8,"hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,
                "num_attention_heads":2,"rope_parameters":{"rope_type":"yarn","rope_theta":1}})", "cfg.json");
            QFAIL("yarn accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("cfg.json") && QString(e.what()).contains("yarn"), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(Error, LlamaConfig::fromJson(R"({"hidden_size":8})", "cfg.json"));
        QVERIFY_THROWS_EXCEPTION(Error, LlamaConfig::fromJson(R"({"vocab_size":8,"hidden_size":8,"intermediate_size":8,
            "num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":3})", "cfg.json"));
    }

    void mhaMatchesReference() { checkGolden("tiny-llama-mha"); }
    void gqaMatchesReference() { checkGolden("tiny-llama-gqa"); }

    // transformers 4.39.3's own LlamaForCausalLM outputs (tools/oracles/make_hf_goldens.py, tests/data/hf/).
    void hfMhaMatchesTransformers() { checkTransformersGolden("llama-mha"); }
    void hfGqaMatchesTransformers() { checkTransformersGolden("llama-gqa"); }

    void kvCacheEqualsFullForward() {
        for (std::string name : {"tiny-llama-mha", "tiny-llama-gqa"}) {
            auto model = LlamaModel::load(kData + name);
            torch::Tensor ids = torch::tensor({1, 5, 9, 33, 70, 2, 14, 95, 40}, torch::kInt64).unsqueeze(0);  // [1, 9]
            torch::Tensor full = model->forward(ids, 0);                                                   // [1, 9, V]
            model->allocateCache(1, 16);
            std::vector<torch::Tensor> parts = {model->forward(ids.slice(1, 0, 4), 0)};  // a 4-token prefill
            for (int64_t t = 4; t < 9; ++t) parts.push_back(model->forward(ids.slice(1, t, t + 1), t));
            double d = test::maxDiff(torch::cat(parts, 1), full);
            QVERIFY2(d < 1e-5, qPrintable(QString::fromStdString(name) + " " + QString::number(d)));
        }
    }

    void batchAndInputsEmbeds() {
        auto model = LlamaModel::load(kData + "tiny-llama-gqa");
        torch::Tensor ids = torch::tensor({{1, 5, 9, 33}, {1, 60, 2, 7}}, torch::kInt64);  // [2, 4]
        torch::Tensor batched = model->forward(ids, 0);
        torch::Tensor viaEmbeds = model->forwardEmbeds(model->embed(ids), 0);
        QVERIFY(test::maxDiff(batched, viaEmbeds) == 0);
        torch::Tensor second = model->forward(ids.slice(0, 1, 2), 0);
        QVERIFY(test::maxDiff(batched.slice(0, 1, 2), second) < 1e-5);
        // Spliced embeddings (what object tokens do): a foreign vector changes only later positions.
        torch::Tensor e = model->embed(ids.slice(0, 0, 1)).clone();  // [1, 4, D]
        e.index_put_({0, 2}, torch::randn({model->config().hiddenSize}));
        torch::Tensor spliced = model->forwardEmbeds(e, 0);
        QVERIFY(test::maxDiff(spliced.slice(1, 0, 2), batched.slice(0, 0, 1).slice(1, 0, 2)) < 1e-5);
        QVERIFY(test::maxDiff(spliced.slice(1, 2, 4), batched.slice(0, 0, 1).slice(1, 2, 4)) > 1e-3);
    }

    void gqaEqualsMhaWithRepeatedKvHeads() {
        // The GQA fixture rewritten as MHA: kv head j copied to query heads 2j and 2j+1.
        std::string d = tmp("gqa-as-mha");
        LlamaConfig cfg = LlamaConfig::load(kData + "tiny-llama-gqa/config.json");
        test::Tensors tensors = test::readAllTensors(kData + "tiny-llama-gqa/model.safetensors");
        for (auto& [name, t] : tensors)
            if (name.find("k_proj") != std::string::npos || name.find("v_proj") != std::string::npos)
                t = t.view({cfg.numKvHeads, cfg.headDim, -1}).repeat_interleave(cfg.numHeads / cfg.numKvHeads, 0)
                        .reshape({cfg.numHeads * cfg.headDim, -1}).contiguous();
        const int kv = cfg.numKvHeads;
        cfg.numKvHeads = cfg.numHeads;
        writeFileAtomic(d + "/config.json", cfg.toJson());
        saveTensors(d + "/model.safetensors", tensors);
        torch::Tensor ids = torch::tensor({1, 17, 42, 5, 63}, torch::kInt64).unsqueeze(0);
        auto gqa = LlamaModel::load(kData + "tiny-llama-gqa");
        auto mha = LlamaModel::load(d);
        QCOMPARE(gqa->config().numKvHeads, kv);
        QVERIFY(test::maxDiff(gqa->forward(ids, 0), mha->forward(ids, 0)) < 1e-5);
    }

    void shardsAndHalfPrecision() {
        std::string d = tmp("sharded");
        test::Tensors tensors = test::readAllTensors(kData + "tiny-llama-mha/model.safetensors");
        test::Tensors a(tensors.begin(), tensors.begin() + tensors.size() / 2), b(tensors.begin() + tensors.size() / 2, tensors.end());
        for (auto& [n, t] : b) t = t.to(torch::kFloat16);  // the second shard in fp16, as hub files are
        saveTensors(d + "/model-00001-of-00002.safetensors", a);
        saveTensors(d + "/model-00002-of-00002.safetensors", b);
        nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
        for (auto& [n, t] : a) index["weight_map"][n] = "model-00001-of-00002.safetensors";
        for (auto& [n, t] : b) index["weight_map"][n] = "model-00002-of-00002.safetensors";
        writeFileAtomic(d + "/model.safetensors.index.json", index.dump());
        writeFileAtomic(d + "/config.json", readTextFile(kData + "tiny-llama-mha/config.json"));
        torch::Tensor ids = torch::tensor({1, 17, 42, 5, 63}, torch::kInt64).unsqueeze(0);
        torch::Tensor ref = LlamaModel::load(kData + "tiny-llama-mha")->forward(ids, 0);
        QVERIFY(test::maxDiff(LlamaModel::load(d)->forward(ids, 0), ref) < 5e-2);  // fp16 rounding of half the weights
        // bf16 compute: close to fp32, same greedy tokens on this model.
        torch::Tensor bf = LlamaModel::load(kData + "tiny-llama-mha", LlmDType::BF16)->forward(ids, 0);
        QCOMPARE(bf.scalar_type(), torch::kFloat32);
        QVERIFY2(test::maxDiff(bf, ref) < 0.25, qPrintable(QString::number(test::maxDiff(bf, ref))));
        QVERIFY(torch::equal(bf.argmax(-1), ref.argmax(-1)));

        // A tensor missing from the index and from its shard; a misshapen tensor.
        index["weight_map"].erase("model.norm.weight");
        writeFileAtomic(d + "/model.safetensors.index.json", index.dump());
        try {
            LlamaModel::load(d);
            QFAIL("missing tensor accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("model.safetensors.index.json") && QString(e.what()).contains("model.norm.weight"), e.what());
        }
        std::string e2 = tmp("misshapen");
        writeFileAtomic(e2 + "/config.json", readTextFile(kData + "tiny-llama-mha/config.json"));
        for (auto& [n, t] : tensors)
            if (n == "model.layers.1.mlp.up_proj.weight") t = t.t().contiguous();
        saveTensors(e2 + "/model.safetensors", tensors);
        try {
            LlamaModel::load(e2);
            QFAIL("misshapen tensor accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("model.safetensors") && QString(e.what()).contains("model.layers.1.mlp.up_proj.weight") &&
                         QString(e.what()).contains("[32, 88], expected [88, 32]"), e.what());
        }
    }

    void greedyStreamsAndCancels() {
        auto model = LlamaModel::load(kData + "tiny-llama-mha");
        std::vector<int64_t> seen;
        auto out = model->generateGreedy({1, 17, 42}, 6, [&](int64_t t) { seen.push_back(t); return seen.size() < 3; });
        QCOMPARE(out.size(), size_t(3));
        QCOMPARE(out, seen);
    }
};

QTEST_GUILESS_MAIN(LlamaTest)
#include "test_llama.moc"
