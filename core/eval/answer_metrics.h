// Question-answering metrics as Inst3D-LMM and Chat-Scene compute them (utils/eval.py, utils/helper.py,
// whose clean_answer and answer_match come from LEO's evaluator): ScanQA EM@1 and refined EM, SQA3D
// EM per question type. The two repositories differ in two places (QaEvaluator); Inst3D-LMM's rules are
// the default. Both checked against their own code on tests/data/eval/inst3d/qa.json.
#pragma once
#include <array>
#include <string>
#include <vector>

namespace inst3d {

// LEO's clean_answer on UTF-8 text: lowercase, trim, collapse spaces, drop every character but ASCII
// letters/digits, , ' - : and whitespace, fix listed typos, numbers 0-20 and 23 to words ("none" ->
// "zero"), drop a trailing digit after letters ("mat2" -> "mat"), drop "a"/"an"/"the" before a word.
std::string cleanAnswer(const std::string& text);

// What the evaluator does to a generated answer before cleaning: if it has more than one character,
// drop one trailing "." and lowercase the first character.
std::string preparePrediction(const std::string& generated);

// Whose evaluator to follow.
//   Inst3D (hanxunyu/Inst3D-LMM 5e1fdb6): ScanQA references are cleaned like the prediction (EM and the
//     caption metrics); answer_match has no empty-prediction guard, so an answer that cleans to ""
//     is a refined match with every reference ("" is a substring of anything), and an EM match
//     with a reference that also cleans to "".
//   ChatScene (ZzZZCHS/Chat-Scene): ScanQA references are cleaned and then overwritten by the raw list
//     (EM and caption metrics use the raw references); answer_match returns (0, 0) for an empty
//     prediction. SQA3D cleans the references in both.
enum class QaEvaluator { Inst3D, ChatScene };

// "inst3d" | "chat-scene"; throws UsageError naming the option otherwise.
QaEvaluator parseQaEvaluator(const std::string& name, const std::string& option);
const char* qaEvaluatorName(QaEvaluator evaluator);

// answer_match(): (EM, refined EM). EM: pred equals a reference; refined: with all whitespace removed,
// pred is a substring of a reference or a reference of pred. An empty pred: see QaEvaluator.
std::array<int, 2> answerMatch(const std::string& pred, const std::vector<std::string>& references,
                               QaEvaluator evaluator = QaEvaluator::Inst3D);

struct QaItemScore {
    std::string predClean;
    int em = 0, emRefined = 0;
    // The references the evaluator hands to the caption metrics (cleaned or raw, see QaEvaluator), each
    // with "\n" made " " and stripped (str.strip), before the PTB tokenizer.
    std::vector<std::string> captionReferences;
};

// ScanQA: the prediction is prepared and cleaned; references as the evaluator treats them.
QaItemScore scoreScanQaItem(const std::string& prediction, const std::vector<std::string>& references,
                            QaEvaluator evaluator = QaEvaluator::Inst3D);
// SQA3D: the same, always against cleaned references.
QaItemScore scoreSqa3dItem(const std::string& prediction, const std::vector<std::string>& references,
                           QaEvaluator evaluator = QaEvaluator::Inst3D);

// sqa3dQuestionType (the sqa_type of the types below): core/data/datasets.h.

struct Sqa3dSummary {
    double em = 0, emRefined = 0;
    std::array<double, 6> emType{}, emRefinedType{};  // divided by (count + 1e-10), as the evaluator
};
Sqa3dSummary summarizeSqa3d(const std::vector<QaItemScore>& items, const std::vector<int>& types);

}  // namespace inst3d
