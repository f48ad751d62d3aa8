// Statement-level verification: facts from a loaded scene, the template grammar parsed back into
// predicates, and the predicates re-checked on the facts. Questions are in verify_qa.cpp, file-level
// checks in verify_files.cpp.
#include "core/synth/verify.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>

#include "core/synth/lang_text.h"
#include "core/synth/synth.h"
#include "core/synth/verify_grammar.h"

namespace inst3d {
namespace verifier {

// Verifier thresholds (verify.h's table). The generator decides with margins around these.
constexpr double kOnZ = 0.05, kOnGrow = 0.02, kNearGap = 0.4, kBetweenT = 0.1, kBetweenOffset = 0.35;
constexpr double kDistanceRatio = 1.05, kVolumeRatio = 1.1, kLateralLead = 0.15;
constexpr double kViewMinDistance = 0.5, kViewMaxAxisAngle = 40;

// ---- geometry on facts -------------------------------------------------------------------------

bool isUnnamed(const std::string& label) { return label == "wall" || label == "floor" || label == "ceiling"; }
std::string describe(const FactObject& o) { return "object " + std::to_string(o.id) + " (" + o.label + ")"; }

double insideFootprint(const Vec3& p, const AABB& box, double grow) {
    return std::min({p.x - (box.min.x - grow), (box.max.x + grow) - p.x, p.y - (box.min.y - grow),
                     (box.max.y + grow) - p.y});
}

bool onRel(const FactObject& o, const FactObject& a) {
    return o.id != a.id && std::fabs(o.box.min.z - a.box.max.z) < kOnZ &&
           insideFootprint(o.box.center(), a.box, kOnGrow) > 0;
}

double horizontalGap(const FactObject& o, const FactObject& a) {
    double dx = std::max({0.0, a.box.min.x - o.box.max.x, o.box.min.x - a.box.max.x});
    double dy = std::max({0.0, a.box.min.y - o.box.max.y, o.box.min.y - a.box.max.y});
    return std::hypot(dx, dy);
}

bool betweenRel(const FactObject& o, const FactObject& a, const FactObject& b) {
    Vec3 ab = b.box.center() - a.box.center(), ao = o.box.center() - a.box.center();
    double len = std::hypot(ab.x, ab.y);
    if (len < 1e-6) return false;
    double t = (ao.x * ab.x + ao.y * ab.y) / (len * len);
    double offset = std::fabs(ab.x * ao.y - ab.y * ao.x) / len;
    return t > kBetweenT && t < 1 - kBetweenT && offset < kBetweenOffset * len;
}

// Facing direction when looking at v from the room: room center -> v, snapped to the nearest axis.
bool viewDirection(const SceneFacts& f, const FactObject& v, Vec3& dir, std::string& why) {
    Vec3 d = v.box.center() - f.room.center();
    double ax = std::fabs(d.x), ay = std::fabs(d.y);
    double angle = std::atan2(std::min(ax, ay), std::max(ax, ay)) * 180 / M_PI;
    if (std::hypot(d.x, d.y) < kViewMinDistance || angle > kViewMaxAxisAngle) {
        why = "the direction of facing " + describe(v) + " from the room is unclear";
        return false;
    }
    dir = ax >= ay ? Vec3(d.x > 0 ? 1 : -1, 0, 0) : Vec3(0, d.y > 0 ? 1 : -1, 0);
    return true;
}

std::vector<const FactObject*> peers(const SceneFacts& f, const FactObject& o, int excludeId) {
    std::vector<const FactObject*> out;
    for (const FactObject& p : f.objects)
        if (p.label == o.label && p.id != o.id && p.id != excludeId) out.push_back(&p);
    return out;
}

// ---- grammar -------------------------------------------------------------------------------------

const char* kindName(P k) {
    switch (k) {
        case P::Color: case P::OnlyColor: return "color";
        case P::On: return "on";
        case P::Near: return "near";
        case P::Between: return "between";
        case P::Closest: return "closest";
        case P::Farthest: return "farthest";
        case P::Largest: case P::Smallest: return "size";
        case P::Leftmost: case P::Rightmost: return "left_right";
        case P::Only: return "unique";
        case P::Count: return "count";
    }
    return "?";
}

const std::vector<std::string>& paletteNamesLongestFirst() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const PaletteColor& c : synthPalette()) n.push_back(lang::toLower(c.name));
        std::stable_sort(n.begin(), n.end(), [](const auto& x, const auto& y) { return x.size() > y.size(); });
        return n;
    }();
    return names;
}

bool isPaletteName(const std::string& s) {
    const auto& names = paletteNamesLongestFirst();
    return std::find(names.begin(), names.end(), s) != names.end();
}

// "[color ]category". A text that is a label of the scene is never split, so a label that starts
// with a colour word stays whole.
NP parseNP(const SceneFacts& f, const std::string& text) {
    if (f.count(text) > 0) return {text, ""};
    for (const std::string& c : paletteNamesLongestFirst())
        if (text.size() > c.size() + 1 && text.compare(0, c.size() + 1, c + " ") == 0) return {text.substr(c.size() + 1), c};
    return {text, ""};
}

// Plural noun phrase -> singular label of the scene (by pluralizing every label); "" when unknown.
NP parsePluralNP(const SceneFacts& f, const std::string& text) {
    auto singular = [&](const std::string& plural) -> std::string {
        for (const FactObject& o : f.objects)
            if (lang::pluralize(o.label) == plural) return o.label;
        return "";
    };
    if (std::string s = singular(text); !s.empty()) return {s, ""};
    for (const std::string& c : paletteNamesLongestFirst())
        if (text.size() > c.size() + 1 && text.compare(0, c.size() + 1, c + " ") == 0)
            return {singular(text.substr(c.size() + 1)), c};
    return {"", ""};
}

bool matchRe(const std::string& s, const char* pattern, std::smatch& m) {
    // Patterns are literals: compile each once (per thread, so concurrent verifiers need no lock).
    thread_local std::map<const char*, std::regex> cache;
    auto it = cache.find(pattern);
    if (it == cache.end()) it = cache.emplace(pattern, std::regex(pattern)).first;
    return std::regex_match(s, m, it->second);
}

Pred pred(P kind, const std::string& text, const std::string& np1, const std::string& np2) {
    Pred p;
    p.kind = kind;
    p.text = text;
    p.np1 = np1;
    p.np2 = np2;
    return p;
}

// The head noun of a relation sentence ("it is the <cat> closest to ...") must be the described one.
bool sameCat(const Ref& ref, const std::string& cat, const std::string& sentence, std::string& why) {
    if (cat == ref.cat) return true;
    why = "'" + sentence + "' is about a " + cat + ", the description about a " + ref.cat;
    return false;
}

bool parseItSentence(const SceneFacts& f, const std::string& s, Ref& ref, std::string& why) {
    std::smatch m;
    if (matchRe(s, "it is (?:on|placed on top of) the (.+)", m)) ref.preds.push_back(pred(P::On, s, m[1]));
    else if (matchRe(s, "it is next to the (.+)", m)) ref.preds.push_back(pred(P::Near, s, m[1]));
    else if (matchRe(s, "it is between the (.+) and the (.+)", m)) ref.preds.push_back(pred(P::Between, s, m[1], m[2]));
    else if (matchRe(s, "it is the (.+) closest to the (.+)", m) || matchRe(s, "it is the closest (.+) to the (.+)", m)) {
        if (!sameCat(ref, m[1], s, why)) return false;
        ref.preds.push_back(pred(P::Closest, s, m[2]));
    } else if (matchRe(s, "it is the (.+) farthest from the (.+)", m)) {
        if (!sameCat(ref, m[1], s, why)) return false;
        ref.preds.push_back(pred(P::Farthest, s, m[2]));
    } else if (matchRe(s, "it is the (largest|smallest) (.+) in the room", m)) {
        if (!sameCat(ref, m[2], s, why)) return false;
        ref.preds.push_back(pred(m[1] == "largest" ? P::Largest : P::Smallest, s));
    } else if (matchRe(s, "it is the only (.+) in the room", m)) {
        NP np = parseNP(f, m[1]);
        if (!sameCat(ref, np.cat, s, why)) return false;
        Pred p = pred(np.color.empty() ? P::Only : P::OnlyColor, s);
        p.color = np.color;
        ref.preds.push_back(p);
    } else if (matchRe(s, "it is one of (\\S+) (.+) in the room", m)) {
        NP np = parsePluralNP(f, m[2]);
        if (!sameCat(ref, np.cat, s, why)) return false;
        Pred p = pred(P::Count, s);
        p.n = lang::parseNumber(m[1]);
        ref.preds.push_back(p);
    } else if (matchRe(s, "when facing the (.+), it is the (.+) on the (left|right)", m)) {
        if (!sameCat(ref, m[2], s, why)) return false;
        ref.preds.push_back(pred(m[3] == "left" ? P::Leftmost : P::Rightmost, s, m[1]));
    } else if (matchRe(s, "when facing the (.+), it is the (leftmost|rightmost) (.+)", m)) {
        if (!sameCat(ref, m[3], s, why)) return false;
        ref.preds.push_back(pred(m[2] == "leftmost" ? P::Leftmost : P::Rightmost, s, m[1]));
    } else if (matchRe(s, "it is (.+)", m) && isPaletteName(m[1])) {
        Pred p = pred(P::Color, s);
        p.color = m[1];
        ref.preds.push_back(p);
    } else {
        why = "unknown sentence '" + s + "'";
        return false;
    }
    return true;
}

bool parseHead(const SceneFacts& f, const std::string& s, Ref& ref, std::string& why) {
    std::smatch m;
    NP np;
    if (matchRe(s, "this is an? (.+)", m)) {
        np = parseNP(f, m[1]);
    } else if (matchRe(s, "these are all the (.+) in the room", m)) {
        np = parsePluralNP(f, m[1]);
        if (!np.color.empty()) np.cat.clear();  // "all the" takes no colour
    } else if (matchRe(s, "these are the (.+) in the room", m)) {
        np = parsePluralNP(f, m[1]);
    } else if (matchRe(s, "these are the (.+) (on|next to) the (.+)", m)) {
        np = parsePluralNP(f, m[1]);
        ref.preds.push_back(pred(m[2] == "on" ? P::On : P::Near, s, m[3]));
    } else {
        why = "description must start with 'this is a ...' or 'these are ...', not '" + s + "'";
        return false;
    }
    if (np.cat.empty()) {
        why = "unknown plural in '" + s + "'";
        return false;
    }
    ref.cat = np.cat;
    if (!np.color.empty()) {
        Pred p = pred(P::Color, s);
        p.color = np.color;
        ref.preds.insert(ref.preds.begin(), p);
    }
    return true;
}

std::vector<std::string> splitSentences(const std::string& text) {
    std::vector<std::string> out;
    std::string body = text.substr(0, text.size() - 1);  // drop the final "."
    size_t start = 0, pos;
    while ((pos = body.find(". ", start)) != std::string::npos) {
        out.push_back(body.substr(start, pos - start));
        start = pos + 2;
    }
    out.push_back(body.substr(start));
    return out;
}

bool parseDescription(const SceneFacts& f, const std::string& text, Ref& ref, std::string& why) {
    auto sentences = splitSentences(lang::toLower(text));
    if (!parseHead(f, sentences[0], ref, why)) return false;
    if (sentences[0].rfind("these", 0) == 0 && sentences.size() > 1) {
        why = "a 'these are ...' description has one sentence";
        return false;
    }
    for (size_t i = 1; i < sentences.size(); ++i)
        if (!parseItSentence(f, sentences[i], ref, why)) return false;
    return true;
}

// "<np>" | "<cat> on|next to the <A>" | "<cat> between the <A> and the <B>" |
// "<cat> closest to|farthest from the <A>" | "largest|smallest <cat>".
bool parseRefPhrase(const SceneFacts& f, const std::string& phrase, Ref& ref, std::string& why) {
    std::smatch m;
    std::string head = phrase;
    if (matchRe(phrase, "(largest|smallest) (.+)", m)) {
        head = m[2];
        ref.preds.push_back(pred(m[1] == "largest" ? P::Largest : P::Smallest, phrase));
    } else if (matchRe(phrase, "(.+) between the (.+) and the (.+)", m)) {
        head = m[1];
        ref.preds.push_back(pred(P::Between, phrase, m[2], m[3]));
    } else if (matchRe(phrase, "(.+) closest to the (.+)", m)) {
        head = m[1];
        ref.preds.push_back(pred(P::Closest, phrase, m[2]));
    } else if (matchRe(phrase, "(.+) farthest from the (.+)", m)) {
        head = m[1];
        ref.preds.push_back(pred(P::Farthest, phrase, m[2]));
    } else if (matchRe(phrase, "(.+) next to the (.+)", m)) {
        head = m[1];
        ref.preds.push_back(pred(P::Near, phrase, m[2]));
    } else if (matchRe(phrase, "(.+) on the (.+)", m)) {
        head = m[1];
        ref.preds.push_back(pred(P::On, phrase, m[2]));
    }
    NP np = parseNP(f, head);
    ref.cat = np.cat;
    if (!np.color.empty()) {
        Pred p = pred(P::Color, phrase);
        p.color = np.color;
        ref.preds.push_back(p);
    }
    if (ref.cat.empty()) why = "no category in '" + phrase + "'";
    return !ref.cat.empty();
}

// Nr3D utterance: "the <ref phrase>" or a facing form.
bool parseUtterance(const SceneFacts& f, const std::string& textIn, Ref& ref, std::string& why) {
    std::string text = lang::toLower(textIn);
    std::smatch m;
    if (matchRe(text, "facing the (.+), the (.+) on the (left|right)", m)) {
        ref.cat = m[2];
        ref.preds.push_back(pred(m[3] == "left" ? P::Leftmost : P::Rightmost, text, m[1]));
        return true;
    }
    if (matchRe(text, "facing the (.+), the (leftmost|rightmost) (.+)", m)) {
        ref.cat = m[3];
        ref.preds.push_back(pred(m[2] == "leftmost" ? P::Leftmost : P::Rightmost, text, m[1]));
        return true;
    }
    if (matchRe(text, "the (.+)", m)) return parseRefPhrase(f, m[1], ref, why);
    why = "unknown utterance '" + text + "'";
    return false;
}

// ---- evaluation ----------------------------------------------------------------------------------

bool resolveAnchor(const SceneFacts& f, const std::string& phrase, int& id, std::string& why) {
    NP np = parseNP(f, phrase);
    std::vector<int> hits;
    for (const FactObject& o : f.objects)
        if (o.label == np.cat && (np.color.empty() || o.color == np.color)) hits.push_back(o.id);
    if (hits.size() == 1) {
        id = hits[0];
        return true;
    }
    why = "'the " + phrase + "' names " + (hits.empty() ? "no object" : std::to_string(hits.size()) + " objects");
    return false;
}

bool resolveAnchors(const SceneFacts& f, Ref& ref, std::string& why) {
    for (Pred& p : ref.preds) {
        if (!p.np1.empty() && !resolveAnchor(f, p.np1, p.a, why)) return false;
        if (!p.np2.empty() && !resolveAnchor(f, p.np2, p.b, why)) return false;
    }
    return true;
}

bool superlative(const SceneFacts& f, const Pred& p, const FactObject& o, std::string& why) {
    const FactObject* a = p.a >= 0 ? f.find(p.a) : nullptr;
    auto others = peers(f, o, p.a);
    if (others.empty()) {
        why = describe(o) + " has no other " + o.label + " to compare with";
        return false;
    }
    for (const FactObject* q : others) {
        bool ok = true;
        switch (p.kind) {
            case P::Closest: ok = dxy(q->box.center(), a->box.center()) > kDistanceRatio * dxy(o.box.center(), a->box.center()); break;
            case P::Farthest: ok = dxy(o.box.center(), a->box.center()) > kDistanceRatio * dxy(q->box.center(), a->box.center()); break;
            case P::Largest: ok = o.box.volume() > kVolumeRatio * q->box.volume(); break;
            case P::Smallest: ok = q->box.volume() > kVolumeRatio * o.box.volume(); break;
            default: break;
        }
        if (!ok) {
            why = std::string(kindName(p.kind)) + ": " + describe(*q) + " competes with " + describe(o) + " in '" + p.text + "'";
            return false;
        }
    }
    return true;
}

bool lateralExtreme(const SceneFacts& f, const Pred& p, const FactObject& o, std::string& why) {
    const FactObject& v = *f.find(p.a);
    Vec3 dir;
    if (!viewDirection(f, v, dir, why)) return false;
    Vec3 left(-dir.y, dir.x, 0);
    double sign = p.kind == P::Leftmost ? 1 : -1;
    auto lat = [&](const FactObject& x) { return sign * dot(x.box.center() - v.box.center(), left); };
    auto others = peers(f, o, v.id);
    if (others.empty()) {
        why = describe(o) + " has no other " + o.label + " to compare with";
        return false;
    }
    for (const FactObject* q : others)
        if (lat(o) - lat(*q) <= kLateralLead) {
            why = std::string("'") + p.text + "': " + describe(*q) + " is not clearly more to the " +
                  (p.kind == P::Leftmost ? "right" : "left") + " than " + describe(o);
            return false;
        }
    return true;
}

bool holds(const SceneFacts& f, const Pred& p, const FactObject& o, std::string& why) {
    auto fail = [&](const std::string& what) {
        why = "'" + p.text + "' is false for " + describe(o) + ": " + what;
        return false;
    };
    switch (p.kind) {
        case P::Color:
            return o.color == p.color || fail("its color is " + (o.color.empty() ? "unknown" : o.color));
        case P::On:
            return onRel(o, *f.find(p.a)) || fail("it does not rest on " + describe(*f.find(p.a)));
        case P::Near: {
            double g = horizontalGap(o, *f.find(p.a));
            return g < kNearGap || fail("gap to " + describe(*f.find(p.a)) + " is " + lang::formatDecimal(g, 2) + " m");
        }
        case P::Between:
            return betweenRel(o, *f.find(p.a), *f.find(p.b)) || fail("its center is not between the anchors");
        case P::Closest:
        case P::Farthest:
        case P::Largest:
        case P::Smallest: return superlative(f, p, o, why);
        case P::Leftmost:
        case P::Rightmost: return lateralExtreme(f, p, o, why);
        case P::Only: return f.count(o.label) == 1 || fail("there are " + std::to_string(f.count(o.label)) + " " + o.label + " objects");
        case P::OnlyColor: {
            int n = 0;
            for (const FactObject& q : f.objects) n += q.label == o.label && q.color == p.color ? 1 : 0;
            return (o.color == p.color && n == 1) || fail("color " + o.color + ", " + std::to_string(n) + " " + p.color + " ones");
        }
        case P::Count:
            return f.count(o.label) == p.n || fail("count: there are " + std::to_string(f.count(o.label)) + ", not " + std::to_string(p.n));
    }
    return false;
}

bool matches(const SceneFacts& f, const Ref& ref, const FactObject& o, std::string& why) {
    if (o.label != ref.cat) {
        why = describe(o) + " is not a " + ref.cat;
        return false;
    }
    for (const Pred& p : ref.preds)
        if (!holds(f, p, o, why)) return false;
    return true;
}

std::vector<int> candidates(const SceneFacts& f, const Ref& ref) {
    std::vector<int> out;
    std::string ignored;
    for (const FactObject& o : f.objects)
        if (matches(f, ref, o, ignored)) out.push_back(o.id);
    return out;
}

std::string idList(const std::vector<int>& ids) {
    std::string s;
    for (int id : ids) s += (s.empty() ? "" : ", ") + std::to_string(id);
    return "[" + s + "]";
}

// The described set must be exactly `targets`; the reason names the first false statement.
CheckResult checkRef(const SceneFacts& f, Ref ref, std::vector<int> targets) {
    std::string why;
    if (!resolveAnchors(f, ref, why)) return failure(why);
    CheckResult r;
    for (const Pred& p : ref.preds) r.kinds.push_back(kindName(p.kind));
    for (int id : targets) {
        const FactObject* o = f.find(id);
        if (!o) return failure("object " + std::to_string(id) + " does not exist");
        if (!matches(f, ref, *o, why)) return failure(why);
    }
    std::vector<int> found = candidates(f, ref);
    std::sort(targets.begin(), targets.end());
    if (found != targets)
        return failure("describes objects " + idList(found) + ", annotated " + idList(targets));
    return r;
}

}  // namespace verifier

using namespace verifier;

// ---- public ---------------------------------------------------------------------------------------

const FactObject* SceneFacts::find(int id) const {
    for (const FactObject& o : objects)
        if (o.id == id) return &o;
    return nullptr;
}

int SceneFacts::count(const std::string& label) const {
    int n = 0;
    for (const FactObject& o : objects) n += o.label == label ? 1 : 0;
    return n;
}

SceneFacts factsFromScene(const Scene& scene) {
    SceneFacts f;
    f.sceneId = scene.id;
    const auto& palette = synthPalette();
    for (const Instance& inst : scene.instances) {
        FactObject o;
        o.id = inst.id;
        o.label = inst.label;
        o.box = scene.alignedBox(inst);
        if (scene.mesh.hasColors() && !inst.vertices.empty()) {
            // Majority vote of per-vertex palette names: robust to shading noise and to small parts
            // (legs, handles) of another color.
            std::vector<size_t> votes(palette.size(), 0);
            for (uint32_t v : inst.vertices) {
                const uint8_t* c = &scene.mesh.rgba[4 * v];
                const PaletteColor& p = nearestPaletteColor(c[0], c[1], c[2]);
                votes[static_cast<size_t>(&p - palette.data())]++;
            }
            size_t best = static_cast<size_t>(std::max_element(votes.begin(), votes.end()) - votes.begin());
            o.color = lang::toLower(palette[best].name);
            o.colorShare = static_cast<double>(votes[best]) / inst.vertices.size();
        }
        if (o.label == "floor") f.room.extend(o.box.min), f.room.extend(o.box.max);
        f.objects.push_back(o);
    }
    if (f.room.empty())
        for (size_t i = 0; i < scene.mesh.numVertices(); ++i) f.room.extend(scene.alignedVertex(i));
    return f;
}

CheckResult verifyDescription(const SceneFacts& facts, const std::string& text, const std::vector<int>& targetIds) {
    Ref ref;
    std::string why;
    bool sentences = !text.empty() && text.back() == '.';
    bool parsed = sentences ? parseDescription(facts, text, ref, why) : parseUtterance(facts, text, ref, why);
    if (!parsed) return failure(why);
    return checkRef(facts, ref, targetIds);
}

}  // namespace inst3d
