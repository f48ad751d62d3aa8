// Caption-metric benchmark: 10,000 captions x 5 references (deterministic synthetic corpus of
// ScanRefer-like sentences), timing BLEU-1..4, ROUGE-L and CIDEr-D separately (best of --runs).
// --write-corpus FILE writes the corpus in `inst3d score --task captions` form, so pycocoevalcap can
// be timed and compared on the very same input (bench/captions_peer.py).
#include <charconv>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/cli/command.h"
#include "core/common/file_util.h"
#include "core/eval/caption_metrics.h"

using namespace inst3d;

namespace {

std::vector<CaptionItem> makeCorpus(size_t items, size_t refs, unsigned seed) {
    static const char* const words[] = {"this", "is", "a", "the", "chair", "table", "desk", "lamp", "brown", "white",
                                        "black", "wooden", "small", "large", "next", "to", "near", "left", "right",
                                        "of", "in", "corner", "room", "it", "placed", "between", "two", "bed", "sofa",
                                        "cabinet", "door", "window", "under", "on", "top", ".", ",", "closest", "far"};
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> word(0, sizeof(words) / sizeof(words[0]) - 1), len(6, 24);
    auto sentence = [&] {
        std::string s;
        for (int n = len(rng), i = 0; i < n; ++i) s += (i ? " " : "") + std::string(words[word(rng)]);
        return s;
    };
    std::vector<CaptionItem> corpus(items);
    for (size_t i = 0; i < items; ++i) {
        corpus[i].id = "scene" + std::to_string(i / 20) + "|" + std::to_string(i % 20);
        corpus[i].candidate = sentence();
        for (size_t r = 0; r < refs; ++r) corpus[i].references.push_back(sentence());
    }
    return corpus;
}

// Shortest round-trip form, as Python's repr prints a float, so the two tables compare digit by digit.
std::string repr(double v) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

template <class F>
double bestSeconds(int runs, F&& f) {
    double best = 1e30;
    for (int r = 0; r < runs; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        f();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

}  // namespace

// The benchmark proper; argv parsing is runProgram's and ArgParser's, as for the verbs.
static int runBench(const std::vector<std::string>& argv) {
    ArgParser args("inst3d_bench_captions",
                   "Times BLEU-1..4, ROUGE-L and CIDEr-D on a synthetic corpus (best of --runs).");
    args.option("items", "N", "captions in the corpus", "10000")
        .option("runs", "K", "timed runs per metric", "5")
        .option("write-corpus", "FILE", "also write the corpus as `inst3d score --task captions` input");
    if (!args.parse(argv)) return 0;
    const size_t items = static_cast<size_t>(args.getInt("items")), refs = 5;
    const int runs = args.getInt("runs");
    const std::string corpusOut = args.get("write-corpus");
    if (runs < 1) throw UsageError("--runs must be >= 1");
    std::vector<CaptionItem> corpus = makeCorpus(items, refs, 2025);
    if (!corpusOut.empty()) {
        nlohmann::ordered_json j, list = nlohmann::ordered_json::array();
        for (const auto& c : corpus) list.push_back({{"id", c.id}, {"candidate", c.candidate}, {"references", c.references}});
        j["corpora"] = {{{"name", "bench"}, {"items", list}}};
        writeFileAtomic(corpusOut, j.dump());
    }
    std::array<double, 4> bleu{};
    double rouge = 0, cider = 0;
    double tBleu = bestSeconds(runs, [&] { bleu = bleuCorpus(corpus); });
    double tRouge = bestSeconds(runs, [&] {
        std::vector<double> per;
        for (const auto& c : corpus) per.push_back(rougeL(c.candidate, c.references));
        rouge = numpyMean(per);
    });
    double tCider = bestSeconds(runs, [&] { cider = ciderD(corpus); });
    double tAll = bestSeconds(runs, [&] { scoreCaptions(corpus); });
    std::printf("corpus: %zu captions x %zu references, best of %d runs\n", items, refs, runs);
    std::printf("%-10s %10s  %s\n", "metric", "seconds", "value");
    std::printf("%-10s %10.3f  %s %s %s %s\n", "BLEU-1..4", tBleu, repr(bleu[0]).c_str(), repr(bleu[1]).c_str(),
                repr(bleu[2]).c_str(), repr(bleu[3]).c_str());
    std::printf("%-10s %10.3f  %s\n", "ROUGE-L", tRouge, repr(rouge).c_str());
    std::printf("%-10s %10.3f  %s\n", "CIDEr-D", tCider, repr(cider).c_str());
    std::printf("%-10s %10.3f\n", "all three", tAll);
    return 0;
}

int main(int argc, char** argv) { return runProgram("inst3d_bench_captions", argc, argv, runBench); }
