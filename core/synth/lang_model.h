// Generator side of the synthetic language annotations: the objects of a SynthScene and the claims
// that are robustly true of them. Every claim is decided with a margin around the threshold that the
// verifier (verify.cpp, which reads the scene back from disk) uses, so float round-off in the written
// PLY or a slightly different box never flips a statement:
//
//   relation         verifier threshold                   generator: true if        ruled out if
//   closest/farthest runner-up > 1.05x as far/near          >= 1.2x                   (superlative)
//   largest/smallest volume ratio > 1.1                     >= 1.3                    (superlative)
//   on               |gap| < 5 cm, center over footprint    supportId + 3 cm inside   score < -2 cm
//   next to          horizontal box gap < 0.4 m              < 0.25 m                  > 0.6 m
//   between          t in (0.1,0.9), offset < 0.35 |AB|      0.08 inside               0.08 outside
//   leftmost         lateral lead > 0.15 m                   > 0.5 m                   (superlative)
//
// Internal to core/synth (language.cpp, lang_qa.cpp); not part of the public API.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/common/math.h"
#include "core/synth/synth.h"

namespace inst3d::langgen {

// splitmix64: the same numbers on every platform (std:: distributions differ between libraries).
class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    uint64_t next();
    int below(int n);  // 0..n-1; 0 when n <= 0
    template <class T>
    void shuffle(std::vector<T>& v) {
        for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<size_t>(below(static_cast<int>(i)))]);
    }
    template <class T>
    const T& pick(const std::vector<T>& v) { return v[static_cast<size_t>(below(static_cast<int>(v.size())))]; }

private:
    uint64_t state_;
};
uint64_t mixSeed(uint64_t seed, uint64_t a, uint64_t b = 0);

struct LObject {
    int id = 0;
    std::string cat;
    std::string color;
    AABB box;
    int supportId = -1;
    bool target = false;  // may be described (not wall/floor/ceiling/door/window)
    bool named = false;   // may be named at all (not wall/floor/ceiling)
    Vec3 c() const { return box.center(); }
};

enum class Rel { Color, Only, OnlyColor, Count, On, Near, Between, Closest, Farthest, Largest, Smallest, Leftmost, Rightmost };

// A robustly true statement about one target, with the same-category distractors it robustly rules out.
struct Claim {
    Rel rel = Rel::Color;
    int a = -1, b = -1;  // anchors; the viewpoint object for Leftmost/Rightmost
    int n = 0;           // Count
    std::vector<int> excludes;
    bool identifies(size_t numDistractors) const { return excludes.size() == numDistractors; }
    bool viewDependent() const { return rel == Rel::Leftmost || rel == Rel::Rightmost; }
};

// Agent frame for situated questions: position on the floor, forward direction in the XY plane.
struct Agent {
    Vec3 pos, fwd;
    double lateral(const Vec3& p) const;  // > 0 = to the agent's left
    double forward(const Vec3& p) const;
    double angleDeg(const Vec3& p) const;  // 0 ahead, +90 left, -90 right
    double distance(const Vec3& p) const;  // horizontal
};

class LangScene {
public:
    explicit LangScene(const SynthScene& scene);

    const std::string& id() const { return id_; }
    const std::vector<LObject>& objects() const { return objects_; }
    const LObject& obj(int id) const;
    std::vector<const LObject*> ofCategory(const std::string& cat) const;
    std::vector<const LObject*> distractors(const LObject& t) const;  // same category, not t
    int count(const std::string& cat) const;
    std::vector<std::string> targetCategories() const;  // sorted, distinct
    std::vector<const LObject*> targets() const;
    std::vector<const LObject*> anchors() const;  // objects with a unique name
    const AABB& roomBox() const { return roomBox_; }
    Vec3 roomCenter() const { return roomBox_.center(); }

    // "[color ]category" naming exactly one object; "" when none does.
    std::string name(const LObject& o) const;
    // Every robustly true claim about target t.
    std::vector<Claim> claimsFor(const LObject& t) const;

    // Relation scores shared by the claim builders and the question builders (see table above).
    static double onScore(const LObject& o, const LObject& a);
    static double gap(const LObject& o, const LObject& a);
    static double betweenScore(const LObject& o, const LObject& a, const LObject& b);
    bool viewDirection(const LObject& v, Vec3& dir) const;  // axis-snapped facing direction; false if unclear
    // Something one would turn to face (door, window, furniture standing on the floor), not a small item.
    static bool isViewpoint(const LObject& v);
    bool stronglyOn(const LObject& o, const LObject& a) const;
    bool stronglyNotOn(const LObject& o, const LObject& a) const;

private:
    void addColorClaims(const LObject& t, std::vector<Claim>& out) const;
    void addSupportClaims(const LObject& t, std::vector<Claim>& out) const;
    void addNearClaims(const LObject& t, std::vector<Claim>& out) const;
    void addBetweenClaims(const LObject& t, std::vector<Claim>& out) const;
    void addDistanceClaims(const LObject& t, std::vector<Claim>& out) const;
    void addSizeClaims(const LObject& t, std::vector<Claim>& out) const;
    void addViewClaims(const LObject& t, std::vector<Claim>& out) const;

    std::string id_;
    std::vector<LObject> objects_;
    AABB roomBox_;
};

// Categories that are never named (ScanRefer excludes them too) and that are never described.
bool isUnnamedCategory(const std::string& cat);  // wall, floor, ceiling
bool isStructureCategory(const std::string& cat);  // + door, window

}  // namespace inst3d::langgen
