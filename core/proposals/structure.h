// Floor, walls and ceiling of a room scan: large planar horizontal / vertical segment groups in the
// axis-aligned frame (z up). The rules, each a property of rooms rather than of a dataset:
//   floor    the lowest horizontal (upward-facing, for meshes) planar segment with a footprint of at least
//            minPlaneArea that fills it (minFill: count * spacing^2 / area, about 1 for a scanned plane, so
//            a frame of thin strips does not qualify), plus every horizontal segment at that level;
//   ceiling  the highest downward-facing such segment at least minCeilingHeight above the floor and at least
//            minCeilingFraction of the floor level's footprint, plus its level;
//   walls    vertical planar segments grouped by plane (same facing within ~10 degrees, centroid within
//            wallOffsetTolerance of the group's seed plane), kept when the group is tall and long enough,
//            fills its extent (minFill) and is a boundary of the scan: within the wall's horizontal span, at most maxBehindFraction of
//            the scene lies more than wallBehindMargin behind it (a bookshelf front has the room or the
//            wall behind it; a wall has nothing but what shows through doors and windows), and it is not
//            mounted on another such plane (within mountedDepth in front of it and inside its extent: a
//            door leaf, a window pane);
//   remnants segments outside the room proper (below the floor level, above the ceiling, behind a wall)
//            that touch the structure, such as a wall's top edge or the floor slab's rim, join it.
#pragma once
#include <cstdint>
#include <vector>

#include "core/proposals/segment_graph.h"

namespace inst3d {

enum class StructureKind : uint8_t { Object, Floor, Wall, Ceiling };

struct StructureOptions {
    double horizontalCos = 0.966;        // |n.z| at least this: horizontal (15 degrees)
    double verticalSin = 0.26;           // |n.z| at most this: vertical
    double maxThickness = 0.03;          // RMS distance to the segment's plane, m: planar
    double levelTolerance = 0.04;        // floor/ceiling segments within this height of the level, m
    double minPlaneArea = 1.0;           // footprint of the floor/ceiling seed, m^2
    double minFill = 0.25;               // floor/ceiling seed, wall group: count * spacing^2 / box area
    double minCeilingHeight = 1.8;       // m above the floor
    double minCeilingFraction = 0.2;     // ceiling seed footprint relative to the floor level's
    double wallAngleCos = 0.985;         // same wall plane: normals within ~10 degrees
    double wallOffsetTolerance = 0.025;  // same wall plane: centroid offset, m (doors stand 3-4 cm proud)
    double minWallHeight = 1.0;          // m
    double minWallLength = 0.5;          // m
    double wallBehindMargin = 0.1;       // m
    double maxBehindFraction = 0.05;
    double mountedDepth = 0.3;           // a wall-like plane this close in front of a wall, within its span, is mounted on it
};

struct WallPlane {
    Vec3 normal;     // unit, horizontal, pointing into the room
    double offset;   // plane: dot(normal, p) = offset
    std::vector<int> segments;
};

struct SceneStructure {
    std::vector<StructureKind> kind;  // per segment
    std::vector<int> wallOf;          // per segment: index into walls, or -1
    std::vector<WallPlane> walls;
    bool hasFloor = false, hasCeiling = false;
    double floorZ = 0, ceilingZ = 0;
};

SceneStructure findStructure(const PointGraph& g, const SegmentGraph& sg, const StructureOptions& options = {});

}  // namespace inst3d
