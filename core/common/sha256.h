// SHA-256 (FIPS 180-4), for provenance fingerprints of weights and caches. Incremental.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace inst3d {

class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t size);
    void update(const std::string& s) { update(s.data(), s.size()); }
    std::string hexDigest();  // finishes the hash; the object must not be updated afterwards

private:
    void compressBlock(const uint8_t* block);
    std::array<uint32_t, 8> state_;
    std::array<uint8_t, 64> buffer_{};
    size_t buffered_ = 0;
    uint64_t totalBytes_ = 0;
};

std::string sha256Hex(const std::string& data);

}  // namespace inst3d
