// Tessellated primitives (boxes, z-axis cylinders) for the synthetic world, with ScanNet-like
// over-segmentation: every primitive face is cut into patches of about 0.4 m, one segment each.
#pragma once
#include <cstdint>
#include <vector>

#include "core/common/math.h"
#include "core/synth/prng.h"

namespace inst3d {

// Face masks: a box emits the faces whose bit is set; a cylinder always has its side and emits
// the caps selected by kNegZ / kPosZ. Hidden faces (a base under a mattress) are left out to save vertices.
enum : unsigned { kNegX = 1, kPosX = 2, kNegY = 4, kPosY = 8, kNegZ = 16, kPosZ = 32, kAllFaces = 63 };

struct Part {
    enum class Kind { Box, Cylinder };
    Kind kind = Kind::Box;
    Vec3 lo, hi;               // extent in the model frame; a cylinder is inscribed (square footprint)
    int color = 0;             // palette index
    unsigned faces = kAllFaces;
};

Part boxPart(const Vec3& lo, const Vec3& hi, int color, unsigned faces = kAllFaces);
// Cylinder around the vertical axis through (cx, cy), from z0 to z1.
Part cylinderPart(double cx, double cy, double radius, double z0, double z1, int color, unsigned faces = kAllFaces);

// Model frame -> aligned frame: rotation by yawQuarter * 90 degrees about +Z, then a translation.
// Quarter turns are applied with exact integer cos/sin so extents stay exact.
struct Placement {
    int yawQuarter = 0;
    Vec3 offset;
    Vec3 apply(const Vec3& p) const;
    Vec3 rotate(const Vec3& v) const;
    AABB apply(const AABB& box) const;
};

// Grid step for a vertex spacing: quad edges and their diagonals stay within the spacing.
double gridCell(double spacing);
// Vertex count MeshBuilder emits for a part (used to decide which color dominates an object).
size_t partVertexCount(const Part& part, double spacing);

// Accumulates the scene mesh in aligned coordinates, object by object.
class MeshBuilder {
public:
    MeshBuilder(double vertexSpacing, uint64_t seed);
    void beginObject(int objectId, uint16_t nyu40Label);
    void addPart(const Part& part, const Placement& placement);

    std::vector<double> xyz;            // [V*3] aligned
    std::vector<uint8_t> rgba;          // [V*4]
    std::vector<uint32_t> faces;        // [F*3]
    std::vector<int32_t> segIndices;    // [V]
    std::vector<uint16_t> labels;       // [V] nyu40
    std::vector<int> objectOfVertex;    // [V]
    std::vector<std::vector<int>> segmentsOfObject;  // [objects] segment ids in creation order

    size_t numVertices() const { return segIndices.size(); }

private:
    struct Grid {
        Vec3 origin, u, v;  // full edge vectors, aligned frame
        int nu = 1, nv = 1;
    };
    void emitGrid(const Grid& g, int color);
    void emitBox(const Part& part, const Placement& placement);
    void emitCylinder(const Part& part, const Placement& placement);
    void emitCap(const Vec3& center, double radius, int n, bool up, int color, const Placement& placement);
    uint32_t addVertex(const Vec3& aligned, int color, int32_t segment);
    int32_t newSegment();

    double cell_;  // grid step: edges and quad diagonals stay within the vertex spacing
    SynthRng rng_; // vertex color noise and segment id gaps
    int32_t nextSegment_ = 0;
    int object_ = -1;
    uint16_t label_ = 0;
};

}  // namespace inst3d
