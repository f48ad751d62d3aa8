// Question-answering metrics as Chat-Scene / Inst3D compute them (utils/eval.py, utils/helper.py,
// whose clean_answer and answer_match come from LEO's evaluator): ScanQA EM@1 and refined EM, SQA3D
// EM per question type.
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

// answer_match(): (EM, refined EM). EM: pred equals a reference; refined: with all whitespace removed,
// pred is a substring of a reference or a reference of pred. An empty pred scores (0, 0).
std::array<int, 2> answerMatch(const std::string& pred, const std::vector<std::string>& references);

struct QaItemScore {
    std::string predClean;
    int em = 0, emRefined = 0;
};

// ScanQA: the prediction is prepared and cleaned, but matched against the RAW references (the
// evaluator computes cleaned references and then overwrites them: a quirk kept for comparability).
QaItemScore scoreScanQaItem(const std::string& prediction, const std::vector<std::string>& references);
// SQA3D: the same, matched against cleaned references.
QaItemScore scoreSqa3dItem(const std::string& prediction, const std::vector<std::string>& references);

// SQA3D sqa_type from the question's first letters: what 0, is 1, how 2, can 3, which 4, other 5.
int sqa3dQuestionType(const std::string& question);

struct Sqa3dSummary {
    double em = 0, emRefined = 0;
    std::array<double, 6> emType{}, emRefinedType{};  // divided by (count + 1e-10), as the evaluator
};
Sqa3dSummary summarizeSqa3d(const std::vector<QaItemScore>& items, const std::vector<int>& types);

}  // namespace inst3d
