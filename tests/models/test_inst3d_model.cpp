// The Inst3D-LMM model (models/inst3d, docs/model.md) against its independent PyTorch reference
// (tools/oracles/inst3d_reference.py: torch.nn's own MultiheadAttention / TransformerEncoderLayer /
// LayerNorm, transformers' LlamaForCausalLM and peft; goldens in tests/data/inst3d/tiny/): every MCMF and
// 3D-ISR output, the three spatial fusions, both token layouts, the spliced LLM input, the logits of the
// LoRA LLM on it and the answer-only loss, at 1e-4 in fp32. Plus: a padded batch gives each scene's
// unpadded numbers, invalid objects never matter, bad checkpoints and configs are refused by name.
#include <torch/torch.h>

#include <QtTest>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "models/inst3d/inst3d_config.h"
#include "models/inst3d/inst3d_model.h"
#include "models/inst3d/sequence.h"
#include "models/llm/llama_model.h"
#include "models/llm/lora.h"
#include "models/weights/torch_weights.h"
#include "support/test_support.h"
#include "support/torch_test_support.h"
#include "training/lm_trainer.h"

using namespace inst3d;

namespace {

const std::string kDir = INST3D_TEST_DATA_DIR "/inst3d/tiny/";
const std::string kLlm = INST3D_TEST_DATA_DIR "/hf/llama-mha";
constexpr double kTol = 1e-4;

std::vector<int64_t> ints(const nlohmann::json& j) { return j.get<std::vector<int64_t>>(); }

struct Scene {
    torch::Tensor uni3d, clip, centers, valid;  // [1, N, ...]
    std::vector<int64_t> validIds;
};

Scene sceneOf(const nlohmann::json& s) {
    Scene out;
    out.uni3d = test::jsonTensor(s["uni3d"]).unsqueeze(0);
    out.clip = test::jsonTensor(s["clip"]).unsqueeze(0);
    out.centers = test::jsonTensor(s["centers"]).unsqueeze(0);
    std::vector<int64_t> v;
    for (bool b : s["valid"]) v.push_back(b ? 1 : 0);
    out.valid = torch::tensor(v).to(torch::kBool).unsqueeze(0);
    out.validIds = ints(s["valid_ids"]);
    return out;
}

// Rows of the valid objects of scene b: [Nv, D].
torch::Tensor validRows(const torch::Tensor& t, int64_t b, const std::vector<int64_t>& ids) {
    return t[b].index_select(0, torch::tensor(ids, torch::kInt64));
}

void expectClose(const torch::Tensor& got, const nlohmann::json& want, const QString& what) {
    torch::Tensor w = test::jsonTensor(want);
    QVERIFY2(got.sizes() == w.sizes(), qPrintable(what + ": shape"));
    const double d = test::maxDiff(got, w);
    QVERIFY2(d < kTol, qPrintable(what + QString(": max diff %1").arg(d)));
}

}  // namespace

class Inst3dModelTest : public QObject {
    Q_OBJECT

    nlohmann::json g_;
    Inst3dConfig cfg_;
    std::unique_ptr<Inst3dModel> model_;
    std::unique_ptr<LlamaModel> llm_;

    torch::Tensor idEmbeds() {
        const int64_t base = g_["obj_token_base"];
        return llm_->embed(torch::arange(base, base + cfg_.identifierTokens, torch::kInt64).unsqueeze(0))[0];
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(fileExists(kDir + "golden.json"), "goldens missing: tools/oracles/inst3d_reference.py (docs/building.md)");
        g_ = nlohmann::json::parse(readTextFile(kDir + "golden.json"));
        cfg_ = Inst3dConfig::named("tiny");
        model_ = Inst3dModel::load(kDir + "inst3d.safetensors", cfg_);
        llm_ = LlamaModel::load(kLlm);
        llm_->resizeTokenEmbeddings(g_["vocab"].get<int64_t>());
        loadLoraAdapter(*llm_, kDir + "adapter");
    }

    void configMatchesReference() {
        const nlohmann::json& c = g_["config"];
        QCOMPARE(cfg_.dim3d, c["dim_3d"].get<int>());
        QCOMPARE(cfg_.dimScene, c["dim_scene"].get<int>());
        QCOMPARE(cfg_.relationLayers, c["relation_layers"].get<int>());
        QCOMPARE(std::string(spatialFusionName(cfg_.spatialFusion)), c["spatial_fusion"].get<std::string>());
        QCOMPARE(inst3dLayout(cfg_).size(), g_["parameters"].size());
        for (const WeightSpec& s : inst3dLayout(cfg_))
            QVERIFY2(g_["parameters"].contains(s.name) && ints(g_["parameters"][s.name]) == s.shape, s.name.c_str());
    }

    void encoderMatchesReference() {
        torch::NoGradGuard noGrad;
        for (const auto& s : g_["scenes"]) {
            const Scene sc = sceneOf(s);
            ObjectTokens t = model_->encode(sc.uni3d, sc.clip, sc.centers, sc.valid);
            const QString name = QString::fromStdString(s["name"].get<std::string>());
            expectClose(validRows(t.f3s(), 0, sc.validIds), s["f3s"], name + " f3s (MCMF 3D self-attention)");
            expectClose(validRows(t.f2s(), 0, sc.validIds), s["f2s"], name + " f2s (2D attention, global token)");
            expectClose(validRows(t.fused(), 0, sc.validIds), s["fused"], name + " fused (MCMF cross-attention)");
            expectClose(validRows(t.tok3d(), 0, sc.validIds), s["tok3d"], name + " tok3d (object_proj)");
            expectClose(validRows(t.tokScene(), 0, sc.validIds), s["tokscene"], name + " tokscene (3D-ISR)");
        }
    }

    void spatialFusionsMatchReference() {
        torch::NoGradGuard noGrad;
        for (auto [mode, fusion] : {std::pair{"mul", SpatialFusion::Mul}, {"bias", SpatialFusion::Bias}, {"add", SpatialFusion::Add}}) {
            Inst3dConfig c = cfg_;
            c.spatialFusion = fusion;
            auto m = Inst3dModel::load(kDir + "inst3d.safetensors", c);
            for (const auto& s : g_["scenes"]) {
                const Scene sc = sceneOf(s);
                expectClose(validRows(m->encode(sc.uni3d, sc.clip, sc.centers, sc.valid).tokScene(), 0, sc.validIds),
                            s["tokscene_fusion"][mode], QString("tokscene, fusion ") + mode);
            }
        }
    }

    // mcmf_residual adds the (normalised) inputs back to the two self-attention outputs, nothing else.
    void mcmfResidualAddsTheInputBack() {
        torch::NoGradGuard noGrad;
        Inst3dConfig c = cfg_;
        c.mcmfResidual = true;
        auto m = Inst3dModel::load(kDir + "inst3d.safetensors", c);
        const auto& s = g_["scenes"][0];
        const Scene sc = sceneOf(s);
        ObjectTokens t = m->encode(sc.uni3d, sc.clip, sc.centers, sc.valid);
        auto unit = [](const torch::Tensor& x) { return x / x.norm(2, -1, true); };
        expectClose(validRows(t.f3s() - unit(sc.uni3d), 0, sc.validIds), s["f3s"], "f3s - f3");
        expectClose(validRows(t.f2s() - unit(sc.clip), 0, sc.validIds), s["f2s"], "f2s - f2");
        QVERIFY(test::maxDiff(validRows(t.tok3d(), 0, sc.validIds), test::jsonTensor(s["tok3d"])) > 1e-3);
        QVERIFY(Inst3dConfig::fromYaml("mcmf_residual: true\n", "m.yaml").mcmfResidual);
    }

    // view_fusion: views (tools/oracles/inst3d_reference.py --views): MCMF's 2D attention over each object's
    // crops, some views missing and one object without any, equals the reference to 1e-4; junk in the
    // missing crops changes nothing; the mean path gives other numbers; no crops is an error.
    void perViewFusionMatchesReference() {
        torch::NoGradGuard noGrad;
        const nlohmann::json gv = nlohmann::json::parse(readTextFile(kDir + "golden_views.json"));
        const nlohmann::json& s = gv["scene"];
        Inst3dConfig c = cfg_;
        c.viewFusion = ViewFusion::Views;
        auto m = Inst3dModel::load(kDir + "inst3d.safetensors", c);
        const Scene sc = sceneOf(s);
        torch::Tensor crops = test::jsonTensor(s["crops"]).unsqueeze(0);                        // [1, N, C, D2]
        std::vector<int64_t> cv;
        for (const auto& row : s["crop_valid"])
            for (bool b : row) cv.push_back(b ? 1 : 0);
        torch::Tensor cropValid = torch::tensor(cv).to(torch::kBool).view({1, crops.size(1), crops.size(2)});
        ObjectTokens t = m->encode(sc.uni3d, sc.clip, sc.centers, sc.valid, crops, cropValid);
        expectClose(validRows(t.f2s(), 0, sc.validIds), s["f2s"], "views f2s (2D attention over crops)");
        expectClose(validRows(t.fused(), 0, sc.validIds), s["fused"], "views fused");
        expectClose(validRows(t.tokScene(), 0, sc.validIds), s["tokscene"], "views tokscene");
        torch::Tensor junk = crops.masked_fill(cropValid.logical_not().unsqueeze(-1), 5.0);
        expectClose(validRows(m->encode(sc.uni3d, sc.clip, sc.centers, sc.valid, junk, cropValid).fused(), 0, sc.validIds),
                    s["fused"], "views fused, junk in the missing crops");
        QVERIFY(test::maxDiff(validRows(model_->encode(sc.uni3d, sc.clip, sc.centers, sc.valid).f2s(), 0, sc.validIds),
                              test::jsonTensor(s["f2s"])) > 1e-2);
        QVERIFY_THROWS_EXCEPTION(Error, m->encode(sc.uni3d, sc.clip, sc.centers, sc.valid));
        QVERIFY(Inst3dConfig::fromYaml("view_fusion: views\n", "m.yaml").viewFusion == ViewFusion::Views);
        QVERIFY_THROWS_EXCEPTION(Error, Inst3dConfig::fromYaml("view_fusion: max\n", "m.yaml"));
    }

    // Both scenes in one batch padded to 7 slots: each scene's tokens equal its unpadded ones, so the
    // padding (and the filtered wall / floor lamp) never reach a valid object's numbers.
    void paddedBatchEqualsSingleScenes() {
        torch::NoGradGuard noGrad;
        const Scene a = sceneOf(g_["scenes"][0]), b = sceneOf(g_["scenes"][1]);
        const int64_t N = std::max(a.uni3d.size(1), b.uni3d.size(1));
        auto pad = [&](const torch::Tensor& t) {
            std::vector<int64_t> shape = t.sizes().vec();
            shape[1] = N - t.size(1);
            return torch::cat({t, torch::full(shape, 7.0).to(t.dtype())}, 1);  // junk in the padding
        };
        auto padMask = [&](const torch::Tensor& v) { return torch::cat({v, torch::zeros({1, N - v.size(1)}, torch::kBool)}, 1); };
        ObjectTokens t = model_->encode(torch::cat({pad(a.uni3d), pad(b.uni3d)}), torch::cat({pad(a.clip), pad(b.clip)}),
                                        torch::cat({pad(a.centers), pad(b.centers)}), torch::cat({padMask(a.valid), padMask(b.valid)}));
        int64_t i = 0;
        for (const auto& s : g_["scenes"]) {
            const Scene sc = i == 0 ? a : b;
            expectClose(validRows(t.tokScene(), i, sc.validIds), s["tokscene"], "padded tokscene");
            expectClose(validRows(t.fused(), i, sc.validIds), s["fused"], "padded fused");
            ++i;
        }
    }

    void tokenLayoutsMatchReference() {
        torch::NoGradGuard noGrad;
        for (const auto& s : g_["scenes"]) {
            const Scene sc = sceneOf(s);
            ObjectTokens t = model_->encode(sc.uni3d, sc.clip, sc.centers, sc.valid);
            const std::vector<int64_t> order = ints(s["object_tokens"]["order"]);
            auto inter = model_->objectSegments(t, 0, order, idEmbeds(), TokenLayout::Interleaved);
            QCOMPARE(inter.size(), size_t(1));
            expectClose(inter[0], s["object_tokens"]["interleaved"], "interleaved layout");
            auto twoSlots = model_->objectSegments(t, 0, order, idEmbeds(), TokenLayout::Slots);
            QCOMPARE(twoSlots.size(), size_t(2));
            expectClose(twoSlots[0], s["object_tokens"]["slot1"], "slot 1");
            expectClose(twoSlots[1], s["object_tokens"]["slot2"], "slot 2");
        }
    }

    // fuse_with_id (Chat-Scene's flag): the reference's interleaved rows [E(<OBJ j>), tok3d, tokscene, fused]
    // become [E + tok3d, E + tokscene, E + fused], 3 rows per object; the slots likewise.
    void fuseWithIdAddsTheIdentifierToEachToken() {
        torch::NoGradGuard noGrad;
        Inst3dConfig c = cfg_;
        c.fuseWithId = true;
        auto m = Inst3dModel::load(kDir + "inst3d.safetensors", c);
        const auto& s = g_["scenes"][0];
        const Scene sc = sceneOf(s);
        const std::vector<int64_t> order = ints(s["object_tokens"]["order"]);
        const auto fused = m->objectSegments(m->encode(sc.uni3d, sc.clip, sc.centers, sc.valid), 0, order, idEmbeds(),
                                             TokenLayout::Interleaved);
        const torch::Tensor ref = test::jsonTensor(s["object_tokens"]["interleaved"]).view({int64_t(order.size()), 4, -1});
        const torch::Tensor want = ref.narrow(1, 1, 3) + ref.narrow(1, 0, 1);                    // [n, 3, dim_llm]
        QCOMPARE(fused[0].size(0), int64_t(order.size()) * 3);
        QVERIFY2(test::maxDiff(fused[0].view({int64_t(order.size()), 3, -1}), want) < kTol, "E(<OBJ j>) + each token");
        const auto slotSegs = m->objectSegments(m->encode(sc.uni3d, sc.clip, sc.centers, sc.valid), 0, order, idEmbeds(), TokenLayout::Slots);
        QCOMPARE(slotSegs[0].size(0), int64_t(order.size()) * 2);
        QCOMPARE(slotSegs[1].size(0), int64_t(order.size()));
        QVERIFY(Inst3dConfig::fromYaml("fuse_with_id: true\n", "m.yaml").fuseWithId);
        QVERIFY(!Inst3dConfig::named("tiny").fuseWithId);
    }

    // token_norm: rms. Against the reference's interleaved rows: each object token keeps its direction and
    // takes the identifier rows' RMS; the identifier rows themselves are unchanged; a zero (--blind) token stays zero.
    void tokenNormScalesTokensToTheIdentifierRms() {
        torch::NoGradGuard noGrad;
        Inst3dConfig c = cfg_;
        c.tokenRmsNorm = true;
        auto m = Inst3dModel::load(kDir + "inst3d.safetensors", c);
        const auto& s = g_["scenes"][0];
        const Scene sc = sceneOf(s);
        const std::vector<int64_t> order = ints(s["object_tokens"]["order"]);
        const int64_t n = int64_t(order.size());
        ObjectTokens tok = m->encode(sc.uni3d, sc.clip, sc.centers, sc.valid);
        const torch::Tensor got = m->objectSegments(tok, 0, order, idEmbeds(), TokenLayout::Interleaved)[0].view({n, 4, -1});
        const torch::Tensor ref = test::jsonTensor(s["object_tokens"]["interleaved"]).view({n, 4, -1});
        const torch::Tensor target = idEmbeds().pow(2).mean().sqrt();
        const torch::Tensor refTokens = ref.narrow(1, 1, 3);                                     // [n, 3, dim_llm]
        const torch::Tensor want = refTokens / refTokens.pow(2).mean(-1, true).sqrt() * target;
        QVERIFY2(test::maxDiff(got.narrow(1, 1, 3), want) < kTol, "tokens scaled to the identifier RMS");
        QVERIFY2(test::maxDiff(got.narrow(1, 0, 1), ref.narrow(1, 0, 1)) < kTol, "identifier rows unchanged");
        QVERIFY(test::maxDiff(got.narrow(1, 1, 3), refTokens) > 100 * kTol);                    // the scaling did something
        for (torch::Tensor& p : tok.parts) p = torch::zeros_like(p);
        const torch::Tensor blind = m->objectSegments(tok, 0, order, idEmbeds(), TokenLayout::Interleaved)[0].view({n, 4, -1});
        QCOMPARE(blind.narrow(1, 1, 3).abs().max().item<double>(), 0.0);
        QVERIFY(Inst3dConfig::fromYaml("token_norm: rms\n", "m.yaml").tokenRmsNorm);
        QVERIFY(Inst3dConfig::fromYaml(Inst3dConfig::fromYaml("token_norm: rms\n", "m.yaml").toYaml(), "m.yaml").tokenRmsNorm);
        QVERIFY(!Inst3dConfig::named("tiny").tokenRmsNorm);
        QVERIFY_THROWS_EXCEPTION(inst3d::Error, Inst3dConfig::fromYaml("token_norm: layer\n", "m.yaml"));
    }

    // A packed conversation: the first turn's sequence unchanged, then each follow-up question unsupervised
    // and its answer supervised, in order.
    void packedTurnsAreAppendedAndSupervised() {
        torch::NoGradGuard noGrad;
        const auto& s = g_["scenes"][0];
        const Scene sc = sceneOf(s);
        const auto& smp = s["samples"]["interleaved"];
        SequenceParts parts;
        parts.text = {ints(smp["p0"]), ints(smp["p1"])};
        parts.question = ints(smp["question"]);
        parts.answer = ints(smp["answer"]);
        const auto segments = model_->objectSegments(model_->encode(sc.uni3d, sc.clip, sc.centers, sc.valid), 0,
                                                     ints(smp["object_order"]), idEmbeds(), TokenLayout::Interleaved);
        const EmbeddedSequence one = embedSequence(*llm_, parts, segments);
        parts.turns = {{{5, 6, 7}, {8, 2}}, {{9}, {10, 11, 2}}};
        const EmbeddedSequence packed = embedSequence(*llm_, parts, segments);
        const int64_t T = one.embeds().size(0);
        QCOMPARE(packed.embeds().size(0), T + 3 + 2 + 1 + 3);
        QCOMPARE(test::maxDiff(packed.embeds().narrow(0, 0, T), one.embeds()), 0.0);
        QVERIFY(packed.labels().narrow(0, 0, T).equal(one.labels()));
        const std::vector<int64_t> tail(packed.labels().data_ptr<int64_t>() + T, packed.labels().data_ptr<int64_t>() + T + 9);
        QCOMPARE(tail, (std::vector<int64_t>{-100, -100, -100, 8, 2, -100, 10, 11, 2}));
        const torch::Tensor want = llm_->embed(torch::tensor({5, 6, 7, 8, 2, 9, 10, 11, 2}, torch::kInt64).unsqueeze(0))[0];
        QVERIFY(test::maxDiff(packed.embeds().narrow(0, T, 9), want) < kTol);
    }

    // The whole training sample: spliced embeddings, labels, the LoRA LLM's logits and HF's loss.
    void sequenceLogitsAndLossMatchReference() {
        torch::NoGradGuard noGrad;
        for (const auto& s : g_["scenes"]) {
            const Scene sc = sceneOf(s);
            ObjectTokens t = model_->encode(sc.uni3d, sc.clip, sc.centers, sc.valid);
            for (const auto& [layoutName, smp] : s["samples"].items()) {
                const TokenLayout layout = layoutName == "slots" ? TokenLayout::Slots : TokenLayout::Interleaved;
                SequenceParts parts;
                parts.text = {ints(smp["p0"])};
                if (layout == TokenLayout::Slots) parts.text.push_back(ints(smp["p_mid"]));
                parts.text.push_back(ints(smp["p1"]));
                parts.question = ints(smp["question"]);
                parts.answer = ints(smp["answer"]);
                EmbeddedSequence seq = embedSequence(*llm_, parts, model_->objectSegments(t, 0, ints(smp["object_order"]), idEmbeds(), layout));
                const QString what = QString::fromStdString(s["name"].get<std::string>() + " " + layoutName);
                expectClose(seq.embeds(), smp["inputs_embeds"], what + " inputs_embeds");
                QCOMPARE(ints(smp["labels"]), std::vector<int64_t>(seq.labels().data_ptr<int64_t>(),
                                                                   seq.labels().data_ptr<int64_t>() + seq.labels().numel()));
                torch::Tensor logits = llm_->forwardTrainEmbeds(seq.embeds().unsqueeze(0), nullptr, false);  // [1, T, V]
                expectClose(logits[0], smp["logits"], what + " logits");
                const double loss = causalLmLoss(logits, seq.labels().unsqueeze(0)).item<double>();
                QVERIFY2(std::abs(loss - smp["loss"].get<double>()) < kTol, qPrintable(what + QString(" loss %1").arg(loss)));
            }
        }
    }

    void badInputIsRefusedByName() {
        // A checkpoint of another configuration.
        Inst3dConfig wide = cfg_;
        wide.dimScene = 32;
        const std::string wrong = test::errorOf([&] { Inst3dModel::load(kDir + "inst3d.safetensors", wide); });
        QVERIFY2(wrong.find("inst3d.safetensors") != std::string::npos && wrong.find("expected [32, 32]") != std::string::npos,
                 wrong.c_str());
        // Unknown keys, bad values and heads that do not divide are named.
        QVERIFY(test::errorOf([] { Inst3dConfig::fromYaml("dim_3d: 32\nwidth: 3\n", "m.yaml"); }).find("m.yaml: unknown key 'width'") == 0);
        QVERIFY(test::errorOf([] { Inst3dConfig::fromYaml("spatial_fusion: cond\n", "m.yaml"); }).find("'spatial_fusion' is 'cond'") != std::string::npos);
        QVERIFY(test::errorOf([] { Inst3dConfig::fromYaml("dim_3d: 30\n", "m.yaml"); }).find("mcmf_heads") != std::string::npos);
        QVERIFY(test::errorOf([] { Inst3dConfig::named("nope"); }).find("no model configuration named 'nope'") != std::string::npos);
        // A scene without a valid object, and an order naming a slot the scene does not have.
        const Scene sc = sceneOf(g_["scenes"][0]);
        QVERIFY(test::errorOf([&] { model_->encode(sc.uni3d, sc.clip, sc.centers, torch::zeros_like(sc.valid)); }).find("no valid object") !=
                std::string::npos);
        ObjectTokens t = model_->encode(sc.uni3d, sc.clip, sc.centers, sc.valid);
        QVERIFY(test::errorOf([&] { model_->objectSegments(t, 0, {0, 9}, idEmbeds(), TokenLayout::Interleaved); }).find("rank 9") !=
                std::string::npos);
    }

    void randomSaveLoadRoundTrip() {
        QTemporaryDir dir;
        auto m = Inst3dModel::random(cfg_, 3);
        const std::string path = dir.filePath("m.safetensors").toStdString();
        m->save(path);
        auto back = Inst3dModel::load(path, cfg_);
        for (const auto& [name, tensor] : m->weights().items()) QVERIFY2(torch::equal(tensor, back->weights()[name]), name.c_str());
        QVERIFY(!torch::equal(m->weights()["object_proj.0.weight"], Inst3dModel::random(cfg_, 4)->weights()["object_proj.0.weight"]));
    }
};

QTEST_GUILESS_MAIN(Inst3dModelTest)
#include "test_inst3d_model.moc"
