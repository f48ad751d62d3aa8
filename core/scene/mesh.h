// Vertex and face arrays as ScanNet stores them: raw (not axis-aligned) coordinates.
#pragma once
#include <cstdint>
#include <vector>

#include "core/common/math.h"

namespace inst3d {

struct Mesh {
    std::vector<float> xyz;       // [V*3] x,y,z in the file's (raw) frame
    std::vector<uint8_t> rgba;    // [V*4] red, green, blue, alpha; empty when the file has no colors
    std::vector<uint32_t> faces;  // [F*3] triangle vertex indices; empty for point clouds

    size_t numVertices() const { return xyz.size() / 3; }
    size_t numFaces() const { return faces.size() / 3; }
    bool hasColors() const { return !rgba.empty(); }
    bool isPointCloud() const { return faces.empty(); }
    Vec3 vertex(size_t i) const { return {xyz[3 * i], xyz[3 * i + 1], xyz[3 * i + 2]}; }
    AABB bounds() const;
};

}  // namespace inst3d
