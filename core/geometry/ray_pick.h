// What is under the mouse: a ray against the scene's triangles (or points), in the scene's raw frame.
// Done on the CPU rather than with VTK's pickers because those ignore back-face culling: the viewer
// culls the room's near walls so the camera can look in, and a picker would hit those invisible walls.
#pragma once
#include <cstdint>
#include <vector>

#include "core/scene/scene.h"

namespace inst3d {

struct RayHit {
    int64_t vertex = -1;  // nearest mesh vertex to the hit point; -1 when nothing is hit
    double t = 0;         // ray parameter of the hit (origin + t * direction)
};

// Meshes: the nearest triangle hit whose front (counter-clockwise) side faces the ray, when
// `cullBackFaces`, else any; the hit triangle's vertex closest to the hit point is returned. Point
// clouds: the point nearest the origin among those within `pointAngle` radians of the ray.
// `hidden` ([V], or empty) skips what the viewer does not draw: hidden points, and triangles with a
// hidden corner (the rule of render/scene_polydata's setHiddenVertices), so a click goes through them.
RayHit pickVertex(const Mesh& mesh, const Vec3& origin, const Vec3& direction, bool cullBackFaces,
                  double pointAngle = 0.01, const std::vector<uint8_t>& hidden = {});

// Instance::id of every vertex (-1 where none); later instances win on overlap, as in the colors.
std::vector<int> vertexInstanceIds(const Scene& scene);

}  // namespace inst3d
