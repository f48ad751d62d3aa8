#include "core/io/zip_archive.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEocdSig = 0x06054b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr size_t kEocdSize = 22, kLocatorSize = 20, kZip64EocdSize = 56, kCentralSize = 46, kLocalSize = 30;

uint16_t le16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) { return uint32_t(le16(p)) | (uint32_t(le16(p + 2)) << 16); }
uint64_t le64(const uint8_t* p) { return uint64_t(le32(p)) | (uint64_t(le32(p + 4)) << 32); }

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

// A file with no end-of-central-directory record: a legacy (pre-1.6) torch.save pickle stream, or not
// a checkpoint at all. The legacy stream starts with a pickle PROTO opcode.
[[noreturn]] void notZip(const MappedFile& f) {
    if (f.size() >= 2 && f.data()[0] == 0x80)
        fail(f.path(), "not a zip archive (legacy torch.save format?): convert with tools/convert_to_safetensors.py");
    if (f.size() >= 4 && le32(f.data()) == kLocalSig)
        fail(f.path(), "truncated zip archive: no end of central directory record");
    fail(f.path(), "not a zip archive (no end of central directory record; truncated?)");
}

// The EOCD sits in the last 22 + 65535 bytes (after it only its comment); search backwards.
size_t findEocd(const MappedFile& f) {
    const uint8_t* d = f.data();
    const size_t n = f.size();
    if (n < kEocdSize) notZip(f);
    const size_t lowest = n > kEocdSize + 0xFFFF ? n - kEocdSize - 0xFFFF : 0;
    for (size_t pos = n - kEocdSize + 1; pos-- > lowest;)
        if (le32(d + pos) == kEocdSig && pos + kEocdSize + le16(d + pos + 20) == n) return pos;
    notZip(f);
}

// Reads the ZIP64 extended-information extra field (id 0x0001): the 8-byte values replace, in this order,
// the 32-bit fields that hold 0xFFFFFFFF.
void applyZip64Extra(const uint8_t* extra, size_t len, ZipEntry& e, bool sizeMax, bool compMax, bool offsetMax,
                     const std::string& path) {
    size_t pos = 0;
    while (pos + 4 <= len) {
        uint16_t id = le16(extra + pos), size = le16(extra + pos + 2);
        if (pos + 4 + size > len) break;
        if (id == 0x0001) {
            const uint8_t* p = extra + pos + 4;
            size_t need = 8 * (size_t(sizeMax) + size_t(compMax) + size_t(offsetMax));
            if (size < need) fail(path, "entry '" + e.name + "': ZIP64 extra field too short");
            if (sizeMax) e.size = le64(p), p += 8;
            if (compMax) e.compressedSize = le64(p), p += 8;
            if (offsetMax) e.localHeaderOffset = le64(p);
            return;
        }
        pos += 4 + size;
    }
    if (sizeMax || compMax || offsetMax) fail(path, "entry '" + e.name + "': 32-bit field is 0xFFFFFFFF but no ZIP64 extra field");
}

}  // namespace

ZipArchive::ZipArchive(const std::string& path) : ZipArchive(std::make_shared<MappedFile>(path)) {}

ZipArchive::ZipArchive(std::shared_ptr<MappedFile> file) : file_(std::move(file)) { readCentralDirectory(); }

ZipArchive::~ZipArchive() = default;

const std::string& ZipArchive::path() const { return file_->path(); }

void ZipArchive::readCentralDirectory() {
    const MappedFile& f = *file_;
    const uint8_t* d = f.data();
    const uint64_t n = f.size();
    const size_t eocd = findEocd(f);
    uint64_t count = le16(d + eocd + 10), cdSize = le32(d + eocd + 12), cdOffset = le32(d + eocd + 16);
    if (le16(d + eocd + 4) != 0 || le16(d + eocd + 6) != 0) fail(f.path(), "multi-disk zip archives are not supported");

    // ZIP64: a locator right before the EOCD points at the 64-bit record that holds the real values.
    if (eocd >= kLocatorSize && le32(d + eocd - kLocatorSize) == kZip64LocatorSig) {
        uint64_t recOffset = le64(d + eocd - kLocatorSize + 8);
        if (recOffset > n || n - recOffset < kZip64EocdSize || le32(d + recOffset) != kZip64EocdSig)
            fail(f.path(), "ZIP64 end of central directory record missing at offset " + std::to_string(recOffset) + " (truncated?)");
        count = le64(d + recOffset + 32);
        cdSize = le64(d + recOffset + 40);
        cdOffset = le64(d + recOffset + 48);
    } else if (count == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF) {
        fail(f.path(), "ZIP64 archive without its end of central directory locator (truncated?)");
    }
    if (cdOffset > n || cdSize > n - cdOffset)
        fail(f.path(), "central directory [" + std::to_string(cdOffset) + ", +" + std::to_string(cdSize) +
                           ") lies outside the " + std::to_string(n) + "-byte file (truncated?)");
    // Each record is at least 46 bytes, so a huge count in a small directory is corruption, not a reason to reserve.
    if (count > cdSize / kCentralSize) fail(f.path(), "central directory claims " + std::to_string(count) + " entries in " + std::to_string(cdSize) + " bytes");

    const uint8_t* p = d + cdOffset;
    const uint8_t* end = p + cdSize;
    entries_.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
        if (size_t(end - p) < kCentralSize || le32(p) != kCentralSig)
            fail(f.path(), "central directory entry " + std::to_string(i) + " is corrupt (at offset " + std::to_string(p - d) + ")");
        ZipEntry e;
        e.flags = le16(p + 8);
        e.method = le16(p + 10);
        e.crc32 = le32(p + 16);
        e.compressedSize = le32(p + 20);
        e.size = le32(p + 24);
        const size_t nameLen = le16(p + 28), extraLen = le16(p + 30), commentLen = le16(p + 32);
        e.localHeaderOffset = le32(p + 42);
        if (size_t(end - p) < kCentralSize + nameLen + extraLen + commentLen)
            fail(f.path(), "central directory entry " + std::to_string(i) + " runs past the directory");
        e.name.assign(reinterpret_cast<const char*>(p + kCentralSize), nameLen);
        applyZip64Extra(p + kCentralSize + nameLen, extraLen, e, e.size == 0xFFFFFFFF, e.compressedSize == 0xFFFFFFFF,
                        e.localHeaderOffset == 0xFFFFFFFF, f.path());
        p += kCentralSize + nameLen + extraLen + commentLen;
        index_.emplace(e.name, entries_.size());
        entries_.push_back(std::move(e));
    }
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &entries_[it->second];
}

ByteSpan ZipArchive::data(const ZipEntry& e) const {
    const uint8_t* d = file_->data();
    const uint64_t n = file_->size();
    const std::string& path = file_->path();
    if (e.method != 0)
        fail(path, "entry '" + e.name + "' is compressed (method " + std::to_string(e.method) + "); torch.save files are stored");
    if (e.flags & 1) fail(path, "entry '" + e.name + "' is encrypted");
    if (e.compressedSize != e.size)
        fail(path, "entry '" + e.name + "' is stored but its sizes differ (" + std::to_string(e.compressedSize) + " vs " + std::to_string(e.size) + ")");
    const uint64_t lh = e.localHeaderOffset;
    if (lh > n || n - lh < kLocalSize || le32(d + lh) != kLocalSig)
        fail(path, "entry '" + e.name + "': no local header at offset " + std::to_string(lh) + " (truncated or corrupt)");
    // Sizes come from the central directory: torch.save's writer leaves them 0 here (data descriptor flag).
    const uint64_t nameLen = le16(d + lh + 26), extraLen = le16(d + lh + 28);
    const uint64_t start = lh + kLocalSize + nameLen + extraLen;
    if (start > n || nameLen != e.name.size() || std::memcmp(d + lh + kLocalSize, e.name.data(), nameLen) != 0)
        fail(path, "entry '" + e.name + "': local header does not match the central directory");
    if (e.size > n - start)
        fail(path, "entry '" + e.name + "' needs " + std::to_string(e.size) + " bytes at offset " + std::to_string(start) +
                       " but the file has " + std::to_string(n) + " (truncated?)");
    return {d + start, e.size};
}

ByteSpan ZipArchive::checkedData(const ZipEntry& e) const {
    ByteSpan s = data(e);
    uLong crc = ::crc32(0L, Z_NULL, 0);
    for (uint64_t done = 0; done < s.size;) {  // zlib's crc32 takes 32-bit lengths
        uInt chunk = uInt(std::min<uint64_t>(s.size - done, 1u << 30));
        crc = ::crc32(crc, s.data + done, chunk);
        done += chunk;
    }
    if (uint32_t(crc) != e.crc32)
        fail(file_->path(), "entry '" + e.name + "' fails its CRC-32 check (stored " + hex(e.crc32) + ", computed " + hex(crc) + ")");
    return s;
}

}  // namespace inst3d
