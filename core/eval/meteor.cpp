#include "core/eval/meteor.h"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/common/py_text.h"

namespace inst3d {
namespace {

// A child process with its stdin and stdout as line streams (the jar answers one line per request,
// so strict request/answer alternation cannot deadlock).
class JarProcess {
public:
    JarProcess(const std::string& java, const std::string& jar) : jar_(jar) {
        // A jar that exits early must surface as an Error on the next write, not kill us with SIGPIPE.
        std::signal(SIGPIPE, SIG_IGN);
        int in[2], out[2];
        if (pipe(in) != 0 || pipe(out) != 0) fail(jar, "cannot create pipes for METEOR");
        pid_ = fork();
        if (pid_ < 0) fail(jar, "cannot start java for METEOR");
        if (pid_ == 0) {
            dup2(in[0], 0);
            dup2(out[1], 1);
            close(in[1]);
            close(out[0]);
            std::string dir = parentPath(jar);
            if (!dir.empty() && chdir(dir.c_str()) != 0) _exit(127);
            execlp(java.c_str(), java.c_str(), "-jar", "-Xmx2G", jar.c_str(), "-", "-", "-stdio", "-l", "en", "-norm",
                   static_cast<char*>(nullptr));
            _exit(127);
        }
        close(in[0]);
        close(out[1]);
        to_ = fdopen(in[1], "w");
        from_ = fdopen(out[0], "r");
    }
    ~JarProcess() {
        if (to_) fclose(to_);
        if (from_) fclose(from_);
        int status = 0;
        if (pid_ > 0) waitpid(pid_, &status, 0);
    }
    std::string ask(const std::string& line) {
        if (std::fputs((line + "\n").c_str(), to_) < 0 || std::fflush(to_) != 0)
            fail(jar_, "METEOR stopped reading (java exited?)");
        return readLine();
    }
    std::string readLine() {
        std::string s;
        int c;
        while ((c = std::fgetc(from_)) != EOF && c != '\n') s += static_cast<char>(c);
        if (c == EOF && s.empty()) fail(jar_, "METEOR ended without an answer (is java installed?)");
        return trim(s);
    }

private:
    std::string jar_;
    pid_t pid_ = -1;
    FILE* to_ = nullptr;
    FILE* from_ = nullptr;
};

#ifndef INST3D_DEPS_DIR
#define INST3D_DEPS_DIR "/opt/inst3d-deps"
#endif
// The jar's place inside the unpacked pycocoevalcap 1.2 wheel.
constexpr const char* kWheelMeteorJar = "/pycocoevalcap/pycocoevalcap/meteor/meteor-1.5.jar";

std::string envOr(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

// meteor.py's _stat(): hypothesis_str.replace('|||', '').replace('  ', ' ').
std::string cleanHypothesis(const std::string& h) { return pytext::replaceAll(pytext::replaceAll(h, "|||", ""), "  ", " "); }

bool isExecutable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

std::string findOnPath(const std::string& program) {
    if (program.find('/') != std::string::npos) return isExecutable(program) ? program : "";
    std::string path = envOr("PATH", "/usr/bin:/bin");
    for (size_t start = 0; start <= path.size();) {
        size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        std::string dir = path.substr(start, end - start);
        std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
        if (isExecutable(candidate)) return candidate;
        start = end + 1;
    }
    return "";
}

}  // namespace

std::string configuredMeteorJar() { return envOr("INST3D_METEOR_JAR", std::string(INST3D_DEPS_DIR) + kWheelMeteorJar); }

std::string configuredJava() { return findOnPath(envOr("INST3D_JAVA", "java")); }

std::string meteorInstallHint() {
    return "METEOR needs java (Debian: apt-get install default-jre-headless) and pycocoevalcap 1.2's meteor-1.5.jar "
           "(the wheel unpacked into " INST3D_DEPS_DIR "/pycocoevalcap, or INST3D_METEOR_JAR=/path/to/meteor-1.5.jar); "
           "tools/setup.sh installs both";
}

std::string meteorStatus() {
    std::string jar = configuredMeteorJar();
    if (!fileExists(jar)) return "unavailable: " + jar + " does not exist; " + meteorInstallHint();
    if (!fileExists(parentPath(jar) + "/data/paraphrase-en.gz"))
        return "unavailable: " + parentPath(jar) + "/data/paraphrase-en.gz is missing; " + meteorInstallHint();
    if (configuredJava().empty())
        return "unavailable: no java (" + envOr("INST3D_JAVA", "java on PATH") + "); " + meteorInstallHint();
    return "available: " + jar;
}

namespace {

// One jar process per (java, jar), kept for the life of the program: loading the paraphrase table takes
// seconds, and pycocoevalcap's evaluators also score every corpus through one Meteor() (Scan2Cap's two
// thresholds, for instance). The jar keeps no state between EVAL lines.
JarProcess& sharedJar(const std::string& java, const std::string& jar) {
    static std::mutex mutex;
    static std::map<std::pair<std::string, std::string>, std::unique_ptr<JarProcess>> processes;
    std::lock_guard<std::mutex> lock(mutex);
    auto& p = processes[{java, jar}];
    if (!p) p = std::make_unique<JarProcess>(java, jar);
    return *p;
}

}  // namespace

std::optional<MeteorScores> meteorIfConfigured(const std::vector<CaptionItem>& corpus) {
    if (corpus.empty() || meteorStatus().rfind("available", 0) != 0) return std::nullopt;
    static std::mutex scoring;  // one corpus at a time through a shared process
    std::lock_guard<std::mutex> lock(scoring);
    JarProcess& p = sharedJar(configuredJava(), configuredMeteorJar());
    std::string eval = "EVAL";
    for (const auto& item : corpus) {
        std::string line = "SCORE";
        for (const auto& r : item.references) line += " ||| " + r;
        line += " ||| " + cleanHypothesis(item.candidate);
        eval += " ||| " + p.ask(line);
    }
    MeteorScores s;
    s.perItem.push_back(std::stod(p.ask(eval)));
    for (size_t i = 1; i < corpus.size(); ++i) s.perItem.push_back(std::stod(p.readLine()));
    s.corpus = std::stod(p.readLine());
    return s;
}

}  // namespace inst3d
