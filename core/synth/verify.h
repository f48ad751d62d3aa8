// Independent checker of the synthetic language annotations. It reads the scenes back from disk
// (loadScene), derives the objects and their relations from the mesh alone, parses every sentence
// with the template grammar of core/synth/lang_gen.h and re-checks the claim. It shares no state with
// the generator: only the files and the text.
//
// Relation semantics (thresholds at which a statement counts as true; the generator keeps a margin):
//   on          |target bottom - anchor top| < 5 cm and the target's XY center lies over the anchor's
//               footprint grown by 2 cm
//   next to     horizontal gap between the boxes < 0.4 m
//   between     XY center projects onto segment AB at t in (0.1, 0.9), offset from AB < 0.35 |AB|
//   closest     every other object of the category is > 1.05x as far (XY center distance) from A
//   farthest    the target is > 1.05x as far from A as every other object of the category
//   largest     box volume > 1.1x every other of the category (smallest: every other > 1.1x)
//   left/right  "when facing V": forward = room center -> V snapped to the nearest room axis; the
//               target's lateral offset exceeds every other of its category by > 0.15 m
//   situated    agent at position, forward = +X rotated by the yaw quaternion; "on my left" = nearest
//               object (XY) whose direction is within 45 deg of the left; left / right / front by
//               > 0.1 m; "closer" by 1.05x; "facing F" within 10 deg, stated distance within 0.15 m
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/common/math.h"
#include "core/scene/scene.h"

namespace inst3d {

// One ground-truth object as read back from disk.
struct FactObject {
    int id = 0;
    std::string label;
    AABB box;                // aligned (Scene::alignedBox)
    std::string color;       // palette name held by most of its vertices; "" without vertex colors
    double colorShare = 0;   // fraction of its vertices with that color
};

struct SceneFacts {
    std::string sceneId;
    std::vector<FactObject> objects;
    AABB room;  // aligned box of the floor instance(s), else of the whole mesh
    const FactObject* find(int id) const;
    int count(const std::string& label) const;
};

SceneFacts factsFromScene(const Scene& scene);

struct CheckResult {
    bool ok = true;
    std::string reason;               // why it is false or unreadable, when !ok
    std::vector<std::string> kinds;   // statement kinds it contained ("color", "closest", ...)
};

// A ScanRefer / Multi3DRefer description (sentences ending in ".") or an Nr3D utterance (a referring
// phrase): true when the objects it describes are exactly targetIds (empty = describes nothing).
CheckResult verifyDescription(const SceneFacts& facts, const std::string& text, const std::vector<int>& targetIds);

// A ScanQA question with one of its answers and its annotated object ids.
CheckResult verifyScanQa(const SceneFacts& facts, const std::string& question, const std::string& answer,
                         const std::vector<int>& objectIds);

// SQA3D: agent pose as in the annotation file (aligned position, rotation quaternion).
struct AgentPose {
    Vec3 position;
    double qx = 0, qy = 0, qz = 0, qw = 1;
};
CheckResult verifySituation(const SceneFacts& facts, const AgentPose& pose, const std::string& situation);
CheckResult verifySituatedQa(const SceneFacts& facts, const AgentPose& pose, const std::string& question,
                             const std::string& answer);

struct LanguageReport {
    std::vector<std::string> failures;  // "<file>: <entry>: <reason>"
    std::map<std::string, int> kinds;   // statement kind -> how many were checked and found true
    int statements = 0;                 // annotations checked
};

// Checks every file under outDir/{ScanRefer,Multi3DRefer,ScanQA,Scan2Cap,ReferIt3D,SQA3D}: exact
// field names and types of the real formats, consistency between files, and the truth of every
// statement against the scenes in outDir/scans/<scene_id>.
LanguageReport verifySynthLanguageReport(const std::string& outDir);
// The same against facts already at hand (keyed by scene id).
LanguageReport verifyLanguageFiles(const std::string& outDir, const std::map<std::string, SceneFacts>& facts);
// Failures only (empty = every statement is true).
std::vector<std::string> verifySynthLanguage(const std::string& outDir);

}  // namespace inst3d
