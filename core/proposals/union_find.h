// Disjoint sets with sizes. Deterministic: the root of a union is the root of the larger set, ties
// going to the lower index, so results never depend on hashing or thread timing.
#pragma once
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

namespace inst3d {

class UnionFind {
public:
    explicit UnionFind(size_t n) : parent_(n), size_(n, 1) { std::iota(parent_.begin(), parent_.end(), uint32_t(0)); }
    uint32_t find(uint32_t x) {
        while (parent_[x] != x) {
            parent_[x] = parent_[parent_[x]];  // path halving
            x = parent_[x];
        }
        return x;
    }
    // Joins the sets of a and b; returns the new root.
    uint32_t unite(uint32_t a, uint32_t b) {
        a = find(a);
        b = find(b);
        if (a == b) return a;
        if (size_[a] < size_[b] || (size_[a] == size_[b] && b < a)) std::swap(a, b);
        parent_[b] = a;
        size_[a] += size_[b];
        return a;
    }
    uint32_t size(uint32_t x) { return size_[find(x)]; }

private:
    std::vector<uint32_t> parent_;
    std::vector<uint32_t> size_;
};

}  // namespace inst3d
