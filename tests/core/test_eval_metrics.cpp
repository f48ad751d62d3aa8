// Metrics of core/eval against the official evaluators: hand-computed cases (with the edge cases the
// evaluators treat specially), pycocoevalcap's own numbers for fixed corpora (tests/data/eval), scipy's
// assignment on ties, LEO's clean_answer outputs, and the `score` verb on real-format synthetic data.
// tests/data/eval/inst3d/ holds what the upstream code itself gives (tools/oracles/
// make_inst3d_eval_goldens.py): Inst3D-LMM's and Chat-Scene's answer rules, pycocoevalcap's METEOR jar
// and its Stanford PTBTokenizer. METEOR checks need java and the jar (tools/setup.sh installs them):
// without them they fail, saying what to install.
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/cli/command.h"
#include "core/common/file_util.h"
#include "core/data/datasets.h"  // sqa3dQuestionType
#include "core/eval/answer_metrics.h"
#include "core/eval/box_metrics.h"
#include "core/eval/caption_metrics.h"
#include "core/eval/meteor.h"
#include "core/eval/ptb_tokenizer.h"
#include "core/eval/scan2cap.h"
#include "core/cli/score_command.h"
#include "support/test_support.h"

using namespace inst3d;
using ojson = nlohmann::ordered_json;

namespace {

// tests/data/eval of the source tree (INST3D_TEST_DATA_DIR comes from tests/CMakeLists.txt).
std::string dataPath(const std::string& name) { return std::string(INST3D_TEST_DATA_DIR) + "/eval/" + name; }

EvalBox box(double cx, double cy, double cz, double sx, double sy, double sz) { return {{cx, cy, cz}, {sx, sy, sz}}; }

// Golden values are Python reprs: equal when the computation is the same, operation for operation.
void expectSame(double got, double want, const std::string& what) {
    if (got == want || (std::isnan(got) && std::isnan(want))) return;
    QFAIL(qPrintable(QString::fromStdString(what) + QString(": got %1, pycocoevalcap %2 (diff %3)")
                                                         .arg(got, 0, 'g', 17).arg(want, 0, 'g', 17).arg(got - want)));
}

std::vector<CaptionItem> itemsOf(const ojson& corpus) {
    std::vector<CaptionItem> items;
    for (const auto& it : corpus["items"])
        items.push_back({it["id"].get<std::string>(), it["candidate"].get<std::string>(),
                         it["references"].get<std::vector<std::string>>()});
    return items;
}

const char* const kMetrics[] = {"Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr"};

ojson inst3dGolden(const std::string& name) { return ojson::parse(readTextFile(dataPath("inst3d/" + name))); }

bool meteorAvailable() { return meteorStatus().rfind("available", 0) == 0; }

// The METEOR golden corpus named `name` (tests/data/eval/inst3d/meteor.json).
const ojson& meteorGolden(const ojson& golden, const std::string& name) {
    for (const auto& c : golden["corpora"])
        if (c["name"] == name) return c;
    throw std::runtime_error("meteor.json has no corpus " + name);
}

}  // namespace

class TestEvalMetrics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void iouFormula();
    void iouThresholdFloat32();
    void scanReferAccuracySplits();
    void multi3dReferZeroTarget();
    void multi3dReferMatching();
    void assignmentTiesAsScipy();
    void bleuByHand();
    void bleuClosestLengthTie();
    void rougeByHand();
    void ciderByHand();
    void emptyCandidateAndOneItemCorpus();
    void goldenPycocoevalcap();
    void numpyMeanBlocks();
    void cleanAnswerAsLeo();
    void answerMatchScanQaAndSqa3d();
    void qaRulesAsUpstreamEvaluators();
    void ptbTokenizeAsStanfordJar();
    void meteorAsPycocoevalcap();
    void scan2capCorpusRules();
    void scoreVerbCaptionsGolden();
    void scoreVerbOnSynthWorld();
    void scoreVerbErrorsNameTheFile();
};

void TestEvalMetrics::iouFormula() {
    // Two 2 m cubes offset by 1 m: intersection 1*2*2 = 4, union 8 + 8 - 4 = 12 (+1e-8).
    QCOMPARE(boxIoU(box(0, 0, 0, 2, 2, 2), box(1, 0, 0, 2, 2, 2)), 4.0 / (12.0 + 1e-8));
    QCOMPARE(boxIoU(box(0, 0, 0, 1, 1, 1), box(0, 0, 0, 1, 1, 1)), 1.0 / (1.0 + 1e-8));
    QCOMPARE(boxIoU(box(0, 0, 0, 1, 1, 1), box(5, 0, 0, 1, 1, 1)), 0.0);
    QCOMPARE(boxIoU(box(0, 0, 0, 1, 1, 1), box(1, 0, 0, 1, 1, 1)), 0.0);  // touching faces
    QCOMPARE(boxIoU(box(0, 0, 0, 0, 0, 0), box(0, 0, 0, 0, 0, 0)), 0.0);  // empty boxes: 0/1e-8
}

void TestEvalMetrics::iouThresholdFloat32() {
    // IoU = 0.25 / (1 + 1e-8), just below 0.25 in float64 (ScanRefer: miss) but 0.25 once stored in
    // the evaluator's float32 matrix (Multi3DRefer: hit). Both official behaviours are kept.
    EvalBox a = box(0.5, 0.5, 0.5, 1, 1, 1), b = box(0.125, 0.5, 0.5, 0.25, 1, 1);
    double iou = boxIoU(a, b);
    QVERIFY(iou < 0.25);
    QCOMPARE(static_cast<float>(iou), 0.25f);
    ScanReferAcc acc = scanReferAccuracy({{iou, false}});
    QCOMPARE(acc.overall.acc25, 0.0);
    Multi3DReferResult r = multi3dReferF1("st_wo_d", {b}, {a});
    QCOMPARE(r.tp25, 1);
    QCOMPARE(r.f1_25, 1.0);
}

void TestEvalMetrics::scanReferAccuracySplits() {
    // IoU exactly at a threshold is a hit (>=).
    ScanReferAcc acc = scanReferAccuracy({{0.25, false}, {0.5, true}, {0.2499, true}, {0.7, false}});
    QCOMPARE(acc.overall.acc25, 0.75);
    QCOMPARE(acc.overall.acc50, 0.5);
    QCOMPARE(acc.unique.acc25, 1.0);
    QCOMPARE(acc.unique.acc50, 0.5);
    QCOMPARE(acc.multiple.acc25, 0.5);
    QCOMPARE(acc.multiple.acc50, 0.5);
    QCOMPARE(acc.multiple.count, 2);
    QVERIFY(std::isnan(scanReferAccuracy({{0.3, false}}).multiple.acc25));  // empty subset
}

void TestEvalMetrics::multi3dReferZeroTarget() {
    EvalBox b = box(0, 0, 0, 1, 1, 1);
    QCOMPARE(multi3dReferF1("zt_w_d", {}, {}).f1_25, 1.0);
    QCOMPARE(multi3dReferF1("zt_wo_d", {}, {}).f1_50, 1.0);
    QCOMPARE(multi3dReferF1("zt_w_d", {b}, {}).f1_25, 0.0);
    QCOMPARE(multi3dReferF1("zt_wo_d", {b}, {}).f1_50, 0.0);
}

void TestEvalMetrics::multi3dReferMatching() {
    EvalBox g1 = box(0, 0, 0, 1, 1, 1), g2 = box(5, 0, 0, 1, 1, 1);
    EvalBox half = box(0.5, 0, 0, 1, 1, 1);  // IoU with g1: 0.5 / 1.5 = 1/3
    // 2 predictions, 1 GT: one exact match -> TP 1, F1 = 2*1/(2+1).
    Multi3DReferResult r = multi3dReferF1("st_w_d", {g2, g1}, {g1});
    QCOMPARE(r.tp25, 1);
    QCOMPARE(r.f1_25, 2.0 / 3.0);
    // 1 prediction, 2 GTs: padded to 2x2; the 1/3 IoU pair is a TP at 0.25, not at 0.5.
    r = multi3dReferF1("mt", {half}, {g2, g1});
    QCOMPARE(r.tp25, 1);
    QCOMPARE(r.tp50, 0);
    QCOMPARE(r.f1_25, 2.0 / 3.0);
    QCOMPARE(r.f1_50, 0.0);
    // No prediction for a single-target query.
    QCOMPARE(multi3dReferF1("st_wo_d", {}, {g1}).f1_25, 0.0);
    // Duplicated predictions are kept (the evaluator does not deduplicate ids): 1 TP of 2 + 1.
    QCOMPARE(multi3dReferF1("st_wo_d", {g1, g1}, {g1}).f1_50, 2.0 / 3.0);

    Multi3DReferSummary s = summarizeMulti3DRefer({"zt_w_d", "mt", "mt"}, {{1, 1, 0, 0}, {0.5, 0, 1, 0}, {1, 1, 1, 1}});
    QCOMPARE(s.f1_25.at("mt"), 0.75);
    QCOMPARE(s.f1_50.at("mt"), 0.5);
    QCOMPARE(s.f1_25.at("overall"), 2.5 / 3);
    QVERIFY(std::isnan(s.f1_25.at("st_w_d")));  // no query of that type: NaN, as M3DRef-CLIP
}

void TestEvalMetrics::assignmentTiesAsScipy() {
    // Expected columns from scipy 1.10.1 linear_sum_assignment(iou_matrix * -1) on float32 matrices.
    struct Case {
        std::vector<double> iou;
        int n;
        std::vector<int> want;
    };
    const Case cases[] = {{{0.75, 0.5, 0.5, 0.25}, 2, {0, 1}},
                          {{0.5, 0.5, 0.5, 0.5}, 2, {0, 1}},
                          {{0, 0, 0, 0.5, 0.5, 0, 0.5, 0.5, 0}, 3, {2, 1, 0}},
                          {{0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0, 0, 0}, 3, {0, 1, 2}}};
    for (const Case& c : cases) {
        std::vector<double> cost;
        for (double v : c.iou) cost.push_back(-v);
        QCOMPARE(linearSumAssignment(cost, c.n), c.want);
    }
    // The first case is a true tie (total 1.0 either way) whose pick decides TP@0.5: 1 (diagonal),
    // where the other optimum would give 2.
}

void TestEvalMetrics::bleuByHand() {
    // "the cat sat" vs "the cat sat on": p1 = 3/3, p2 = 2/2, p3 = 1/1, p4 = 0/0 -> 1e-15/1e-9;
    // brevity penalty exp(1 - 4/3) since 3 < 4.
    const double tiny = 1e-15, small = 1e-9;
    std::vector<std::array<double, 4>> per;
    std::array<double, 4> b = bleuCorpus({{"x", "the cat sat", {"the cat sat on"}}}, &per);
    double ratio = (3 + tiny) / (4 + small), bp = std::exp(1 - 1 / ratio);
    double p1 = (3 + tiny) / (3 + small), p2 = (2 + tiny) / (2 + small), p3 = (1 + tiny) / (1 + small),
           p4 = (0 + tiny) / (0 + small);
    QCOMPARE(b[0], p1 * bp);
    QCOMPARE(b[1], std::pow(p1 * p2, 1. / 2) * bp);
    QCOMPARE(b[2], std::pow(p1 * p2 * p3, 1. / 3) * bp);
    QCOMPARE(b[3], std::pow(p1 * p2 * p3 * p4, 1. / 4) * bp);
    QCOMPARE(per[0][0], b[0]);
    // Clipping: "the the the the" vs "the cat": unigram "the" counts once -> p1 = 1/4.
    b = bleuCorpus({{"y", "the the the the", {"the cat"}}});
    QCOMPARE(b[0], (1 + tiny) / (4 + small));
}

void TestEvalMetrics::bleuClosestLengthTie() {
    // A 5-token candidate between references of 4 and 6 tokens: the tie goes to the shorter, so the
    // effective length is 4 and no brevity penalty applies (with 6 it would).
    // "e" is in no reference: 4 clipped unigram matches of 5.
    std::array<double, 4> b = bleuCorpus({{"t", "a b c d e", {"a b c d x y", "a b c d"}}});
    QCOMPARE(b[0], (4 + 1e-15) / (5 + 1e-9));
    b = bleuCorpus({{"t", "a b c d e", {"a b c d x y"}}});  // only the longer one: penalty applies
    QCOMPARE(b[0], (4 + 1e-15) / (5 + 1e-9) * std::exp(1 - 1 / ((5 + 1e-15) / (6 + 1e-9))));
}

void TestEvalMetrics::rougeByHand() {
    // LCS("a b c d", "a c d e f") = 3: P = 3/4, R = 3/5, F = (1 + 1.2^2) P R / (R + 1.2^2 P).
    double p = 0.75, r = 0.6, beta2 = 1.2 * 1.2;
    QCOMPARE(rougeL("a b c d", {"a c d e f"}), ((1 + beta2) * p * r) / (r + beta2 * p));
    // Max precision and max recall are taken over references independently.
    QCOMPARE(rougeL("a b", {"a b c d", "a x"}), ((1 + beta2) * 1.0 * 0.5) / (0.5 + beta2 * 1.0));
    QCOMPARE(rougeL("x y", {"a b"}), 0.0);
    // ROUGE splits on single spaces: "" is one empty token, so "" against "" scores 1 (pycocoevalcap).
    QCOMPARE(rougeL("", {"a b"}), 0.0);
    QCOMPARE(rougeL("", {""}), 1.0);
}

void TestEvalMetrics::ciderByHand() {
    // Two items, N = 2: ref_len = log 2. Item 1 repeats its only reference: unigram and bigram cosines
    // are 1, no 3/4-grams, equal bigram counts (no penalty): mean([1,1,0,0]) * 10 = 5. Item 2 shares
    // nothing: 0. Corpus: 2.5.
    std::vector<double> per;
    double c = ciderD({{"1", "a b", {"a b"}}, {"2", "c d", {"e f"}}}, &per);
    QCOMPARE(per[0], 5.0);
    QCOMPARE(per[1], 0.0);
    QCOMPARE(c, 2.5);
    // Clipping (CIDEr-D): a repeated n-gram counts at most the reference's weight.
    std::vector<double> clipped;
    ciderD({{"1", "a a b", {"a b"}}, {"2", "c", {"d"}}}, &clipped);
    QVERIFY(clipped[0] < 5.0);
}

void TestEvalMetrics::emptyCandidateAndOneItemCorpus() {
    CaptionScores s = scoreCaptions({{"e", "", {"a chair", "the chair"}}});
    for (int k = 0; k < 4; ++k) QCOMPARE(s.bleu[k], 0.0);  // brevity penalty exp(1 - 1/tiny) = 0
    QCOMPARE(s.rougeL, 0.0);
    QCOMPARE(s.cider, 0.0);
    // One-item corpus: log(1) = 0 makes every tf-idf weight 0, so CIDEr is 0 even for a perfect match.
    s = scoreCaptions({{"p", "a brown chair", {"a brown chair"}}});
    QCOMPARE(s.cider, 0.0);
    QVERIFY(s.bleu[0] > 0.999999);
}

void TestEvalMetrics::goldenPycocoevalcap() {
    ojson golden = ojson::parse(readTextFile(dataPath("caption_golden.json")));
    const auto& inputs = golden["input"]["corpora"];
    const auto& expected = golden["expected"]["corpora"];
    QCOMPARE(inputs.size(), expected.size());
    for (size_t c = 0; c < inputs.size(); ++c) {
        std::string name = inputs[c]["name"];
        CaptionScores s = scoreCaptions(itemsOf(inputs[c]));
        const auto& want = expected[c]["corpus"];
        for (int k = 0; k < 4; ++k) expectSame(s.bleu[k], want[kMetrics[k]], name + " " + kMetrics[k]);
        expectSame(s.rougeL, want["ROUGE_L"], name + " ROUGE_L");
        expectSame(s.cider, want["CIDEr"], name + " CIDEr");
        const auto& rows = expected[c]["per_item"];
        for (size_t i = 0; i < rows.size(); ++i) {
            std::string id = name + "/" + rows[i]["id"].get<std::string>();
            for (int k = 0; k < 4; ++k) expectSame(s.bleuPerItem[i][k], rows[i][kMetrics[k]], id + " " + kMetrics[k]);
            expectSame(s.rougeLPerItem[i], rows[i]["ROUGE_L"], id + " ROUGE_L");
            expectSame(s.ciderPerItem[i], rows[i]["CIDEr"], id + " CIDEr");
        }
    }
}

void TestEvalMetrics::numpyMeanBlocks() {
    // Pairwise summation differs from a plain loop in the last bits; both sizes below and above the
    // 8192 block are checked against the structure numpy uses (blocks summed left to right).
    std::vector<double> v(10000);
    for (size_t i = 0; i < v.size(); ++i) v[i] = 1.0 / (1.0 + i);
    double blocks = 0;
    for (size_t i = 0; i < v.size(); i += 8192) {
        std::vector<double> part(v.begin() + i, v.begin() + std::min(v.size(), i + 8192));
        blocks += numpyMean(part) * static_cast<double>(part.size());
    }
    QVERIFY(std::abs(numpyMean(v) - blocks / v.size()) < 1e-15);
    QCOMPARE(numpyMean({1.0, 2.0, 4.0}), 7.0 / 3);
    QVERIFY(std::isnan(numpyMean({})));
}

void TestEvalMetrics::cleanAnswerAsLeo() {
    // Outputs of Chat-Scene's clean_answer (after the evaluator's trailing-"." and first-letter step),
    // obtained by running utils/helper.py with python3.11.
    const std::pair<const char*, const char*> cases[] = {
        {"The TV.", "TV"}, {"  Brown   chair ", "brown chair"}, {"2 chairs", "two chairs"}, {"none", "zero"},
        {"a lamp", "lamp"}, {"an apple and the  box", "apple and box"}, {"letf side", "left side"},
        {"o'  clock", "o'clock"}, {"oclock", "o'clock"}, {"mat2 and no12", "mat and no12"}, {"10", "ten"},
        {"1.5 meters", "fifteen meters"}, {"1,5", "one,five"}, {"chaise-longue: yes", "chaise-longue: yes"},
        {"Caf\xc3\xa9 \xc3\xa7", "caf "}, {"\xc4\xb0s it", "is it"}, {"backwards!", "backward"}, {"the 2", "two"},
        {"a a b", "a b"}, {"tv stand", "TV stand"}, {"ab  \n", "ab\n"}, {"Behine the chai", "behind chair"}};
    for (const auto& [in, want] : cases) QCOMPARE(cleanAnswer(preparePrediction(in)), std::string(want));
}

void TestEvalMetrics::answerMatchScanQaAndSqa3d() {
    const QaEvaluator chat = QaEvaluator::ChatScene;
    QCOMPARE(answerMatch("brown", {"brown", "tan"}), (std::array<int, 2>{1, 1}));
    QCOMPARE(answerMatch("dark brown", {"brown"}), (std::array<int, 2>{0, 1}));  // "brown" in "darkbrown"
    // Inst3D-LMM's answer_match has no guard: "" is a substring of every reference. Chat-Scene's has one.
    QCOMPARE(answerMatch("", {"brown"}), (std::array<int, 2>{0, 1}));
    QCOMPARE(answerMatch("", {"brown", ""}), (std::array<int, 2>{1, 1}));
    QCOMPARE(answerMatch("", {"brown"}, chat), (std::array<int, 2>{0, 0}));
    // Inst3D-LMM's ScanQA cleans the references: "Two." -> "two" equals the cleaned prediction.
    QCOMPARE(scoreScanQaItem("2.", {"Two."}).em, 1);
    QVERIFY(scoreScanQaItem("2.", {"Two."}).captionReferences == std::vector<std::string>{"two"});
    // Chat-Scene's compares with the raw references: "Two." does not equal "two".
    QCOMPARE(scoreScanQaItem("2.", {"Two."}, chat).em, 0);
    QCOMPARE(scoreScanQaItem("2.", {"two"}, chat).em, 1);
    QVERIFY(scoreScanQaItem("2.", {" Two.\n"}, chat).captionReferences == std::vector<std::string>{"Two."});
    // SQA3D cleans the references in both.
    QCOMPARE(scoreSqa3dItem("2.", {"Two."}).em, 1);
    QCOMPARE(scoreSqa3dItem("2.", {"Two."}, chat).em, 1);
    QVERIFY(parseQaEvaluator("chat-scene", "--evaluator") == chat);
    std::string usage;
    try {
        parseQaEvaluator("leo", "--evaluator");
    } catch (const UsageError& e) {
        usage = e.what();
    }
    QVERIFY2(usage.find("--evaluator") != std::string::npos, usage.c_str());
    QCOMPARE(sqa3dQuestionType("  What is on the table?"), 0);
    QCOMPARE(sqa3dQuestionType("Is the door open?"), 1);
    QCOMPARE(sqa3dQuestionType("Island or table?"), 1);  // prefix rule of get_sqa_question_type
    QCOMPARE(sqa3dQuestionType("How many chairs?"), 2);
    QCOMPARE(sqa3dQuestionType("Can I sit?"), 3);
    QCOMPARE(sqa3dQuestionType("Which way?"), 4);
    QCOMPARE(sqa3dQuestionType("Where is it?"), 5);
    Sqa3dSummary s = summarizeSqa3d({{"a", 1, 1, {}}, {"b", 0, 1, {}}}, {0, 0});
    QCOMPARE(s.em, 0.5);
    QCOMPARE(s.emType[0], 1 / (1e-10 + 1 + 1));
    QCOMPARE(s.emType[3], 0.0);
}

void TestEvalMetrics::qaRulesAsUpstreamEvaluators() {
    // Row by row, what Inst3D-LMM's and Chat-Scene's helper.py give (cleaned answer, EM, refined EM).
    ojson golden = inst3dGolden("qa.json");
    for (const char* bench : {"scanqa", "sqa3d"})
        for (const auto& [name, evaluator] : {std::pair{"inst3d", QaEvaluator::Inst3D}, std::pair{"chat_scene", QaEvaluator::ChatScene}}) {
            const ojson& rows = golden[bench]["rows"];
            const ojson& want = golden[bench][name]["per_item"];
            QCOMPARE(want.size(), rows.size());
            for (size_t i = 0; i < rows.size(); ++i) {
                std::string pred = rows[i]["pred"];
                auto refs = rows[i]["ref_captions"].get<std::vector<std::string>>();
                QaItemScore got = std::string(bench) == "scanqa" ? scoreScanQaItem(pred, refs, evaluator)
                                                                 : scoreSqa3dItem(pred, refs, evaluator);
                std::string what = std::string(bench) + " " + name + " row " + std::to_string(i) + " \"" + pred + "\"";
                QVERIFY2(got.predClean == want[i]["pred_clean"].get<std::string>(), what.c_str());
                QVERIFY2(got.em == want[i]["em"].get<int>(), what.c_str());
                QVERIFY2(got.emRefined == want[i]["em_refined"].get<int>(), what.c_str());
            }
        }
}

void TestEvalMetrics::ptbTokenizeAsStanfordJar() {
    // pycocoevalcap's PTBTokenizer (Stanford CoreNLP 3.4.1 run with java) on awkward strings.
    ojson golden = inst3dGolden("ptb.json");
    QVERIFY(golden["cases"].size() > 70);
    std::string mismatches;
    for (const auto& c : golden["cases"]) {
        std::string raw = c["raw"], want = c["tokenized"], got = ptbTokenize(raw);
        if (got != want) mismatches += "\n  \"" + raw + "\": got \"" + got + "\", jar \"" + want + "\"";
    }
    QVERIFY2(mismatches.empty(), mismatches.c_str());
    // Already-tokenized text only loses the punctuation tokens; the lowercased brackets stay, as there.
    QCOMPARE(ptbNormalize("A -LRB- b -RRB- . ''"), std::string("a -lrb- b -rrb-"));
}

void TestEvalMetrics::meteorAsPycocoevalcap() {
    // The jar's numbers through pycocoevalcap's Meteor, on the corpora of caption_golden.json.
    QVERIFY2(meteorAvailable(), meteorStatus().c_str());
    ojson corpora = ojson::parse(readTextFile(dataPath("caption_golden.json")))["input"]["corpora"];
    ojson golden = inst3dGolden("meteor.json");
    // Its own corpus: what meteor.py rewrites in a hypothesis ("|||", runs of spaces), unicode, empty.
    corpora.push_back({{"name", "meteor_edge"}, {"items", meteorGolden(golden, "meteor_edge")["items"]}});
    for (const auto& corpus : corpora) {
        std::string name = corpus["name"];
        const ojson& want = meteorGolden(golden, name);
        std::optional<MeteorScores> got = meteorIfConfigured(itemsOf(corpus));
        QVERIFY2(got.has_value(), name.c_str());
        expectSame(got->corpus, want["corpus"], "METEOR " + name);
        QCOMPARE(got->perItem.size(), want["per_item"].size());
        for (size_t i = 0; i < got->perItem.size(); ++i)
            expectSame(got->perItem[i], want["per_item"][i]["METEOR"], "METEOR " + name + " item " + std::to_string(i));
    }
}

void TestEvalMetrics::scan2capCorpusRules() {
    EvalBox gt = box(0, 0, 0, 1, 1, 1), third = box(0.5, 0, 0, 1, 1, 1);  // IoU 1/3
    std::vector<Scan2CapItem> items = {{"s|1", gt, gt, "a chair", {"sos a chair eos"}},
                                       {"s|2", gt, third, "a table", {"a table"}},
                                       {"s|3", gt, std::nullopt, std::nullopt, {"sos a lamp eos"}}};
    std::vector<std::optional<double>> iou;
    std::vector<CaptionItem> c25 = scan2capCorpus(items, 0.25, &iou);
    QCOMPARE(c25[0].candidate, std::string("sos a chair eos"));
    QCOMPARE(c25[1].candidate, std::string("sos a table eos"));
    QCOMPARE(c25[1].references[0], std::string("sos a table eos"));  // wrapped once
    QCOMPARE(c25[2].candidate, std::string("sos eos"));
    QVERIFY(!iou[2]);
    std::vector<CaptionItem> c50 = scan2capCorpus(items, 0.5);
    QCOMPARE(c50[1].candidate, std::string("sos eos"));
    // An empty caption: the evaluator's "sos  eos" after the PTB tokenizer, one space (ROUGE-L splits on
    // single spaces, so "sos  eos" would score differently).
    items[0].prediction = "";
    QCOMPARE(scan2capCorpus(items, 0.5)[0].candidate, std::string("sos eos"));
    QCOMPARE(ptbTokenize("sos  eos"), std::string("sos eos"));
    QVERIFY(rougeL("sos  eos", {"sos a chair eos"}) != rougeL("sos eos", {"sos a chair eos"}));
}

void TestEvalMetrics::scoreVerbCaptionsGolden() {
    QTemporaryDir dir;
    ojson golden = ojson::parse(readTextFile(dataPath("caption_golden.json")));
    std::string in = dir.filePath("in.json").toStdString(), out = dir.filePath("out.json").toStdString();
    writeFileAtomic(in, golden["input"].dump());
    std::string err;
    QCOMPARE(test::runInst3d({"score", "--task", "captions", "--input", in, "--output", out}, nullptr, &err), 0);
    ojson got = ojson::parse(readTextFile(out));
    for (size_t c = 0; c < golden["expected"]["corpora"].size(); ++c)
        for (const char* m : kMetrics)
            expectSame(got["corpora"][c]["corpus"][m], golden["expected"]["corpora"][c]["corpus"][m],
                       std::string("score verb ") + m);
    // METEOR is part of the output whenever java and the jar are there (tools/setup.sh installs them),
    // and it is pycocoevalcap's number.
    std::string status = got["meteor"];
    QVERIFY2(status.rfind("available", 0) == 0, status.c_str());
    ojson meteor = inst3dGolden("meteor.json");
    for (size_t c = 0; c < got["corpora"].size(); ++c) {
        const ojson& corpus = got["corpora"][c];
        QVERIFY2(corpus["corpus"].contains("METEOR"), corpus["name"].get<std::string>().c_str());
        const ojson& want = meteorGolden(meteor, corpus["name"]);
        expectSame(corpus["corpus"]["METEOR"], want["corpus"], "score verb METEOR");
        for (size_t i = 0; i < corpus["per_item"].size(); ++i)
            expectSame(corpus["per_item"][i]["METEOR"], want["per_item"][i]["METEOR"], "score verb METEOR per item");
    }
}

void TestEvalMetrics::scoreVerbOnSynthWorld() {
    // Real-format input: the synthetic world's Scan2Cap corpus and ScanQA val answers.
    QTemporaryDir dir;
    std::string world = dir.filePath("w").toStdString();
    QCOMPARE(test::runInst3d({"synth", "--out", world, "--scenes", "2", "--seed", "5", "--no-frames"}), 0);
    ojson corpus = ojson::parse(readTextFile(world + "/Scan2Cap/scan2cap_val_corpus.json"));
    QVERIFY(!corpus.empty());
    ojson items = ojson::array();
    ojson unit = {{"center", {0, 0, 0}}, {"size", {1, 1, 1}}}, far = {{"center", {9, 9, 9}}, {"size", {1, 1, 1}}};
    size_t n = 0;
    for (const auto& [key, refs] : corpus.items()) {
        std::string first = refs[0];
        std::string bare = first.substr(4, first.size() - 8);  // strip "sos " and " eos"
        bool hit = n++ % 2 == 0;  // every other object has a far-away proposal: "sos eos" at both k
        items.push_back({{"id", key}, {"gt_box", unit}, {"pred_box", hit ? unit : far}, {"prediction", bare},
                         {"references", refs}});
    }
    std::string in = dir.filePath("s2c.json").toStdString(), out = dir.filePath("s2c_out.json").toStdString();
    writeFileAtomic(in, ojson{{"items", items}}.dump());
    QCOMPARE(test::runInst3d({"score", "--task", "scan2cap", "--input", in, "--output", out}), 0);
    ojson got = ojson::parse(readTextFile(out));
    QVERIFY(got["impl"]["0.5"]["CIDEr"].get<double>() > 0);
    QCOMPARE(got["impl"]["0.25"]["CIDEr"].get<double>(), got["impl"]["0.5"]["CIDEr"].get<double>());
    QCOMPARE(got["iou"].size(), corpus.size());

    ojson qa = ojson::parse(readTextFile(world + "/ScanQA/ScanQA_v1.0_val.json")), cases = ojson::array();
    for (const auto& q : qa) cases.push_back({{"id", q["question_id"]}, {"prediction", q["answers"][0]}, {"references", q["answers"]}});
    in = dir.filePath("qa.json").toStdString();
    out = dir.filePath("qa_out.json").toStdString();
    writeFileAtomic(in, ojson{{"cases", cases}}.dump());
    QCOMPARE(test::runInst3d({"score", "--task", "scanqa", "--input", in, "--output", out}), 0);
    got = ojson::parse(readTextFile(out));
    // Each prediction is its first reference. By Inst3D-LMM's rules (the default) the references are
    // cleaned like the prediction, so every one matches; by Chat-Scene's (raw references) those that
    // cleaning changes ("3" -> "three") do not.
    const ojson& per = got["inst3d"]["per_item"];
    QCOMPARE(per.size(), cases.size());
    QCOMPARE(got["evaluator"].get<std::string>(), std::string("inst3d"));
    for (size_t i = 0; i < per.size(); ++i) QCOMPARE(per[i]["em"].get<int>(), 1);
    QCOMPARE(test::runInst3d({"score", "--task", "scanqa", "--input", in, "--output", out, "--evaluator", "chat-scene"}), 0);
    const ojson raw = ojson::parse(readTextFile(out))["inst3d"]["per_item"];
    int changed = 0;
    for (size_t i = 0; i < raw.size(); ++i) {
        std::string answer = cases[i]["prediction"];
        bool same = cleanAnswer(preparePrediction(answer)) == answer;
        changed += !same;
        QCOMPARE(raw[i]["em"].get<int>(), same ? 1 : 0);
    }
    QVERIFY(changed > 0 && changed < static_cast<int>(raw.size()));
}

void TestEvalMetrics::scoreVerbErrorsNameTheFile() {
    QTemporaryDir dir;
    std::string bad = dir.filePath("bad.json").toStdString(), out = dir.filePath("o.json").toStdString();
    test::writeBytes(bad, "{\"pairs\": [ {\"id\": 1, \"unique_multiple\": 0, \"pred\": {\"center\": [0,0]}} ]}");
    std::string err;
    QCOMPARE(test::runInst3d({"score", "--task", "boxes", "--input", bad, "--output", out}, nullptr, &err), 1);
    QVERIFY2(err.find(bad) != std::string::npos && err.find("pairs[0]") != std::string::npos, err.c_str());
    test::writeBytes(bad, "{not json");
    QCOMPARE(test::runInst3d({"score", "--task", "multi3drefer", "--input", bad, "--output", out}, nullptr, &err), 1);
    QVERIFY2(err.find(bad) != std::string::npos, err.c_str());
    QCOMPARE(test::runInst3d({"score", "--task", "nope", "--input", bad, "--output", out}), 2);
}

QTEST_GUILESS_MAIN(TestEvalMetrics)
#include "test_eval_metrics.moc"
