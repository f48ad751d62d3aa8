#include "core/eval/meteor.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {
namespace {

// A child process with its stdin and stdout as line streams (the jar answers one line per request,
// so strict request/answer alternation cannot deadlock).
class JarProcess {
public:
    JarProcess(const std::string& java, const std::string& jar) : jar_(jar) {
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
        std::fputs((line + "\n").c_str(), to_);
        std::fflush(to_);
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

std::string envOr(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

// meteor.py's _stat(): "|||" removed from the hypothesis and double spaces made single.
std::string cleanHypothesis(std::string h) {
    for (size_t p; (p = h.find("|||")) != std::string::npos;) h.erase(p, 3);
    for (size_t p; (p = h.find("  ")) != std::string::npos;) h.replace(p, 2, " ");
    return h;
}

}  // namespace

std::string configuredMeteorJar() { return envOr("INST3D_METEOR_JAR", ""); }

std::string meteorStatus() {
    std::string jar = configuredMeteorJar();
    if (jar.empty()) return "unavailable: set INST3D_METEOR_JAR to meteor-1.5.jar (needs java)";
    if (!fileExists(jar)) return "unavailable: " + jar + " does not exist";
    return "available: " + jar;
}

std::optional<MeteorScores> meteorIfConfigured(const std::vector<CaptionItem>& corpus) {
    std::string jar = configuredMeteorJar();
    if (jar.empty() || !fileExists(jar) || corpus.empty()) return std::nullopt;
    JarProcess p(envOr("INST3D_JAVA", "java"), jar);
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
