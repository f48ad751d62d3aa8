// Caption metrics exactly as pycocoevalcap 1.2 computes them (the package Inst3D and Chat-Scene score
// Scan2Cap, ScanQA and SQA3D with): BLEU-1..4, ROUGE-L, CIDEr-D. Inputs are already tokenized strings,
// as pycocoevalcap's scorers receive them after its PTB tokenizer (core/eval/ptb_tokenizer.h).
//
// Exactness: the same floating-point operations in the same order as the Python code (including
// numpy's 8192-blocked pairwise summation in np.mean), so values agree to the last digit on the
// golden corpus in tests/data/. METEOR is not here: it needs the external jar (core/eval/meteor.h).
#pragma once
#include <array>
#include <string>
#include <vector>

#include "core/eval/ptb_tokenizer.h"

namespace inst3d {

// One image/object: a single candidate and one or more references (pycocoevalcap asserts >= 1).
struct CaptionItem {
    std::string id;
    std::string candidate;
    std::vector<std::string> references;
};

struct CaptionScores {
    std::array<double, 4> bleu{};  // corpus Bleu_1..Bleu_4 (from summed counts, not a mean)
    double rougeL = 0;             // mean over items (np.mean)
    double cider = 0;              // mean over items (np.mean)
    std::vector<std::array<double, 4>> bleuPerItem;
    std::vector<double> rougeLPerItem;
    std::vector<double> ciderPerItem;
};

// Scores the whole corpus; CIDEr's document frequencies come from this corpus's references, as in
// pycocoevalcap, so a corpus must be scored in one call, never item by item.
CaptionScores scoreCaptions(const std::vector<CaptionItem>& corpus);

// The individual scorers (same results as the fields of scoreCaptions).
std::array<double, 4> bleuCorpus(const std::vector<CaptionItem>& corpus,
                                 std::vector<std::array<double, 4>>* perItem = nullptr);
double rougeL(const std::string& candidate, const std::vector<std::string>& references);
double ciderD(const std::vector<CaptionItem>& corpus, std::vector<double>* perItem = nullptr);

// np.mean of a float64 vector as numpy 1.24 computes it: pairwise summation in blocks of 8192
// (the ufunc buffer size) accumulated left to right, divided by n. NaN for an empty vector.
double numpyMean(const std::vector<double>& values);

}  // namespace inst3d
