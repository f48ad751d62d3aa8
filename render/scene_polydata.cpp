#include "render/scene_polydata.h"

#include <cmath>

#include <vtkCellArray.h>
#include <vtkFloatArray.h>
#include <vtkIdTypeArray.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkUnsignedCharArray.h>

#include "core/common/error.h"

namespace inst3d {
namespace {

vtkSmartPointer<vtkPoints> makePoints(const std::vector<float>& xyz) {
    auto data = vtkSmartPointer<vtkFloatArray>::New();
    data->SetNumberOfComponents(3);
    data->SetNumberOfTuples(static_cast<vtkIdType>(xyz.size() / 3));
    std::copy(xyz.begin(), xyz.end(), data->GetPointer(0));
    auto points = vtkSmartPointer<vtkPoints>::New();
    points->SetData(data);
    return points;
}

// Cells in VTK's offsets+connectivity layout, filled directly (InsertNextCell is ~5x slower on 1M faces).
vtkSmartPointer<vtkCellArray> makeCells(const std::vector<uint32_t>& indices, int perCell) {
    vtkIdType numCells = static_cast<vtkIdType>(indices.size() / perCell);
    auto offsets = vtkSmartPointer<vtkIdTypeArray>::New();
    offsets->SetNumberOfTuples(numCells + 1);
    for (vtkIdType c = 0; c <= numCells; ++c) offsets->SetValue(c, c * perCell);
    auto connectivity = vtkSmartPointer<vtkIdTypeArray>::New();
    connectivity->SetNumberOfTuples(static_cast<vtkIdType>(indices.size()));
    for (size_t i = 0; i < indices.size(); ++i) connectivity->SetValue(static_cast<vtkIdType>(i), indices[i]);
    auto cells = vtkSmartPointer<vtkCellArray>::New();
    cells->SetData(offsets, connectivity);
    return cells;
}

std::vector<uint32_t> allVertexIndices(size_t n) {
    std::vector<uint32_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = static_cast<uint32_t>(i);
    return ids;
}

// Area-weighted vertex normals: ScanNet meshes carry none, and without them VTK shades every
// triangle flat, which makes reconstructed surfaces look like crumpled paper.
vtkSmartPointer<vtkFloatArray> vertexNormals(const std::vector<float>& xyz, const std::vector<uint32_t>& faces) {
    std::vector<double> acc(xyz.size(), 0.0);
    for (size_t f = 0; f + 2 < faces.size(); f += 3) {
        const float* a = &xyz[3 * faces[f]];
        const float* b = &xyz[3 * faces[f + 1]];
        const float* c = &xyz[3 * faces[f + 2]];
        double e1[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
        double e2[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
        double n[3] = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]};
        for (int k = 0; k < 3; ++k)
            for (int d = 0; d < 3; ++d) acc[3 * faces[f + k] + d] += n[d];
    }
    auto normals = vtkSmartPointer<vtkFloatArray>::New();
    normals->SetName("normals");
    normals->SetNumberOfComponents(3);
    normals->SetNumberOfTuples(static_cast<vtkIdType>(xyz.size() / 3));
    float* out = normals->GetPointer(0);
    for (size_t v = 0; v < xyz.size() / 3; ++v) {
        double len = std::sqrt(acc[3 * v] * acc[3 * v] + acc[3 * v + 1] * acc[3 * v + 1] + acc[3 * v + 2] * acc[3 * v + 2]);
        for (int d = 0; d < 3; ++d) out[3 * v + d] = len > 0 ? static_cast<float>(acc[3 * v + d] / len) : (d == 2 ? 1.f : 0.f);
    }
    return normals;
}

vtkSmartPointer<vtkUnsignedCharArray> makeColorArray(const std::vector<uint8_t>& colors) {
    auto array = vtkSmartPointer<vtkUnsignedCharArray>::New();
    array->SetName(kDisplayColorsArray);
    array->SetNumberOfComponents(3);
    array->SetNumberOfTuples(static_cast<vtkIdType>(colors.size() / 3));
    std::copy(colors.begin(), colors.end(), array->GetPointer(0));
    return array;
}

}  // namespace

vtkSmartPointer<vtkPolyData> makeScenePolyData(const Scene& scene, const std::vector<uint8_t>& colors) {
    const Mesh& mesh = scene.mesh;
    if (colors.size() != mesh.numVertices() * 3)
        fail(scene.sourcePath, "internal: display colors do not match the vertex count");
    std::vector<float> xyz = scene.alignedXYZ();
    auto poly = vtkSmartPointer<vtkPolyData>::New();
    poly->SetPoints(makePoints(xyz));
    if (mesh.isPointCloud()) {
        poly->SetVerts(makeCells(allVertexIndices(mesh.numVertices()), 1));
    } else {
        poly->SetPolys(makeCells(mesh.faces, 3));
        poly->GetPointData()->SetNormals(vertexNormals(xyz, mesh.faces));
    }
    poly->GetPointData()->SetScalars(makeColorArray(colors));
    return poly;
}

void setHiddenVertices(vtkPolyData* polyData, const Mesh& mesh, const std::vector<uint8_t>& hidden) {
    auto shown = [&](uint32_t v) { return hidden.empty() || !hidden[v]; };
    std::vector<uint32_t> kept;
    if (mesh.isPointCloud()) {
        for (uint32_t v = 0; v < mesh.numVertices(); ++v)
            if (shown(v)) kept.push_back(v);
        polyData->SetVerts(makeCells(kept, 1));
    } else {
        for (size_t f = 0; f + 2 < mesh.faces.size(); f += 3)
            if (shown(mesh.faces[f]) && shown(mesh.faces[f + 1]) && shown(mesh.faces[f + 2]))
                kept.insert(kept.end(), {mesh.faces[f], mesh.faces[f + 1], mesh.faces[f + 2]});
        polyData->SetPolys(makeCells(kept, 3));
    }
    polyData->Modified();
}

void setDisplayColors(vtkPolyData* polyData, const std::vector<uint8_t>& colors) {
    if (static_cast<vtkIdType>(colors.size()) != polyData->GetNumberOfPoints() * 3)
        fail("", "internal: display colors do not match the vertex count");
    polyData->GetPointData()->SetScalars(makeColorArray(colors));
    polyData->Modified();
}

}  // namespace inst3d
