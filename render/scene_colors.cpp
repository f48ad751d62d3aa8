#include "render/scene_colors.h"

#include <cmath>

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

void fillInstances(const Scene& scene, std::vector<uint8_t>& out) {
    for (size_t v = 0; v < scene.mesh.numVertices(); ++v)
        for (int c = 0; c < 3; ++c) out[3 * v + c] = kUnassignedColor[c];
    // Later instances win on overlap: ground truth never overlaps, proposals are listed best last or not at all.
    for (const Instance& inst : scene.instances) {
        Rgb8 color = instanceColor(inst.id);
        for (uint32_t v : inst.vertices) {
            if (v >= scene.mesh.numVertices()) continue;  // defensive: a stale instance must not crash the viewer
            for (int c = 0; c < 3; ++c) out[3 * v + c] = color[c];
        }
    }
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

std::vector<uint8_t> vertexColors(const Scene& scene, ColorMode mode) {
    std::vector<uint8_t> out(scene.mesh.numVertices() * 3);
    switch (mode) {
        case ColorMode::Rgb: fillRgb(scene, out); break;
        case ColorMode::Instances: fillInstances(scene, out); break;
    }
    return out;
}

std::vector<uint8_t> highlightedColors(const Scene& scene, ColorMode mode, int highlightId) {
    std::vector<uint8_t> out = vertexColors(scene, mode);
    const Instance* inst = highlightId >= 0 ? scene.findInstance(highlightId) : nullptr;
    if (!inst) return out;
    for (uint32_t v : inst->vertices) {
        if (v >= scene.mesh.numVertices()) continue;
        for (int c = 0; c < 3; ++c)
            out[3 * v + c] = static_cast<uint8_t>(std::lround(0.3 * out[3 * v + c] + 0.7 * kHighlightColor[c]));
    }
    return out;
}

}  // namespace inst3d
