// The `inst3d` command line: verbs registered by the libraries (core, models, training, ui) and
// dispatched by app/main.cpp. Each verb parses its own flags with ArgParser so --help is uniform.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/common/error.h"  // UsageError

namespace inst3d {

struct Command {
    std::string name;
    std::string summary;                               // one line for `inst3d --help`
    std::function<int(const std::vector<std::string>& args)> run;  // args after the verb; returns exit code
};

class CommandRegistry {
public:
    void add(Command command);
    // A higher layer's subject of an existing verb (`bench train` from the training layer, whose code
    // the models layer cannot see): `verb SUBJECT args...` runs `run(args)`, anything else the verb as
    // before. The verb's summary gains `summary`. UsageError when the verb is not registered.
    void addSubject(const std::string& verb, const std::string& subject, const std::string& summary,
                    std::function<int(const std::vector<std::string>& args)> run);
    const Command* find(const std::string& name) const;
    const std::vector<Command>& commands() const { return commands_; }
    // A line of `inst3d --version` from a higher layer (LibTorch and devices, Qt and VTK), computed when asked.
    void addVersionLine(std::function<std::string()> line) { versionLines_.push_back(std::move(line)); }
    const std::vector<std::function<std::string()>>& versionLines() const { return versionLines_; }

private:
    std::vector<Command> commands_;
    std::vector<std::function<std::string()>> versionLines_;
};

// Small flag parser: --flag VALUE, --flag=VALUE, --switch, positionals, and key=value overrides.
class ArgParser {
public:
    ArgParser(std::string program, std::string description);
    ArgParser& option(const std::string& name, const std::string& valueName, const std::string& help,
                      const std::string& defaultValue = "");
    ArgParser& flag(const std::string& name, const std::string& help);
    ArgParser& positional(const std::string& name, const std::string& help, bool required = true);
    ArgParser& allowOverrides();  // trailing key=value pairs (config overrides)

    // Returns false when --help was asked (help printed) ; throws UsageError on bad input.
    bool parse(const std::vector<std::string>& args);
    std::string help() const;

    std::string get(const std::string& name) const;
    bool has(const std::string& name) const;  // given on the command line (or a flag set)
    int getInt(const std::string& name) const;
    double getDouble(const std::string& name) const;
    const std::vector<std::string>& overrides() const { return overrides_; }

private:
    struct Spec {
        std::string name, valueName, help, defaultValue;
        bool isFlag = false, isPositional = false, required = false;
    };
    std::string program_, description_;
    std::vector<Spec> specs_;
    std::map<std::string, std::string> values_;
    std::vector<std::string> overrides_;
    bool allowOverrides_ = false;
};

// Dispatches `inst3d [--help|--version] VERB ARGS...`. With no verb, runs the default verb
// (`view` when the GUI is built, else `info` on the demo scene). Catches Error/UsageError and prints them.
int runCommandLine(const CommandRegistry& registry, const std::vector<std::string>& args, const std::string& argv0);

// A program that is not a verb (bench/) with a verb's conventions: `run` gets argv[1..] and parses
// them with its own ArgParser; a UsageError is printed and exits 2, any other error 1.
int runProgram(const std::string& program, int argc, char** argv,
               const std::function<int(const std::vector<std::string>& args)>& run);

// Verbs of the core library: synth, info, score, convert-weights.
void registerCoreCommands(CommandRegistry& registry);

// A one-line progress bar on stderr for long CLI work (silent when stderr is not a terminal,
// except for a final line).
class Config;
// resources/config/default.yaml, then the file of a `config` option when given, then the trailing
// key=value overrides (for verbs declared with allowOverrides()).
Config configFromArgs(const ArgParser& args);

class ProgressBar {
public:
    explicit ProgressBar(std::string label);
    ~ProgressBar();
    bool update(double fraction, const std::string& message);  // always returns true (never cancels)
    void done();

    // "3m05s" / "42s": the time left at a constant rate, from the elapsed time and the fraction done.
    static std::string eta(double elapsedSeconds, double fraction);

private:
    std::string label_;
    bool tty_ = false;
    int lastPercent_ = -1;
    bool finished_ = false;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace inst3d
