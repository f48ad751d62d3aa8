#include "render/scene_colors.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/config/config.h"
#include "core/common/file_util.h"
#include "core/io/label_map.h"

namespace inst3d {
namespace {

// HSV with h in [0,1).
Rgb8 hsvToRgb(double h, double s, double v) {
    double r = 0, g = 0, b = 0;
    double f = h * 6.0;
    int i = static_cast<int>(std::floor(f)) % 6;
    double t = f - std::floor(f);
    double p = v * (1 - s), q = v * (1 - s * t), u = v * (1 - s * (1 - t));
    switch (i) {
        case 0: r = v; g = u; b = p; break;
        case 1: r = q; g = v; b = p; break;
        case 2: r = p; g = v; b = u; break;
        case 3: r = p; g = q; b = v; break;
        case 4: r = u; g = p; b = v; break;
        default: r = v; g = p; b = q; break;
    }
    auto byte = [](double x) { return static_cast<uint8_t>(std::lround(std::fmin(1.0, std::fmax(0.0, x)) * 255)); };
    return {byte(r), byte(g), byte(b)};
}

void fillRgb(const Scene& scene, std::vector<uint8_t>& out) {
    const Mesh& mesh = scene.mesh;
    for (size_t v = 0; v < mesh.numVertices(); ++v)
        for (int c = 0; c < 3; ++c) out[3 * v + c] = mesh.hasColors() ? mesh.rgba[4 * v + c] : kNoColorGray[c];
}

void fillUnassigned(std::vector<uint8_t>& out) {
    for (size_t i = 0; i < out.size(); i += 3)
        for (int c = 0; c < 3; ++c) out[i + c] = kUnassignedColor[c];
}

void paintInstance(const Scene& scene, const Instance& inst, std::vector<uint8_t>& out) {
    Rgb8 color = instanceColor(inst.id);
    for (uint32_t v : inst.vertices) {
        if (v >= scene.mesh.numVertices()) continue;  // defensive: a stale instance must not crash the viewer
        for (int c = 0; c < 3; ++c) out[3 * v + c] = color[c];
    }
}

void fillInstances(const Scene& scene, std::vector<uint8_t>& out) {
    fillUnassigned(out);
    // Later instances win on overlap: ground truth never overlaps, proposals are listed best last or not at all.
    for (const Instance& inst : scene.instances) paintInstance(scene, inst, out);
}

void fillProposals(const Scene& scene, double threshold, std::vector<uint8_t>& out) {
    fillUnassigned(out);
    for (const Instance* inst : shownProposals(scene, threshold)) paintInstance(scene, *inst, out);
}

void fillSemantic(const Scene& scene, std::vector<uint8_t>& out) {
    const std::vector<int> labels = semanticLabels(scene);
    for (size_t v = 0; v < labels.size(); ++v) {
        Rgb8 color = nyu40Color(labels[v]);
        for (int c = 0; c < 3; ++c) out[3 * v + c] = color[c];
    }
}

// raw category -> NYU40 id from the tsv bundled with the demo scene, read once; an unreadable tsv maps nothing (gray).
int nyu40OfCategory(const std::string& raw) {
    static const LabelMap map = [] {
        try {
            return LabelMap::read(joinPath(resourceDir(), "demo/scannetv2-labels.combined.tsv"));
        } catch (const std::exception&) {
            return LabelMap();
        }
    }();
    int id = map.nyu40Id(raw);
    if (id == 0) {
        // A label that already is an NYU40 class name ("chair") maps to itself.
        const auto& names = nyu40ClassNames();
        auto it = std::find(names.begin(), names.end(), raw);
        if (it != names.end()) id = static_cast<int>(it - names.begin());
    }
    return id;
}

}  // namespace

Rgb8 instanceColor(int instanceId) {
    // Golden-ratio hue steps keep consecutive ids far apart on the color wheel; value and saturation
    // alternate on a short cycle so ids whose hues land close still differ in brightness.
    constexpr double kGolden = 0.618033988749895;
    unsigned id = static_cast<unsigned>(instanceId);
    double hue = std::fmod(0.07 + id * kGolden, 1.0);
    static const double sat[3] = {0.85, 0.65, 0.95};
    static const double val[4] = {0.95, 0.80, 1.00, 0.70};
    return hsvToRgb(hue, sat[id % 3], val[(id / 3) % 4]);
}

std::vector<uint8_t> vertexColors(const Scene& scene, ColorMode mode, const ColorOptions& options) {
    std::vector<uint8_t> out(scene.mesh.numVertices() * 3);
    switch (mode) {
        case ColorMode::Rgb: fillRgb(scene, out); break;
        case ColorMode::Instances: fillInstances(scene, out); break;
        case ColorMode::Proposals: fillProposals(scene, options.scoreThreshold, out); break;
        case ColorMode::Semantic: fillSemantic(scene, out); break;
    }
    return out;
}

bool hasProposals(const Scene& scene) {
    return std::any_of(scene.instances.begin(), scene.instances.end(),
                       [](const Instance& i) { return i.source != InstanceSource::GroundTruth; });
}

std::vector<const Instance*> shownProposals(const Scene& scene, double scoreThreshold) {
    const bool proposals = hasProposals(scene);
    std::vector<const Instance*> out;
    for (const Instance& inst : scene.instances) {
        if (!proposals) out.push_back(&inst);
        else if (inst.source != InstanceSource::GroundTruth && inst.score >= scoreThreshold) out.push_back(&inst);
    }
    return out;
}

// inst3d's own NYU40 palette: hues spread by the golden angle so neighbouring class ids differ
// strongly, with two alternating saturation/value bands so 40 classes stay distinguishable.
Rgb8 nyu40Color(int id) {
    if (id <= 0 || id > 40) return kUnassignedColor;
    const double hue = std::fmod(id * 137.50776405, 360.0) / 60.0;  // sextant 0..6
    const double sat = id % 2 ? 0.55 : 0.75, val = id % 3 ? 0.92 : 0.72;
    const double c = val * sat, x = c * (1 - std::fabs(std::fmod(hue, 2.0) - 1)), m = val - c;
    double r = 0, g = 0, b = 0;
    switch (static_cast<int>(hue)) {
        case 0: r = c; g = x; break;
        case 1: r = x; g = c; break;
        case 2: g = c; b = x; break;
        case 3: g = x; b = c; break;
        case 4: r = x; b = c; break;
        default: r = c; b = x; break;
    }
    auto byte = [&](double v) { return static_cast<uint8_t>(std::lround((v + m) * 255)); };
    return {byte(r), byte(g), byte(b)};
}

std::vector<int> semanticLabels(const Scene& scene) {
    const size_t n = scene.mesh.numVertices();
    std::vector<int> labels(n, 0);
    if (scene.semanticLabel.size() == n) {
        for (size_t v = 0; v < n; ++v) labels[v] = scene.semanticLabel[v];
        return labels;
    }
    for (const Instance& inst : scene.instances) {
        const int id = nyu40OfCategory(inst.label);
        for (uint32_t v : inst.vertices)
            if (v < n) labels[v] = id;
    }
    return labels;
}

std::vector<LegendEntry> semanticLegend(const Scene& scene) {
    std::map<int, size_t> counts;
    for (int id : semanticLabels(scene)) ++counts[id];
    const auto& names = nyu40ClassNames();
    std::vector<LegendEntry> out;
    for (const auto& [id, count] : counts) {
        std::string name = id >= 0 && size_t(id) < names.size() ? names[size_t(id)] : "label " + std::to_string(id);
        out.push_back({id, name, nyu40Color(id), count});
    }
    std::stable_sort(out.begin(), out.end(), [](const LegendEntry& a, const LegendEntry& b) { return a.vertices > b.vertices; });
    return out;
}

std::vector<uint8_t> highlightedColors(const Scene& scene, ColorMode mode, int highlightId, const ColorOptions& options) {
    std::vector<uint8_t> out = vertexColors(scene, mode, options);
    const Instance* inst = highlightId >= 0 ? scene.findInstance(highlightId) : nullptr;
    if (!inst) return out;
    for (uint32_t v : inst->vertices) {
        if (v >= scene.mesh.numVertices()) continue;
        for (int c = 0; c < 3; ++c)
            out[3 * v + c] = static_cast<uint8_t>(std::lround(0.3 * out[3 * v + c] + 0.7 * kHighlightColor[c]));
    }
    return out;
}

void applyGroundingTint(std::vector<uint8_t>& rgb, const std::vector<uint8_t>& groundedMask) {
    const size_t V = std::min(groundedMask.size(), rgb.size() / 3);
    if (std::none_of(groundedMask.begin(), groundedMask.begin() + long(V), [](uint8_t m) { return m != 0; })) return;
    for (size_t v = 0; v < V; ++v)
        for (int c = 0; c < 3; ++c) {
            uint8_t& x = rgb[3 * v + size_t(c)];
            x = static_cast<uint8_t>(std::lround(groundedMask[v] ? (1 - kGroundedTint) * x + kGroundedTint * kGroundedColor[size_t(c)]
                                                                 : kDimmedBrightness * x));
        }
}

}  // namespace inst3d
