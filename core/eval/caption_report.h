// One caption corpus scored the way the evaluators report it: pycocoevalcap's Bleu_1..4, METEOR (only
// when the jar is configured, core/eval/meteor.h), ROUGE_L and CIDEr, in that order. Shared by
// `inst3d score` and `inst3d score-predictions` so that both print the same metric set.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/eval/caption_metrics.h"

namespace inst3d {

using MetricRow = std::vector<std::pair<std::string, double>>;  // (name, value) in report order

struct CorpusReport {
    MetricRow corpus;
    std::vector<MetricRow> perItem;  // filled only when asked for
};

CorpusReport reportCorpus(const std::vector<CaptionItem>& corpus, bool perItem);

// pycocoevalcap's PTBTokenizer step over a whole corpus (candidates and references), with the
// Java-free approximation ptbTokenize: what Chat-Scene runs on raw model text before scoring.
void ptbTokenizeCorpus(std::vector<CaptionItem>& corpus);

}  // namespace inst3d
