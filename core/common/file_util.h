// File helpers shared by every reader and writer.
// Writes are atomic: data goes to "<path>.tmp-<pid>" and is renamed over <path> only when complete,
// so a crash or a full disk never leaves a half-written annotation behind.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace inst3d {

// Whole file into memory. Throws Error(path, ...) when it cannot be read.
std::string readTextFile(const std::string& path);
std::vector<uint8_t> readBinaryFile(const std::string& path);

// Read-only memory map of a whole file (falls back to reading when mmap fails).
class MappedFile {
public:
    explicit MappedFile(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    const std::string& path() const { return path_; }
    // Drops the pages before `upTo` from this process's memory once they have been decoded, so the
    // peak memory of loading a scene is its decoded data plus a small window, not data + file.
    void release(const uint8_t* upTo);

private:
    std::string path_;
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
    bool mapped_ = false;
    size_t released_ = 0;
    std::vector<uint8_t> fallback_;
};

// Atomic writes. `writer` receives an open FILE* to the temporary file.
void writeFileAtomic(const std::string& path, const std::function<void(std::FILE*)>& writer);
void writeFileAtomic(const std::string& path, const std::string& contents);
void writeFileAtomic(const std::string& path, const void* data, size_t size);

bool fileExists(const std::string& path);
bool isDirectory(const std::string& path);
void makeDirectories(const std::string& path);
std::string joinPath(const std::string& a, const std::string& b);
std::string baseName(const std::string& path);   // "a/b/c.ply" -> "c.ply"
std::string parentPath(const std::string& path); // "a/b/c.ply" -> "a/b"
bool endsWith(const std::string& s, const std::string& suffix);
std::string trim(const std::string& s);
std::vector<std::string> splitWhitespace(const std::string& s);

}  // namespace inst3d
