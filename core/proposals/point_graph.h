// What the built-in segmenter works on: the scene's vertices in the axis-aligned frame (z up, as
// ScanNet's axisAlignment makes it) with normals, colors and a neighbor graph. Meshes use their
// triangle edges and area-weighted face normals (oriented by the winding); point clouds use a kNN graph
// and PCA normals (sign-ambiguous).
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "core/common/math.h"

namespace inst3d {

struct Scene;

struct PointGraph {
    std::vector<Vec3> points;   // aligned coordinates
    std::vector<Vec3> normals;  // unit, or zero for a vertex no face touches
    std::vector<Vec3> colors;   // rgb in 0..1; empty when the scene has no colors
    std::vector<std::pair<uint32_t, uint32_t>> edges;  // undirected, first < second, sorted, unique
    bool orientedNormals = false;  // true for meshes: the sign of a normal means "outside"
    double spacing = 0;         // median edge length: the sampling density, used to scale radii
};

// Throws Error("<scene path>: ...") for an empty scene, a non-finite coordinate or axis alignment.
// `knn` is the neighbor count of the point-cloud graph (ignored for meshes).
PointGraph buildPointGraph(const Scene& scene, int knn = 10);

}  // namespace inst3d
