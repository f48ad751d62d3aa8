// Wavefront OBJ meshes and point clouds (v x y z [r g b], f with v, v/vt, v//vn, v/vt/vn; polygons fanned).
#pragma once
#include <string>

#include "core/scene/mesh.h"

namespace inst3d {

Mesh readObj(const std::string& path);
void writeObj(const std::string& path, const Mesh& mesh);

}  // namespace inst3d
