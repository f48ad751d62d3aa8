// File helpers shared by every reader and writer.
// Writes are atomic and durable: data goes to "<path>.tmp-<pid>", is flushed to the disk (fsync of the file),
// renamed over <path> only when complete, and the folder's entry is flushed too (fsync of the folder), so a
// crash, a kill or a power cut leaves the old file or the new one, whole, and a full disk leaves the old one.
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

// Flushes a written file or a folder's entries to the disk (fsync). Throws Error(path, ...) on failure.
void syncPath(const std::string& path);
// fsync of every file and folder under `dir`, `dir` included: a folder staged with copies made by others
// (std::filesystem::copy does not flush) before it replaces the real one.
void syncTree(const std::string& dir);

// Replaces folder `dir` by the complete folder `staged` (a sibling, e.g. "<dir>.tmp-<pid>", synced) in one
// atomic step (renameat2 RENAME_EXCHANGE), so a kill at any instant leaves `dir` old or new, never absent or
// mixed; the old contents are then removed. Where the file system cannot exchange, two renames, and
// recoverReplacedDirectory() repairs the one instant in between.
void replaceDirectoryAtomic(const std::string& staged, const std::string& dir);
// After a kill inside replaceDirectoryAtomic's fallback: `dir` absent but its "<dir>.old-<pid>" there → put
// back. Returns true when it repaired something. Called by readers of folders written that way.
bool recoverReplacedDirectory(const std::string& dir);

// Removes what killed writers left in `dir` (recursively when asked): "<name>.tmp-<pid>" and
// "<name>.old-<pid>" files and folders whose process is gone. A rerun or a resume calls it first, so that
// interrupted runs do not pile up half-written temporaries. Returns how many it removed.
int removeStaleTemporaries(const std::string& dir, bool recursive = false);

// A folder a long job fills file by file (a synth world): marked before its first file, unmarked after its
// last, so that a killed job leaves a folder its readers refuse, with the reason, instead of using half of it.
void markIncomplete(const std::string& dir, const std::string& howToFinish);
void markComplete(const std::string& dir);
void requireComplete(const std::string& dir);  // throws Error(dir, "is incomplete: ...") while marked
bool isMarkedIncomplete(const std::string& dir);

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
