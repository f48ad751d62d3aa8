#include "core/eval/caption_report.h"

#include <optional>

#include "core/eval/meteor.h"

namespace inst3d {
namespace {

MetricRow metricRow(const std::array<double, 4>& bleu, const std::optional<double>& meteor, double rouge, double cider) {
    MetricRow row;
    for (int k = 0; k < 4; ++k) row.emplace_back("Bleu_" + std::to_string(k + 1), bleu[k]);
    if (meteor) row.emplace_back("METEOR", *meteor);
    row.emplace_back("ROUGE_L", rouge);
    row.emplace_back("CIDEr", cider);
    return row;
}

}  // namespace

CorpusReport reportCorpus(const std::vector<CaptionItem>& corpus, bool perItem) {
    CaptionScores s = scoreCaptions(corpus);
    std::optional<MeteorScores> meteor = meteorIfConfigured(corpus);
    CorpusReport r;
    r.corpus = metricRow(s.bleu, meteor ? std::optional<double>(meteor->corpus) : std::nullopt, s.rougeL, s.cider);
    if (!perItem) return r;
    for (size_t i = 0; i < corpus.size(); ++i)
        r.perItem.push_back(metricRow(s.bleuPerItem[i], meteor ? std::optional<double>(meteor->perItem[i]) : std::nullopt,
                                      s.rougeLPerItem[i], s.ciderPerItem[i]));
    return r;
}

void ptbTokenizeCorpus(std::vector<CaptionItem>& corpus) {
    for (CaptionItem& c : corpus) {
        c.candidate = ptbTokenize(c.candidate);
        for (std::string& r : c.references) r = ptbTokenize(r);
    }
}

}  // namespace inst3d
