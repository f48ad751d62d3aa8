// Errors that name the file and the problem. Every reader throws inst3d::Error; the CLI and GUI show
// what() as is, so the message must be complete: "<path>: <what is wrong>".
#pragma once
#include <stdexcept>
#include <string>

namespace inst3d {

class Error : public std::runtime_error {
public:
    Error(const std::string& path, const std::string& problem)
        : std::runtime_error(path.empty() ? problem : path + ": " + problem), path_(path), problem_(problem) {}
    const std::string& path() const { return path_; }
    const std::string& problem() const { return problem_; }

private:
    std::string path_;
    std::string problem_;
};

[[noreturn]] inline void fail(const std::string& path, const std::string& problem) { throw Error(path, problem); }

}  // namespace inst3d
