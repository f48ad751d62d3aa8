// Question checks: ScanQA answers and SQA3D situations and answers, re-derived from the facts.
#include <algorithm>
#include <cmath>
#include <set>

#include "core/synth/lang_text.h"
#include "core/synth/verify_grammar.h"

namespace inst3d {
namespace {

using namespace verifier;

// Situated thresholds (verify.h's table).
constexpr double kCone = 45, kFrontCone = 20, kSideOffset = 0.1, kCloserRatio = 1.05;
constexpr double kFacingDeg = 10, kStatedDistanceTol = 0.15;

struct Agent {
    Vec3 pos, fwd;
    double lateral(const Vec3& p) const { return -(p.x - pos.x) * fwd.y + (p.y - pos.y) * fwd.x; }
    double forward(const Vec3& p) const { return (p.x - pos.x) * fwd.x + (p.y - pos.y) * fwd.y; }
    double angleDeg(const Vec3& p) const { return std::atan2(lateral(p), forward(p)) * 180 / M_PI; }
    double distance(const Vec3& p) const { return dxy(p, pos); }
};

double angleDiff(double a, double b) {
    double d = std::fmod(std::fabs(a - b), 360.0);
    return d > 180 ? 360 - d : d;
}

bool agentFromPose(const AgentPose& pose, Agent& agent, std::string& why) {
    double n = std::sqrt(pose.qx * pose.qx + pose.qy * pose.qy + pose.qz * pose.qz + pose.qw * pose.qw);
    if (std::fabs(n - 1) > 1e-3 || std::fabs(pose.qx) > 1e-6 || std::fabs(pose.qy) > 1e-6) {
        why = "rotation is not a unit quaternion about +Z";
        return false;
    }
    double yaw = 2 * std::atan2(pose.qz, pose.qw);
    agent = {pose.position, {std::cos(yaw), std::sin(yaw), 0}};
    return true;
}

// ---- question answering helpers ---------------------------------------------------------------------

bool sameIds(std::vector<int> a, std::vector<int> b) {
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    return a == b;
}

CheckResult uniqueRef(const SceneFacts& f, const std::string& phrase, int& id) {
    Ref ref;
    std::string why;
    if (!parseRefPhrase(f, phrase, ref, why) || !resolveAnchors(f, ref, why)) return failure(why);
    auto found = candidates(f, ref);
    if (found.size() != 1) return failure("'the " + phrase + "' names " + std::to_string(found.size()) + " objects");
    id = found[0];
    CheckResult r;
    for (const Pred& p : ref.preds) r.kinds.push_back(kindName(p.kind));
    return r;
}

CheckResult checkLocationAnswer(const SceneFacts& f, const FactObject& t, const std::string& answer) {
    std::smatch m;
    Pred p;
    if (matchRe(answer, "on the (.+)", m)) p = pred(P::On, answer, m[1]);
    else if (matchRe(answer, "next to the (.+)", m)) p = pred(P::Near, answer, m[1]);
    else if (matchRe(answer, "between the (.+) and the (.+)", m)) p = pred(P::Between, answer, m[1], m[2]);
    else return failure("unknown location answer '" + answer + "'");
    std::string why;
    if (!resolveAnchor(f, p.np1, p.a, why) || (!p.np2.empty() && !resolveAnchor(f, p.np2, p.b, why))) return failure(why);
    if (!holds(f, p, t, why)) return failure(why);
    return {true, "", {kindName(p.kind)}};
}

CheckResult checkCount(const SceneFacts& f, const std::string& plural, const std::string& answer, std::string* label) {
    NP np = parsePluralNP(f, plural);
    if (np.cat.empty() || !np.color.empty()) return failure("unknown category '" + plural + "'");
    int n = lang::parseNumber(answer);
    if (n != f.count(np.cat))
        return failure("count: there are " + std::to_string(f.count(np.cat)) + " " + plural + ", answer says '" + answer + "'");
    if (label) *label = np.cat;
    return {true, "", {"count"}};
}

// Category of the nearest nameable object within kCone of `centerDeg` (agent frame); null if none.
const FactObject* nearestInCone(const SceneFacts& f, const Agent& ag, double centerDeg) {
    const FactObject* best = nullptr;
    for (const FactObject& o : f.objects)
        if (!isUnnamed(o.label) && angleDiff(ag.angleDeg(o.box.center()), centerDeg) <= kCone &&
            (!best || ag.distance(o.box.center()) < ag.distance(best->box.center())))
            best = &o;
    return best;
}

CheckResult checkFacing(const SceneFacts& f, const Agent& ag, const std::string& phrase, double statedDistance) {
    int id = -1;
    std::string why;
    if (!resolveAnchor(f, phrase, id, why)) return failure(why);
    const FactObject& o = *f.find(id);
    double angle = std::fabs(ag.angleDeg(o.box.center()));
    if (angle > kFacingDeg)
        return failure("the agent does not face " + describe(o) + " (off by " + lang::formatDecimal(angle, 1) + " deg)");
    double d = ag.distance(o.box.center());
    if (statedDistance >= 0 && std::fabs(d - statedDistance) > kStatedDistanceTol)
        return failure(describe(o) + " is " + lang::formatDecimal(d, 2) + " m away, not " + lang::formatDecimal(statedDistance, 1));
    return {true, "", {"facing"}};
}

CheckResult yesNo(bool truth, const std::string& answer, const std::string& what, const char* kind) {
    if (answer != "yes" && answer != "no") return failure("answer '" + answer + "' is not yes/no");
    if ((answer == "yes") != truth) return failure(what + ": the answer should be " + (truth ? "yes" : "no"));
    return {true, "", {kind}};
}

CheckResult idsAre(const std::vector<int>& objectIds, const std::vector<int>& expected, CheckResult ok) {
    if (!sameIds(objectIds, expected)) return failure("object_ids " + idList(objectIds) + " != " + idList(expected));
    return ok;
}

// ---- ScanQA templates: (question groups, answer, annotated ids) -> result ----------------------------

CheckResult qaColor(const SceneFacts& f, const std::string& ref, const std::string& a, const std::vector<int>& ids) {
    int id = -1;
    CheckResult r = uniqueRef(f, ref, id);
    if (!r.ok) return r;
    const FactObject& o = *f.find(id);
    if (o.color != a) return failure("color: " + describe(o) + " is " + o.color + ", not " + a);
    return idsAre(ids, {id}, {true, "", {"qa_color"}});
}

CheckResult qaCount(const SceneFacts& f, const std::string& plural, const std::string& a, const std::vector<int>& ids) {
    std::string label;
    CheckResult r = checkCount(f, plural, a, &label);
    if (!r.ok) return r;
    std::vector<int> all;
    for (const FactObject& o : f.objects)
        if (o.label == label) all.push_back(o.id);
    return idsAre(ids, all, {true, "", {"qa_count"}});
}

// "What is on the A?": everything resting on A, which must be of one category (singular for one
// object, plural for several).
CheckResult qaOn(const SceneFacts& f, const std::string& anchorPhrase, const std::string& a, const std::vector<int>& ids) {
    int anchor = -1;
    std::string why;
    if (!resolveAnchor(f, anchorPhrase, anchor, why)) return failure(why);
    std::vector<int> on;
    std::set<std::string> labels;
    for (const FactObject& o : f.objects)
        if (!isUnnamed(o.label) && onRel(o, *f.find(anchor))) on.push_back(o.id), labels.insert(o.label);
    if (labels.size() != 1) return failure("on: " + std::to_string(labels.size()) + " kinds of objects rest on the " + anchorPhrase);
    std::string expected = on.size() == 1 ? *labels.begin() : lang::pluralize(*labels.begin());
    if (a != expected) return failure("on: the answer should be '" + expected + "', not '" + a + "'");
    return idsAre(ids, on, {true, "", {"qa_on"}});
}

CheckResult qaWhere(const SceneFacts& f, const std::string& ref, const std::string& a, const std::vector<int>& ids) {
    int id = -1;
    CheckResult r = uniqueRef(f, ref, id);
    if (!r.ok) return r;
    CheckResult loc = checkLocationAnswer(f, *f.find(id), a);
    if (!loc.ok) return loc;
    return idsAre(ids, {id}, {true, "", {"qa_where", loc.kinds[0]}});
}

// ---- SQA3D templates ------------------------------------------------------------------------------------

CheckResult sqaCone(const SceneFacts& f, const Agent& ag, double centerDeg, const std::string& side, const std::string& a) {
    const FactObject* o = nearestInCone(f, ag, centerDeg);
    if (!o) return failure("nothing is " + side);
    if (o->label != a) return failure(side + ": the nearest object there is " + describe(*o) + ", not a " + a);
    return {true, "", {"sqa_" + side}};
}

CheckResult sqaFrontColor(const SceneFacts& f, const Agent& ag, const std::string& label, const std::string& a) {
    const FactObject* best = nullptr;
    for (const FactObject& o : f.objects)
        if (o.label == label && std::fabs(ag.angleDeg(o.box.center())) <= kFrontCone &&
            (!best || ag.distance(o.box.center()) < ag.distance(best->box.center())))
            best = &o;
    if (!best) return failure("no " + label + " in front of the agent");
    if (best->color != a) return failure("color: " + describe(*best) + " is " + best->color + ", not " + a);
    return {true, "", {"sqa_color"}};
}

CheckResult sqaSide(const SceneFacts& f, const Agent& ag, const std::string& phrase, bool askedLeft, const std::string& a) {
    int id = -1;
    std::string why;
    if (!resolveAnchor(f, phrase, id, why)) return failure(why);
    const FactObject& o = *f.find(id);
    double lat = ag.lateral(o.box.center());
    if (std::fabs(lat) <= kSideOffset) return failure(describe(o) + " is straight ahead or behind");
    return yesNo((lat > 0) == askedLeft, a, "left/right of " + describe(o), "sqa_left_right");
}

CheckResult sqaVisible(const SceneFacts& f, const Agent& ag, const std::string& phrase, const std::string& a) {
    int id = -1;
    std::string why;
    if (!resolveAnchor(f, phrase, id, why)) return failure(why);
    const FactObject& o = *f.find(id);
    double fwd = ag.forward(o.box.center());
    if (std::fabs(fwd) <= kSideOffset) return failure(describe(o) + " is level with the agent");
    return yesNo(fwd > 0, a, "in front of the agent: " + describe(o), "sqa_visible");
}

CheckResult sqaCloser(const SceneFacts& f, const Agent& ag, const std::string& p1, const std::string& p2, const std::string& a) {
    int id1 = -1, id2 = -1;
    std::string why;
    if (!resolveAnchor(f, p1, id1, why) || !resolveAnchor(f, p2, id2, why)) return failure(why);
    const FactObject *x = f.find(id1), *y = f.find(id2);
    double dx = ag.distance(x->box.center()), dy = ag.distance(y->box.center());
    if (std::max(dx, dy) <= kCloserRatio * std::min(dx, dy)) return failure("closer: both are about as far");
    const FactObject* closer = dx < dy ? x : y;
    if (closer->label != a) return failure("closer: " + describe(*closer) + " is closer, not a " + a);
    return {true, "", {"sqa_closer"}};
}

}  // namespace

CheckResult verifyScanQa(const SceneFacts& f, const std::string& questionIn, const std::string& answerIn,
                         const std::vector<int>& objectIds) {
    std::string q = lang::toLower(questionIn), a = lang::toLower(answerIn);
    std::smatch m;
    if (matchRe(q, "what color is the (.+)\\?", m)) return qaColor(f, m[1], a, objectIds);
    if (matchRe(q, "how many (.+) are in the room\\?", m)) return qaCount(f, m[1], a, objectIds);
    if (matchRe(q, "what is (?:on|placed on top of) the (.+)\\?", m)) return qaOn(f, m[1], a, objectIds);
    if (matchRe(q, "where is the (.+)\\?", m)) return qaWhere(f, m[1], a, objectIds);
    return failure("unknown question '" + questionIn + "'");
}

CheckResult verifySituation(const SceneFacts& f, const AgentPose& pose, const std::string& situation) {
    Agent ag;
    std::string why;
    if (!agentFromPose(pose, ag, why)) return failure(why);
    std::string s = lang::toLower(situation);
    std::smatch m;
    if (matchRe(s, "i am standing ([0-9.]+) meters in front of the (.+), facing it\\.", m))
        return checkFacing(f, ag, m[2], std::stod(m[1]));
    if (matchRe(s, "i am facing the (.+)\\.", m) || matchRe(s, "the (.+) is right in front of me\\.", m))
        return checkFacing(f, ag, m[1], -1);
    return failure("unknown situation '" + situation + "'");
}

CheckResult verifySituatedQa(const SceneFacts& f, const AgentPose& pose, const std::string& questionIn,
                             const std::string& answerIn) {
    Agent ag;
    std::string why;
    if (!agentFromPose(pose, ag, why)) return failure(why);
    std::string q = lang::toLower(questionIn), a = lang::toLower(answerIn);
    std::smatch m;
    if (matchRe(q, "what is on my (left|right)\\?", m)) return sqaCone(f, ag, m[1] == "left" ? 90 : -90, m[1], a);
    if (q == "if i turn around, what will be in front of me?") return sqaCone(f, ag, 180, "behind", a);
    if (matchRe(q, "what color is the (.+) in front of me\\?", m)) return sqaFrontColor(f, ag, m[1], a);
    if (matchRe(q, "how many (.+) are there in the room\\?", m)) {
        CheckResult r = checkCount(f, m[1], a, nullptr);
        if (r.ok) r.kinds = {"sqa_count"};
        return r;
    }
    if (matchRe(q, "is the (.+) on my (left|right)\\?", m)) return sqaSide(f, ag, m[1], m[2] == "left", a);
    if (matchRe(q, "can i see the (.+) without turning around\\?", m)) return sqaVisible(f, ag, m[1], a);
    if (matchRe(q, "which is closer to me, the (.+) or the (.+)\\?", m)) return sqaCloser(f, ag, m[1], m[2], a);
    return failure("unknown question '" + questionIn + "'");
}

}  // namespace inst3d
