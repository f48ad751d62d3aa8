#include "core/proposals/segmenter.h"

#include <algorithm>

#include "core/scene/scene.h"

namespace inst3d {
namespace {

Instance instanceOf(const SegmentGraph& sg, const std::vector<int>& segments, const std::string& label, const SegmenterOptions& o) {
    Instance inst;
    inst.label = label;
    inst.source = InstanceSource::BuiltIn;
    for (int s : segments) inst.vertices.insert(inst.vertices.end(), sg.vertices[size_t(s)].begin(), sg.vertices[size_t(s)].end());
    std::sort(inst.vertices.begin(), inst.vertices.end());
    const double n = double(inst.vertices.size());
    inst.score = static_cast<float>(n / (n + o.scoreHalfVertices));
    return inst;
}

std::vector<int> segmentsOfKind(const SceneStructure& st, StructureKind kind) {
    std::vector<int> out;
    for (size_t s = 0; s < st.kind.size(); ++s)
        if (st.kind[s] == kind) out.push_back(int(s));
    return out;
}

void addIfLargeEnough(std::vector<Instance>& out, Instance inst, const SegmenterOptions& o) {
    if (inst.vertices.size() >= size_t(std::max(o.minInstanceVertices, 1))) out.push_back(std::move(inst));
}

}  // namespace

SegmenterOutput segmentScene(const Scene& scene, const SegmenterOptions& options) {
    const PointGraph g = buildPointGraph(scene, options.knn);
    SegmenterOutput out;
    out.segIndices = oversegment(g, options.oversegment);
    const SegmentGraph sg = buildSegmentGraph(g, out.segIndices, options.contactSpacings * g.spacing);
    const SceneStructure st = findStructure(g, sg, options.structure);

    std::vector<Instance>& inst = out.proposals.instances;
    addIfLargeEnough(inst, instanceOf(sg, segmentsOfKind(st, StructureKind::Floor), "floor", options), options);
    out.floorInstances = int(inst.size());
    for (const WallPlane& w : st.walls) addIfLargeEnough(inst, instanceOf(sg, w.segments, "wall", options), options);
    out.wallInstances = int(inst.size()) - out.floorInstances;
    addIfLargeEnough(inst, instanceOf(sg, segmentsOfKind(st, StructureKind::Ceiling), "ceiling", options), options);
    out.ceilingInstances = int(inst.size()) - out.floorInstances - out.wallInstances;

    std::vector<Instance> objects;
    for (const auto& group : mergeObjects(g, sg, st, options.merge)) addIfLargeEnough(objects, instanceOf(sg, group, "", options), options);
    std::stable_sort(objects.begin(), objects.end(), [](const Instance& a, const Instance& b) { return a.score > b.score; });
    inst.insert(inst.end(), objects.begin(), objects.end());
    for (size_t i = 0; i < inst.size(); ++i) inst[i].id = int(i);
    out.proposals.sceneId = scene.id;
    out.proposals.origin = ProposalOrigin::BuiltInSegmenter;
    return out;
}

}  // namespace inst3d
