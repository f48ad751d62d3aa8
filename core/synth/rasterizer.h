// Software z-buffer rasterizer for the synthetic RGB-D frames. Pinhole camera in the OpenCV
// convention (x right, y down, z forward); pixel (u, v) samples the ray through u = fx*x/z + cx,
// v = fy*y/z + cy at integer u, v, so unprojecting a depth pixel with the same intrinsics lands on
// the surface that was drawn there. Triangles are clipped against the near plane, depth is
// interpolated perspective-correctly (1/z is affine in screen space).
#pragma once
#include <vector>

#include "core/common/math.h"
#include "core/scene/frames.h"
#include "core/scene/mesh.h"

namespace inst3d {

class MeshRasterizer {
public:
    // Keeps a reference: `mesh` must outlive the rasterizer.
    explicit MeshRasterizer(const Mesh& mesh, double nearPlane = 0.05);

    // z-depth in meters per pixel (row-major); 0 where nothing is hit.
    std::vector<float> depthMeters(const Mat4& cameraToWorld, const Intrinsics& k) const;
    // Depth as stored by ScanNet: round(z * depthShift), 0 = invalid (nothing hit or out of range).
    ImageDepth16 depth(const Mat4& cameraToWorld, const Intrinsics& k, double depthShift = 1000.0) const;
    // Vertex colors interpolated, flat Lambert shading with a light at the camera; black background.
    ImageRGB8 color(const Mat4& cameraToWorld, const Intrinsics& k) const;

private:
    struct CamVertex {
        double x, y, z;
        float r, g, b;
    };
    void render(const Mat4& cameraToWorld, const Intrinsics& k, std::vector<float>& z, std::vector<float>* rgb) const;
    void transform(const Mat4& cameraToWorld, std::vector<CamVertex>& out) const;

    const Mesh& mesh_;
    double near_;
};

}  // namespace inst3d
