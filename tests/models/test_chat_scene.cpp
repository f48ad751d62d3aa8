// Chat-Scene's released checkpoint layout (models/inst3d/chat_scene.h) and its aggregated feature files
// (core/features/chatscene_features.h) against Chat-Scene's own code path at tiny widths
// (tools/oracles/inst3d_reference.py --chat-scene; tests/data/inst3d/chat-scene-tiny/): the .pth with its
// EasyDict config read by the project's own unpickler, both projectors, the 3-token object groups, the
// spliced LLM input, the LoRA LLM's logits and the answer-only loss for the identity (evaluation) and a
// permuted (training) assignment, at 1e-4 in fp32. Plus bad checkpoints refused by file and tensor name.
#include <torch/torch.h>

#include <sentencepiece_trainer.h>

#include <QtTest>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/data/answer_parser.h"
#include "core/features/chatscene_features.h"
#include "core/io/torch_pickle.h"
#include "core/io/torch_save.h"
#include "models/inst3d/chat_scene.h"
#include "models/inst3d/sequence.h"
#include "models/llm/llama_model.h"
#include "support/test_support.h"
#include "support/torch_test_support.h"
#include "training/lm_trainer.h"
#include "training/scene_chat.h"

using namespace inst3d;

namespace {

const std::string kDir = INST3D_TEST_DATA_DIR "/inst3d/chat-scene-tiny/";
const std::string kRoot = INST3D_TEST_DATA_DIR "/../../";  // golden base_llm paths are repository-relative
constexpr double kTol = 1e-4;

std::vector<int64_t> ints(const nlohmann::json& j) { return j.get<std::vector<int64_t>>(); }

double expectClose(const torch::Tensor& got, const nlohmann::json& want, const QString& what) {
    torch::Tensor w = test::jsonTensor(want);
    if (got.sizes() != w.sizes()) {
        QTest::qFail(qPrintable(what + ": shape"), __FILE__, __LINE__);
        return 1e9;
    }
    const double d = test::maxDiff(got.to(torch::kCPU, torch::kFloat32), w);
    qInfo("%s: max diff %.3g", qPrintable(what), d);
    if (d >= kTol) QTest::qFail(qPrintable(what + QString(": max diff %1").arg(d)), __FILE__, __LINE__);
    return d;
}

torch::Tensor rows(const ChatSceneFeatureFile& f, const std::string& scene, int64_t n) {  // [n, D]
    std::vector<float> v = f.sceneRows(scene, n);
    return torch::from_blob(v.data(), {n, f.dim()}, torch::kFloat32).clone();
}

}  // namespace

class ChatSceneTest : public QObject {
    Q_OBJECT

    nlohmann::json g_;
    std::unique_ptr<LlamaModel> llm_;
    std::unique_ptr<ChatSceneModel> model_;
    std::unique_ptr<ChatSceneFeatureFile> f3_, f2_;

    // The checkpoint's base LLM (config + weights) with a SentencePiece vocabulary of exactly `vocab`
    // pieces, as a Vicuna folder holds tokenizer.model beside the weights.
    void makeLlmFolderWithTokenizer(const std::string& dir, int vocab) {
        QDir().mkpath(QString::fromStdString(dir));
        const std::string src = kRoot + g_["base_llm"].get<std::string>() + "/";
        for (const char* f : {"config.json", "model.safetensors"}) QVERIFY(QFile::copy(QString::fromStdString(src + f), QString::fromStdString(dir + "/" + f)));
        std::string corpus;
        for (int i = 0; i < 200; ++i) corpus += "where is the red chair ? the lamp is on the desk near the window . a blue sofa\n";
        writeFileAtomic(dir + "/corpus.txt", corpus);
        auto status = sentencepiece::SentencePieceTrainer::Train(
            "--input=" + dir + "/corpus.txt --model_prefix=" + dir + "/tokenizer --model_type=bpe --vocab_size=" + std::to_string(vocab) +
            " --hard_vocab_limit=true --normalization_rule_name=identity --minloglevel=2");
        QVERIFY2(status.ok(), status.ToString().c_str());
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(fileExists(kDir + "golden.json"), "goldens missing: tools/oracles/inst3d_reference.py --chat-scene");
        g_ = nlohmann::json::parse(readTextFile(kDir + "golden.json"));
        llm_ = LlamaModel::load(kRoot + g_["base_llm"].get<std::string>());
        QCOMPARE(int64_t(llm_->config().vocabSize), g_["base_vocab"].get<int64_t>());
        model_ = ChatSceneModel::load(kDir + "ckpt.pth", *llm_);
        f3_ = std::make_unique<ChatSceneFeatureFile>(kDir + g_["feature_files"]["uni3d"].get<std::string>());
        f2_ = std::make_unique<ChatSceneFeatureFile>(kDir + g_["feature_files"]["2d"].get<std::string>());
    }

    // The EasyDict config (a class the unpickler cannot import) reads as a dict-like object.
    void checkpointAndConfigRead() {
        TorchCheckpoint ck(kDir + "ckpt.pth");
        std::vector<std::string> top;
        for (const auto& [k, v] : ck.root().entries()) top.push_back(k->asString());
        std::sort(top.begin(), top.end());
        QCOMPARE(top, g_["ckpt_top_keys"].get<std::vector<std::string>>());
        const PickleValue& cfg = ck.root().at("config");
        QCOMPARE(cfg.typeName().rfind("utils.easydict.EasyDict", 0), size_t(0));
        QCOMPARE(cfg.at("model").at("max_obj_num").asInt(), g_["ckpt_config"]["model"]["max_obj_num"].get<int64_t>());
        QCOMPARE(ck.root().at("epoch").asInt(), int64_t(2));

        const ChatSceneLoadInfo& info = model_->info();
        QVERIFY(info.loraFromConfig);
        QCOMPARE(info.lora.r, g_["chat_scene"]["lora_r"].get<int>());
        QCOMPARE(info.lora.scale(), g_["chat_scene"]["lora_scale"].get<double>());
        QCOMPARE(info.lora.targetModules.size(), size_t(7));
        QCOMPARE(info.maxObjects, g_["chat_scene"]["max_obj_num"].get<int64_t>());
        QCOMPARE(info.objTokenBase, g_["obj_token_base"].get<int64_t>());
        QCOMPARE(int64_t(llm_->config().vocabSize), g_["vocab"].get<int64_t>());
        QCOMPARE(model_->dim3d(), g_["chat_scene"]["input_dim"].get<int64_t>());
        QCOMPARE(model_->dim2d(), g_["chat_scene"]["img_input_dim"].get<int64_t>());
        // every key is either loaded or counted as unused (pos_embedding.gauss_B, pos_proj.0.*)
        size_t llmKeys = 0;
        for (const auto& [k, v] : g_["ckpt_model_keys"].items()) llmKeys += k.rfind("llama_model.", 0) == 0;
        QCOMPARE(info.llmTensors, llmKeys);
        QCOMPARE(info.ignored, (std::vector<std::string>{"pos_embedding.gauss_B", "pos_proj.0.bias", "pos_proj.0.weight"}));
        QCOMPARE(8 + info.llmTensors + info.ignored.size(), g_["ckpt_model_keys"].size());
    }

    void featureFilesRead() {
        QCOMPARE(f3_->dim(), g_["chat_scene"]["input_dim"].get<int64_t>());
        QCOMPARE(f2_->dim(), g_["chat_scene"]["img_input_dim"].get<int64_t>());
        size_t n3 = 0, n2 = 0;
        for (const auto& s : g_["scenes"]) {
            const std::string id = s["scene_id"];
            int64_t found3 = 0, found2 = 0;
            f3_->sceneRows(id, model_->maxObjects(), &found3);
            f2_->sceneRows(id, model_->maxObjects(), &found2);
            QCOMPARE(size_t(found3), s["keys_3d"].size());
            QCOMPARE(size_t(found2), s["keys_2d"].size());
            n3 += s["keys_3d"].size();
            n2 += s["keys_2d"].size();
            if (found3 < model_->maxObjects()) {  // a missing object is a zero row
                QVERIFY(!f3_->has(id, found3));
                QCOMPARE(rows(*f3_, id, model_->maxObjects())[found3].abs().sum().item<double>(), 0.0);
            }
        }
        QCOMPARE(f3_->size(), n3);
        QCOMPARE(f2_->size(), n2);
    }

    void projectorsAndTokensMatchReference() {
        torch::NoGradGuard noGrad;
        const int64_t n = model_->maxObjects();
        for (const auto& s : g_["scenes"]) {
            const std::string id = s["scene_id"];
            const torch::Tensor f3 = rows(*f3_, id, n), f2 = rows(*f2_, id, n);
            const QString name = QString::fromStdString(id);
            expectClose(model_->projectObjects(f3), s["object_proj"], name + " object_proj");
            expectClose(model_->projectImages(f2), s["object_img_proj"], name + " object_img_proj");
            std::vector<int64_t> identity(static_cast<size_t>(n));
            for (int64_t k = 0; k < n; ++k) identity[size_t(k)] = k;
            expectClose(model_->objectTokens(*llm_, f3, f2, identity), s["object_tokens"], name + " object tokens");
        }
    }

    void sequenceLogitsAndLossMatchReference() {
        torch::NoGradGuard noGrad;
        const int64_t n = model_->maxObjects();
        int checked = 0;
        for (const auto& s : g_["scenes"]) {
            if (!s.contains("samples")) continue;
            const std::string id = s["scene_id"];
            const torch::Tensor f3 = rows(*f3_, id, n), f2 = rows(*f2_, id, n);
            for (const char* kind : {"eval_identity", "train_assigned"}) {
                QVERIFY2(s["samples"].contains(kind), kind);
                const nlohmann::json& smp = s["samples"][kind];
                SequenceParts parts;
                parts.text = {ints(smp["p0"]), ints(smp["p1"])};
                parts.question = ints(smp["question"]);
                parts.answer = ints(smp["answer"]);
                EmbeddedSequence seq = embedSequence(*llm_, parts, {model_->objectTokens(*llm_, f3, f2, ints(smp["assigned_ids"]))});
                const QString what = QString::fromStdString(id + " " + kind);
                expectClose(seq.embeds(), smp["inputs_embeds"], what + " inputs_embeds");
                QCOMPARE(std::vector<int64_t>(seq.labels().data_ptr<int64_t>(), seq.labels().data_ptr<int64_t>() + seq.labels().numel()),
                         ints(smp["labels"]));
                torch::Tensor logits = llm_->forwardTrainEmbeds(seq.embeds().unsqueeze(0), nullptr, false);  // [1, T, V]
                expectClose(logits[0], smp["logits"], what + " logits");
                if (smp.contains("loss")) {
                    const double loss = causalLmLoss(logits, seq.labels().unsqueeze(0)).item<double>();
                    const double d = std::abs(loss - smp["loss"].get<double>());
                    qInfo("%s loss: diff %.3g", qPrintable(what), d);
                    QVERIFY2(d < kTol, qPrintable(what + QString(" loss %1").arg(loss)));
                }
                ++checked;
            }
        }
        QCOMPARE(checked, 2);
        // the assignment matters: the permuted sample's object tokens are not the identity's
        const nlohmann::json& smp = g_["scenes"][0]["samples"];
        QVERIFY(test::maxDiff(test::jsonTensor(smp["train_assigned"]["inputs_embeds"]),
                              test::jsonTensor(smp["eval_identity"]["inputs_embeds"])) > 1e-2);
    }

    // `inst3d chat --chat-scene`: the checkpoint, its base LLM folder (with a tokenizer of exactly the base
    // vocabulary) and both feature files; the objects listed are the 3D file's keys of the scene, answers
    // stream, and an unknown scene is an error naming the feature file that keeps the session going.
    void chatVerbTalksWithChatSceneFiles() {
        QTemporaryDir tmp;
        const std::string llm = tmp.path().toStdString() + "/llm";
        makeLlmFolderWithTokenizer(llm, g_["base_vocab"].get<int>());
        const std::vector<std::string> args = {"chat", "--chat-scene", kDir + "ckpt.pth", "--llm", llm, "--feats-3d", kDir + "uni3d_feats.pt",
                                               "--feats-2d", kDir + "videofeats.pt", "--scene", "scene0011_00", "--max-tokens", "6"};
        std::string out, err;
        QCOMPARE(test::runInst3dWithInput(args, ":objects\nwhere is the red chair ?\n:scene scene9999_00\n:quit\n", &out, &err), 0);
        std::string listing = "scene0011_00: " + std::to_string(g_["scenes"][0]["keys_3d"].size()) + " objects shown to the model:";
        for (size_t k = 0; k < g_["scenes"][0]["keys_3d"].size(); ++k) listing += " " + objectToken(int(k));
        QVERIFY2(out.find(listing + "\n") != std::string::npos, out.c_str());
        QVERIFY2(err.find("uni3d_feats.pt") != std::string::npos && err.find("no features of scene 'scene9999_00'") != std::string::npos,
                 err.c_str());

        // The library the verb calls: the streamed pieces add up to the answer before tidying.
        auto chat = SceneChat::openChatScene(kDir + "ckpt.pth", llm, kDir + "uni3d_feats.pt", kDir + "videofeats.pt");
        chat->setScene("scene0011_00");
        GenerationConfig gen;
        gen.maxNewTokens = 8;
        std::string streamed;
        const ChatReply r = chat->ask("where is the red chair ?", gen, [&](const std::string& piece) {
            streamed += piece;
            return true;
        });
        QCOMPARE(QString::fromStdString(tidyAnswer(streamed)), QString::fromStdString(r.text));
        QVERIFY(!r.text.empty());
        int pieces = 0;  // returning false stops the answer after the first piece
        const ChatReply stopped = chat->ask("where is the red chair ?", gen, [&](const std::string&) { return ++pieces < 1; });
        QVERIFY(stopped.cancelled);
        QCOMPARE(pieces, 1);
    }

    void badCheckpointIsRefusedByName() {
        QTemporaryDir tmp;
        const std::string path = tmp.path().toStdString() + "/partial.pth";
        std::vector<float> w(32 * 32, 0.1f);
        SaveValue root = SaveValue::dict();
        SaveValue& model = root.set("model", SaveValue::dict());
        model.set("object_proj.0.weight", SaveValue::floatTensor({32, 32}, w.data()));
        torchSave(path, root);
        auto base = LlamaModel::load(kRoot + g_["base_llm"].get<std::string>());
        const std::string missing = test::errorOf([&] { ChatSceneModel::load(path, *base); });
        QVERIFY2(missing.find("partial.pth") != std::string::npos && missing.find("'object_proj.0.bias' missing") != std::string::npos,
                 missing.c_str());

        const std::string wide = tmp.path().toStdString() + "/wide.pth";
        SaveValue root2 = SaveValue::dict();
        root2.set("model", SaveValue::dict()).set("object_proj.0.weight", SaveValue::floatTensor({16, 64}, w.data()));
        torchSave(wide, root2);
        const std::string shape = test::errorOf([&] { ChatSceneModel::load(wide, *base); });
        QVERIFY2(shape.find("wide.pth") != std::string::npos && shape.find("[16, 64]") != std::string::npos, shape.c_str());

        const std::string notDict = tmp.path().toStdString() + "/list.pt";
        SaveValue list = SaveValue::list();
        list.append(SaveValue::fromInt(1));
        torchSave(notDict, list);
        const std::string feat = test::errorOf([&] { ChatSceneFeatureFile f(notDict); });
        QVERIFY2(feat.find("list.pt") != std::string::npos && feat.find("expected a dict") != std::string::npos, feat.c_str());
    }
};

QTEST_GUILESS_MAIN(ChatSceneTest)
#include "test_chat_scene.moc"
