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

// A bad command line (exit code 2). Here rather than in core/cli so that a library can reject a bad
// option value (e.g. parseQaEvaluator) without including the verb layer.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail(const std::string& path, const std::string& problem) { throw Error(path, problem); }

}  // namespace inst3d
