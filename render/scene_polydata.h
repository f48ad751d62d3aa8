// Scene -> vtkPolyData.
//
// Coordinates are the scene's *aligned* ones (Scene::alignedXYZ, i.e. ScanNet's axisAlignment applied):
// Z is up and the walls are parallel to the axes, so the default camera and the trackball behave like
// in a room, and the boxes other tools compute (ScanNet-style, aligned) line up with what is shown.
// Scenes without an alignment (custom captures) are shown as stored.
#pragma once
#include <vector>

#include <vtkSmartPointer.h>

#include "core/scene/scene.h"

class vtkPolyData;
class vtkUnsignedCharArray;

namespace inst3d {

// Name of the per-point RGB array that carries the display colors.
constexpr const char* kDisplayColorsArray = "display_colors";

// Points, triangles (or one vertex cell per point for point clouds), smooth point normals for meshes,
// and display colors (`colors`, [V*3] RGB, see vertexColors) as the active scalars.
vtkSmartPointer<vtkPolyData> makeScenePolyData(const Scene& scene, const std::vector<uint8_t>& colors);

// Rebuilds the cells of a poly data made by makeScenePolyData so that vertices with hidden[v] != 0
// are not drawn: triangles touching one are dropped (meshes), their vertex cells too (point clouds).
// An empty `hidden` shows everything.
void setHiddenVertices(vtkPolyData* polyData, const Mesh& mesh, const std::vector<uint8_t>& hidden);

// Replaces the display colors of a poly data made by makeScenePolyData (same vertex count) in place.
void setDisplayColors(vtkPolyData* polyData, const std::vector<uint8_t>& colors);

}  // namespace inst3d
