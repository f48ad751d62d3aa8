// ScanNet-protocol class-agnostic AP; the protocol is spelled out in instance_eval.h.
#include "core/proposals/instance_eval.h"

#include <algorithm>
#include <limits>
#include <map>

namespace inst3d {
namespace {

struct SceneMatches {
    std::vector<size_t> gtSize;                        // vertices per GT instance (after overwriting)
    std::vector<const Instance*> preds;                // kept predictions
    std::vector<std::map<int, size_t>> intersection;   // per prediction: GT index -> shared vertices
    std::vector<size_t> voidCount;                     // per prediction
    std::vector<std::vector<size_t>> predsOfGt;        // per GT: predictions touching it, in order
};

bool ignored(const std::string& label, const InstanceEvalOptions& o) {
    return std::find(o.ignoredLabels.begin(), o.ignoredLabels.end(), label) != o.ignoredLabels.end();
}

SceneMatches matchScene(const std::vector<Instance>& gt, const std::vector<Instance>& predictions, size_t numVertices,
                        const InstanceEvalOptions& o) {
    SceneMatches m;
    std::vector<int> gtOf(numVertices, -1);
    for (size_t g = 0; g < gt.size(); ++g)
        if (!ignored(gt[g].label, o))
            for (uint32_t v : gt[g].vertices)
                if (v < numVertices) gtOf[v] = int(g);
    m.gtSize.assign(gt.size(), 0);
    for (int g : gtOf)
        if (g >= 0) ++m.gtSize[size_t(g)];
    m.predsOfGt.resize(gt.size());
    for (const Instance& p : predictions) {
        if (p.vertices.size() < o.minRegionSize) continue;
        std::map<int, size_t> inter;
        size_t voids = 0;
        for (uint32_t v : p.vertices) {
            const int g = v < numVertices ? gtOf[v] : -1;
            if (g < 0) ++voids;
            else ++inter[g];
        }
        for (const auto& [g, n] : inter) m.predsOfGt[size_t(g)].push_back(m.preds.size());
        m.preds.push_back(&p);
        m.intersection.push_back(std::move(inter));
        m.voidCount.push_back(voids);
    }
    return m;
}

double iou(size_t inter, size_t gtSize, size_t predSize) { return double(inter) / double(gtSize + predSize - inter); }

// One threshold on one scene, appended to the pool (the script's evaluate_matches inner loop).
void scoreScene(const SceneMatches& m, double t, const InstanceEvalOptions& o, std::vector<std::pair<double, bool>>& scored,
                size_t& hardFalseNegatives) {
    std::vector<bool> taken(m.preds.size(), false);
    for (size_t g = 0; g < m.gtSize.size(); ++g) {
        if (m.gtSize[g] < o.minRegionSize) continue;  // ignored (also covers dropped labels: size 0)
        bool matched = false;
        double score = 0;
        for (size_t p : m.predsOfGt[g]) {
            if (taken[p] || iou(m.intersection[p].at(int(g)), m.gtSize[g], m.preds[p]->vertices.size()) <= t) continue;
            const double conf = m.preds[p]->score;
            if (matched) {
                scored.push_back({std::min(score, conf), false});
                score = std::max(score, conf);
            } else {
                matched = true;
                score = conf;
                taken[p] = true;
            }
        }
        if (matched) scored.push_back({score, true});
        else ++hardFalseNegatives;
    }
    for (size_t p = 0; p < m.preds.size(); ++p) {
        const size_t size = m.preds[p]->vertices.size();
        bool found = false;
        size_t ignoredCount = m.voidCount[p];
        for (const auto& [g, n] : m.intersection[p]) {
            found = found || iou(n, m.gtSize[size_t(g)], size) > t;
            if (m.gtSize[size_t(g)] < o.minRegionSize) ignoredCount += n;
        }
        if (!found && double(ignoredCount) / double(size) <= t) scored.push_back({m.preds[p]->score, false});
    }
}

}  // namespace

double scannetAveragePrecision(const std::vector<std::pair<double, bool>>& scored, size_t hardFalseNegatives) {
    std::vector<std::pair<double, bool>> sorted = scored;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    const size_t n = sorted.size();
    std::vector<double> cumsum(n + 1, 0);  // cumsum[i] = true positives among the i lowest scores
    for (size_t i = 0; i < n; ++i) cumsum[i + 1] = cumsum[i] + (sorted[i].second ? 1 : 0);
    const double trueTotal = cumsum[n];
    std::vector<double> precision, recall;
    for (size_t i = 0; i < n; ++i) {
        if (i > 0 && sorted[i].first == sorted[i - 1].first) continue;  // first index of each distinct score
        const double tp = trueTotal - cumsum[i];
        const double fp = double(n - i) - tp;
        const double fn = cumsum[i] + double(hardFalseNegatives);
        precision.push_back(tp / (tp + fp));
        recall.push_back(tp + fn > 0 ? tp / (tp + fn) : 0);
    }
    precision.push_back(1.0);
    recall.push_back(0.0);
    double ap = 0;
    const size_t m = precision.size();
    for (size_t j = 0; j < m; ++j) {
        const double before = recall[j == 0 ? 0 : j - 1], after = j + 1 < m ? recall[j + 1] : 0.0;
        ap += precision[j] * 0.5 * (before - after);
    }
    return ap;
}

InstanceApEvaluator::InstanceApEvaluator(InstanceEvalOptions options)
    : options_(std::move(options)), pools_(options_.overlaps.size()) {}

void InstanceApEvaluator::addScene(const std::vector<Instance>& gt, const std::vector<Instance>& predictions, size_t numVertices) {
    const SceneMatches m = matchScene(gt, predictions, numVertices, options_);
    for (size_t g : m.gtSize) hasGt_ = hasGt_ || g >= options_.minRegionSize;
    hasPred_ = hasPred_ || !m.preds.empty();
    for (size_t k = 0; k < pools_.size(); ++k) scoreScene(m, options_.overlaps[k], options_, pools_[k].scored, pools_[k].hardFalseNegatives);
}

std::vector<double> InstanceApEvaluator::averagePrecision() const {
    std::vector<double> out;
    for (const Pool& p : pools_) {
        if (!hasGt_) out.push_back(std::numeric_limits<double>::quiet_NaN());
        else if (!hasPred_) out.push_back(0.0);
        else out.push_back(scannetAveragePrecision(p.scored, p.hardFalseNegatives));
    }
    return out;
}

}  // namespace inst3d
