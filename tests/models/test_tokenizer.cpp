// The LLaMA tokenizer as Inst3D uses it (transformers' LlamaTokenizer, legacy=False, + <OBJ###> tokens).
// Two models: a tiny BPE model trained here (always runs: the added-token logic, byte fallback, decode),
// and the real LLaMA-2 vocabulary rebuilt from the npm package llama-tokenizer-js by
// tools/rebuild_llama_tokenizer.js (skipped when node/npm cannot fetch it). The real ids come from
// transformers' tests/models/llama/test_tokenization_llama.py.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>
#include <torch/torch.h>

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "models/llm/tokenizer.h"
#include "support/test_support.h"

using namespace inst3d;

namespace {
std::vector<int> concat(std::initializer_list<std::vector<int>> parts) {
    std::vector<int> out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}
QString idsText(const std::vector<int>& ids) {
    QStringList s;
    for (int i : ids) s << QString::number(i);
    return s.join(' ');
}
}  // namespace

class TokenizerTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::string tinyModel_;
    std::string llamaModel_;
    QString llamaSkip_;

    std::string path(const char* name) { return dir_.filePath(name).toStdString(); }

private Q_SLOTS:
    void initTestCase() {
        // A tiny BPE model with LLaMA's settings: byte fallback, dummy prefix, whitespace kept as is.
        std::string corpus;
        for (int i = 0; i < 200; ++i)
            corpus += "Describe the red chair next to the brown table . the lamp is here on the desk near the window .\n";
        writeFileAtomic(path("corpus.txt"), corpus);
        auto status = sentencepiece::SentencePieceTrainer::Train(
            "--input=" + path("corpus.txt") + " --model_prefix=" + path("tiny") +
            " --model_type=bpe --vocab_size=320 --byte_fallback=true --hard_vocab_limit=false"
            " --normalization_rule_name=identity --remove_extra_whitespaces=false --minloglevel=2");
        QVERIFY2(status.ok(), status.ToString().c_str());
        tinyModel_ = path("tiny.model");

        // The real LLaMA-2 vocabulary, rebuilt once per machine into the temp folder (never committed).
        QString cacheDir = QDir::tempPath() + "/inst3d-llama-tokenizer";
        QString model = cacheDir + "/tokenizer.model";
        if (!QFileInfo::exists(model)) {
            QProcess node;
            node.start("node", {QString(INST3D_TEST_DATA_DIR) + "/../../tools/rebuild_llama_tokenizer.js", model,
                                cacheDir + "/work"});
            if (!node.waitForStarted(10000)) {
                llamaSkip_ = "node is not installed: cannot rebuild the LLaMA-2 tokenizer from llama-tokenizer-js";
                return;
            }
            node.waitForFinished(300000);
            if (node.exitStatus() != QProcess::NormalExit || node.exitCode() != 0) {
                llamaSkip_ = "npm could not fetch llama-tokenizer-js (offline?): " +
                             QString::fromUtf8(node.readAllStandardError()).trimmed();
                return;
            }
        }
        llamaModel_ = model.toStdString();
    }

    void tinyObjectTokensAreSplitOut() {
        sentencepiece::SentencePieceProcessor sp;
        QVERIFY(sp.Load(tinyModel_).ok());
        auto spEncode = [&](const std::string& s) {
            std::vector<int> ids;
            sp.Encode(s, &ids);
            return ids;
        };
        LlamaTokenizer tok(tinyModel_);
        const int base = sp.GetPieceSize();
        QCOMPARE(tok.baseVocabSize(), base);
        tok.addObjectTokens(200);
        QCOMPARE(tok.vocabSize(), base + 200);
        QCOMPARE(tok.addedTokenId("<OBJ000>"), base);
        QCOMPARE(tok.addedTokenId("<OBJ199>"), base + 199);
        QCOMPARE(tok.idToPiece(base + 17), std::string("<OBJ017>"));

        // Plain text: BOS + exactly SentencePiece's ids (dummy prefix on).
        QCOMPARE(tok.encode("the red chair"), concat({{1}, spEncode("the red chair")}));
        QCOMPARE(tok.encode("the red chair", false), spEncode("the red chair"));
        // Text after an added token has no dummy prefix: " here" is `▁here` (its own space), exactly what
        // SentencePiece gives "here" with the prefix; the chunk before keeps its trailing `▁`.
        std::vector<int> got = tok.encode("Describe <OBJ001> here");
        QCOMPARE(got, concat({{1}, spEncode("Describe "), {base + 1}, spEncode("here")}));
        // ... and "<OBJ001>here" gets no `▁` at all.
        got = tok.encode("<OBJ001>here", false);
        QCOMPARE(got.front(), base + 1);
        QString rest;
        for (size_t i = 1; i < got.size(); ++i) rest += QString::fromStdString(tok.idToPiece(got[i]));
        QCOMPARE(rest, QString("here"));
        QVERIFY(!QString::fromStdString(tok.idToPiece(got[1])).startsWith(QString::fromUtf8("\xe2\x96\x81")));
        // Two tokens in a row, longest match, and a number out of range stays text.
        got = tok.encode("<OBJ002><OBJ003>", false);
        QCOMPARE(got, (std::vector<int>{base + 2, base + 3}));
        got = tok.encode("<OBJ200>", false);
        for (int id : got) QVERIFY(id < base);
        // Without --obj-tokens the same text is plain SentencePiece.
        LlamaTokenizer plain(tinyModel_);
        QCOMPARE(plain.encode("Describe <OBJ001> here"), concat({{1}, spEncode("Describe <OBJ001> here")}));
    }

    void tinyByteFallbackAndDecode() {
        LlamaTokenizer tok(tinyModel_);
        tok.addObjectTokens(200);
        // 'é' and '☃' never occur in the corpus: UTF-8 bytes as <0x..> pieces.
        std::vector<int> ids = tok.encode("é", false);
        QStringList pieces;
        for (int id : ids) pieces << QString::fromStdString(tok.idToPiece(id));
        QVERIFY2(pieces.contains("<0xC3>") && pieces.contains("<0xA9>"), qPrintable(pieces.join(' ')));
        for (std::string text : {"the red chair <OBJ003> is here", "Describe <OBJ001> é ☃ end", "<OBJ000> the lamp"})
            QCOMPARE(QString::fromStdString(tok.decode(tok.encode(text))), QString::fromStdString(text));
        // Added tokens are joined with spaces (HF's spaces_between_special_tokens=True).
        QCOMPARE(tok.decode(tok.encode("near <OBJ001>.")), std::string("near <OBJ001> ."));
        QCOMPARE(tok.decode({1, tok.eosId()}, false), std::string("<s> </s>"));
        QVERIFY_THROWS_EXCEPTION(Error, tok.decode({tok.vocabSize()}));
    }

    void badFileIsNamed() {
        writeFileAtomic(path("bad.model"), std::string("not a model"));
        try {
            LlamaTokenizer tok(path("bad.model"));
            QFAIL("bad model accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("bad.model"), e.what());
        }
    }

    void llamaReferenceIds() {
        if (llamaModel_.empty()) QSKIP(qPrintable(llamaSkip_));
        LlamaTokenizer tok(llamaModel_);
        QCOMPARE(tok.baseVocabSize(), 32000);
        // transformers' test_tokenization_llama.py (the same ids for LLaMA-1 and -2).
        QCOMPARE(idsText(tok.encode("This is a test")), QString("1 910 338 263 1243"));
        QCOMPARE(idsText(tok.encode("Hi   Hello")), QString("1 6324 259 15043"));
        QCOMPARE(idsText(tok.encode(" ")), QString("1 259"));
        QCOMPARE(idsText(tok.encode("生活的真谛是")), QString("1 29871 30486 31704 30210 30848 235 179 158 30392"));
        QCOMPARE(tok.decode(tok.encode("生活的真谛是")), std::string("生活的真谛是"));
        QCOMPARE(tok.decode(tok.encode("Hi   Hello")), std::string("Hi   Hello"));
    }

    void llamaObjectTokens() {
        if (llamaModel_.empty()) QSKIP(qPrintable(llamaSkip_));
        LlamaTokenizer tok(llamaModel_);
        tok.addObjectTokens(200);
        QCOMPARE(tok.vocabSize(), 32200);
        // "test " ends in `▁` (29871); after <OBJ005> " This" is `▁This` (910) with no extra prefix.
        QCOMPARE(idsText(tok.encode("This is a test <OBJ005> This is a test")),
                 QString("1 910 338 263 1243 29871 32005 910 338 263 1243"));
        std::vector<int> ids = tok.encode("<OBJ000>This", false);
        QCOMPARE(ids.size(), size_t(2));
        QCOMPARE(ids[0], 32000);
        QCOMPARE(tok.idToPiece(ids[1]), std::string("This"));
        QCOMPARE(tok.encode("<OBJ199>", false), std::vector<int>{32199});

        // The verb prints the same ids.
        std::string out, err;
        int rc = test::runInst3d({"tokenize", "--tokenizer", llamaModel_, "--obj-tokens", "This is a test <OBJ005>"}, &out, &err);
        QVERIFY2(rc == 0, err.c_str());
        QCOMPARE(QString::fromStdString(out).trimmed(), QString("1 910 338 263 1243 29871 32005"));
    }
};

QTEST_GUILESS_MAIN(TokenizerTest)
#include "test_tokenizer.moc"
