// The neural stack's foundations in one process: LibTorch reading safetensors written by our writer
// (every dtype, zero-copy views, shape checks, truncated files), the static sentencepiece living
// beside LibTorch (the Debian shared library would crash this process before main), and the CPU
// runtime: an optimised BLAS serving sgemm_ and the thread count taken from the affinity mask.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>
#include <sched.h>
#include <torch/torch.h>

#include <QTemporaryDir>
#include <QtTest>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "models/weights/torch_runtime.h"
#include "models/weights/torch_weights.h"
#include "support/test_support.h"

using namespace inst3d;

class TorchRuntimeTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::string path(const char* name) { return dir_.filePath(name).toStdString(); }

private Q_SLOTS:
    // tools/setup.sh installs OpenBLAS, which takes libblas.so.3 over from the reference BLAS; LibTorch's
    // fp32 matmuls must run in it (~25x faster on this machine's cores).
    void optimisedBlasServesSgemm() {
        const CpuRuntime r = describeCpuRuntime();
        qInfo("%s", cpuRuntimeLine().c_str());
        QVERIFY2(!r.blasPath.empty() && fileExists(r.blasPath), r.blasPath.c_str());
        QVERIFY2(!r.referenceBlas, qPrintable("LibTorch runs on the reference BLAS: " + QString::fromStdString(r.blasPath) +
                                                  " (apt-get install libopenblas0-openmp)"));
        QVERIFY2(r.blas.rfind("OpenBLAS 0.", 0) == 0 || r.blas.rfind("BLIS", 0) == 0, r.blas.c_str());
    }

    void threadsDefaultToTheAffinityMask() {
        cpu_set_t set;
        CPU_ZERO(&set);
        QCOMPARE(sched_getaffinity(0, sizeof set, &set), 0);
        QCOMPARE(cpusAvailableToProcess(), CPU_COUNT(&set));
        if (!std::getenv("INST3D_THREADS") && !std::getenv("OMP_NUM_THREADS")) {
            applyDefaultThreads();
            QCOMPARE(torch::get_num_threads(), CPU_COUNT(&set));
            QCOMPARE(describeCpuRuntime().threadSource, std::string("all CPUs this process may use"));
        }
        setThreads(1);
        QCOMPARE(torch::get_num_threads(), 1);
        QCOMPARE(describeCpuRuntime().threadSource, std::string("from --threads"));
        QVERIFY(test::errorOf([] { setThreads(0); }).find("--threads must be >= 1") != std::string::npos);
        setThreads(cpusAvailableToProcess());
    }

    // The verb: INST3D_THREADS is honoured, a bad value is refused naming the variable.
    void benchMachineVerb() {
        std::string out, err;
        QCOMPARE(test::runInst3d({"bench", "--matmul", "64", "--threads", "1"}, &out, &err), 0);
        QVERIFY2(out.find("BLAS: ") == 0 && out.find("1 intra-op thread(s) (from --threads)") != std::string::npos, out.c_str());
        QVERIFY2(out.find("| 1 thread |") != std::string::npos, out.c_str());
        qputenv("INST3D_THREADS", "x");
        const int rc = test::runInst3d({"bench", "--matmul", "64"}, &out, &err);
        qunsetenv("INST3D_THREADS");
        QCOMPARE(rc, 1);
        QVERIFY2(err.find("$INST3D_THREADS='x' is not a thread count >= 1") != std::string::npos, err.c_str());
    }

    void safetensorsRoundTripEveryDtype() {
        torch::manual_seed(0);
        std::vector<std::pair<std::string, torch::Tensor>> tensors = {
            {"model.embed_tokens.weight", torch::randn({7, 5})},
            {"f64", torch::randn({3}, torch::kFloat64)},
            {"f16", torch::randn({2, 3}).to(torch::kFloat16)},
            {"bf16", torch::randn({4}).to(torch::kBFloat16)},
            {"i64", torch::arange(6, torch::kInt64).reshape({2, 3})},
            {"i32", torch::tensor({-1, 2, 3}, torch::kInt32)},
            {"u8", torch::tensor({0, 255, 7}, torch::kUInt8)},
            {"bool", torch::tensor({true, false})},
            {"empty", torch::zeros({0, 4})},
        };
        saveTensors(path("w.safetensors"), tensors, {{"format", "pt"}});
        // The header is the real format: 8-byte little-endian length, then JSON padded to 8 bytes.
        std::string bytes = readTextFile(path("w.safetensors"));
        uint64_t n = 0;
        std::memcpy(&n, bytes.data(), 8);
        QCOMPARE(n % 8, uint64_t(0));
        QVERIFY(bytes.substr(8, n).find("\"dtype\":\"BF16\"") != std::string::npos);

        auto file = std::make_shared<SafetensorsFile>(path("w.safetensors"));
        QCOMPARE(file->metadata().at("format"), std::string("pt"));
        for (const auto& [name, expected] : tensors) {
            torch::Tensor got = loadTensor(file, name);
            QCOMPARE(got.scalar_type(), expected.scalar_type());
            QVERIFY2(torch::equal(got, expected), name.c_str());
        }
        torch::Tensor view = loadTensorChecked(file, "model.embed_tokens.weight", {7, 5});
        QCOMPARE(view.data_ptr(), static_cast<void*>(const_cast<uint8_t*>(file->data(file->get("model.embed_tokens.weight")))));
        file.reset();  // the tensor keeps the mapping alive
        QVERIFY(std::isfinite(view.sum().item<float>()));
    }

    void safetensorsErrorsNameTensorAndFile() {
        saveTensors(path("s.safetensors"), {{"a", torch::ones({2, 3})}});
        auto file = std::make_shared<SafetensorsFile>(path("s.safetensors"));
        try {
            loadTensorChecked(file, "a", {3, 2});
            QFAIL("shape mismatch not reported");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("tensor 'a' has shape [2, 3], expected [3, 2]"), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(Error, loadTensor(file, "missing"));
        std::string bytes = readTextFile(path("s.safetensors"));
        writeFileAtomic(path("t.safetensors"), bytes.substr(0, bytes.size() - 4));
        try {
            SafetensorsFile t(path("t.safetensors"));
            QFAIL("truncated file accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("t.safetensors") && QString(e.what()).contains("tensor 'a'"), e.what());
        }
        std::string header = "{\"x\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}";
        uint64_t n = header.size();
        writeFileAtomic(path("u.safetensors"), std::string(reinterpret_cast<char*>(&n), 8) + header + "A");
        try {
            SafetensorsFile u(path("u.safetensors"));
            QFAIL("unknown dtype accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("unsupported dtype 'F8_E4M3'"), e.what());
        }
    }

    void sentencepieceLivesBesideTorch() {
        std::string corpus;
        for (int i = 0; i < 300; ++i)
            corpus += "the red chair is next to the brown table . a lamp stands on the desk near the window .\n";
        writeFileAtomic(path("corpus.txt"), corpus);
        auto status = sentencepiece::SentencePieceTrainer::Train("--input=" + path("corpus.txt") + " --model_prefix=" +
                                                                 path("spm") + " --vocab_size=60 --model_type=bpe");
        QVERIFY2(status.ok(), status.ToString().c_str());
        sentencepiece::SentencePieceProcessor sp;
        QVERIFY(sp.Load(path("spm.model")).ok());
        std::vector<int> ids;
        QVERIFY(sp.Encode("the red lamp is on the desk", &ids).ok());
        QVERIFY(!ids.empty());
        std::string text;
        QVERIFY(sp.Decode(ids, &text).ok());
        QCOMPARE(text, std::string("the red lamp is on the desk"));
        // And torch still works in the same process.
        QCOMPARE(torch::tensor(ids).size(0), static_cast<int64_t>(ids.size()));
    }
};

QTEST_GUILESS_MAIN(TorchRuntimeTest)
#include "test_torch_runtime.moc"
