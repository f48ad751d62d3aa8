// One object in a scene: a set of mesh vertices with a label, a score and where it came from.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/common/math.h"

namespace inst3d {

enum class InstanceSource { GroundTruth, Imported, BuiltIn, User };
const char* toString(InstanceSource s);
InstanceSource instanceSourceFromString(const std::string& s);  // throws on unknown names

struct Instance {
    int id = 0;                      // ScanNet objectId for ground truth; proposal index otherwise
    std::string label;               // raw category ("office chair"); may be empty for class-agnostic proposals
    float score = 1.0f;              // 1 for ground truth and user instances
    InstanceSource source = InstanceSource::GroundTruth;
    std::vector<uint32_t> vertices;  // indices into Scene::mesh, sorted ascending
    std::vector<int> segments;       // over-segmentation ids (ground truth only)
};

}  // namespace inst3d
