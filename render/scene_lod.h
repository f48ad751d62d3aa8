// Level of detail for large scenes: while the camera moves, the view draws a fixed-size sample of the
// vertices as points instead of every point or triangle. llvmpipe's cost grows with the primitives
// drawn (about 0.5-0.8 us per point, plus ~30 ms per frame for clearing, blitting and Qt's composition
// of a 1280x800 view; docs/performance.md), so a sample of a few ten thousand points keeps rotation
// near 20 fps there, and the full scene comes back as soon as the camera rests (SceneRenderer::setInteracting).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include <vtkSmartPointer.h>

class vtkPolyData;

namespace inst3d {

// Default number of points drawn while the camera moves: measured on llvmpipe with 2 shared cores
// (bench/bench_viewer.cpp); 200k points would still cost ~150 ms per frame there.
constexpr size_t kDefaultLodPoints = 40000;

// A deterministic stratified random sample of min(budget, n) vertex ids, ascending: one id drawn at
// random from each of `budget` equal runs of the vertex order. Plain striding would alias with the
// regular row/column order of scanner and grid point clouds; one pick per run still covers the
// whole scene evenly. All ids when n <= budget.
std::vector<uint32_t> lodSample(size_t n, size_t budget);

// Points `ids` of `full` (a scene poly data) with one vertex cell each and their display colors.
vtkSmartPointer<vtkPolyData> makeLodPolyData(vtkPolyData* full, const std::vector<uint32_t>& ids);

// Copies the display colors of `full` at `ids` into `lod` (made by makeLodPolyData from them).
void updateLodColors(vtkPolyData* lod, vtkPolyData* full, const std::vector<uint32_t>& ids);

}  // namespace inst3d
