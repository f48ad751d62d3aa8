// Read-only ZIP archives over a memory map, for torch.save checkpoints (.bin/.pth/.pt). Only what
// those need: the central directory (ZIP64 included: Vicuna shards are ~10 GB), lookup by name and a
// pointer to an entry's bytes inside the mapping. torch.save stores entries uncompressed (and 64-byte
// aligned), so STORED is the only method read; a compressed entry is an Error, never inflated.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace inst3d {

class MappedFile;

struct ZipEntry {
    std::string name;
    uint16_t method = 0;          // 0 = STORED
    uint16_t flags = 0;
    uint32_t crc32 = 0;
    uint64_t compressedSize = 0;
    uint64_t size = 0;            // uncompressed
    uint64_t localHeaderOffset = 0;
};

struct ByteSpan {
    const uint8_t* data = nullptr;
    uint64_t size = 0;
};

class ZipArchive {
public:
    // Maps and indexes `path`. Errors name the file: not a zip (legacy torch.save), truncated, corrupt.
    explicit ZipArchive(const std::string& path);
    explicit ZipArchive(std::shared_ptr<MappedFile> file);
    ~ZipArchive();

    const std::string& path() const;
    const std::vector<ZipEntry>& entries() const { return entries_; }
    const ZipEntry* find(const std::string& name) const;
    // The stored bytes of `entry` inside the mapping (valid while this archive or file() lives).
    // Errors: compressed entry, local header missing or mismatched, data past the end of the file.
    ByteSpan data(const ZipEntry& entry) const;
    // data() plus a CRC-32 check; meant for small entries (data.pkl), not for multi-GB storages.
    ByteSpan checkedData(const ZipEntry& entry) const;
    // Shares the mapping, so views into it can outlive this object.
    const std::shared_ptr<MappedFile>& file() const { return file_; }

private:
    void readCentralDirectory();
    std::shared_ptr<MappedFile> file_;
    std::vector<ZipEntry> entries_;
    std::map<std::string, size_t> index_;
};

}  // namespace inst3d
