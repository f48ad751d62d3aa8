#include "core/common/file_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/common/error.h"

namespace inst3d {
namespace fs = std::filesystem;

static std::string errnoText() { return std::strerror(errno); }

std::string readTextFile(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) fail(path, "cannot open (" + errnoText() + ")");
    std::string out;
    char buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    bool bad = std::ferror(f);
    std::fclose(f);
    if (bad) fail(path, "read error");
    return out;
}

std::vector<uint8_t> readBinaryFile(const std::string& path) {
    std::string s = readTextFile(path);
    return std::vector<uint8_t>(s.begin(), s.end());
}

MappedFile::MappedFile(const std::string& path) : path_(path) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) fail(path, "cannot open (" + errnoText() + ")");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        ::close(fd);
        fail(path, "cannot stat (" + errnoText() + ")");
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        fail(path, "is a directory, expected a file");
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
        void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            data_ = static_cast<const uint8_t*>(p);
            mapped_ = true;
            ::madvise(p, size_, MADV_SEQUENTIAL);
        }
    }
    ::close(fd);
    if (!mapped_ && size_ > 0) {
        fallback_ = readBinaryFile(path);
        data_ = fallback_.data();
        size_ = fallback_.size();
    }
}

void MappedFile::release(const uint8_t* upTo) {
    if (!mapped_ || upTo <= data_) return;
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    size_t end = std::min(static_cast<size_t>(upTo - data_), size_) / page * page;
    if (end <= released_ + (4u << 20)) return;  // in steps of at least 4 MB
    ::madvise(const_cast<uint8_t*>(data_) + released_, end - released_, MADV_DONTNEED);
    released_ = end;
}

MappedFile::~MappedFile() {
    if (mapped_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

namespace {

// fsync of an open descriptor; folders on some file systems refuse it (EINVAL): nothing to flush there.
bool syncDescriptor(int fd, bool isFolder) {
    if (::fsync(fd) == 0) return true;
    return isFolder && (errno == EINVAL || errno == EROFS);
}

std::string folderOf(const std::string& path) {
    const fs::path parent = fs::path(path).parent_path();
    return parent.empty() ? std::string(".") : parent.string();
}

}  // namespace

void syncPath(const std::string& path) {
    const bool folder = isDirectory(path);
    const int fd = ::open(path.c_str(), folder ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
    if (fd < 0) fail(path, "cannot open to flush it to the disk (" + errnoText() + ")");
    const bool ok = syncDescriptor(fd, folder);
    const std::string why = errnoText();
    ::close(fd);
    if (!ok) fail(path, "cannot flush to the disk (" + why + ")");
}

void syncTree(const std::string& dir) {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file() || it->is_directory()) syncPath(it->path().string());
    if (ec) fail(dir, "cannot list to flush it to the disk (" + ec.message() + ")");
    syncPath(dir);
}

void writeFileAtomic(const std::string& path, const std::function<void(std::FILE*)>& writer) {
    fs::path target(path);
    if (target.has_parent_path()) {
        std::error_code ec;
        fs::create_directories(target.parent_path(), ec);
        if (ec) fail(path, "cannot create its folder (" + ec.message() + ")");
    }
    std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) fail(path, "cannot create temporary file " + tmp + " (" + errnoText() + ")");
    try {
        writer(f);
    } catch (...) {
        std::fclose(f);
        std::remove(tmp.c_str());
        throw;
    }
    bool bad = std::ferror(f) != 0;
    if (std::fflush(f) != 0) bad = true;
    std::string why = bad ? errnoText() : "";
    if (!bad && !syncDescriptor(::fileno(f), false)) bad = true, why = errnoText();
    if (std::fclose(f) != 0 && !bad) bad = true, why = errnoText();
    if (bad) {
        std::remove(tmp.c_str());
        fail(path, "write failed (" + why + "; disk full?); the previous file is left untouched");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        why = errnoText();
        std::remove(tmp.c_str());
        fail(path, "cannot rename temporary file into place (" + why + ")");
    }
    syncPath(folderOf(path));  // the rename itself survives a power cut only once the folder is flushed
}

void replaceDirectoryAtomic(const std::string& staged, const std::string& dir) {
    syncTree(staged);
    const std::string parent = folderOf(dir);
    if (!fs::exists(dir)) {
        if (std::rename(staged.c_str(), dir.c_str()) != 0) fail(dir, "cannot move " + staged + " into place (" + errnoText() + ")");
        syncPath(parent);
        return;
    }
    if (::renameat2(AT_FDCWD, staged.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) {
        syncPath(parent);
        fs::remove_all(staged);  // now the old contents; a kill here leaves a stale temporary, nothing worse
        return;
    }
    if (errno != EINVAL && errno != ENOSYS) fail(dir, "cannot exchange it with " + staged + " (" + errnoText() + ")");
    const std::string old = dir + ".old-" + std::to_string(::getpid());
    if (std::rename(dir.c_str(), old.c_str()) != 0) fail(dir, "cannot move aside (" + errnoText() + ")");
    if (std::rename(staged.c_str(), dir.c_str()) != 0) {
        const std::string why = errnoText();
        std::rename(old.c_str(), dir.c_str());
        fail(dir, "cannot move " + staged + " into place (" + why + ")");
    }
    syncPath(parent);
    fs::remove_all(old);
}

namespace {

// "<name>.tmp-<pid>" or "<name>.old-<pid>": the writer's pid, or -1 for other names.
long temporaryOwner(const std::string& name, std::string* base, bool* isOld) {
    const size_t dash = name.rfind('-');
    if (dash == std::string::npos || dash < 5 || dash + 1 == name.size()) return -1;
    const std::string kind = name.substr(dash - 4, 4);
    if (kind != ".tmp" && kind != ".old") return -1;
    if (name.find_first_not_of("0123456789", dash + 1) != std::string::npos || name.size() - dash > 10) return -1;
    *base = name.substr(0, dash - 4);
    *isOld = kind == ".old";
    return std::stol(name.substr(dash + 1));
}

bool processAlive(long pid) { return pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

}  // namespace

bool recoverReplacedDirectory(const std::string& dir) {
    if (fs::exists(dir)) return false;
    const fs::path target(dir);
    std::error_code ec;
    for (fs::directory_iterator it(folderOf(dir), ec), end; !ec && it != end; it.increment(ec)) {
        std::string base;
        bool isOld = false;
        if (temporaryOwner(it->path().filename().string(), &base, &isOld) < 0 || !isOld) continue;
        if (base != target.filename().string()) continue;
        if (std::rename(it->path().c_str(), dir.c_str()) != 0 && !fs::exists(dir))  // another process won the race
            fail(dir, "cannot restore it from " + it->path().string() + " (" + errnoText() + ")");
        return true;
    }
    return false;
}

int removeStaleTemporaries(const std::string& dir, bool recursive) {
    std::vector<fs::path> stale;
    std::error_code ec;
    auto consider = [&](const fs::directory_entry& e) {
        std::string base;
        bool isOld = false;
        const long pid = temporaryOwner(e.path().filename().string(), &base, &isOld);
        if (pid <= 0 || processAlive(pid)) return false;
        stale.push_back(e.path());
        return true;
    };
    if (recursive) {
        for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
            if (consider(*it)) it.disable_recursion_pending();  // a stale folder goes whole
    } else {
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) consider(*it);
    }
    int removed = 0;
    for (const fs::path& p : stale) {
        std::string base;
        bool isOld = false;
        temporaryOwner(p.filename().string(), &base, &isOld);
        const fs::path original = p.parent_path() / base;
        if (isOld && !fs::exists(original)) {  // the only copy left by a kill between two renames: put it back
            recoverReplacedDirectory(original.string());
            continue;
        }
        fs::remove_all(p, ec);
        if (!ec) ++removed;
    }
    return removed;
}

void writeFileAtomic(const std::string& path, const void* data, size_t size) {
    writeFileAtomic(path, [&](std::FILE* f) {
        if (size && std::fwrite(data, 1, size, f) != size)
            fail(path, "write failed (" + errnoText() + "; disk full?); the previous file is left untouched");
    });
}

void writeFileAtomic(const std::string& path, const std::string& contents) {
    writeFileAtomic(path, contents.data(), contents.size());
}

namespace {
constexpr const char* kIncompleteMarker = "inst3d-incomplete.txt";
}

void markIncomplete(const std::string& dir, const std::string& howToFinish) {
    writeFileAtomic(joinPath(dir, kIncompleteMarker),
                    "This folder is being written, or its writer was interrupted: " + howToFinish + "\n");
}

void markComplete(const std::string& dir) {
    const std::string marker = joinPath(dir, kIncompleteMarker);
    if (std::remove(marker.c_str()) != 0 && errno != ENOENT) fail(marker, "cannot remove (" + errnoText() + ")");
    syncPath(dir);
}

bool isMarkedIncomplete(const std::string& dir) { return fileExists(joinPath(dir, kIncompleteMarker)); }

void requireComplete(const std::string& dir) {
    const std::string marker = joinPath(dir, kIncompleteMarker);
    if (fileExists(marker)) fail(dir, "is incomplete (" + marker + "): " + trim(readTextFile(marker)));
}

bool fileExists(const std::string& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}
bool isDirectory(const std::string& path) {
    std::error_code ec;
    return fs::is_directory(path, ec);
}
void makeDirectories(const std::string& path) {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) fail(path, "cannot create directory (" + ec.message() + ")");
}
std::string joinPath(const std::string& a, const std::string& b) { return (fs::path(a) / b).string(); }
std::string baseName(const std::string& path) { return fs::path(path).filename().string(); }
std::string parentPath(const std::string& path) { return fs::path(path).parent_path().string(); }
bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}
std::vector<std::string> splitWhitespace(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
}

}  // namespace inst3d
