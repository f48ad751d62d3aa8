// Referring expressions: ScanRefer descriptions, Multi3DRefer target sets and Nr3D utterances.
#include <algorithm>
#include <set>

#include "core/synth/lang_gen.h"
#include "core/synth/lang_text.h"

namespace inst3d::langgen {
namespace {

constexpr size_t kMaxNr3dPerTarget = 2;
constexpr int kNr3dMinObjects = 2, kNr3dMaxObjects = 6;  // ReferIt3D keeps classes with 2..6 instances

bool isRelation(Rel r) { return r != Rel::Color && r != Rel::Only && r != Rel::Count && r != Rel::OnlyColor; }

std::set<int> idSet(const std::vector<const LObject*>& objs) {
    std::set<int> ids;
    for (const LObject* o : objs) ids.insert(o->id);
    return ids;
}

size_t countExcluded(const Claim& c, const std::set<int>& remaining) {
    size_t n = 0;
    for (int id : c.excludes) n += remaining.count(id);
    return n;
}

void removeExcluded(const Claim& c, std::set<int>& remaining) {
    for (int id : c.excludes) remaining.erase(id);
}

// Picks the sentences after the head: first whatever rules out the remaining distractors (one claim
// that does it alone when there is one), then maybe one more true sentence for variety.
bool pickClaims(const std::vector<Claim>& pool, std::set<int> remaining, Rng& rng, std::vector<const Claim*>& picked) {
    std::vector<const Claim*> order;
    for (const Claim& c : pool) order.push_back(&c);
    rng.shuffle(order);
    if (!remaining.empty()) {
        for (const Claim* c : order)
            if (countExcluded(*c, remaining) == remaining.size()) {
                picked.push_back(c);
                remaining.clear();
                break;
            }
    }
    // Two sentences of the same relation ("closest to the door. closest to the chair.") read badly.
    auto sameKindPicked = [&](const Claim* c) {
        return std::any_of(picked.begin(), picked.end(), [&](const Claim* p) { return p->rel == c->rel; });
    };
    for (const Claim* c : order) {
        if (remaining.empty() || picked.size() >= 2) break;
        if (countExcluded(*c, remaining) == 0 || sameKindPicked(c)) continue;
        picked.push_back(c);
        removeExcluded(*c, remaining);
    }
    if (!remaining.empty()) return false;
    if (picked.size() < 2 || rng.below(2) == 0) {
        for (const Claim* c : order)
            if (std::find(picked.begin(), picked.end(), c) == picked.end() && !sameKindPicked(c) && picked.size() < 2) {
                picked.push_back(c);
                break;
            }
    }
    return !picked.empty();
}

std::string composeDescription(const LangScene& s, const LObject& t, const std::vector<Claim>& claims, bool useColor,
                               Rng& rng) {
    std::set<int> remaining = idSet(s.distractors(t));
    std::vector<Claim> pool;
    for (const Claim& c : claims) {
        if (c.rel == Rel::Color) {
            if (useColor) removeExcluded(c, remaining);
        } else if (!(useColor && c.rel == Rel::OnlyColor)) {
            pool.push_back(c);
        }
    }
    std::vector<const Claim*> picked;
    if (!pickClaims(pool, remaining, rng, picked)) return "";
    std::string np = useColor ? t.color + " " + t.cat : t.cat;
    std::string text = "this is " + lang::indefiniteArticle(np) + " " + np + ".";
    for (const Claim* c : picked) text += " " + claimSentence(s, t, *c, rng);
    return text;
}

// A zero-target description: a colour the category never has here, or a category absent from the scene.
void zeroTargetEntries(const LangScene& s, const std::vector<std::string>& colors, const std::vector<std::string>& cats,
                       Rng& rng, std::vector<ojson>& out) {
    std::vector<std::string> present = s.targetCategories();
    if (!present.empty()) {
        const std::string& cat = rng.pick(present);
        std::vector<std::string> unused;
        for (const std::string& c : colors) {
            bool used = false;
            for (const LObject* o : s.ofCategory(cat)) used |= o->color == c;
            if (!used) unused.push_back(c);
        }
        if (!unused.empty()) {
            std::string np = rng.pick(unused) + " " + cat;
            out.push_back({{"object_name", lang::underscored(cat)},
                           {"description", "this is " + lang::indefiniteArticle(np) + " " + np + "."},
                           {"object_ids", ojson::array()},
                           {"eval_type", "zt_w_d"}});
        }
    }
    std::vector<std::string> absent;
    for (const std::string& c : cats)
        if (s.count(c) == 0) absent.push_back(c);
    if (!absent.empty()) {
        std::string cat = rng.pick(absent);
        std::string np = (!colors.empty() && rng.below(2)) ? rng.pick(colors) + " " + cat : cat;
        out.push_back({{"object_name", lang::underscored(cat)},
                       {"description", "this is " + lang::indefiniteArticle(np) + " " + np + "."},
                       {"object_ids", ojson::array()},
                       {"eval_type", "zt_wo_d"}});
    }
}

ojson multiTarget(const std::string& cat, const std::vector<int>& ids, const std::string& text) {
    ojson jids = ojson::array();
    for (int id : ids) jids.push_back(id);
    return {{"object_name", lang::underscored(cat)}, {"description", text}, {"object_ids", jids}, {"eval_type", "mt"}};
}

// Sets of >= 2 objects of one category named by a plural phrase: all of them, those of one colour,
// those on / next to one anchor (every other instance robustly outside the relation).
void multiTargetEntries(const LangScene& s, std::vector<ojson>& out) {
    for (const std::string& cat : s.targetCategories()) {
        auto all = s.ofCategory(cat);
        if (all.size() < 2) continue;
        std::string plural = lang::pluralize(cat);
        std::vector<int> ids;
        for (const LObject* o : all) ids.push_back(o->id);
        out.push_back(multiTarget(cat, ids, "these are all the " + plural + " in the room."));
        std::set<std::string> colors;
        for (const LObject* o : all) colors.insert(o->color);
        for (const std::string& color : colors) {
            std::vector<int> members;
            for (const LObject* o : all)
                if (o->color == color) members.push_back(o->id);
            if (members.size() >= 2 && members.size() < all.size() && !color.empty())
                out.push_back(multiTarget(cat, members, "these are the " + color + " " + plural + " in the room."));
        }
        for (const LObject* a : s.anchors()) {
            if (a->cat == cat) continue;
            std::vector<int> on, near;
            bool onClear = true, nearClear = true;
            for (const LObject* o : all) {
                if (s.stronglyOn(*o, *a)) on.push_back(o->id);
                else if (!s.stronglyNotOn(*o, *a)) onClear = false;
                double g = LangScene::gap(*o, *a);
                if (g < 0.25 && o->supportId != a->id && a->supportId != o->id) near.push_back(o->id);
                else if (g <= 0.6) nearClear = false;
            }
            if (onClear && on.size() >= 2)
                out.push_back(multiTarget(cat, on, "these are the " + plural + " on the " + s.name(*a) + "."));
            if (nearClear && near.size() >= 2)
                out.push_back(multiTarget(cat, near, "these are the " + plural + " next to the " + s.name(*a) + "."));
        }
    }
}

std::vector<std::string> nr3dRow(const LangScene& s, const LObject& t, const Claim& c, const std::string& utterance,
                                 int k) {
    auto d = s.distractors(t);
    std::string stimulus = s.id() + "-" + t.cat + "-" + std::to_string(d.size() + 1) + "-" + std::to_string(t.id);
    for (const LObject* o : d) stimulus += "-" + std::to_string(o->id);
    bool anchor = c.a >= 0;
    bool spatial = isRelation(c.rel) && c.rel != Rel::Largest && c.rel != Rel::Smallest;
    bool color = c.rel == Rel::Color || c.rel == Rel::OnlyColor;
    bool shape = c.rel == Rel::Largest || c.rel == Rel::Smallest;
    auto b = [](bool v) { return std::string(v ? "True" : "False"); };
    return {s.id() + "_synth_" + std::to_string(k),
            stimulus,
            utterance,
            "True",
            "synth_speaker_" + std::to_string(k % 7),
            "synth_listener_" + std::to_string(k % 5),
            s.id(),
            t.cat,
            std::to_string(t.id),
            lang::pythonStringList(lang::tokenize(utterance)),
            "True",
            b(anchor),
            b(spatial),
            b(color),
            b(shape),
            "nr3d"};
}

}  // namespace

std::string claimSentence(const LangScene& s, const LObject& t, const Claim& c, Rng& rng) {
    auto A = [&](int id) { return "the " + s.name(s.obj(id)); };
    switch (c.rel) {
        case Rel::Color: return "it is " + t.color + ".";
        case Rel::Only: return "it is the only " + t.cat + " in the room.";
        case Rel::OnlyColor: return "it is the only " + t.color + " " + t.cat + " in the room.";
        case Rel::Count: return "it is one of " + lang::numberWord(c.n) + " " + lang::pluralize(t.cat) + " in the room.";
        case Rel::On: return (rng.below(2) ? "it is on " : "it is placed on top of ") + A(c.a) + ".";
        case Rel::Near: return "it is next to " + A(c.a) + ".";
        case Rel::Between: return "it is between " + A(c.a) + " and " + A(c.b) + ".";
        case Rel::Closest:
            return rng.below(2) ? "it is the " + t.cat + " closest to " + A(c.a) + "."
                                : "it is the closest " + t.cat + " to " + A(c.a) + ".";
        case Rel::Farthest: return "it is the " + t.cat + " farthest from " + A(c.a) + ".";
        case Rel::Largest: return "it is the largest " + t.cat + " in the room.";
        case Rel::Smallest: return "it is the smallest " + t.cat + " in the room.";
        case Rel::Leftmost:
        case Rel::Rightmost: {
            std::string side = c.rel == Rel::Leftmost ? "left" : "right";
            bool two = s.distractors(t).size() == 1;
            return "when facing " + A(c.a) + ", it is the " + (two ? t.cat + " on the " + side : side + "most " + t.cat) + ".";
        }
    }
    return "";
}

std::string refPhrase(const LangScene& s, const LObject& t, const Claim& c, bool allowViewDependent) {
    if (!c.identifies(s.distractors(t).size())) return "";
    auto A = [&](int id) { return "the " + s.name(s.obj(id)); };
    switch (c.rel) {
        case Rel::Only: return t.cat;
        case Rel::Color:
        case Rel::OnlyColor: return s.distractors(t).empty() ? "" : t.color + " " + t.cat;
        case Rel::On: return t.cat + " on " + A(c.a);
        case Rel::Near: return t.cat + " next to " + A(c.a);
        case Rel::Between: return t.cat + " between " + A(c.a) + " and " + A(c.b);
        case Rel::Closest: return t.cat + " closest to " + A(c.a);
        case Rel::Farthest: return t.cat + " farthest from " + A(c.a);
        case Rel::Largest: return "largest " + t.cat;
        case Rel::Smallest: return "smallest " + t.cat;
        case Rel::Leftmost:
        case Rel::Rightmost: {
            if (!allowViewDependent) return "";
            std::string side = c.rel == Rel::Leftmost ? "left" : "right";
            bool two = s.distractors(t).size() == 1;
            return "facing " + A(c.a) + ", the " + (two ? t.cat + " on the " + side : side + "most " + t.cat);
        }
        case Rel::Count: return "";
    }
    return "";
}

std::string locationPhrase(const LangScene& s, const Claim& c) {
    auto A = [&](int id) { return "the " + s.name(s.obj(id)); };
    if (c.rel == Rel::On) return "on " + A(c.a);
    if (c.rel == Rel::Near) return "next to " + A(c.a);
    if (c.rel == Rel::Between) return "between " + A(c.a) + " and " + A(c.b);
    return "";
}

std::vector<Described> describeTargets(const LangScene& s, Rng& rng, size_t perTarget, size_t maxTotal) {
    std::vector<Described> all;
    // Extra attempts: a variant may come out identical to an earlier one, more often the more are asked
    // for (2 per target get one spare attempt, as the world has always been generated).
    const size_t attempts = perTarget + std::max<size_t>(1, perTarget > 2 ? perTarget - 2 : 1);
    for (const LObject* t : s.targets()) {
        std::vector<Claim> claims = s.claimsFor(*t);
        std::set<std::string> seen;
        for (size_t variant = 0; variant < attempts && seen.size() < perTarget; ++variant) {
            bool useColor = !t->color.empty() && (variant == 0 || rng.below(2) == 0);
            std::string text = composeDescription(s, *t, claims, useColor, rng);
            if (!text.empty() && seen.insert(text).second) all.push_back({t->id, text});
        }
    }
    if (all.size() > maxTotal) {
        // Keep a random subset but in target order, so ann_ids stay grouped by object.
        std::vector<size_t> idx(all.size());
        for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
        rng.shuffle(idx);
        idx.resize(maxTotal);
        std::sort(idx.begin(), idx.end());
        std::vector<Described> kept;
        for (size_t i : idx) kept.push_back(all[i]);
        all.swap(kept);
    }
    return all;
}

void multi3dReferEntries(const LangScene& s, const std::vector<Described>& described,
                         const std::vector<std::string>& worldColors, const std::vector<std::string>& worldCategories,
                         Rng& rng, ojson& out) {
    std::vector<ojson> entries;
    for (const Described& d : described) {
        const LObject& t = s.obj(d.target);
        entries.push_back({{"object_name", lang::underscored(t.cat)},
                           {"description", d.text},
                           {"object_ids", ojson::array({t.id})},
                           {"eval_type", s.count(t.cat) > 1 ? "st_w_d" : "st_wo_d"}});
    }
    multiTargetEntries(s, entries);
    zeroTargetEntries(s, worldColors, worldCategories, rng, entries);
    int annId = 0;
    for (const ojson& e : entries) {
        out.push_back({{"scene_id", s.id()},
                       {"object_name", e["object_name"]},
                       {"ann_id", annId++},
                       {"description", e["description"]},
                       {"object_ids", e["object_ids"]},
                       {"eval_type", e["eval_type"]}});
    }
}

void nr3dRows(const LangScene& s, Rng& rng, std::vector<std::vector<std::string>>& rows) {
    int k = 0;
    for (const LObject* t : s.targets()) {
        int n = s.count(t->cat);
        if (n < kNr3dMinObjects || n > kNr3dMaxObjects) continue;
        std::vector<std::pair<Claim, std::string>> options;
        for (const Claim& c : s.claimsFor(*t)) {
            std::string phrase = refPhrase(s, *t, c, true);
            if (phrase.empty()) continue;
            options.push_back({c, c.viewDependent() ? phrase : "the " + phrase});
        }
        rng.shuffle(options);
        // A view-dependent and a view-independent utterance when the target allows both, so that the
        // ReferIt3D view-dependent / independent subsets are both populated.
        std::stable_partition(options.begin(), options.end(), [](const auto& o) { return o.first.viewDependent(); });
        auto vi = std::find_if(options.begin(), options.end(), [](const auto& o) { return !o.first.viewDependent(); });
        if (vi != options.end() && vi != options.begin()) std::iter_swap(options.begin() + 1, vi);
        std::vector<Rel> used;
        for (const auto& [claim, utterance] : options) {
            if (used.size() >= kMaxNr3dPerTarget) break;
            if (std::find(used.begin(), used.end(), claim.rel) != used.end()) continue;  // vary the relation
            used.push_back(claim.rel);
            rows.push_back(nr3dRow(s, *t, claim, utterance, k++));
        }
    }
}

}  // namespace inst3d::langgen
