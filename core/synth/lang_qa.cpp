// Question answering: ScanQA (scene questions) and SQA3D (situated questions).
//
// ScanQA templates: "What color is the <ref>?" | "How many <cats> are in the room?" |
//   "What is on the <A>?" | "What is placed on top of the <A>?" | "Where is the <ref>?" (answer
//   "on the <A>" / "next to the <A>" / "between the <A> and the <B>").
// SQA3D: the agent stands r meters in front of object F, facing it (position on the floor, aligned
//   coordinates; rotation = yaw quaternion about +Z, forward = +X rotated by the yaw). Situation
//   "I am standing <r> meters in front of the <F>, facing it."; alternatives "I am facing the <F>." and
//   "The <F> is right in front of me.". Questions: "What is on my left|right?" and "If I turn around,
//   what will be in front of me?" (nearest object whose direction is within 45 degrees of that side),
//   "What color is the <cat> in front of me?", "How many <cats> are there in the room?",
//   "Is the <A> on my left|right?", "Can I see the <A> without turning around?" (yes = in the front
//   half-plane), "Which is closer to me, the <A> or the <B>?".
#include <algorithm>
#include <cmath>

#include "core/synth/lang_gen.h"
#include "core/synth/lang_text.h"

namespace inst3d::langgen {
namespace {

constexpr size_t kMaxCountQuestions = 3, kMaxColorQuestions = 4, kMaxWhereQuestions = 4, kMaxOnQuestions = 3;
constexpr size_t kMaxSituations = 2;
// Situated margins around the verifier's: cone half-width 45 deg (strict 35, rivals checked to 55),
// nearest-in-cone by 1.2x, lateral / forward offsets > 0.5 m (verifier 0.1 m), closer by 1.3x (1.05x).
constexpr double kConeStrict = 35, kConeLax = 55, kFrontColorCone = 30;
constexpr double kConeRatio = 1.2, kCloserRatio = 1.3, kSideOffset = 0.5;

double angleDiff(double a, double b) {
    double d = std::fmod(std::fabs(a - b), 360.0);
    return d > 180 ? 360 - d : d;
}

ojson ids(const std::vector<const LObject*>& objs) {
    ojson out = ojson::array();
    for (const LObject* o : objs) out.push_back(o->id);
    return out;
}

ojson names(const std::vector<const LObject*>& objs) {
    ojson out = ojson::array();
    for (const LObject* o : objs) out.push_back(lang::underscored(o->cat));
    return out;
}

void addScanQa(const LangScene& s, const std::string& split, int& k, const std::string& question,
               const std::string& answer, const std::vector<const LObject*>& objs, ojson& out) {
    std::string sceneShort = s.id().substr(0, s.id().find('_'));  // "scene0000_00" -> "scene0000"
    out.push_back({{"scene_id", s.id()},
                   {"object_ids", ids(objs)},
                   {"object_names", names(objs)},
                   {"question_id", split + "-" + sceneShort + "-" + std::to_string(k++)},
                   {"question", question},
                   {"answers", ojson::array({answer})}});
}

// Claims that name t on their own without colour or viewpoint (colour questions must not give away
// the answer; ScanQA has no viewpoint).
std::vector<std::string> plainRefs(const LangScene& s, const LObject& t, const std::vector<Claim>& claims, bool colorOk) {
    std::vector<std::string> refs;
    for (const Claim& c : claims) {
        if (!colorOk && (c.rel == Rel::Color || c.rel == Rel::OnlyColor)) continue;
        std::string r = refPhrase(s, t, c, false);
        if (!r.empty()) refs.push_back(r);
    }
    return refs;
}

void countQuestions(const LangScene& s, const std::string& split, Rng& rng, int& k, ojson& out) {
    std::vector<std::string> cats = s.targetCategories();
    rng.shuffle(cats);
    // Categories with several instances first: "how many" with answer 1 is the dull case.
    std::stable_partition(cats.begin(), cats.end(), [&](const std::string& c) { return s.count(c) > 1; });
    for (size_t i = 0; i < cats.size() && i < kMaxCountQuestions; ++i) {
        auto objs = s.ofCategory(cats[i]);
        addScanQa(s, split, k, "How many " + lang::pluralize(cats[i]) + " are in the room?",
                  std::to_string(objs.size()), objs, out);
    }
}

void colorQuestions(const LangScene& s, const std::string& split, Rng& rng, int& k, ojson& out) {
    auto targets = s.targets();
    rng.shuffle(targets);
    size_t made = 0;
    for (const LObject* t : targets) {
        if (made >= kMaxColorQuestions || t->color.empty()) continue;
        auto refs = plainRefs(s, *t, s.claimsFor(*t), false);
        if (refs.empty()) continue;
        addScanQa(s, split, k, "What color is the " + rng.pick(refs) + "?", t->color, {t}, out);
        ++made;
    }
}

// "What is on the <A>?" only when everything on A is of one category and every other object is
// robustly not on A, so the answer is complete.
void onQuestions(const LangScene& s, const std::string& split, Rng& rng, int& k, ojson& out) {
    size_t made = 0;
    for (const LObject* a : s.anchors()) {
        if (made >= kMaxOnQuestions) break;
        std::vector<const LObject*> on;
        bool clear = true;
        for (const LObject& o : s.objects()) {
            if (o.id == a->id || !o.named) continue;
            if (s.stronglyOn(o, *a)) on.push_back(&o);
            else if (!s.stronglyNotOn(o, *a)) clear = false;
        }
        if (!clear || on.empty()) continue;
        bool oneCat = std::all_of(on.begin(), on.end(), [&](const LObject* o) { return o->cat == on[0]->cat; });
        if (!oneCat) continue;
        std::string answer = on.size() == 1 ? on[0]->cat : lang::pluralize(on[0]->cat);
        std::string q = rng.below(2) ? "What is on the " : "What is placed on top of the ";
        addScanQa(s, split, k, q + s.name(*a) + "?", answer, on, out);
        ++made;
    }
}

void whereQuestions(const LangScene& s, const std::string& split, Rng& rng, int& k, ojson& out) {
    auto targets = s.targets();
    rng.shuffle(targets);
    size_t made = 0;
    for (const LObject* t : targets) {
        if (made >= kMaxWhereQuestions) break;
        auto claims = s.claimsFor(*t);
        // "on the X" is the natural answer when it holds; otherwise next to / between.
        std::vector<std::string> locations;
        for (Rel preferred : {Rel::On, Rel::Near, Rel::Between}) {
            for (const Claim& c : claims)
                if (c.rel == preferred) locations.push_back(locationPhrase(s, c));
            if (!locations.empty()) break;
        }
        // The reference must not already say where it is: colour, uniqueness or size only.
        std::vector<Claim> naming;
        for (const Claim& c : claims)
            if (c.rel == Rel::Only || c.rel == Rel::Color || c.rel == Rel::OnlyColor || c.rel == Rel::Largest ||
                c.rel == Rel::Smallest)
                naming.push_back(c);
        auto refs = plainRefs(s, *t, naming, true);
        if (locations.empty() || refs.empty()) continue;
        addScanQa(s, split, k, "Where is the " + rng.pick(refs) + "?", rng.pick(locations), {t}, out);
        ++made;
    }
}

struct Situation {
    Agent agent;
    const LObject* facing = nullptr;
    double distance = 0;
};

bool standingSpotFree(const LangScene& s, const Vec3& p) {
    const AABB& room = s.roomBox();
    if (p.x < room.min.x + 0.3 || p.x > room.max.x - 0.3 || p.y < room.min.y + 0.3 || p.y > room.max.y - 0.3)
        return false;
    for (const LObject& o : s.objects()) {
        if (!o.named) continue;
        if (p.x > o.box.min.x - 0.25 && p.x < o.box.max.x + 0.25 && p.y > o.box.min.y - 0.25 &&
            p.y < o.box.max.y + 0.25)
            return false;
    }
    return true;
}

std::vector<Situation> findSituations(const LangScene& s, Rng& rng) {
    std::vector<Situation> out;
    std::vector<const LObject*> anchors;
    for (const LObject* a : s.anchors())
        if (LangScene::isViewpoint(*a)) anchors.push_back(a);
    rng.shuffle(anchors);
    for (const LObject* f : anchors) {
        if (out.size() >= kMaxSituations) break;
        Vec3 d = f->c() - s.roomCenter();
        d.z = 0;
        if (norm(d) < 0.5) continue;
        d = normalized(d);
        for (double r : {1.5, 2.0, 1.2}) {
            Vec3 p = f->c() - d * r;
            p.z = 0;
            if (!standingSpotFree(s, p)) continue;
            out.push_back({Agent{p, d}, f, r});
            break;
        }
    }
    return out;
}

// Category of the nearest object within the cone around `centerDeg`, when no object of another
// category could be mistaken for it; "" otherwise.
std::string coneAnswer(const LangScene& s, const Agent& ag, double centerDeg) {
    const LObject* best = nullptr;
    for (const LObject& o : s.objects())
        if (o.named && angleDiff(ag.angleDeg(o.c()), centerDeg) <= kConeStrict &&
            (!best || ag.distance(o.c()) < ag.distance(best->c())))
            best = &o;
    if (!best || ag.distance(best->c()) < 0.5) return "";
    double d1 = ag.distance(best->c());
    for (const LObject& o : s.objects()) {
        if (!o.named || o.cat == best->cat || angleDiff(ag.angleDeg(o.c()), centerDeg) > kConeLax) continue;
        if (ag.distance(o.c()) < kConeRatio * d1) return "";
    }
    return best->cat;
}

void addSqa(const LangScene& s, const Situation& sit, long long& nextId, const std::string& question,
            const std::string& type, const std::string& answerType, const std::string& answer, ojson& qs, ojson& as) {
    std::string f = s.name(*sit.facing);
    long long id = nextId++;
    qs.push_back({{"scene_id", s.id()},
                  {"situation", "I am standing " + lang::formatDecimal(sit.distance, 1) + " meters in front of the " + f +
                                    ", facing it."},
                  {"alternative_situation", ojson::array({"I am facing the " + f + ".",
                                                          "The " + f + " is right in front of me."})},
                  {"question", question},
                  {"question_id", id}});
    double yaw = std::atan2(sit.agent.fwd.y, sit.agent.fwd.x);
    as.push_back({{"scene_id", s.id()},
                  {"question_type", type},
                  {"answer_type", answerType},
                  {"question_id", id},
                  {"answers", ojson::array({{{"answer", answer}, {"answer_confidence", "yes"}, {"answer_id", 1}}})},
                  {"rotation", {{"_x", 0.0}, {"_y", 0.0}, {"_z", std::sin(yaw / 2)}, {"_w", std::cos(yaw / 2)}}},
                  {"position", {{"x", sit.agent.pos.x}, {"y", sit.agent.pos.y}, {"z", sit.agent.pos.z}}}});
}

void situatedQuestions(const LangScene& s, const Situation& sit, Rng& rng, long long& nextId, ojson& qs, ojson& as) {
    const Agent& ag = sit.agent;
    auto add = [&](const std::string& q, const std::string& type, const std::string& at, const std::string& a) {
        addSqa(s, sit, nextId, q, type, at, a, qs, as);
    };
    for (auto [q, center] : {std::pair<const char*, double>{"What is on my left?", 90.0},
                             {"What is on my right?", -90.0},
                             {"If I turn around, what will be in front of me?", 180.0}}) {
        std::string a = coneAnswer(s, ag, center);
        if (!a.empty()) add(q, center == 180.0 ? "other" : "what", "other", a);
    }
    const LObject& f = *sit.facing;
    // When the situation had to name F by its colour ("the pink toilet") the question answers itself.
    bool frontClear = !f.color.empty() && s.name(f) == f.cat;
    for (const LObject* o : s.ofCategory(f.cat))
        if (o != &f && angleDiff(ag.angleDeg(o->c()), 0) <= kFrontColorCone && o->color != f.color) frontClear = false;
    if (frontClear) add("What color is the " + f.cat + " in front of me?", "what", "other", f.color);

    auto cats = s.targetCategories();
    if (!cats.empty()) {
        const std::string& cat = rng.pick(cats);
        add("How many " + lang::pluralize(cat) + " are there in the room?", "how", "number",
            lang::numberWord(s.count(cat)));
    }
    std::vector<const LObject*> others;
    for (const LObject* a : s.anchors())
        if (a != &f) others.push_back(a);
    rng.shuffle(others);
    for (const LObject* a : others)
        if (std::fabs(ag.lateral(a->c())) >= kSideOffset) {
            bool askLeft = rng.below(2) == 0, isLeft = ag.lateral(a->c()) > 0;
            add("Is the " + s.name(*a) + " on my " + (askLeft ? "left" : "right") + "?", "is", "yes/no",
                askLeft == isLeft ? "yes" : "no");
            break;
        }
    for (const LObject* a : others)
        if (std::fabs(ag.forward(a->c())) >= kSideOffset) {
            add("Can I see the " + s.name(*a) + " without turning around?", "can", "yes/no",
                ag.forward(a->c()) > 0 ? "yes" : "no");
            break;
        }
    for (size_t i = 0; i < others.size(); ++i)
        for (size_t j = i + 1; j < others.size(); ++j) {
            const LObject *x = others[i], *y = others[j];
            if (x->cat == y->cat) continue;
            double dx = ag.distance(x->c()), dy = ag.distance(y->c());
            if (std::max(dx, dy) < kCloserRatio * std::min(dx, dy)) continue;
            add("Which is closer to me, the " + s.name(*x) + " or the " + s.name(*y) + "?", "which", "other",
                dx < dy ? x->cat : y->cat);
            return;
        }
}

}  // namespace

void scanQaEntries(const LangScene& s, const std::string& split, Rng& rng, ojson& out) {
    int k = 0;
    countQuestions(s, split, rng, k, out);
    colorQuestions(s, split, rng, k, out);
    onQuestions(s, split, rng, k, out);
    whereQuestions(s, split, rng, k, out);
}

void sqa3dEntries(const LangScene& s, Rng& rng, long long& nextId, ojson& questions, ojson& annotations) {
    for (const Situation& sit : findSituations(s, rng)) situatedQuestions(s, sit, rng, nextId, questions, annotations);
}

}  // namespace inst3d::langgen
