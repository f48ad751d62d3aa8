// Per-vertex display colors for a scene in a given ColorMode. Pure functions, no VTK, so the colors
// the viewer shows can be checked (and reused by other renderers) without a GL context.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/scene/scene.h"
#include "render/color_mode.h"

namespace inst3d {

using Rgb8 = std::array<uint8_t, 3>;

// Vertices that belong to no instance: a mid gray that reads as "background" next to saturated colors.
constexpr Rgb8 kUnassignedColor{118, 118, 118};
// Meshes without vertex colors in RGB mode.
constexpr Rgb8 kNoColorGray{200, 200, 200};

// The selected instance: a warm amber that no instance color or scan color matches closely.
constexpr Rgb8 kHighlightColor{255, 196, 0};

// A saturated color for an instance id, stable across runs and scenes (the same object id always
// gets the same color), and far from gray so instances never look unassigned.
Rgb8 instanceColor(int instanceId);

// What a color mode depends on besides the scene.
struct ColorOptions {
    double scoreThreshold = 0.0;  // Proposals: instances scoring below are not colored
};

// [V*3] RGB for every mesh vertex.
std::vector<uint8_t> vertexColors(const Scene& scene, ColorMode mode, const ColorOptions& options = {});

// vertexColors with instance `highlightId`'s vertices blended 70% toward kHighlightColor, so the
// selection stands out in every mode while keeping a hint of its own shading. -1: no highlight.
std::vector<uint8_t> highlightedColors(const Scene& scene, ColorMode mode, int highlightId,
                                       const ColorOptions& options = {});

// Answer grounding (the chat's <OBJ###>): the objects an answer names in a bright green no instance or scan
// color matches closely, everything else dimmed, so the meant objects stand out in every color mode.
constexpr Rgb8 kGroundedColor{40, 230, 90};
constexpr double kGroundedTint = 0.75;     // share of kGroundedColor in a grounded vertex
constexpr double kDimmedBrightness = 0.35; // what the other vertices keep of their color

// Blends `rgb` ([V*3]) in place: vertices with groundedMask[v] != 0 toward kGroundedColor, the others
// darkened to kDimmedBrightness. An empty mask or one without any grounded vertex changes nothing.
void applyGroundingTint(std::vector<uint8_t>& rgb, const std::vector<uint8_t>& groundedMask);

// An object a chat answer names (<OBJ###>): its vertices (raw mesh order) and its box in the aligned frame.
// Proposals of a feature cache need not be the scene's instances, so grounding carries its own geometry.
struct GroundedObject {
    int identifier = -1;            // the <OBJ###> number
    std::vector<uint32_t> vertices;
    AABB box;
};

// The instances the Proposals mode colors: proposals scoring >= threshold, or, when the scene has no
// proposal at all, its ground-truth instances.
std::vector<const Instance*> shownProposals(const Scene& scene, double scoreThreshold);
bool hasProposals(const Scene& scene);

// inst3d's NYU40 palette (golden-angle hues); id 0 (unannotated) is kUnassignedColor.
Rgb8 nyu40Color(int nyu40Id);

// NYU40 id per vertex for the Semantic mode (see ColorMode::Semantic); 0 where unknown.
std::vector<int> semanticLabels(const Scene& scene);

// One row of the Semantic mode's legend: the classes present, most vertices first.
struct LegendEntry {
    int nyu40Id = 0;
    std::string name;  // "chair"
    Rgb8 color{};
    size_t vertices = 0;
};
std::vector<LegendEntry> semanticLegend(const Scene& scene);

}  // namespace inst3d
