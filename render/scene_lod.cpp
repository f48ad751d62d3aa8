#include "render/scene_lod.h"

#include <vtkCellArray.h>
#include <vtkFloatArray.h>
#include <vtkIdTypeArray.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkUnsignedCharArray.h>

#include "render/scene_polydata.h"

namespace inst3d {
namespace {

// SplitMix64: a cheap, well-mixed hash so each run's pick looks random but is the same every run.
uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

vtkSmartPointer<vtkUnsignedCharArray> gatherColors(vtkPolyData* full, const std::vector<uint32_t>& ids) {
    auto out = vtkSmartPointer<vtkUnsignedCharArray>::New();
    out->SetName(kDisplayColorsArray);
    out->SetNumberOfComponents(3);
    out->SetNumberOfTuples(static_cast<vtkIdType>(ids.size()));
    auto* src = vtkUnsignedCharArray::SafeDownCast(full->GetPointData()->GetScalars());
    uint8_t* dst = out->GetPointer(0);
    for (size_t i = 0; i < ids.size(); ++i)
        for (int c = 0; c < 3; ++c) dst[3 * i + c] = src ? src->GetValue(3 * vtkIdType(ids[i]) + c) : 200;
    return out;
}

}  // namespace

std::vector<uint32_t> lodSample(size_t n, size_t budget) {
    std::vector<uint32_t> ids;
    if (budget == 0) return ids;
    if (n <= budget) {
        ids.resize(n);
        for (size_t i = 0; i < n; ++i) ids[i] = static_cast<uint32_t>(i);
        return ids;
    }
    ids.resize(budget);
    for (size_t k = 0; k < budget; ++k) {
        // Run k is [k*n/budget, (k+1)*n/budget): non-empty since n > budget, and the runs tile [0, n).
        size_t lo = k * n / budget, hi = (k + 1) * n / budget;
        ids[k] = static_cast<uint32_t>(lo + mix(k) % (hi - lo));
    }
    return ids;
}

vtkSmartPointer<vtkPolyData> makeLodPolyData(vtkPolyData* full, const std::vector<uint32_t>& ids) {
    const vtkIdType n = static_cast<vtkIdType>(ids.size());
    auto xyz = vtkSmartPointer<vtkFloatArray>::New();
    xyz->SetNumberOfComponents(3);
    xyz->SetNumberOfTuples(n);
    float* dst = xyz->GetPointer(0);
    double p[3];
    for (vtkIdType i = 0; i < n; ++i) {
        full->GetPoint(ids[static_cast<size_t>(i)], p);
        for (int d = 0; d < 3; ++d) dst[3 * i + d] = static_cast<float>(p[d]);
    }
    auto points = vtkSmartPointer<vtkPoints>::New();
    points->SetData(xyz);
    // One vertex cell per point, in VTK's offsets+connectivity layout (cell i = point i).
    auto offsets = vtkSmartPointer<vtkIdTypeArray>::New();
    offsets->SetNumberOfTuples(n + 1);
    for (vtkIdType i = 0; i <= n; ++i) offsets->SetValue(i, i);
    auto connectivity = vtkSmartPointer<vtkIdTypeArray>::New();
    connectivity->SetNumberOfTuples(n);
    for (vtkIdType i = 0; i < n; ++i) connectivity->SetValue(i, i);
    auto verts = vtkSmartPointer<vtkCellArray>::New();
    verts->SetData(offsets, connectivity);

    auto lod = vtkSmartPointer<vtkPolyData>::New();
    lod->SetPoints(points);
    lod->SetVerts(verts);
    lod->GetPointData()->SetScalars(gatherColors(full, ids));
    return lod;
}

void updateLodColors(vtkPolyData* lod, vtkPolyData* full, const std::vector<uint32_t>& ids) {
    lod->GetPointData()->SetScalars(gatherColors(full, ids));
    lod->Modified();
}

}  // namespace inst3d
