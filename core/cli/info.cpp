#include "core/cli/info.h"

#include <cstdio>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

namespace inst3d {
namespace {

std::string fmt3(const Vec3& v) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "(%.3f, %.3f, %.3f)", v.x, v.y, v.z);
    return buf;
}

std::map<std::string, int> instancesByLabel(const Scene& scene) {
    std::map<std::string, int> counts;
    for (const auto& inst : scene.instances) counts[inst.label.empty() ? "(unlabelled)" : inst.label]++;
    return counts;
}

AABB alignedBounds(const Scene& scene) {
    AABB box;
    for (size_t i = 0; i < scene.mesh.numVertices(); ++i) box.extend(scene.alignedVertex(i));
    return box;
}

}  // namespace

std::string describeScene(const Scene& scene) {
    std::string out;
    char buf[256];
    out += "scene       " + scene.id + "\n";
    out += "source      " + scene.sourcePath + "\n";
    std::snprintf(buf, sizeof buf, "vertices    %zu%s\nfaces       %zu%s\n", scene.mesh.numVertices(),
                  scene.mesh.hasColors() ? " (with colors)" : " (no colors)", scene.mesh.numFaces(),
                  scene.mesh.isPointCloud() ? " (point cloud)" : "");
    out += buf;
    std::set<int32_t> segs(scene.segIndices.begin(), scene.segIndices.end());
    if (!scene.segIndices.empty()) out += "segments    " + std::to_string(segs.size()) + "\n";
    out += "labels      " + std::string(scene.semanticLabel.empty() ? "none" : "per-vertex nyu40 (.labels.ply)") + "\n";
    out += "instances   " + std::to_string(scene.instances.size()) + "\n";
    for (const auto& kv : instancesByLabel(scene)) {
        std::snprintf(buf, sizeof buf, "  %-22s %d\n", kv.first.c_str(), kv.second);
        out += buf;
    }
    AABB raw = scene.mesh.bounds(), aligned = alignedBounds(scene);
    out += "bounds raw      min " + fmt3(raw.min) + " max " + fmt3(raw.max) + "\n";
    out += "bounds aligned  min " + fmt3(aligned.min) + " max " + fmt3(aligned.max) + " size " + fmt3(aligned.size()) + "\n";
    out += "alignment   " + std::string(scene.axisAlignment.isIdentity() ? "identity" : "raw -> aligned (axisAlignment)") + "\n";
    if (!scene.axisAlignment.isIdentity())
        for (int r = 0; r < 4; ++r) {
            std::snprintf(buf, sizeof buf, "  [% .6f % .6f % .6f % .6f]\n", scene.axisAlignment(r, 0),
                          scene.axisAlignment(r, 1), scene.axisAlignment(r, 2), scene.axisAlignment(r, 3));
            out += buf;
        }
    if (!scene.frames) {
        out += "frames      none\n";
    } else {
        const FrameSource& f = *scene.frames;
        Intrinsics c = f.colorIntrinsics(), d = f.depthIntrinsics();
        std::snprintf(buf, sizeof buf,
                      "frames      %zu (%zu with a valid pose) from %s\n"
                      "  color     %dx%d fx %.2f fy %.2f cx %.2f cy %.2f\n"
                      "  depth     %dx%d fx %.2f fy %.2f cx %.2f cy %.2f (shift %.0f per meter)\n",
                      f.numFrames(), f.numValidPoses(), f.description().c_str(), c.width, c.height, c.fx, c.fy, c.cx,
                      c.cy, d.width, d.height, d.fx, d.fy, d.cx, d.cy, f.depthShift());
        out += buf;
    }
    return out;
}

std::string describeSceneJson(const Scene& scene) {
    nlohmann::json j;
    j["scene_id"] = scene.id;
    j["source"] = scene.sourcePath;
    j["vertices"] = scene.mesh.numVertices();
    j["faces"] = scene.mesh.numFaces();
    j["has_colors"] = scene.mesh.hasColors();
    j["has_labels"] = !scene.semanticLabel.empty();
    std::set<int32_t> segs(scene.segIndices.begin(), scene.segIndices.end());
    j["segments"] = segs.size();
    j["instances"] = scene.instances.size();
    j["instances_by_label"] = instancesByLabel(scene);
    AABB raw = scene.mesh.bounds(), aligned = alignedBounds(scene);
    j["bounds_raw"] = {{"min", {raw.min.x, raw.min.y, raw.min.z}}, {"max", {raw.max.x, raw.max.y, raw.max.z}}};
    j["bounds_aligned"] = {{"min", {aligned.min.x, aligned.min.y, aligned.min.z}},
                           {"max", {aligned.max.x, aligned.max.y, aligned.max.z}}};
    j["axis_alignment"] = scene.axisAlignment.m;
    if (scene.frames) {
        j["frames"] = scene.frames->numFrames();
        j["valid_poses"] = scene.frames->numValidPoses();
    } else {
        j["frames"] = 0;
        j["valid_poses"] = 0;
    }
    return j.dump(2);
}

}  // namespace inst3d
