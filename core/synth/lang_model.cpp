#include "core/synth/lang_model.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

namespace inst3d::langgen {
namespace {

// Generator thresholds: each sits outside the verifier's threshold by a margin (table in the header).
constexpr double kDistanceRatio = 1.2;
constexpr double kVolumeRatio = 1.3;
constexpr double kOnMargin = 0.02;
constexpr double kNearTrue = 0.25, kNearFalse = 0.6;
constexpr double kBetweenMargin = 0.08;
constexpr double kMinAnchorSpan = 1.0;  // between: anchors at least this far apart
constexpr double kLateralLead = 0.5;
constexpr double kViewMaxAngleDeg = 25.0;  // facing direction must be close to a room axis
constexpr double kViewMinDistance = 1.0;   // viewpoint object far enough from the room center
constexpr size_t kMaxBetweenPerTarget = 3;
constexpr double kViewpointMinHeight = 0.4, kViewpointMinWidth = 0.6;

double dxy(const Vec3& a, const Vec3& b) { return std::hypot(a.x - b.x, a.y - b.y); }

// Signed distance of p inside the XY footprint of box grown by `grow` (negative = outside).
double insideFootprint(const Vec3& p, const AABB& box, double grow) {
    return std::min({p.x - (box.min.x - grow), (box.max.x + grow) - p.x, p.y - (box.min.y - grow),
                     (box.max.y + grow) - p.y});
}

std::vector<int> idsOf(const std::vector<const LObject*>& objs) {
    std::vector<int> ids;
    for (const LObject* o : objs) ids.push_back(o->id);
    return ids;
}

}  // namespace

uint64_t Rng::next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

int Rng::below(int n) { return n <= 0 ? 0 : static_cast<int>(next() % static_cast<uint64_t>(n)); }

uint64_t mixSeed(uint64_t seed, uint64_t a, uint64_t b) {
    Rng r(seed ^ (a * 0xD1B54A32D192ED03ULL) ^ (b * 0x8CB92BA72F3D8DD7ULL));
    return r.next();
}

bool isUnnamedCategory(const std::string& cat) { return cat == "wall" || cat == "floor" || cat == "ceiling"; }
bool isStructureCategory(const std::string& cat) {
    return isUnnamedCategory(cat) || cat == "door" || cat == "window";
}

double Agent::lateral(const Vec3& p) const { return -(p.x - pos.x) * fwd.y + (p.y - pos.y) * fwd.x; }
double Agent::forward(const Vec3& p) const { return (p.x - pos.x) * fwd.x + (p.y - pos.y) * fwd.y; }
double Agent::angleDeg(const Vec3& p) const { return std::atan2(lateral(p), forward(p)) * 180.0 / M_PI; }
double Agent::distance(const Vec3& p) const { return dxy(p, pos); }

LangScene::LangScene(const SynthScene& scene) : id_(scene.id) {
    for (const SynthObject& s : scene.objects) {
        LObject o;
        o.id = s.objectId;
        o.cat = s.category;
        o.color = s.colorName;
        o.box = s.box;
        o.supportId = s.supportId;
        o.named = !isUnnamedCategory(s.category) && !s.box.empty();
        o.target = o.named && !s.structural && !isStructureCategory(s.category);
        objects_.push_back(o);
        if (s.category == "floor") roomBox_ = s.box;
    }
    // Without a floor object the room spans [0,width] x [0,depth] (synth.h: origin at a corner).
    if (roomBox_.empty()) {
        roomBox_.extend({0, 0, 0});
        roomBox_.extend({scene.room.width, scene.room.depth, scene.room.height});
    }
}

const LObject& LangScene::obj(int id) const {
    for (const LObject& o : objects_)
        if (o.id == id) return o;
    throw std::out_of_range("no object " + std::to_string(id) + " in " + id_);
}

std::vector<const LObject*> LangScene::ofCategory(const std::string& cat) const {
    std::vector<const LObject*> out;
    for (const LObject& o : objects_)
        if (o.cat == cat) out.push_back(&o);
    return out;
}

std::vector<const LObject*> LangScene::distractors(const LObject& t) const {
    std::vector<const LObject*> out;
    for (const LObject* o : ofCategory(t.cat))
        if (o->id != t.id) out.push_back(o);
    return out;
}

int LangScene::count(const std::string& cat) const { return static_cast<int>(ofCategory(cat).size()); }

std::vector<std::string> LangScene::targetCategories() const {
    std::set<std::string> cats;
    for (const LObject& o : objects_)
        if (o.target) cats.insert(o.cat);
    return {cats.begin(), cats.end()};
}

std::vector<const LObject*> LangScene::targets() const {
    std::vector<const LObject*> out;
    for (const LObject& o : objects_)
        if (o.target) out.push_back(&o);
    return out;
}

std::vector<const LObject*> LangScene::anchors() const {
    std::vector<const LObject*> out;
    for (const LObject& o : objects_)
        if (!name(o).empty()) out.push_back(&o);
    return out;
}

std::string LangScene::name(const LObject& o) const {
    if (!o.named) return "";
    auto same = ofCategory(o.cat);
    if (same.size() == 1) return o.cat;
    if (o.color.empty()) return "";
    int sameColor = 0;
    for (const LObject* s : same) sameColor += s->color == o.color ? 1 : 0;
    return sameColor == 1 ? o.color + " " + o.cat : "";
}

double LangScene::onScore(const LObject& o, const LObject& a) {
    double zGap = std::fabs(o.box.min.z - a.box.max.z);
    return std::min(0.05 - zGap, insideFootprint(o.c(), a.box, 0.02));
}

double LangScene::gap(const LObject& o, const LObject& a) {
    double dx = std::max({0.0, a.box.min.x - o.box.max.x, o.box.min.x - a.box.max.x});
    double dy = std::max({0.0, a.box.min.y - o.box.max.y, o.box.min.y - a.box.max.y});
    return std::hypot(dx, dy);
}

double LangScene::betweenScore(const LObject& o, const LObject& a, const LObject& b) {
    Vec3 ab = b.c() - a.c(), ao = o.c() - a.c();
    double len2 = ab.x * ab.x + ab.y * ab.y;
    if (len2 < 1e-9) return -1;
    double t = (ao.x * ab.x + ao.y * ab.y) / len2;
    double perp = std::fabs(ab.x * ao.y - ab.y * ao.x) / std::sqrt(len2);
    return std::min({t - 0.1, 0.9 - t, 0.35 - perp / std::sqrt(len2)});
}

bool LangScene::viewDirection(const LObject& v, Vec3& dir) const {
    Vec3 d = v.c() - roomCenter();
    d.z = 0;
    if (norm(d) < kViewMinDistance) return false;
    double ax = std::fabs(d.x), ay = std::fabs(d.y);
    double angle = std::atan2(std::min(ax, ay), std::max(ax, ay)) * 180.0 / M_PI;
    if (angle > kViewMaxAngleDeg) return false;
    dir = ax >= ay ? Vec3(d.x > 0 ? 1 : -1, 0, 0) : Vec3(0, d.y > 0 ? 1 : -1, 0);
    return true;
}

bool LangScene::isViewpoint(const LObject& v) {
    if (v.cat == "door" || v.cat == "window") return true;
    Vec3 size = v.box.size();
    return v.named && v.supportId < 0 && size.z >= kViewpointMinHeight && std::max(size.x, size.y) >= kViewpointMinWidth;
}

bool LangScene::stronglyOn(const LObject& o, const LObject& a) const {
    return o.supportId == a.id && onScore(o, a) > kOnMargin;
}

bool LangScene::stronglyNotOn(const LObject& o, const LObject& a) const { return onScore(o, a) < -kOnMargin; }

std::vector<Claim> LangScene::claimsFor(const LObject& t) const {
    std::vector<Claim> out;
    addColorClaims(t, out);
    addSupportClaims(t, out);
    addNearClaims(t, out);
    addBetweenClaims(t, out);
    addDistanceClaims(t, out);
    addSizeClaims(t, out);
    addViewClaims(t, out);
    return out;
}

void LangScene::addColorClaims(const LObject& t, std::vector<Claim>& out) const {
    auto d = distractors(t);
    if (d.empty()) {
        out.push_back({Rel::Only, -1, -1, 1, {}});
    } else {
        out.push_back({Rel::Count, -1, -1, static_cast<int>(d.size()) + 1, {}});
    }
    if (t.color.empty()) return;
    Claim color{Rel::Color, -1, -1, 0, {}};
    for (const LObject* o : d)
        if (o->color != t.color) color.excludes.push_back(o->id);
    if (!d.empty() && color.identifies(d.size())) out.push_back({Rel::OnlyColor, -1, -1, 0, color.excludes});
    out.push_back(color);
}

void LangScene::addSupportClaims(const LObject& t, std::vector<Claim>& out) const {
    if (t.supportId < 0) return;
    const LObject& a = obj(t.supportId);
    if (a.cat == t.cat || name(a).empty() || !stronglyOn(t, a)) return;
    Claim c{Rel::On, a.id, -1, 0, {}};
    for (const LObject* o : distractors(t))
        if (stronglyNotOn(*o, a)) c.excludes.push_back(o->id);
    out.push_back(c);
}

void LangScene::addNearClaims(const LObject& t, std::vector<Claim>& out) const {
    for (const LObject* a : anchors()) {
        // An object resting on the anchor (or under it) is described with "on", not "next to".
        if (a->cat == t.cat || a->id == t.supportId || a->supportId == t.id) continue;
        if (isUnnamedCategory(a->cat) || gap(t, *a) >= kNearTrue) continue;
        Claim c{Rel::Near, a->id, -1, 0, {}};
        for (const LObject* o : distractors(t))
            if (gap(*o, *a) > kNearFalse) c.excludes.push_back(o->id);
        out.push_back(c);
    }
}

void LangScene::addBetweenClaims(const LObject& t, std::vector<Claim>& out) const {
    std::vector<std::pair<double, Claim>> found;
    auto as = anchors();
    for (size_t i = 0; i < as.size(); ++i)
        for (size_t j = i + 1; j < as.size(); ++j) {
            const LObject &a = *as[i], &b = *as[j];
            if (a.cat == t.cat || b.cat == t.cat || dxy(a.c(), b.c()) < kMinAnchorSpan) continue;
            if (a.id == t.supportId || b.id == t.supportId) continue;
            double score = betweenScore(t, a, b);
            if (score <= kBetweenMargin) continue;
            Claim c{Rel::Between, a.id, b.id, 0, {}};
            for (const LObject* o : distractors(t))
                if (betweenScore(*o, a, b) < -kBetweenMargin) c.excludes.push_back(o->id);
            found.push_back({score, c});
        }
    std::stable_sort(found.begin(), found.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    for (size_t k = 0; k < found.size() && k < kMaxBetweenPerTarget; ++k) out.push_back(found[k].second);
}

void LangScene::addDistanceClaims(const LObject& t, std::vector<Claim>& out) const {
    auto d = distractors(t);
    if (d.empty()) return;
    for (const LObject* a : anchors()) {
        if (a->cat == t.cat) continue;
        double mine = dxy(t.c(), a->c()), nearest = 1e9, farthest = 0;
        for (const LObject* o : d) {
            nearest = std::min(nearest, dxy(o->c(), a->c()));
            farthest = std::max(farthest, dxy(o->c(), a->c()));
        }
        if (nearest >= kDistanceRatio * mine) out.push_back({Rel::Closest, a->id, -1, 0, idsOf(d)});
        if (mine >= kDistanceRatio * farthest) out.push_back({Rel::Farthest, a->id, -1, 0, idsOf(d)});
    }
}

void LangScene::addSizeClaims(const LObject& t, std::vector<Claim>& out) const {
    auto d = distractors(t);
    if (d.empty()) return;
    double largest = 0, smallest = 1e18;
    for (const LObject* o : d) {
        largest = std::max(largest, o->box.volume());
        smallest = std::min(smallest, o->box.volume());
    }
    if (t.box.volume() >= kVolumeRatio * largest) out.push_back({Rel::Largest, -1, -1, 0, idsOf(d)});
    if (smallest >= kVolumeRatio * t.box.volume()) out.push_back({Rel::Smallest, -1, -1, 0, idsOf(d)});
}

void LangScene::addViewClaims(const LObject& t, std::vector<Claim>& out) const {
    auto d = distractors(t);
    if (d.empty()) return;
    for (const LObject* v : anchors()) {
        Vec3 dir;
        if (v->cat == t.cat || !isViewpoint(*v) || !viewDirection(*v, dir)) continue;
        Vec3 left(-dir.y, dir.x, 0);
        auto lat = [&](const LObject& o) { return dot(o.c() - v->c(), left); };
        double maxOther = -1e9, minOther = 1e9;
        for (const LObject* o : d) {
            maxOther = std::max(maxOther, lat(*o));
            minOther = std::min(minOther, lat(*o));
        }
        if (lat(t) - maxOther >= kLateralLead) out.push_back({Rel::Leftmost, v->id, -1, 0, idsOf(d)});
        if (minOther - lat(t) >= kLateralLead) out.push_back({Rel::Rightmost, v->id, -1, 0, idsOf(d)});
    }
}

}  // namespace inst3d::langgen
