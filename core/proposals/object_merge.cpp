// Region adjacency merging of object segments; the rules are stated in object_merge.h.
#include "core/proposals/object_merge.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/proposals/union_find.h"

namespace inst3d {
namespace {

class ObjectGroups {
public:
    ObjectGroups(const SegmentGraph& sg, double maxExtent) : sets_(sg.segments.size()), box_(sg.segments.size()), maxExtent_(maxExtent) {
        for (size_t s = 0; s < sg.segments.size(); ++s) box_[s] = sg.segments[s].box;
    }
    uint32_t find(int s) { return sets_.find(uint32_t(s)); }
    const AABB& box(int s) { return box_[find(s)]; }
    void cannotLink(uint32_t a, uint32_t b) {
        links_[a].insert(b);
        links_[b].insert(a);
    }
    // Unites the groups of a and b unless they are linked apart or the union would be too long.
    bool tryUnite(int a, int b) {
        uint32_t ra = find(a), rb = find(b);
        if (ra == rb) return false;
        if (links_.count(ra) && links_[ra].count(rb)) return false;
        AABB u = box_[ra];
        u.extend(box_[rb].min);
        u.extend(box_[rb].max);
        if (std::max(u.max.x - u.min.x, u.max.y - u.min.y) > maxExtent_) return false;
        const uint32_t r = sets_.unite(ra, rb), gone = r == ra ? rb : ra;
        box_[r] = u;
        moveLinks(gone, r);
        return true;
    }

private:
    void moveLinks(uint32_t from, uint32_t to) {
        auto it = links_.find(from);
        if (it == links_.end()) return;
        const std::set<uint32_t> moved = std::move(it->second);
        links_.erase(it);
        for (uint32_t other : moved) {
            links_[other].erase(from);
            links_[other].insert(to);
            links_[to].insert(other);
        }
    }
    UnionFind sets_;
    std::vector<AABB> box_;
    std::map<uint32_t, std::set<uint32_t>> links_;
    double maxExtent_;
};

double colorDistance(const SegmentInfo& a, const SegmentInfo& b) { return norm(a.meanColor() - b.meanColor()) / std::sqrt(3.0); }

double footprint(const AABB& b) { return b.empty() ? 0 : (b.max.x - b.min.x) * (b.max.y - b.min.y); }

bool isSupportPlane(const SegmentInfo& s, bool oriented, const MergeOptions& o) {
    const double nz = s.plane.normal.z;
    return s.planar(o.maxThickness) && (oriented ? nz : std::fabs(nz)) >= o.horizontalCos && s.footprintArea() >= o.supportMinArea;
}

// The group of `upper` rests on the support plane segment `support` of the group of `lower` (object_merge.h).
bool restsOn(ObjectGroups& groups, int upper, int lower, const SegmentInfo& support, double tolerance, const MergeOptions& o) {
    const AABB& a = groups.box(upper);
    return a.min.z >= support.plane.centroid.z - tolerance && footprint(a) < o.supportRatio * footprint(groups.box(lower));
}

// Two vertical planes facing each other across the contact: two objects standing side by side (a
// nightstand against a bed). Back-to-back planes are the two faces of one board and do not count.
bool faceEachOther(const SegmentInfo& a, const SegmentInfo& b, double tolerance, const MergeOptions& o) {
    auto vertical = [&](const SegmentInfo& s) { return s.planar(o.maxThickness) && std::fabs(s.plane.normal.z) <= o.verticalSin; };
    if (!vertical(a) || !vertical(b) || dot(a.plane.normal, b.plane.normal) > -o.facingCos) return false;
    return dot(b.plane.centroid - a.plane.centroid, a.plane.normal) >= -tolerance;
}

// Cannot-link constraints between the groups left after the same-color pass.
void addVetoes(const PointGraph& g, const SegmentGraph& sg, const std::vector<SegmentContact>& contacts, const MergeOptions& o,
               ObjectGroups& groups) {
    const double tolerance = std::max(0.02, g.spacing);
    for (const SegmentContact& c : contacts) {
        if (groups.find(c.a) == groups.find(c.b)) continue;
        const SegmentInfo& a = sg.segments[size_t(c.a)];
        const SegmentInfo& b = sg.segments[size_t(c.b)];
        bool veto = (isSupportPlane(b, g.orientedNormals, o) && restsOn(groups, c.a, c.b, b, tolerance, o)) ||
                    (isSupportPlane(a, g.orientedNormals, o) && restsOn(groups, c.b, c.a, a, tolerance, o));
        veto = veto || (g.orientedNormals && faceEachOther(a, b, tolerance, o));
        if (veto) groups.cannotLink(groups.find(c.a), groups.find(c.b));
    }
}

// Contacts between object segments, strongest first (ties by segment ids: deterministic).
std::vector<SegmentContact> objectContacts(const SegmentGraph& sg, const SceneStructure& st) {
    std::vector<SegmentContact> out;
    for (const SegmentContact& c : sg.contacts)
        if (st.kind[size_t(c.a)] == StructureKind::Object && st.kind[size_t(c.b)] == StructureKind::Object) out.push_back(c);
    std::stable_sort(out.begin(), out.end(), [](const SegmentContact& x, const SegmentContact& y) { return x.strength > y.strength; });
    return out;
}

}  // namespace

std::vector<std::vector<int>> mergeObjects(const PointGraph& g, const SegmentGraph& sg, const SceneStructure& st,
                                           const MergeOptions& options) {
    const std::vector<SegmentContact> contacts = objectContacts(sg, st);
    ObjectGroups groups(sg, options.maxExtent);
    if (!g.colors.empty())
        for (const SegmentContact& c : contacts)
            if (colorDistance(sg.segments[size_t(c.a)], sg.segments[size_t(c.b)]) <= options.colorTolerance) groups.tryUnite(c.a, c.b);
    addVetoes(g, sg, contacts, options, groups);
    for (const SegmentContact& c : contacts) groups.tryUnite(c.a, c.b);

    std::map<uint32_t, std::vector<int>> byRoot;
    for (size_t s = 0; s < sg.segments.size(); ++s)
        if (st.kind[s] == StructureKind::Object) byRoot[groups.find(int(s))].push_back(int(s));
    std::vector<std::vector<int>> out;
    for (auto& [root, segs] : byRoot) out.push_back(std::move(segs));
    std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.front() < y.front(); });
    return out;
}

}  // namespace inst3d
