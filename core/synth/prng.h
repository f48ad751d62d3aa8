// A tiny deterministic PRNG for the synthetic world. std::uniform_*_distribution differs between
// standard libraries, so the generator draws everything from this (SplitMix64) to keep scenes
// byte-identical for a given (seed, scene index) on every platform.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace inst3d {

// One SplitMix64 step: also a good 64-bit mixer for combining seeds.
inline uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Independent stream per (seed, index, purpose): mixing avoids correlated neighbouring seeds.
inline uint64_t mixSeed(uint64_t seed, uint64_t index, uint64_t purpose = 0) {
    uint64_t s = seed;
    uint64_t a = splitmix64(s);
    s = a ^ (index * 0xD1B54A32D192ED03ull);
    uint64_t b = splitmix64(s);
    s = b ^ (purpose * 0x8CB92BA72F3D8DD7ull);
    return splitmix64(s);
}

class SynthRng {
public:
    explicit SynthRng(uint64_t seed) : state_(seed) {}
    uint64_t next() { return splitmix64(state_); }
    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    // Uniform integer in [lo, hi] (inclusive). Modulo bias is irrelevant at these ranges.
    int intIn(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<uint64_t>(hi - lo + 1)); }
    bool chance(double p) { return uniform() < p; }
    template <class T>
    const T& pick(const std::vector<T>& v) { return v[static_cast<size_t>(intIn(0, static_cast<int>(v.size()) - 1))]; }
    template <class T>
    void shuffle(std::vector<T>& v) {
        for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<size_t>(intIn(0, static_cast<int>(i) - 1))]);
    }

private:
    uint64_t state_;
};

}  // namespace inst3d
