// Line overlays drawn over the scene, in aligned coordinates like the scene itself: the selected
// instance's box and a frame's camera frustum. Geometry only; SceneRenderer owns the actors.
#pragma once
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include <vtkSmartPointer.h>

#include "core/common/math.h"
#include "core/scene/frames.h"

class vtkPolyData;

namespace inst3d {

// The 12 edges of `box`.
vtkSmartPointer<vtkPolyData> makeBoxOutline(const AABB& box);

// Many boxes in one poly data, each box's edges colored with its RGB (cell scalars), so every
// instance box costs one actor in total instead of one each.
vtkSmartPointer<vtkPolyData> makeBoxOutlines(const std::vector<std::pair<AABB, std::array<uint8_t, 3>>>& boxes);

// A camera frustum: apex at the camera center, the image rectangle at `depth` meters, and a small
// triangle on the top edge showing which way is up. `cameraToAligned` maps the OpenCV camera frame
// (x right, y down, z forward) to the displayed (aligned) frame.
vtkSmartPointer<vtkPolyData> makeFrustum(const Mat4& cameraToAligned, const Intrinsics& k, double depth);

}  // namespace inst3d
