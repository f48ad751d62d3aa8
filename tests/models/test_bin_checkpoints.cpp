// LLaMA checkpoints saved as PyTorch pickles (HF pytorch_model.bin, single and sharded with an index)
// load through models/weights/checkpoint_files into the same model as the safetensors original: the
// fixtures under tests/data/torch_pickle/ were written by torch.save from tests/data/llm/tiny-llama-mha
// (make_fixtures.py), the sharded one with a strided lm_head and an offset view.
#include <torch/torch.h>

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include "core/cli/convert_weights.h"
#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/torch_pickle.h"
#include "models/llm/llama_model.h"
#include "models/weights/checkpoint_files.h"
#include "models/weights/torch_weights.h"
#include "support/test_support.h"
#include "support/torch_test_support.h"

using namespace inst3d;

namespace {
const std::string kPickles = INST3D_TEST_DATA_DIR "/torch_pickle/";
const std::string kSafe = INST3D_TEST_DATA_DIR "/llm/tiny-llama-mha";

torch::Tensor logitsOf(const std::string& dir) {
    torch::Tensor ids = torch::tensor({1, 17, 42, 5, 63, 2, 88}, torch::kInt64).unsqueeze(0);
    return LlamaModel::load(dir)->forward(ids, 0);
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

class BinCheckpointsTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::string tmp(const std::string& name) { return test::makeSubdir(dir_, name); }
    static void copy(const std::string& from, const std::string& to) { writeFileAtomic(to, readTextFile(from)); }

private Q_SLOTS:
    void binLogitsEqualSafetensors() {
        torch::Tensor ref = logitsOf(kSafe);
        QVERIFY(torch::equal(logitsOf(kPickles + "tiny-llama-bin"), ref));
        QVERIFY(torch::equal(logitsOf(kPickles + "tiny-llama-bin-sharded"), ref));
        auto a = LlamaModel::load(kPickles + "tiny-llama-bin-sharded");
        QCOMPARE(a->generateGreedy({1, 17, 42}, 6), LlamaModel::load(kSafe)->generateGreedy({1, 17, 42}, 6));
    }

    void tensorsViewTheMappingWhenTheyCan() {
        CheckpointFiles single(kPickles + "tiny-llama-bin");
        QVERIFY(endsWith(single.source(), "pytorch_model.bin"));
        QVERIFY(single.has("model.layers.0.self_attn.rotary_emb.inv_freq") && !single.has("nope"));
        TorchCheckpoint c(kPickles + "tiny-llama-bin/pytorch_model.bin");
        const TensorRef& ref = c.root().at("model.embed_tokens.weight").tensor();
        torch::Tensor view = tensorFromRef(ref);
        QCOMPARE(view.data_ptr(), static_cast<void*>(const_cast<uint8_t*>(ref.data())));  // zero-copy
        // Strided (lm_head in the sharded fixture) and misaligned (zip64.pt, written by Python's zipfile
        // without torch's 64-byte alignment) tensors are copied, with the same values.
        TorchCheckpoint shard(kPickles + "tiny-llama-bin-sharded/pytorch_model-00002-of-00002.bin");
        const TensorRef& head = shard.root().at("lm_head.weight").tensor();
        QVERIFY(!head.isContiguous());
        torch::Tensor headT = tensorFromRef(head);
        QVERIFY(headT.is_contiguous() && headT.data_ptr() != static_cast<const void*>(head.data()));
        auto safe = std::make_shared<SafetensorsFile>(kSafe + "/model.safetensors");
        QVERIFY(torch::equal(headT, loadTensor(safe, "lm_head.weight")));
        TorchCheckpoint z(kPickles + "zip64.pt");
        int misaligned = 0;
        for (const auto& [name, r] : flattenTensors(z.root())) {
            if (reinterpret_cast<uintptr_t>(r.data()) % dtypeSize(r.dtype)) ++misaligned;
            std::vector<uint8_t> bytes = r.contiguousBytes();
            torch::Tensor t = tensorFromRef(r);
            QCOMPARE(t.sizes().vec(), r.shape);
            QVERIFY2(bytes.empty() || std::memcmp(t.data_ptr(), bytes.data(), bytes.size()) == 0, name.c_str());
        }
        QVERIFY(misaligned > 0);
        TorchCheckpoint masks(kPickles + "masks.pt");  // numpy float16 [N_points, N_masks]
        torch::Tensor m = tensorFromRef(masks.root().tensor());
        QCOMPARE(m.scalar_type(), torch::kFloat16);
        QCOMPARE(m.sizes().vec(), (std::vector<int64_t>{40, 5}));
    }

    void safetensorsPreferredAndErrors() {
        std::string d = tmp("both");
        copy(kSafe + "/config.json", d + "/config.json");
        copy(kSafe + "/model.safetensors", d + "/model.safetensors");
        test::writeBytes(d + "/pytorch_model.bin", "not read");
        QVERIFY(torch::equal(logitsOf(d), logitsOf(kSafe)));

        std::string e = tmp("empty");
        copy(kSafe + "/config.json", e + "/config.json");
        std::string err = test::errorOf([&] { LlamaModel::load(e); });
        QVERIFY2(contains(err, "pytorch_model.bin.index.json"), err.c_str());

        std::string bad = tmp("bad-bin");
        copy(kSafe + "/config.json", bad + "/config.json");
        copy(kPickles + "legacy.pt", bad + "/pytorch_model.bin");
        err = test::errorOf([&] { LlamaModel::load(bad); });
        QVERIFY2(contains(err, "pytorch_model.bin: not a zip archive (legacy torch.save format?)"), err.c_str());

        // A tensor missing from the .bin index; a misshapen tensor in a .bin.
        std::string s = tmp("sharded-missing");
        for (const char* f : {"config.json", "pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"})
            copy(kPickles + "tiny-llama-bin-sharded/" + f, s + "/" + f);
        std::string index = readTextFile(kPickles + "tiny-llama-bin-sharded/pytorch_model.bin.index.json");
        size_t at = index.find("\"model.norm.weight\"");
        QVERIFY(at != std::string::npos);
        index.replace(at, std::string("\"model.norm.weight\"").size(), "\"model.norm.weight.renamed\"");
        writeFileAtomic(s + "/pytorch_model.bin.index.json", index);
        err = test::errorOf([&] { LlamaModel::load(s); });
        QVERIFY2(contains(err, "pytorch_model.bin.index.json: tensor 'model.norm.weight' missing from weight_map"), err.c_str());

        std::string w = tmp("wrong-config");
        std::string cfg = readTextFile(kSafe + "/config.json");
        size_t v = cfg.find("\"vocab_size\"");
        QVERIFY(v != std::string::npos);
        cfg.replace(cfg.find(':', v) + 1, cfg.find_first_of(",}", v) - cfg.find(':', v) - 1, " 300");
        writeFileAtomic(w + "/config.json", cfg);
        copy(kPickles + "tiny-llama-bin/pytorch_model.bin", w + "/pytorch_model.bin");
        err = test::errorOf([&] { LlamaModel::load(w); });
        QVERIFY2(contains(err, "pytorch_model.bin: tensor 'model.embed_tokens.weight' has shape") && contains(err, "expected [300,"),
                 err.c_str());
    }

    void convertedCheckpointGivesTheSameModel() {
        std::string d = tmp("converted");
        copy(kSafe + "/config.json", d + "/config.json");
        convertTorchIndex(kPickles + "tiny-llama-bin-sharded/pytorch_model.bin.index.json", d + "/model.safetensors.index.json");
        QVERIFY(torch::equal(logitsOf(d), logitsOf(kSafe)));
        std::string one = tmp("converted-one");
        copy(kSafe + "/config.json", one + "/config.json");
        std::string out, err;
        QCOMPARE(test::runInst3d({"convert-weights", kPickles + "tiny-llama-bin/pytorch_model.bin", one + "/model.safetensors"}, &out, &err), 0);
        QVERIFY(torch::equal(logitsOf(one), logitsOf(kSafe)));
    }
};

QTEST_GUILESS_MAIN(BinCheckpointsTest)
#include "test_bin_checkpoints.moc"
