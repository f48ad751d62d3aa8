#include "core/synth/layout.h"

#include <algorithm>
#include <cmath>

namespace inst3d {

namespace {

constexpr double kGap = 0.02;         // min horizontal clearance between unrelated objects
constexpr double kSupportMargin = 0.02;  // footprint inset from the edge of a support surface

double cm(double v) { return std::round(v * 100.0) / 100.0; }

bool overlaps(const AABB& a, const AABB& b, double gapXY) {
    return a.min.x < b.max.x + gapXY && b.min.x < a.max.x + gapXY && a.min.y < b.max.y + gapXY &&
           b.min.y < a.max.y + gapXY && a.min.z < b.max.z && b.min.z < a.max.z;
}

std::vector<int> shuffledWalls(SynthRng& rng) {
    std::vector<int> walls = {0, 1, 2, 3};
    rng.shuffle(walls);
    return walls;
}

}  // namespace

Placement compose(const Placement& outer, const Placement& inner) {
    Placement p;
    p.yawQuarter = (outer.yawQuarter + inner.yawQuarter) % 4;
    p.offset = outer.apply(inner.offset);
    return p;
}

AABB surfaceBox(const PlacedObject& o) {
    const Surface& s = o.model.surface;
    AABB local;
    local.extend({s.x0, s.y0, s.z});
    local.extend({s.x1, s.y1, s.z});
    return o.placement.apply(local);
}

RoomLayout::RoomLayout(const SynthRoom& room, SynthRng& rng) : room_(room), rng_(rng) {}

double RoomLayout::wallLength(int wall) const { return wall % 2 == 0 ? room_.width : room_.depth; }

// Frame of a wall: x = distance into the room, y = position along the wall from 0 to its length,
// so "against wall w" is the same computation for all four walls.
Placement RoomLayout::wallFrame(int wall) const {
    Placement p;
    p.yawQuarter = (wall + 1) % 4;
    const double w = room_.width, d = room_.depth;
    const Vec3 origins[4] = {{w, 0, 0}, {w, d, 0}, {0, d, 0}, {0, 0, 0}};
    p.offset = origins[wall];
    return p;
}

bool RoomLayout::fits(const AABB& box, int ignoreId) const {
    const double eps = 1e-9;
    if (box.min.x < -eps || box.min.y < -eps || box.max.x > room_.width + eps || box.max.y > room_.depth + eps ||
        box.min.z < -eps || box.max.z > room_.height - 0.05)
        return false;
    for (const PlacedObject& o : objects_) {
        if (o.structural || &o - objects_.data() == ignoreId) continue;
        if (overlaps(box, o.box, kGap)) return false;
    }
    for (const AABB& k : keepOut_)
        if (overlaps(box, k, 0)) return false;
    return true;
}

int RoomLayout::commit(Model model, const Placement& placement, int supportId, int wallIndex, bool structural) {
    PlacedObject o;
    o.box = placement.apply(model.box());
    o.model = std::move(model);
    o.placement = placement;
    o.supportId = supportId;
    o.wallIndex = wallIndex;
    o.structural = structural;
    if (wallIndex >= 0) {
        // Inverse of the wall frame for quarter turns: rotate back, after removing the offset.
        Placement frame = wallFrame(wallIndex);
        Placement back;
        back.yawQuarter = (4 - frame.yawQuarter) % 4;
        AABB shifted = o.box;
        shifted.min = shifted.min - frame.offset;
        shifted.max = shifted.max - frame.offset;
        o.wallFrameBox = back.apply(shifted);
    }
    objects_.push_back(std::move(o));
    return count() - 1;
}

void RoomLayout::addShell(int wallColor, int floorColor) {
    const double w = room_.width, d = room_.depth, h = room_.height, t = 0.1;
    Model floor;
    floor.category = "floor";
    floor.mainColor = floorColor;
    // A thin slab: its box has a real (2 cm) height, only its top is visible.
    floor.parts.push_back(boxPart({0, 0, -0.02}, {w, d, 0}, floorColor, kNegX | kPosX | kNegY | kPosY | kPosZ));
    commit(floor, Placement{}, -1, -1, true);
    // Walls stand outside the floor rectangle; only the inner face and the top are emitted.
    const AABB walls[4] = {AABB{{-t, -t, 0}, {w + t, 0, h}}, AABB{{w, 0, 0}, {w + t, d, h}},
                           AABB{{-t, d, 0}, {w + t, d + t, h}}, AABB{{-t, 0, 0}, {0, d, h}}};
    const unsigned inner[4] = {kPosY, kNegX, kNegY, kPosX};
    for (int i = 0; i < 4; ++i) {
        Model wall;
        wall.category = "wall";
        wall.mainColor = wallColor;
        wall.parts.push_back(boxPart(walls[i].min, walls[i].max, wallColor, inner[i] | kPosZ));
        commit(wall, Placement{}, -1, i, true);
    }
}

int RoomLayout::addOnWall(Model model, int wall, double along, double sill, double clearance) {
    const AABB lb = model.box();
    Placement local;
    local.offset = {-lb.min.x, along - lb.min.y, sill - lb.min.z};
    const int id = commit(std::move(model), compose(wallFrame(wall), local), -1, wall, true);
    // Keep the space in front of it free (a door must open, a window must not be blocked).
    AABB zone = objects_.back().wallFrameBox;
    zone.min.y -= 0.1;
    zone.max.y += 0.1;
    zone.max.x += clearance;
    addKeepOut(wallFrame(wall).apply(zone));
    return id;
}

int RoomLayout::tryWallSpot(const Model& model, int wall, double along) {
    const AABB lb = model.box();
    Placement local;
    local.offset = {cm(rng_.uniform(0.02, 0.05)) - lb.min.x, along - lb.min.y, -lb.min.z};
    Placement pl = compose(wallFrame(wall), local);
    if (!fits(pl.apply(lb), -1)) return -1;
    return commit(model, pl, -1, wall, false);
}

int RoomLayout::againstWall(Model model, int wall) {
    const AABB lb = model.box();
    const double width = lb.max.y - lb.min.y;
    std::vector<int> walls = wall >= 0 ? std::vector<int>{wall} : shuffledWalls(rng_);
    for (int w : walls) {
        const double room = wallLength(w) - width - 0.04;
        if (room < 0) continue;
        for (int attempt = 0; attempt < 12; ++attempt) {
            int id = tryWallSpot(model, w, cm(0.02 + rng_.uniform(0, room)));
            if (id >= 0) return id;
        }
    }
    return -1;
}

int RoomLayout::beside(Model model, int anchorId) {
    const PlacedObject& anchor = objects_[static_cast<size_t>(anchorId)];
    if (anchor.wallIndex < 0) return -1;
    const AABB lb = model.box(), a = anchor.wallFrameBox;
    const int wall = anchor.wallIndex;
    const double width = lb.max.y - lb.min.y;
    std::vector<int> sides = {0, 1};
    rng_.shuffle(sides);
    for (int side : sides) {
        const double gap = cm(rng_.uniform(0.03, 0.1));
        const double along = side == 0 ? a.max.y + gap : a.min.y - gap - width;
        int id = tryWallSpot(model, wall, along);
        if (id >= 0) return id;
    }
    return -1;
}

int RoomLayout::facing(Model model, int targetId, bool frontOnly, double gapLo, double gapHi) {
    const PlacedObject& target = objects_[static_cast<size_t>(targetId)];
    const AABB t = target.box, lb = model.box();
    std::vector<int> sides = frontOnly ? std::vector<int>{target.placement.yawQuarter} : std::vector<int>{0, 1, 2, 3};
    rng_.shuffle(sides);
    for (int side : sides) {
        // side q: the direction from the target to the new object; the object faces back (q + 2).
        Placement pl;
        pl.yawQuarter = (side + 2) % 4;
        const AABB rb = pl.apply(lb);
        const int normal = side % 2 == 0 ? 0 : 1, tangent = 1 - normal;
        const bool positive = side < 2;
        for (int attempt = 0; attempt < 6; ++attempt) {
            const double gap = cm(rng_.uniform(gapLo, gapHi));
            Vec3 pos;
            pos[normal] = positive ? t.max[normal] + gap - rb.min[normal] : t.min[normal] - gap - rb.max[normal];
            const double center = cm(rng_.uniform(t.min[tangent], t.max[tangent]));
            pos[tangent] = center - (rb.min[tangent] + rb.max[tangent]) / 2;
            pos.z = -rb.min.z;
            pl.offset = pos;
            const AABB box = pl.apply(lb);
            if (fits(box, -1)) return commit(model, pl, -1, -1, false);
        }
    }
    return -1;
}

int RoomLayout::onFloor(Model model) {
    const AABB lb = model.box();
    for (int attempt = 0; attempt < 40; ++attempt) {
        Placement pl;
        pl.yawQuarter = rng_.intIn(0, 3);
        const AABB rb = pl.apply(lb);
        const double x0 = 0.1 - rb.min.x, x1 = room_.width - 0.1 - rb.max.x;
        const double y0 = 0.1 - rb.min.y, y1 = room_.depth - 0.1 - rb.max.y;
        if (x1 < x0 || y1 < y0) return -1;
        pl.offset = {cm(rng_.uniform(x0, x1)), cm(rng_.uniform(y0, y1)), -rb.min.z};
        const AABB box = pl.apply(lb);
        if (fits(box, -1)) return commit(model, pl, -1, -1, false);
    }
    return -1;
}

int RoomLayout::onTop(Model model, int supportId, SurfaceRegion region, bool alignYaw) {
    if (supportId < 0) return -1;
    const PlacedObject& support = objects_[static_cast<size_t>(supportId)];
    const Surface& s = support.model.surface;
    if (!s.valid) return -1;
    const AABB lb = model.box();
    for (int attempt = 0; attempt < 20; ++attempt) {
        // Work in the support's model frame, where its front is +x and the surface is a plain rectangle.
        Placement rel;
        rel.yawQuarter = alignYaw ? 0 : rng_.intIn(0, 3);
        const AABB rb = rel.apply(lb);
        double x0 = s.x0 + kSupportMargin - rb.min.x, x1 = s.x1 - kSupportMargin - rb.max.x;
        const double y0 = s.y0 + kSupportMargin - rb.min.y, y1 = s.y1 - kSupportMargin - rb.max.y;
        if (x1 < x0 || y1 < y0) return -1;
        if (region == SurfaceRegion::Back) x1 = x0 + 0.4 * (x1 - x0);
        if (region == SurfaceRegion::Front) x0 = x1 - 0.4 * (x1 - x0);
        if (region == SurfaceRegion::BackFlush) x1 = x0 = s.x0 + 0.01 - rb.min.x;
        rel.offset = {x0 == x1 ? x0 : cm(rng_.uniform(x0, x1)), cm(rng_.uniform(y0, y1)), s.z - rb.min.z};
        const Placement pl = compose(support.placement, rel);
        const AABB box = pl.apply(lb);
        if (fits(box, supportId)) return commit(model, pl, supportId, -1, false);
    }
    return -1;
}

// ---- furnishing ----------------------------------------------------------------------------------------

Furnisher::Furnisher(RoomLayout& layout, SynthRng& rng, double vertexSpacing, int maxObjects, double budgetScale)
    : layout_(layout), rng_(rng), spacing_(vertexSpacing), maxObjects_(maxObjects) {
    // ~150k vertices at the default 5 cm spacing, scaled with the vertex density.
    vertexBudget_ = 148000.0 * (0.05 / vertexSpacing) * (0.05 / vertexSpacing) * budgetScale;
}

double Furnisher::vertexCount(const Model& model) const {
    double n = 0;
    for (const Part& p : model.parts) n += static_cast<double>(partVertexCount(p, spacing_));
    return n;
}

bool Furnisher::affordable(const Model& model) const {
    double used = 0;
    for (const PlacedObject& o : layout_.objects()) used += vertexCount(o.model);
    return used + vertexCount(model) <= vertexBudget_;
}

Model Furnisher::make(const std::string& category, const ModelStyle& style) {
    const std::vector<int> choices = colorChoices(category);
    std::vector<int>& used = used_[category];
    std::vector<int> fresh;
    for (int c : choices)
        if (std::find(used.begin(), used.end(), c) == used.end()) fresh.push_back(c);
    // Mostly distinct colors per category ("the red chair" vs "the blue chair"), sometimes repeats
    // so that a color alone does not always identify an object.
    const int color = !fresh.empty() && rng_.chance(0.75) ? rng_.pick(fresh) : rng_.pick(choices);
    used.push_back(color);
    Model m = buildModel(category, rng_, color, style);
    settleColors(m, spacing_);
    return m;
}

const char* sceneTypeName(RoomType type) {
    switch (type) {
        case RoomType::Bedroom: return "Bedroom / Hotel";
        case RoomType::LivingRoom: return "Living room / Lounge";
        case RoomType::Office: return "Office";
        case RoomType::Bathroom: return "Bathroom";
    }
    return "Misc.";
}

namespace {

ModelStyle smallStyle() {
    ModelStyle s;
    s.small = true;
    return s;
}

int wallItem(Furnisher& f, const char* category, const ModelStyle& style = {}) {
    if (f.full()) return -1;
    Model m = f.make(category, style);
    return f.affordable(m) ? f.layout().againstWall(std::move(m), -1) : -1;
}
int floorItem(Furnisher& f, const char* category, const ModelStyle& style = {}) {
    if (f.full()) return -1;
    Model m = f.make(category, style);
    return f.affordable(m) ? f.layout().onFloor(std::move(m)) : -1;
}
int besideItem(Furnisher& f, const char* category, int anchor) {
    if (f.full() || anchor < 0) return -1;
    Model m = f.make(category);
    return f.affordable(m) ? f.layout().beside(std::move(m), anchor) : -1;
}
int facingItem(Furnisher& f, const char* category, int target, bool frontOnly, double gapLo, double gapHi) {
    if (f.full() || target < 0) return -1;
    Model m = f.make(category);
    return f.affordable(m) ? f.layout().facing(std::move(m), target, frontOnly, gapLo, gapHi) : -1;
}
int onItem(Furnisher& f, const char* category, int support, SurfaceRegion region, bool alignYaw,
           const ModelStyle& style = smallStyle()) {
    if (f.full() || support < 0) return -1;
    Model m = f.make(category, style);
    return f.affordable(m) ? f.layout().onTop(std::move(m), support, region, alignYaw) : -1;
}

// A few small things on a free surface (cabinet, dresser, table).
void decorate(Furnisher& f, int support) {
    SynthRng& r = f.rng();
    if (r.chance(0.4)) onItem(f, "box", support, SurfaceRegion::Anywhere, false);
    if (r.chance(0.35)) onItem(f, "plant", support, SurfaceRegion::Anywhere, false);
    if (r.chance(0.25)) onItem(f, "lamp", support, SurfaceRegion::Anywhere, false);
}

void tableWithChairs(Furnisher& f, const char* table, int chairsLo, int chairsHi) {
    int t = floorItem(f, table);
    int n = f.rng().intIn(chairsLo, chairsHi);
    for (int i = 0; i < n; ++i) facingItem(f, "chair", t, false, 0.05, 0.15);
    if (f.rng().chance(0.3)) onItem(f, "plant", t, SurfaceRegion::Anywhere, false);
}

void bedroom(Furnisher& f) {
    SynthRng& r = f.rng();
    const int bed = wallItem(f, "bed");
    const int pillows = r.intIn(1, 3);
    for (int i = 0; i < pillows; ++i) onItem(f, "pillow", bed, SurfaceRegion::Back, true, {});
    for (int side = 0; side < 2; ++side) {
        if (!r.chance(0.85)) continue;
        const int stand = besideItem(f, "nightstand", bed);
        if (r.chance(0.7)) onItem(f, "lamp", stand, SurfaceRegion::Anywhere, false);
    }
    const int storage = wallItem(f, r.chance(0.6) ? "dresser" : "cabinet");
    if (r.chance(0.5)) onItem(f, "tv", storage, SurfaceRegion::Back, true, {});
    decorate(f, storage);
    if (r.chance(0.6)) {
        const int desk = wallItem(f, "desk");
        facingItem(f, "chair", desk, true, 0.05, 0.2);
        if (r.chance(0.5)) onItem(f, "monitor", desk, SurfaceRegion::Back, true, {});
        if (r.chance(0.4)) onItem(f, "lamp", desk, SurfaceRegion::Anywhere, false);
        decorate(f, desk);
    }
    if (r.chance(0.4)) {
        ModelStyle wardrobe;
        wardrobe.tall = true;
        wallItem(f, "cabinet", wardrobe);
    }
    if (r.chance(0.5)) wallItem(f, "bookshelf");
    if (r.chance(0.4)) floorItem(f, "armchair");
    if (r.chance(0.3)) wallItem(f, "chair");
    for (int i = r.intIn(0, 2); i > 0; --i) wallItem(f, "plant");
    if (r.chance(0.7)) wallItem(f, "trash can");
    for (int i = r.intIn(1, 3); i > 0; --i) floorItem(f, "box");
    if (r.chance(0.4)) wallItem(f, "lamp");
}

void livingRoom(Furnisher& f) {
    SynthRng& r = f.rng();
    ModelStyle upright;
    upright.upright = true;
    std::vector<int> couches = {wallItem(f, "couch")};
    if (r.chance(0.5)) couches.push_back(wallItem(f, "couch"));
    for (int couch : couches)
        for (int i = r.intIn(1, 3); i > 0; --i) onItem(f, "pillow", couch, SurfaceRegion::BackFlush, true, upright);
    int coffee = couches[0] >= 0 ? facingItem(f, "coffee table", couches[0], true, 0.35, 0.5) : -1;
    if (coffee < 0) coffee = floorItem(f, "coffee table");
    decorate(f, coffee);
    for (int i = r.intIn(1, 2); i > 0; --i) facingItem(f, "armchair", coffee, false, 0.3, 0.5);
    const int stand = wallItem(f, r.chance(0.7) ? "dresser" : "cabinet");
    if (r.chance(0.8)) onItem(f, "tv", stand, SurfaceRegion::Back, true, {});
    decorate(f, stand);
    for (int i = r.intIn(0, 2); i > 0; --i) wallItem(f, "bookshelf");
    for (int i = r.intIn(1, 2); i > 0; --i) wallItem(f, "plant");
    if (r.chance(0.5)) wallItem(f, "lamp");
    for (int i = r.intIn(0, 2); i > 0; --i) floorItem(f, "box");
    if (r.chance(0.5)) wallItem(f, "trash can");
    if (r.chance(0.6)) tableWithChairs(f, "table", 2, 4);
}

void office(Furnisher& f) {
    SynthRng& r = f.rng();
    for (int i = r.intIn(2, 3); i > 0; --i) {
        const int desk = wallItem(f, "desk");
        facingItem(f, "chair", desk, true, 0.05, 0.2);
        if (r.chance(0.9)) onItem(f, "monitor", desk, SurfaceRegion::Back, true, {});
        if (r.chance(0.3)) onItem(f, "monitor", desk, SurfaceRegion::Back, true, {});
        if (r.chance(0.7)) onItem(f, "keyboard", desk, SurfaceRegion::Front, true, {});
        decorate(f, desk);
    }
    if (r.chance(0.6)) tableWithChairs(f, "table", 2, 4);
    for (int i = r.intIn(1, 2); i > 0; --i) {
        ModelStyle style;
        style.tall = r.chance(0.5);
        const int cab = wallItem(f, "cabinet", style);
        if (!style.tall) decorate(f, cab);
    }
    for (int i = r.intIn(1, 2); i > 0; --i) wallItem(f, "bookshelf");
    for (int i = r.intIn(1, 2); i > 0; --i) wallItem(f, "trash can");
    for (int i = r.intIn(0, 2); i > 0; --i) wallItem(f, "plant");
    for (int i = r.intIn(0, 3); i > 0; --i) floorItem(f, "box");
}

void bathroom(Furnisher& f) {
    SynthRng& r = f.rng();
    wallItem(f, "toilet");
    if (r.chance(0.4)) wallItem(f, "toilet");
    for (int i = r.intIn(1, 2); i > 0; --i) wallItem(f, "sink");
    for (int i = r.intIn(1, 2); i > 0; --i) decorate(f, wallItem(f, "cabinet"));
    for (int i = r.intIn(1, 2); i > 0; --i) wallItem(f, "trash can");
    for (int i = r.intIn(1, 3); i > 0; --i) floorItem(f, "box");
    for (int i = r.intIn(0, 2); i > 0; --i) wallItem(f, "plant");
    if (r.chance(0.4)) wallItem(f, "chair");
    if (r.chance(0.3)) wallItem(f, "lamp");
}

// Counting and disambiguation questions need categories that occur more than once: top up with
// small everyday objects until at least two furniture categories repeat.
void ensureRepeats(Furnisher& f) {
    const char* fillers[] = {"box", "plant", "trash can", "chair"};
    for (int attempt = 0; attempt < 8 && !f.full(); ++attempt) {
        std::map<std::string, int> count;
        for (const PlacedObject& o : f.layout().objects())
            if (!o.structural) ++count[o.model.category];
        int repeated = 0;
        for (const auto& kv : count) repeated += kv.second > 1;
        if (repeated >= 2) return;
        // Prefer a filler that is present once: one more makes it a repeat.
        const char* pick = fillers[f.rng().intIn(0, 3)];
        for (const char* c : fillers)
            if (count[c] == 1) pick = c;
        if (std::string(pick) == "box")
            floorItem(f, pick);
        else
            wallItem(f, pick);
    }
}

}  // namespace

void furnish(Furnisher& f, RoomType type) {
    switch (type) {
        case RoomType::Bedroom: bedroom(f); break;
        case RoomType::LivingRoom: livingRoom(f); break;
        case RoomType::Office: office(f); break;
        case RoomType::Bathroom: bathroom(f); break;
    }
    ensureRepeats(f);
}

void addClutter(Furnisher& f, int count) {
    const std::vector<const char*> againstWall = {"plant", "trash can", "chair", "bookshelf", "cabinet", "lamp"};
    const std::vector<const char*> onFloor = {"box", "armchair", "table"};
    // A spot may be refused (no room left): try a few times as many as asked.
    for (int attempt = 0, added = 0; added < count && attempt < 4 * count && !f.full(); ++attempt) {
        const int id = f.rng().chance(0.6) ? wallItem(f, f.rng().pick(againstWall)) : floorItem(f, f.rng().pick(onFloor));
        added += id >= 0;
    }
}

}  // namespace inst3d
