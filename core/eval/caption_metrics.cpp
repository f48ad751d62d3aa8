// pycocoevalcap 1.2 BLEU / ROUGE-L / CIDEr-D. The comments name the Python function each part mirrors;
// operation order follows the Python so that the doubles agree bit for bit.
#include "core/eval/caption_metrics.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <unordered_map>

#include "core/common/py_text.h"

namespace inst3d {
namespace {

constexpr int kMaxN = 4;  // BLEU-4 and CIDEr's n = 4

// Python's str.split() without arguments: runs of whitespace (Unicode whitespace included) separate,
// none at the ends.
std::vector<std::string_view> splitWhitespacePy(std::string_view s) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size()) {
            size_t w = pytext::spaceLength(s, i);
            if (!w) break;
            i += w;
        }
        size_t j = i;
        while (j < s.size() && !pytext::spaceLength(s, j)) ++j;
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}


// Dense ids for tokens and n-grams: an n-gram is (id of its (n-1)-gram prefix, last token), so every
// n-gram of the corpus gets one small integer and per-n-gram tables are plain vectors. The n-gram map
// is open-addressed (a node-based map spent most of the scoring time in cache misses).
class NgramTable {
public:
    NgramTable() : slots_(1 << 16, kEmpty) {}

    int token(std::string_view t) { return tokens_.emplace(t, static_cast<int>(tokens_.size())).first->second; }

    int extend(int prefix, int tok) {  // prefix -1 for unigrams
        uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(prefix + 1)) << 32) | static_cast<uint32_t>(tok);
        if ((size_ + 1) * 2 > slots_.size()) grow();
        size_t mask = slots_.size() - 1;
        for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
            if (slots_[i].first == kEmpty.first) {
                slots_[i] = {key, static_cast<int>(size_++)};
                return slots_[i].second;
            }
            if (slots_[i].first == key) return slots_[i].second;
        }
    }
    size_t size() const { return size_; }

private:
    static constexpr std::pair<uint64_t, int> kEmpty{~0ull, -1};
    static uint64_t mix(uint64_t x) {  // splitmix64 finalizer
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9ull;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebull;
        return x ^ (x >> 31);
    }
    void grow() {
        std::vector<std::pair<uint64_t, int>> old(slots_.size() * 2, kEmpty);
        old.swap(slots_);
        size_t mask = slots_.size() - 1;
        for (const auto& e : old)
            if (e.first != kEmpty.first) {
                size_t i = mix(e.first) & mask;
                while (slots_[i].first != kEmpty.first) i = (i + 1) & mask;
                slots_[i] = e;
            }
    }
    std::unordered_map<std::string_view, int> tokens_;  // views into the corpus, which outlives cooking
    std::vector<std::pair<uint64_t, int>> slots_;
    size_t size_ = 0;
};

using Gram = std::pair<int, int>;  // (ngram id, count)

// A range of n-grams inside the corpus-wide pool.
struct GramSpan {
    const Gram* first;
    const Gram* last;
    const Gram* begin() const { return first; }
    const Gram* end() const { return last; }
};

// precook(): n-gram counts of one sentence, per n in first-occurrence order (the insertion order of
// Python's defaultdict, which CIDEr's float sums follow), stored as offsets into one shared pool.
struct Cooked {
    int length = 0;  // number of tokens
    std::array<uint32_t, kMaxN + 1> off{};
    const std::vector<Gram>* pool = nullptr;
    GramSpan grams(int n) const { return {pool->data() + off[n], pool->data() + off[n + 1]}; }
};

class Cooker {
public:
    Cooker(NgramTable& table, std::vector<Gram>& pool) : table_(table), pool_(pool) {}

    Cooked cook(std::string_view sentence) {
        words_.clear();
        for (std::string_view w : splitWhitespacePy(sentence)) words_.push_back(table_.token(w));
        Cooked c;
        c.length = static_cast<int>(words_.size());
        c.pool = &pool_;
        prefix_.assign(words_.size(), -1);  // id of the (k-1)-gram starting at i
        for (int k = 1; k <= kMaxN; ++k) {
            c.off[k - 1] = static_cast<uint32_t>(pool_.size());
            for (size_t i = 0; i + k <= words_.size(); ++i) {
                prefix_[i] = table_.extend(prefix_[i], words_[i + k - 1]);
                add(prefix_[i], c.off[k - 1]);
            }
            for (size_t g = c.off[k - 1]; g < pool_.size(); ++g) slot_[pool_[g].first] = 0;
        }
        c.off[kMaxN] = static_cast<uint32_t>(pool_.size());
        return c;
    }

private:
    void add(int id, uint32_t listStart) {
        if (slot_.size() <= static_cast<size_t>(id)) slot_.resize(std::max<size_t>(id + 1, slot_.size() * 2), 0);
        if (slot_[id] == 0) {
            pool_.push_back({id, 0});
            slot_[id] = static_cast<uint32_t>(pool_.size() - listStart);
        }
        ++pool_[listStart + slot_[id] - 1].second;
    }
    NgramTable& table_;
    std::vector<Gram>& pool_;
    std::vector<int> words_, prefix_;
    std::vector<uint32_t> slot_;  // 1 + position in the current list, 0 when absent
};

struct CookedItem {
    Cooked test;
    std::vector<Cooked> refs;
};

struct CookedCorpus {
    NgramTable table;
    std::vector<Gram> pool;
    std::vector<CookedItem> items;
};

void cookCorpus(const std::vector<CaptionItem>& corpus, CookedCorpus& out) {
    Cooker cooker(out.table, out.pool);
    out.items.resize(corpus.size());
    for (size_t i = 0; i < corpus.size(); ++i) {
        out.items[i].test = cooker.cook(corpus[i].candidate);
        for (const auto& r : corpus[i].references) out.items[i].refs.push_back(cooker.cook(r));
    }
}

// ---- BLEU (bleu_scorer.py) -------------------------------------------------------------------

constexpr double kSmall = 1e-9;   // BleuScorer.compute_score: small
constexpr double kTiny = 1e-15;   // tiny: "so that if guess is 0 still return 0"

struct BleuComps {
    int testlen = 0, reflen = 0;
    std::array<long long, kMaxN> guess{}, correct{};
};

// cook_test() with eff="closest": the reference length nearest the candidate's, ties to the shorter
// (Python's min over (abs(l - testlen), l) tuples).
int closestRefLength(const std::vector<Cooked>& refs, int testlen) {
    int best = refs.front().length;
    for (const auto& r : refs) {
        int d = std::abs(r.length - testlen), bd = std::abs(best - testlen);
        if (d < bd || (d == bd && r.length < best)) best = r.length;
    }
    return best;
}

BleuComps bleuComps(const CookedItem& item, std::vector<int>& maxCount) {
    BleuComps c;
    for (const auto& ref : item.refs)  // cook_refs(): max count of each n-gram over the references
        for (int k = 0; k < kMaxN; ++k)
            for (const auto& [id, n] : ref.grams(k)) maxCount[id] = std::max(maxCount[id], n);
    c.testlen = item.test.length;
    c.reflen = closestRefLength(item.refs, c.testlen);
    for (int k = 0; k < kMaxN; ++k) {
        c.guess[k] = std::max(0, c.testlen - k);
        for (const auto& [id, n] : item.test.grams(k)) c.correct[k] += std::min(maxCount[id], n);
    }
    for (const auto& ref : item.refs)
        for (int k = 0; k < kMaxN; ++k)
            for (const auto& g : ref.grams(k)) maxCount[g.first] = 0;
    return c;
}

// The geometric mean with the brevity penalty, as compute_score does it for one item and for the corpus.
std::array<double, 4> bleuFromCounts(const std::array<long long, kMaxN>& correct,
                                     const std::array<long long, kMaxN>& guess, long long testlen,
                                     long long reflen) {
    std::array<double, 4> out{};
    double bleu = 1.;
    for (int k = 0; k < kMaxN; ++k) {
        bleu *= (static_cast<double>(correct[k]) + kTiny) / (static_cast<double>(guess[k]) + kSmall);
        out[k] = std::pow(bleu, 1. / (k + 1));
    }
    double ratio = (static_cast<double>(testlen) + kTiny) / (static_cast<double>(reflen) + kSmall);
    if (ratio < 1)
        for (int k = 0; k < kMaxN; ++k) out[k] *= std::exp(1 - 1 / ratio);
    return out;
}

std::array<double, 4> bleuOfCooked(const std::vector<CookedItem>& items, size_t numNgrams,
                                   std::vector<std::array<double, 4>>* perItem) {
    std::vector<int> maxCount(numNgrams, 0);
    BleuComps total;
    long long testlen = 0, reflen = 0;
    if (perItem) perItem->clear();
    for (const auto& item : items) {
        BleuComps c = bleuComps(item, maxCount);
        testlen += c.testlen;
        reflen += c.reflen;
        for (int k = 0; k < kMaxN; ++k) {
            total.guess[k] += c.guess[k];
            total.correct[k] += c.correct[k];
        }
        if (perItem) perItem->push_back(bleuFromCounts(c.correct, c.guess, c.testlen, c.reflen));
    }
    return bleuFromCounts(total.correct, total.guess, testlen, reflen);
}

// ---- CIDEr-D (cider_scorer.py) ---------------------------------------------------------------

constexpr double kSigma = 6.0;
constexpr double kE = 2.718281828459045;  // np.e; the penalty is np.e ** x, i.e. pow(), not exp()

// counts2vec(): tf-idf vectors per n, their norms, and the "length", which pycocoevalcap counts over
// bigrams only (`if n == 1` after n = len(ngram) - 1): a quirk kept because the penalty depends on it.
struct TfIdf {
    std::array<std::vector<std::pair<int, double>>, kMaxN> vec;
    std::array<double, kMaxN> norm{};
    int length = 0;
};

void counts2vec(const Cooked& c, const std::vector<double>& logDf, double refLen, TfIdf& v) {
    v.length = 0;
    for (int n = 0; n < kMaxN; ++n) {
        v.vec[n].clear();
        double sq = 0.0;
        for (const auto& [id, tf] : c.grams(n)) {
            double w = static_cast<double>(tf) * (refLen - logDf[id]);
            v.vec[n].push_back({id, w});
            sq += w * w;
            if (n == 1) v.length += tf;
        }
        v.norm[n] = std::sqrt(sq);
    }
}

// sim(): clipped cosine similarity per n times the Gaussian length penalty.
std::array<double, kMaxN> ciderSim(const TfIdf& hyp, const TfIdf& ref, std::vector<double>& refWeight) {
    for (const auto& list : ref.vec)
        for (const auto& [id, w] : list) refWeight[id] = w;
    double delta = static_cast<double>(hyp.length - ref.length);
    double penalty = std::pow(kE, -(delta * delta) / (2 * kSigma * kSigma));
    std::array<double, kMaxN> val{};
    for (int n = 0; n < kMaxN; ++n) {
        for (const auto& [id, w] : hyp.vec[n]) val[n] += std::min(w, refWeight[id]) * refWeight[id];
        if (hyp.norm[n] != 0 && ref.norm[n] != 0) val[n] /= (hyp.norm[n] * ref.norm[n]);
        val[n] *= penalty;
    }
    for (const auto& list : ref.vec)
        for (const auto& g : list) refWeight[g.first] = 0.0;
    return val;
}

// compute_doc_freq(): in how many items' reference sets each n-gram occurs; then log(max(1, df)).
std::vector<double> logDocumentFrequency(const std::vector<CookedItem>& items, size_t numNgrams) {
    std::vector<int> df(numNgrams, 0), lastItem(numNgrams, -1);
    for (size_t i = 0; i < items.size(); ++i)
        for (const auto& ref : items[i].refs)
            for (int n = 0; n < kMaxN; ++n)
                for (const auto& g : ref.grams(n))
                    if (lastItem[g.first] != static_cast<int>(i)) {
                        lastItem[g.first] = static_cast<int>(i);
                        ++df[g.first];
                    }
    std::vector<double> logDf(numNgrams);
    for (size_t k = 0; k < numNgrams; ++k) logDf[k] = std::log(std::max(1.0, static_cast<double>(df[k])));
    return logDf;
}

double ciderOfCooked(const std::vector<CookedItem>& items, size_t numNgrams, std::vector<double>* perItem) {
    std::vector<double> logDf = logDocumentFrequency(items, numNgrams);
    double refLen = std::log(static_cast<double>(items.size()));
    std::vector<double> refWeight(numNgrams, 0.0), scores;
    scores.reserve(items.size());
    TfIdf hyp, refVec;  // reused: their vectors keep their capacity
    for (const auto& item : items) {
        counts2vec(item.test, logDf, refLen, hyp);
        std::array<double, kMaxN> score{};
        for (const auto& ref : item.refs) {
            counts2vec(ref, logDf, refLen, refVec);
            std::array<double, kMaxN> s = ciderSim(hyp, refVec, refWeight);
            for (int n = 0; n < kMaxN; ++n) score[n] += s[n];
        }
        double avg = 0.0;  // np.mean of 4 values: summed left to right from 0
        for (int n = 0; n < kMaxN; ++n) avg += score[n];
        avg /= kMaxN;
        avg /= static_cast<double>(item.refs.size());
        avg *= 10.0;
        scores.push_back(avg);
    }
    if (perItem) *perItem = scores;
    return numpyMean(scores);
}

// ---- ROUGE-L (rouge.py) ------------------------------------------------------------------------

constexpr double kBeta = 1.2;

int lcsLength(const std::vector<int>& a, const std::vector<int>& b) {
    std::vector<int> prev(b.size() + 1, 0), cur(b.size() + 1, 0);
    for (size_t i = 1; i <= a.size(); ++i) {
        for (size_t j = 1; j <= b.size(); ++j)
            cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::vector<int> tokenIds(std::string_view s, std::unordered_map<std::string_view, int>& vocab) {
    std::vector<int> ids;
    for (std::string_view t : pytext::splitOnSpace(s)) ids.push_back(vocab.emplace(t, static_cast<int>(vocab.size())).first->second);
    return ids;
}

// numpy's pairwise_sum for one block (n <= 8192): plain loop below 8, 8 accumulators up to 128,
// halves (rounded to a multiple of 8) above.
double pairwiseSum(const double* a, size_t n) {
    if (n < 8) {
        double res = 0.;
        for (size_t i = 0; i < n; ++i) res += a[i];
        return res;
    }
    if (n <= 128) {
        double r[8];
        for (int j = 0; j < 8; ++j) r[j] = a[j];
        size_t i = 8;
        for (; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; ++j) r[j] += a[i + j];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; ++i) res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwiseSum(a, n2) + pairwiseSum(a + n2, n - n2);
}

}  // namespace

double numpyMean(const std::vector<double>& values) {
    if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
    constexpr size_t kBufferSize = 8192;  // numpy's default ufunc buffer: reductions go block by block
    double sum = 0.;
    for (size_t i = 0; i < values.size(); i += kBufferSize)
        sum += pairwiseSum(values.data() + i, std::min(kBufferSize, values.size() - i));
    return sum / static_cast<double>(values.size());
}

double rougeL(const std::string& candidate, const std::vector<std::string>& references) {
    std::unordered_map<std::string_view, int> vocab;
    std::vector<int> c = tokenIds(candidate, vocab);
    double precMax = 0, recMax = 0;  // max() over lists of non-negative values
    for (const auto& r : references) {
        std::vector<int> t = tokenIds(r, vocab);
        int lcs = lcsLength(t, c);
        precMax = std::max(precMax, lcs / static_cast<double>(c.size()));
        recMax = std::max(recMax, lcs / static_cast<double>(t.size()));
    }
    if (precMax == 0 || recMax == 0) return 0.0;
    return ((1 + kBeta * kBeta) * precMax * recMax) / (recMax + kBeta * kBeta * precMax);
}

std::array<double, 4> bleuCorpus(const std::vector<CaptionItem>& corpus, std::vector<std::array<double, 4>>* perItem) {
    CookedCorpus c;
    cookCorpus(corpus, c);
    return bleuOfCooked(c.items, c.table.size(), perItem);
}

double ciderD(const std::vector<CaptionItem>& corpus, std::vector<double>* perItem) {
    CookedCorpus c;
    cookCorpus(corpus, c);
    return ciderOfCooked(c.items, c.table.size(), perItem);
}

CaptionScores scoreCaptions(const std::vector<CaptionItem>& corpus) {
    CaptionScores s;
    CookedCorpus c;
    cookCorpus(corpus, c);  // shared by BLEU and CIDEr
    s.bleu = bleuOfCooked(c.items, c.table.size(), &s.bleuPerItem);
    s.cider = ciderOfCooked(c.items, c.table.size(), &s.ciderPerItem);
    s.rougeLPerItem.reserve(corpus.size());
    for (const auto& item : corpus) s.rougeLPerItem.push_back(rougeL(item.candidate, item.references));
    s.rougeL = numpyMean(s.rougeLPerItem);
    return s;
}

}  // namespace inst3d
