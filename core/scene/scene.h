// A scene: mesh or point cloud, over-segmentation, semantic labels, instances, axis alignment, frames.
// Coordinates are stored raw, as in the files; alignedXYZ() applies axisAlignment (ScanNet's
// scene.txt) the way every ScanNet preprocessing script does before computing boxes.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/common/math.h"
#include "core/scene/frames.h"
#include "core/scene/instance.h"
#include "core/scene/mesh.h"

namespace inst3d {

// key = value pairs of <scene>.txt, kept verbatim so writing back preserves unknown keys.
struct SceneMeta {
    std::vector<std::pair<std::string, std::string>> entries;
    const std::string* find(const std::string& key) const;
    void set(const std::string& key, const std::string& value);
};

struct Scene {
    std::string id;                      // "scene0000_00", or the file stem for custom captures
    std::string sourcePath;              // folder or file it was opened from
    Mesh mesh;
    std::vector<int32_t> segIndices;     // [V] over-segmentation id per vertex; empty if none
    std::vector<uint16_t> semanticLabel; // [V] nyu40 id per vertex from .labels.ply; empty if none
    Mat4 axisAlignment;                  // raw -> aligned; identity when unknown
    SceneMeta meta;
    std::vector<Instance> instances;
    std::shared_ptr<FrameSource> frames; // null when the scene has no RGB-D

    Vec3 alignedVertex(size_t i) const { return axisAlignment.transformPoint(mesh.vertex(i)); }
    std::vector<float> alignedXYZ() const;                 // [V*3]
    AABB alignedBox(const Instance& inst) const;           // ScanNet-style box in aligned coordinates
    AABB rawBox(const Instance& inst) const;
    const Instance* findInstance(int id) const;
};

}  // namespace inst3d
