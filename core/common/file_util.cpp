#include "core/common/file_util.h"

#include <fcntl.h>
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
    if (std::fclose(f) != 0) bad = true;
    if (bad) {
        std::remove(tmp.c_str());
        fail(path, "write failed (disk full?); the previous file is left untouched");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::string why = errnoText();
        std::remove(tmp.c_str());
        fail(path, "cannot rename temporary file into place (" + why + ")");
    }
}

void writeFileAtomic(const std::string& path, const void* data, size_t size) {
    writeFileAtomic(path, [&](std::FILE* f) {
        if (size && std::fwrite(data, 1, size, f) != size) fail(path, "short write");
    });
}

void writeFileAtomic(const std::string& path, const std::string& contents) {
    writeFileAtomic(path, contents.data(), contents.size());
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
