// The LLM verbs end to end: `inst3d chat-llm` on a tiny model whose vocabulary is a SentencePiece model
// trained here (stdin fed, conversation shape checked), and `inst3d bench llm --random-config tiny`.
// Also the tokenizer's `</s>` handling that the Vicuna conversation relies on.
#include <sentencepiece_trainer.h>
#include <torch/torch.h>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>

#include "core/common/file_util.h"
#include "models/llm/llama_config.h"
#include "models/llm/llama_model.h"
#include "models/llm/tokenizer.h"
#include "models/weights/torch_weights.h"
#include "support/test_support.h"

using namespace inst3d;

class LlmCliTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::string modelDir_;

    std::string path(const char* name) { return dir_.filePath(name).toStdString(); }

    // Runs inst3d with `input` on stdin.
    int run(const QStringList& args, const QByteArray& input, QString* out, QString* err) {
        std::vector<std::string> a;
        for (const QString& s : args) a.push_back(s.toStdString());
        std::string o, e;
        const int rc = test::runInst3dWithInput(a, input.toStdString(), &o, &e);
        *out = QString::fromStdString(o);
        *err = QString::fromStdString(e);
        return rc;
    }

private Q_SLOTS:
    void initTestCase() {
        // A tiny BPE vocabulary with LLaMA's settings (byte fallback, dummy prefix, <unk> <s> </s> = 0 1 2).
        std::string corpus;
        for (int i = 0; i < 200; ++i)
            corpus += "where is the red chair ? the lamp is here on the desk near the window . hello there\n";
        writeFileAtomic(path("corpus.txt"), corpus);
        auto status = sentencepiece::SentencePieceTrainer::Train(
            "--input=" + path("corpus.txt") + " --model_prefix=" + path("tiny") +
            " --model_type=bpe --vocab_size=300 --byte_fallback=true --hard_vocab_limit=false"
            " --normalization_rule_name=identity --remove_extra_whitespaces=false --minloglevel=2");
        QVERIFY2(status.ok(), status.ToString().c_str());
        LlamaTokenizer tok(path("tiny.model"));

        // The tiny test model with its vocabulary grown to the tokenizer's (new rows random).
        modelDir_ = path("model");
        QDir().mkpath(QString::fromStdString(modelDir_));
        const std::string src = INST3D_TEST_DATA_DIR "/llm/tiny-llama-mha/";
        LlamaConfig cfg = LlamaConfig::load(src + "config.json");
        auto file = std::make_shared<SafetensorsFile>(src + "model.safetensors");
        std::vector<std::pair<std::string, torch::Tensor>> tensors;
        torch::manual_seed(0);
        for (const TensorInfo& t : file->tensors()) {
            torch::Tensor w = loadTensor(file, t.name).clone();
            if (t.name == "model.embed_tokens.weight" || t.name == "lm_head.weight")
                w = torch::cat({w, torch::randn({tok.vocabSize() - cfg.vocabSize, cfg.hiddenSize}) * 0.5});
            tensors.emplace_back(t.name, w);
        }
        cfg.vocabSize = tok.vocabSize();
        cfg.maxPositions = 512;  // RoPE has no learned positions; the system text alone is ~130 tiny-vocabulary tokens
        writeFileAtomic(modelDir_ + "/config.json", cfg.toJson());
        saveTensors(modelDir_ + "/model.safetensors", tensors);
        writeFileAtomic(modelDir_ + "/tokenizer.model", readTextFile(path("tiny.model")));
    }

    void eosTextIsSplitOut() {
        LlamaTokenizer tok(path("tiny.model"));
        std::vector<int> ids = tok.encode("hello there</s>USER: where", true);
        auto eos = std::find(ids.begin(), ids.end(), tok.eosId());
        QVERIFY(eos != ids.end());
        QCOMPARE(std::count(ids.begin(), ids.end(), tok.eosId()), 1L);
        // After </s> no dummy prefix: the same ids as after <s> (also split out) in a fresh text.
        std::vector<int> after(eos + 1, ids.end());
        std::vector<int> viaBos = tok.encode("<s>USER: where", false);
        QCOMPARE(viaBos.front(), tok.bosId());
        QCOMPARE(after, std::vector<int>(viaBos.begin() + 1, viaBos.end()));
        QCOMPARE(std::vector<int>(ids.begin(), eos), tok.encode("hello there", true));
        QCOMPARE(tok.addedTokenId("</s>"), -1);  // a special piece, not an added token
    }

    void chatKeepsTheConversation() {
        QString out, err;
        int rc = run({"chat-llm", QString::fromStdString(modelDir_), "--max-new-tokens", "5", "--show-prompt"},
                     QByteArray(), &out, &err);
        QCOMPARE(rc, 2);  // --model is an option, not a positional
        rc = run({"chat-llm", "--model", QString::fromStdString(modelDir_), "--max-new-tokens", "5", "--show-prompt"},
                 "hello there\nwhere is the red chair ?\n/reset\nthe lamp\n/quit\nnever read\n", &out, &err);
        QVERIFY2(rc == 0, qPrintable(err));
        qInfo("chat-llm stdout:\n%s", qPrintable(out));
        QVERIFY2(out.count("ASSISTANT: ") == 3, qPrintable(out + "\n" + err));
        QVERIFY(out.startsWith("ASSISTANT: "));
        QVERIFY(out.contains("(conversation cleared)\nASSISTANT: "));
        QStringList prompts;
        for (const QString& line : err.split('\n'))
            if (line.startsWith("[prompt] ")) prompts << line.mid(9);
        QCOMPARE(prompts.size(), 3);
        QVERIFY2(prompts[0].endsWith(" USER: hello there ASSISTANT:"), qPrintable(prompts[0]));
        const QString system = prompts[0].left(prompts[0].size() - QString(" USER: hello there ASSISTANT:").size());
        QVERIFY(!system.isEmpty());
        // The second prompt carries the first exchange, its reply closed by </s>.
        QVERIFY2(prompts[1].startsWith(system + " USER: hello there ASSISTANT: "), qPrintable(prompts[1]));
        QVERIFY2(prompts[1].endsWith("</s>USER: where is the red chair ? ASSISTANT:"), qPrintable(prompts[1]));
        // /reset starts over.
        QCOMPARE(prompts[2], system + " USER: the lamp ASSISTANT:");
        QVERIFY(!out.contains("never read"));
        // Turn 2 reuses turn 1's keys/values, /reset forgets them only in part (the system text stays
        // a common prefix); recomputing everything gives the same replies.
        QRegularExpression cacheLine("\\[cache\\] (\\d+) of (\\d+) prompt tokens reused");
        QList<int> reused;
        for (auto it = cacheLine.globalMatch(err); it.hasNext();) reused << it.next().captured(1).toInt();
        QCOMPARE(reused.size(), 3);
        QCOMPARE(reused[0], 0);
        QVERIFY2(reused[1] > reused[2] && reused[2] > 0, qPrintable(err));
        QString plain;
        rc = run({"chat-llm", "--model", QString::fromStdString(modelDir_), "--max-new-tokens", "5", "--no-cache-reuse"},
                 "hello there\nwhere is the red chair ?\n/reset\nthe lamp\n", &plain, &err);
        QVERIFY2(rc == 0, qPrintable(err));
        QCOMPARE(plain, out);

        // End of input ends the chat too; beam search prints whole replies.
        rc = run({"chat-llm", "--model", QString::fromStdString(modelDir_), "--max-new-tokens", "4", "--beams", "3"},
                 "hello there", &out, &err);
        QVERIFY2(rc == 0, qPrintable(err));
        QCOMPARE(out.count("ASSISTANT: "), 1);
        // Sampling is seeded: the same seed gives the same replies.
        QString a, b;
        QStringList sampled = {"chat-llm", "--model", QString::fromStdString(modelDir_), "--max-new-tokens", "6",
                               "--temperature", "1.2", "--top-p", "0.9", "--seed", "5"};
        QCOMPARE(run(sampled, "hello there\nthe lamp\n", &a, &err), 0);
        QCOMPARE(run(sampled, "hello there\nthe lamp\n", &b, &err), 0);
        QCOMPARE(a, b);
    }

    void benchTiny() {
        QString out, err;
        int rc = run({"bench", "llm", "--random-config", "tiny", "--prompt-tokens", "8", "--new-tokens", "4", "--threads", "1"},
                     QByteArray(), &out, &err);
        QVERIFY2(rc == 0, qPrintable(err));
        qInfo("%s", qPrintable(out));
        QVERIFY(out.contains(QRegularExpression("\\| time to first token \\| [0-9.]+ s")));
        QVERIFY(out.contains(QRegularExpression("\\| decode \\| [0-9.e+]+ tokens/s")));
        QVERIFY(out.contains(QRegularExpression("\\| peak RSS \\| [0-9.]+ GiB")));
        // A given prompt and the decoded ids written out: the same ids as the library's greedy decoding
        // (which stops at EOS; the bench does not).
        writeFileAtomic(path("prompt.txt"), "1 17 42\n5 63\t8\n");
        rc = run({"bench", "llm", "--model", QString::fromStdString(modelDir_), "--prompt-ids", QString::fromStdString(path("prompt.txt")),
                  "--new-tokens", "6", "--ids-out", QString::fromStdString(path("ids.txt"))},
                 QByteArray(), &out, &err);
        QVERIFY2(rc == 0, qPrintable(err));
        QVERIFY(out.contains(", 6 prompt tokens, 6 new tokens"));
        QStringList lines = QString::fromStdString(readTextFile(path("ids.txt"))).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lines[0], QString("1 17 42 5 63 8"));
        std::vector<int64_t> greedy = LlamaModel::load(modelDir_)->generateGreedy({1, 17, 42, 5, 63, 8}, 6);
        QStringList expected;
        for (int64_t id : greedy) expected << QString::number(id);
        QVERIFY2(lines[1].startsWith(expected.join(' ')), qPrintable(lines[1] + " vs " + expected.join(' ')));
        QCOMPARE(lines[1].split(' ').size(), 6);
        writeFileAtomic(path("bad.txt"), "1 17 x42\n");
        QCOMPARE(run({"bench", "llm", "--model", QString::fromStdString(modelDir_), "--prompt-ids", QString::fromStdString(path("bad.txt"))},
                     QByteArray(), &out, &err), 1);
        QVERIFY2(err.contains("bad.txt") && err.contains("'x42'"), qPrintable(err));
        QCOMPARE(run({"bench", "llm"}, QByteArray(), &out, &err), 2);
        QCOMPARE(run({"bench", "llm", "--random-config", "huge"}, QByteArray(), &out, &err), 2);
    }
};

QTEST_GUILESS_MAIN(LlmCliTest)
#include "test_llm_cli.moc"
