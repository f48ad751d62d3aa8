// Room layout: structure (floor, walls, door, windows) and furniture placed with simple physical
// rules: against walls, beside or facing other furniture, on supports; no interpenetration (AABB
// tests with small gaps), everything inside the room. Aligned coordinates: room corner at the
// origin, x in [0, width], y in [0, depth], floor at z = 0.
//
// Walls are numbered 0: y = 0, 1: x = width, 2: y = depth, 3: x = 0.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/synth/models.h"
#include "core/synth/prng.h"
#include "core/synth/synth.h"

namespace inst3d {

struct PlacedObject {
    Model model;
    Placement placement;     // model frame -> aligned
    AABB box;                // aligned nominal box (the emitted vertices span exactly this)
    int supportId = -1;
    int wallIndex = -1;
    bool structural = false;
    AABB wallFrameBox;       // box in the frame of wallIndex (x = distance from the wall, y = along it)
};

enum class SurfaceRegion { Anywhere, Back, Front, BackFlush };

class RoomLayout {
public:
    RoomLayout(const SynthRoom& room, SynthRng& rng);

    const SynthRoom& room() const { return room_; }
    const std::vector<PlacedObject>& objects() const { return objects_; }
    int count() const { return static_cast<int>(objects_.size()); }

    // Structure. Floor and walls are generated from the room; door and windows go on a wall.
    void addShell(int wallColor, int floorColor);
    // `along` = start of the object along the wall, `sill` = its bottom; `clearance` = depth of the
    // keep-out zone in front of it.
    int addOnWall(Model model, int wall, double along, double sill, double clearance);
    double wallLength(int wall) const;

    // Furniture. Each returns the new objectId, or -1 when no valid spot was found.
    int againstWall(Model model, int wall);  // wall = -1: any wall
    int beside(Model model, int anchorId);   // same wall as anchor, next to it
    int facing(Model model, int targetId, bool frontOnly, double gapLo, double gapHi);
    int onFloor(Model model);
    int onTop(Model model, int supportId, SurfaceRegion region, bool alignYaw);

    // Keeps furniture out of a region (the swing of the door, the space in front of windows).
    void addKeepOut(const AABB& box) { keepOut_.push_back(box); }

    bool fits(const AABB& box, int ignoreId) const;

private:
    Placement wallFrame(int wall) const;
    int commit(Model model, const Placement& placement, int supportId, int wallIndex, bool structural);
    int tryWallSpot(const Model& model, int wall, double along);

    SynthRoom room_;
    SynthRng& rng_;
    std::vector<PlacedObject> objects_;
    std::vector<AABB> keepOut_;
};

// Composes two placements: first `inner`, then `outer`.
Placement compose(const Placement& outer, const Placement& inner);
// Aligned rectangle of a model's support surface.
AABB surfaceBox(const PlacedObject& object);

// Furnishes the room for its scene type; colors are drawn per category, avoiding repeats most of the time.
class Furnisher {
public:
    // budgetScale multiplies the ~150k-vertex budget (larger rooms, extra objects).
    Furnisher(RoomLayout& layout, SynthRng& rng, double vertexSpacing, int maxObjects, double budgetScale = 1.0);
    Model make(const std::string& category, const ModelStyle& style = {});
    bool full() const { return layout_.count() >= maxObjects_; }
    // False when adding the model would push the scene past its vertex budget.
    bool affordable(const Model& model) const;
    RoomLayout& layout() { return layout_; }
    SynthRng& rng() { return rng_; }

private:
    RoomLayout& layout_;
    SynthRng& rng_;
    double vertexCount(const Model& model) const;

    double spacing_;
    int maxObjects_;
    double vertexBudget_;
    std::map<std::string, std::vector<int>> used_;
};

enum class RoomType { Bedroom, LivingRoom, Office, Bathroom };
const char* sceneTypeName(RoomType type);  // ScanNet's sceneType strings
void furnish(Furnisher& f, RoomType type);
// Up to `count` more everyday objects against the walls and on the floor (held-out layouts: SynthOptions).
void addClutter(Furnisher& f, int count);

}  // namespace inst3d
