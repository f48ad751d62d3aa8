// ScanRefer / Multi3DRefer grounding metrics; see box_metrics.h for the sources each mirrors.
#include "core/eval/box_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/eval/caption_metrics.h"

namespace inst3d {

const char* const kMulti3DReferEvalTypes[5] = {"zt_w_d", "zt_wo_d", "st_w_d", "st_wo_d", "mt"};

ScanReferAcc scanReferAccuracy(const std::vector<ScanReferCase>& cases) {
    struct Hits { int n = 0, h25 = 0, h50 = 0; } all, uniq, mult;
    for (const auto& c : cases) {
        Hits& sub = c.multiple ? mult : uniq;
        for (Hits* h : {&all, &sub}) {
            ++h->n;
            if (c.iou >= 0.25) ++h->h25;
            if (c.iou >= 0.5) ++h->h50;
        }
    }
    auto acc = [](const Hits& h) {
        double nan = std::numeric_limits<double>::quiet_NaN();
        return AccPair{h.n ? static_cast<double>(h.h25) / h.n : nan, h.n ? static_cast<double>(h.h50) / h.n : nan, h.n};
    };
    return {acc(all), acc(uniq), acc(mult)};
}

bool isZeroTargetType(const std::string& evalType) { return evalType == "zt_w_d" || evalType == "zt_wo_d"; }

Multi3DReferResult multi3dReferF1(const std::string& evalType, const std::vector<EvalBox>& pred,
                                  const std::vector<EvalBox>& gt) {
    Multi3DReferResult r;
    if (isZeroTargetType(evalType)) {
        r.f1_25 = r.f1_50 = pred.empty() ? 1.0 : 0.0;
        return r;
    }
    const int n = static_cast<int>(std::max(pred.size(), gt.size()));
    if (n == 0) return r;  // the Python would divide 0 by 0 here; no query of a non-zero type has no GT
    std::vector<float> iou(static_cast<size_t>(n) * n, 0.0f);  // np.zeros(..., dtype=np.float32)
    for (size_t p = 0; p < pred.size(); ++p)
        for (size_t g = 0; g < gt.size(); ++g) iou[p * n + g] = static_cast<float>(boxIoU(pred[p], gt[g]));
    std::vector<double> cost(iou.size());
    for (size_t k = 0; k < iou.size(); ++k) cost[k] = static_cast<double>(-iou[k]);  // iou_matrix * -1
    std::vector<int> col = linearSumAssignment(cost, n);
    for (size_t p = 0; p < pred.size(); ++p) {
        float v = iou[p * n + col[p]];
        if (v >= 0.25f) ++r.tp25;
        if (v >= 0.5f) ++r.tp50;
    }
    const double denom = static_cast<double>(pred.size() + gt.size());
    r.f1_25 = 2 * r.tp25 / denom;
    r.f1_50 = 2 * r.tp50 / denom;
    return r;
}

Multi3DReferSummary summarizeMulti3DRefer(const std::vector<std::string>& evalTypes,
                                          const std::vector<Multi3DReferResult>& results) {
    std::map<std::string, std::vector<double>> s25, s50;
    for (size_t i = 0; i < results.size() && i < evalTypes.size(); ++i)
        for (const std::string& key : {evalTypes[i], std::string("overall")}) {
            s25[key].push_back(results[i].f1_25);
            s50[key].push_back(results[i].f1_50);
        }
    Multi3DReferSummary out;
    std::vector<std::string> keys(std::begin(kMulti3DReferEvalTypes), std::end(kMulti3DReferEvalTypes));
    keys.push_back("overall");
    for (const auto& k : keys) {
        out.f1_25[k] = numpyMean(s25[k]);
        out.f1_50[k] = numpyMean(s50[k]);
    }
    return out;
}

namespace {

// One shortest augmenting path from row `i` (scipy rectangular_lsap.cpp, augmenting_path()).
// Returns the sink column, or -1 when no finite path exists.
struct LsapState {
    int n;
    const std::vector<double>& cost;
    std::vector<double> u, v, shortest;
    std::vector<int> path, col4row, row4col, remaining;
    std::vector<char> SR, SC;
};

int augmentingPath(LsapState& s, int i, double& minValOut) {
    double minVal = 0;
    int numRemaining = s.n;
    for (int it = 0; it < s.n; ++it) s.remaining[it] = s.n - it - 1;  // reverse: identity on constant costs
    std::fill(s.SR.begin(), s.SR.end(), 0);
    std::fill(s.SC.begin(), s.SC.end(), 0);
    std::fill(s.shortest.begin(), s.shortest.end(), std::numeric_limits<double>::infinity());
    int sink = -1;
    while (sink == -1) {
        int index = -1;
        double lowest = std::numeric_limits<double>::infinity();
        s.SR[i] = 1;
        for (int it = 0; it < numRemaining; ++it) {
            int j = s.remaining[it];
            double r = minVal + s.cost[static_cast<size_t>(i) * s.n + j] - s.u[i] - s.v[j];
            if (r < s.shortest[j]) {
                s.path[j] = i;
                s.shortest[j] = r;
            }
            // Among equal costs prefer a free column: it ends the path (scipy's tie rule).
            if (s.shortest[j] < lowest || (s.shortest[j] == lowest && s.row4col[j] == -1)) {
                lowest = s.shortest[j];
                index = it;
            }
        }
        minVal = lowest;
        if (minVal == std::numeric_limits<double>::infinity()) return -1;
        int j = s.remaining[index];
        if (s.row4col[j] == -1)
            sink = j;
        else
            i = s.row4col[j];
        s.SC[j] = 1;
        s.remaining[index] = s.remaining[--numRemaining];
    }
    minValOut = minVal;
    return sink;
}

}  // namespace

std::vector<int> linearSumAssignment(const std::vector<double>& cost, int n) {
    LsapState s{n, cost, std::vector<double>(n, 0), std::vector<double>(n, 0), std::vector<double>(n),
                std::vector<int>(n, -1), std::vector<int>(n, -1), std::vector<int>(n, -1), std::vector<int>(n),
                std::vector<char>(n), std::vector<char>(n)};
    for (int curRow = 0; curRow < n; ++curRow) {
        double minVal = 0;
        int sink = augmentingPath(s, curRow, minVal);
        if (sink < 0) return {};  // only with infinite costs, which IoU matrices never have
        // Dual update, then flip the path (solve() in rectangular_lsap.cpp).
        s.u[curRow] += minVal;
        for (int i = 0; i < n; ++i)
            if (s.SR[i] && i != curRow) s.u[i] += minVal - s.shortest[s.col4row[i]];
        for (int j = 0; j < n; ++j)
            if (s.SC[j]) s.v[j] -= minVal - s.shortest[j];
        int j = sink;
        while (true) {
            int i = s.path[j];
            s.row4col[j] = i;
            std::swap(s.col4row[i], j);
            if (i == curRow) break;
        }
    }
    return s.col4row;
}

}  // namespace inst3d
