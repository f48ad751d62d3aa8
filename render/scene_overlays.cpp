#include "render/scene_overlays.h"

#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkUnsignedCharArray.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>

namespace inst3d {
namespace {

vtkSmartPointer<vtkPolyData> makeLines(const std::vector<Vec3>& points, const std::vector<std::pair<int, int>>& edges) {
    auto pts = vtkSmartPointer<vtkPoints>::New();
    for (const Vec3& p : points) pts->InsertNextPoint(p.x, p.y, p.z);
    auto lines = vtkSmartPointer<vtkCellArray>::New();
    for (const auto& e : edges) {
        vtkIdType ids[2] = {e.first, e.second};
        lines->InsertNextCell(2, ids);
    }
    auto poly = vtkSmartPointer<vtkPolyData>::New();
    poly->SetPoints(pts);
    poly->SetLines(lines);
    return poly;
}

}  // namespace

vtkSmartPointer<vtkPolyData> makeBoxOutline(const AABB& box) {
    std::vector<Vec3> corners;
    for (int i = 0; i < 8; ++i)
        corners.push_back({i & 1 ? box.max.x : box.min.x, i & 2 ? box.max.y : box.min.y, i & 4 ? box.max.z : box.min.z});
    // Corner i has bits (x, y, z): an edge joins corners differing in exactly one bit.
    std::vector<std::pair<int, int>> edges;
    for (int i = 0; i < 8; ++i)
        for (int bit : {1, 2, 4})
            if (!(i & bit)) edges.push_back({i, i | bit});
    return makeLines(corners, edges);
}

vtkSmartPointer<vtkPolyData> makeBoxOutlines(const std::vector<std::pair<AABB, std::array<uint8_t, 3>>>& boxes) {
    auto pts = vtkSmartPointer<vtkPoints>::New();
    auto lines = vtkSmartPointer<vtkCellArray>::New();
    auto colors = vtkSmartPointer<vtkUnsignedCharArray>::New();
    colors->SetNumberOfComponents(3);
    for (const auto& [box, color] : boxes) {
        vtkSmartPointer<vtkPolyData> one = makeBoxOutline(box);
        const vtkIdType base = pts->GetNumberOfPoints();
        for (vtkIdType i = 0; i < one->GetNumberOfPoints(); ++i) pts->InsertNextPoint(one->GetPoint(i));
        const vtkIdType* ids = nullptr;
        vtkIdType n = 0;
        for (one->GetLines()->InitTraversal(); one->GetLines()->GetNextCell(n, ids);) {
            vtkIdType edge[2] = {base + ids[0], base + ids[1]};
            lines->InsertNextCell(2, edge);
            colors->InsertNextTypedTuple(color.data());
        }
    }
    auto poly = vtkSmartPointer<vtkPolyData>::New();
    poly->SetPoints(pts);
    poly->SetLines(lines);
    poly->GetCellData()->SetScalars(colors);
    return poly;
}

vtkSmartPointer<vtkPolyData> makeFrustum(const Mat4& cameraToAligned, const Intrinsics& k, double depth) {
    // Image corners (pixel-center convention: -0.5 .. W-0.5) back-projected to `depth`.
    auto at = [&](double u, double v) {
        return cameraToAligned.transformPoint({(u - k.cx) / k.fx * depth, (v - k.cy) / k.fy * depth, depth});
    };
    const double l = -0.5, r = k.width - 0.5, t = -0.5, b = k.height - 0.5, mid = (l + r) / 2;
    std::vector<Vec3> points = {cameraToAligned.transformPoint({0, 0, 0}), at(l, t), at(r, t), at(r, b), at(l, b),
                                at(mid - 0.15 * (r - l), t), at(mid + 0.15 * (r - l), t),
                                at(mid, t - 0.25 * (b - t))};
    std::vector<std::pair<int, int>> edges = {{0, 1}, {0, 2}, {0, 3}, {0, 4}, {1, 2}, {2, 3},
                                              {3, 4}, {4, 1}, {5, 7}, {7, 6}};
    return makeLines(points, edges);
}

}  // namespace inst3d
