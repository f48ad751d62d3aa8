#include "core/scene/scene.h"

#include <cmath>
#include <stdexcept>

#include "core/scene/frames.h"

namespace inst3d {

AABB Mesh::bounds() const {
    AABB box;
    for (size_t i = 0; i < numVertices(); ++i) box.extend(vertex(i));
    return box;
}

const char* toString(InstanceSource s) {
    switch (s) {
        case InstanceSource::GroundTruth: return "gt";
        case InstanceSource::Imported: return "imported";
        case InstanceSource::BuiltIn: return "builtin";
        case InstanceSource::User: return "user";
    }
    return "?";
}

const std::string* SceneMeta::find(const std::string& key) const {
    for (const auto& kv : entries)
        if (kv.first == key) return &kv.second;
    return nullptr;
}

void SceneMeta::set(const std::string& key, const std::string& value) {
    for (auto& kv : entries)
        if (kv.first == key) {
            kv.second = value;
            return;
        }
    entries.emplace_back(key, value);
}

std::vector<float> Scene::alignedXYZ() const {
    std::vector<float> out(mesh.xyz.size());
    for (size_t i = 0; i < mesh.numVertices(); ++i) {
        Vec3 p = alignedVertex(i);
        out[3 * i] = static_cast<float>(p.x);
        out[3 * i + 1] = static_cast<float>(p.y);
        out[3 * i + 2] = static_cast<float>(p.z);
    }
    return out;
}

AABB Scene::alignedBox(const Instance& inst) const {
    AABB box;
    for (uint32_t v : inst.vertices) box.extend(alignedVertex(v));
    return box;
}

AABB Scene::rawBox(const Instance& inst) const {
    AABB box;
    for (uint32_t v : inst.vertices) box.extend(mesh.vertex(v));
    return box;
}

const Instance* Scene::findInstance(int id) const {
    for (const auto& inst : instances)
        if (inst.id == id) return &inst;
    return nullptr;
}

Mat4 Intrinsics::asMatrix() const {
    Mat4 k;
    k(0, 0) = fx; k(1, 1) = fy; k(0, 2) = cx; k(1, 2) = cy;
    return k;
}

Intrinsics Intrinsics::fromMatrix(const Mat4& k, int width, int height) {
    Intrinsics in;
    in.fx = k(0, 0); in.fy = k(1, 1); in.cx = k(0, 2); in.cy = k(1, 2);
    in.width = width; in.height = height;
    return in;
}

Intrinsics Intrinsics::scaledTo(int newWidth, int newHeight) const {
    Intrinsics out = *this;
    double sx = static_cast<double>(newWidth) / width, sy = static_cast<double>(newHeight) / height;
    out.fx = fx * sx; out.fy = fy * sy;
    out.cx = (cx + 0.5) * sx - 0.5; out.cy = (cy + 0.5) * sy - 0.5;
    out.width = newWidth; out.height = newHeight;
    return out;
}

size_t FrameSource::numValidPoses() const {
    size_t n = 0;
    for (size_t i = 0; i < numFrames(); ++i) n += pose(i).valid ? 1 : 0;
    return n;
}

}  // namespace inst3d

namespace inst3d {
InstanceSource instanceSourceFromString(const std::string& s) {
    if (s == "gt") return InstanceSource::GroundTruth;
    if (s == "imported") return InstanceSource::Imported;
    if (s == "builtin") return InstanceSource::BuiltIn;
    if (s == "user") return InstanceSource::User;
    throw std::invalid_argument("unknown instance source '" + s + "' (expected gt, imported, builtin or user)");
}
}  // namespace inst3d
