#include "core/cli/command.h"

#include "core/cli/build_info.h"  // generated in the build folder: INST3D_GIT_COMMIT (packaging/build_info.cmake)

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <set>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/config/config.h"
#include "core/io/scene_loader.h"

namespace inst3d {

void CommandRegistry::add(Command command) { commands_.push_back(std::move(command)); }

void CommandRegistry::addSubject(const std::string& verb, const std::string& subject, const std::string& summary,
                                 std::function<int(const std::vector<std::string>& args)> run) {
    for (Command& c : commands_) {
        if (c.name != verb) continue;
        c.summary += "; " + verb + " " + subject + ": " + summary;
        c.run = [subject, run = std::move(run), before = c.run](const std::vector<std::string>& args) {
            if (!args.empty() && args.front() == subject) return run({args.begin() + 1, args.end()});
            return before(args);
        };
        return;
    }
    throw UsageError("no verb '" + verb + "' to add the subject '" + subject + "' to");
}

const Command* CommandRegistry::find(const std::string& name) const {
    for (const auto& c : commands_)
        if (c.name == name) return &c;
    return nullptr;
}

// --- ArgParser ------------------------------------------------------------------------------------

ArgParser::ArgParser(std::string program, std::string description)
    : program_(std::move(program)), description_(std::move(description)) {}

ArgParser& ArgParser::option(const std::string& name, const std::string& valueName, const std::string& help,
                             const std::string& defaultValue) {
    specs_.push_back({name, valueName, help, defaultValue, false, false, false});
    return *this;
}
ArgParser& ArgParser::flag(const std::string& name, const std::string& help) {
    specs_.push_back({name, "", help, "", true, false, false});
    return *this;
}
ArgParser& ArgParser::positional(const std::string& name, const std::string& help, bool required) {
    specs_.push_back({name, "", help, "", false, true, required});
    return *this;
}
ArgParser& ArgParser::allowOverrides() {
    allowOverrides_ = true;
    return *this;
}

bool ArgParser::parse(const std::vector<std::string>& args) {
    size_t nextPositional = 0;
    std::vector<const Spec*> positionals;
    for (const auto& s : specs_)
        if (s.isPositional) positionals.push_back(&s);
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            std::cout << help();
            return false;
        }
        if (a.rfind("--", 0) == 0) {
            std::string name = a.substr(2), value;
            bool inlineValue = false;
            size_t eq = name.find('=');
            if (eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
                inlineValue = true;
            }
            auto it = std::find_if(specs_.begin(), specs_.end(),
                                   [&](const Spec& s) { return !s.isPositional && s.name == name; });
            if (it == specs_.end()) throw UsageError("unknown option --" + name + " (see " + program_ + " --help)");
            if (it->isFlag) {
                if (inlineValue) throw UsageError("--" + name + " takes no value");
                values_[name] = "1";
                continue;
            }
            if (!inlineValue) {
                if (i + 1 >= args.size()) throw UsageError("--" + name + " needs a value (" + it->valueName + ")");
                value = args[++i];
            }
            values_[name] = value;
            continue;
        }
        // key=value: a key has no '/' (so a positional path containing '=' stays a path); the value may.
        if (allowOverrides_ && a.find('=') != std::string::npos && a.find('=') > 0 &&
            a.substr(0, a.find('=')).find('/') == std::string::npos) {
            overrides_.push_back(a);
            continue;
        }
        if (nextPositional >= positionals.size()) throw UsageError("unexpected argument '" + a + "' (see " + program_ + " --help)");
        values_[positionals[nextPositional++]->name] = a;
    }
    for (size_t i = nextPositional; i < positionals.size(); ++i)
        if (positionals[i]->required) throw UsageError("missing " + positionals[i]->name + " (see " + program_ + " --help)");
    return true;
}

std::string ArgParser::help() const {
    std::string out = "usage: " + program_;
    for (const auto& s : specs_)
        if (!s.isPositional) out += s.isFlag ? " [--" + s.name + "]" : " [--" + s.name + " " + s.valueName + "]";
    for (const auto& s : specs_)
        if (s.isPositional) out += s.required ? " " + s.name : " [" + s.name + "]";
    if (allowOverrides_) out += " [key=value ...]";
    out += "\n\n" + description_ + "\n";
    if (!specs_.empty()) out += "\n";
    for (const auto& s : specs_) {
        std::string left = s.isPositional ? "  " + s.name : "  --" + s.name + (s.isFlag ? "" : " " + s.valueName);
        if (left.size() < 28) left.resize(28, ' ');
        else left += "\n" + std::string(28, ' ');
        out += left + s.help;
        if (!s.defaultValue.empty()) out += " (default: " + s.defaultValue + ")";
        out += "\n";
    }
    if (allowOverrides_)
        out += "  key=value                 override any configuration key, e.g. synth.frames=60\n";
    return out;
}

std::string ArgParser::get(const std::string& name) const {
    auto it = values_.find(name);
    if (it != values_.end()) return it->second;
    for (const auto& s : specs_)
        if (s.name == name) return s.defaultValue;
    return "";
}

bool ArgParser::has(const std::string& name) const { return values_.count(name) > 0; }

int ArgParser::getInt(const std::string& name) const {
    const std::string v = get(name);
    try {
        size_t used = 0;
        int i = std::stoi(v, &used);
        if (used == v.size()) return i;
    } catch (...) {
    }
    throw UsageError("--" + name + " expects an integer, got '" + v + "'");
}

double ArgParser::getDouble(const std::string& name) const {
    const std::string v = get(name);
    try {
        size_t used = 0;
        double d = std::stod(v, &used);
        if (used == v.size()) return d;
    } catch (...) {
    }
    throw UsageError("--" + name + " expects a number, got '" + v + "'");
}

// --- ProgressBar ----------------------------------------------------------------------------------

// The defaults name every key: a --config file or key=value with any other key is refused, so a typo
// ("synth.frame=60") is an error, not a run with the default.
Config configFromArgs(const ArgParser& args) {
    Config config = Config::defaults();
    const std::string defaultsPath = joinPath(resourceDir(), "config/default.yaml");
    const std::set<std::string> known =
        fileExists(defaultsPath) ? yamlLeafKeys(readTextFile(defaultsPath), defaultsPath) : std::set<std::string>{};
    const std::string listedIn = "resources/config/default.yaml";
    if (args.has("config")) {
        const std::string file = args.get("config");
        const std::string text = readTextFile(file);
        if (!known.empty()) requireKnownKeys(known, text, file, listedIn);
        config.mergeYaml(text, file);
    }
    for (const std::string& o : args.overrides()) {
        if (!known.empty()) requireKnownOverride(known, o, listedIn);
        config.applyOverride(o);
    }
    return config;
}

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)), tty_(::isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {}

std::string ProgressBar::eta(double elapsedSeconds, double fraction) {
    if (fraction <= 0 || fraction >= 1 || elapsedSeconds <= 0) return "";
    const long left = std::lround(elapsedSeconds * (1 - fraction) / fraction);
    char text[32];
    if (left >= 3600) std::snprintf(text, sizeof text, "%ldh%02ldm", left / 3600, left % 3600 / 60);
    else if (left >= 60) std::snprintf(text, sizeof text, "%ldm%02lds", left / 60, left % 60);
    else std::snprintf(text, sizeof text, "%lds", left);
    return text;
}
ProgressBar::~ProgressBar() { done(); }

bool ProgressBar::update(double fraction, const std::string& message) {
    int percent = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 100);
    if (!tty_ || percent == lastPercent_) return true;
    lastPercent_ = percent;
    const int width = 30;
    int filled = percent * width / 100;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::string left = eta(elapsed, fraction);
    std::fprintf(stderr, "\r%s [%s%s] %3d%% %s%-40.40s", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), percent, left.empty() ? "" : ("ETA " + left + " ").c_str(),
                 message.c_str());
    std::fflush(stderr);
    return true;
}

void ProgressBar::done() {
    if (finished_) return;
    finished_ = true;
    if (tty_ && lastPercent_ >= 0) std::fprintf(stderr, "\n");
}

// --- dispatch -------------------------------------------------------------------------------------

static std::string topLevelHelp(const CommandRegistry& registry) {
    std::string out =
        "inst3d " INST3D_VERSION " - talk with 3D scenes (Inst3D-LMM)\n\n"
        "usage: inst3d [--help] [--version] VERB [ARGS...]\n"
        "       inst3d VERB --help      details of one verb\n\n"
        "verbs:\n";
    for (const auto& c : registry.commands()) {
        std::string name = "  " + c.name;
        name.resize(std::max<size_t>(name.size() + 2, 12), ' ');
        out += name + c.summary + "\n";
    }
    out += "\nWith no verb, inst3d opens the bundled demo scene (the viewer when a display is available,\n"
           "otherwise a headless summary).\n";
    return out;
}

// The exit code of `body`, with errors printed as "<program>: ..." (usage 2, cancelled 130, other 1).
static int exitCodeOf(const std::string& program, const std::function<int()>& body) {
    try {
        return body();
    } catch (const UsageError& e) {
        std::cerr << program << ": " << e.what() << "\n";
        return 2;
    } catch (const Cancelled&) {
        std::cerr << program << ": cancelled\n";
        return 130;
    } catch (const std::exception& e) {  // inst3d::Error included
        std::cerr << program << ": error: " << e.what() << "\n";
        return 1;
    }
}

int runCommandLine(const CommandRegistry& registry, const std::vector<std::string>& args, const std::string&) {
    return exitCodeOf("inst3d", [&] {
        if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
            std::cout << topLevelHelp(registry);
            return 0;
        }
        if (!args.empty() && args[0] == "--version") {
            std::cout << "inst3d " INST3D_VERSION " (git " INST3D_GIT_COMMIT ")\n";
            for (const auto& line : registry.versionLines()) std::cout << line() << "\n";
            std::cout << "resources: " << resourceDir() << "\n";  // which share/inst3d an installed copy uses
            return 0;
        }
        std::string verb = args.empty() ? "" : args[0];
        std::vector<std::string> rest(args.begin() + (args.empty() ? 0 : 1), args.end());
        if (verb.empty()) verb = registry.find("view") ? "view" : "info";
        const Command* c = registry.find(verb);
        if (!c) {
            std::cerr << "inst3d: unknown verb '" << verb << "'\n\n" << topLevelHelp(registry);
            return 2;
        }
        return c->run(rest);
    });
}

int runProgram(const std::string& program, int argc, char** argv,
               const std::function<int(const std::vector<std::string>& args)>& run) {
    const std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
    return exitCodeOf(program, [&] { return run(args); });
}

}  // namespace inst3d
