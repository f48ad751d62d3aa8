// Configuration: YAML defaults shipped in resources/config/default.yaml, then an optional --config FILE,
// then `key=value` overrides on the command line (dotted keys, as the Python code bases take them:
// `synth.frames=40 view.point_size=3`). Later layers win. Values are read typed, with clear errors.
#pragma once
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace inst3d {

class Config {
public:
    Config();
    ~Config();
    Config(const Config&);
    Config& operator=(const Config&);

    static Config defaults();                     // resources/config/default.yaml (or INST3D_RESOURCES)
    void mergeFile(const std::string& path);      // YAML mapping merged key by key
    void mergeYaml(const std::string& text, const std::string& origin);
    void applyOverride(const std::string& keyEqualsValue);  // "a.b.c=value" (value parsed as YAML)
    void applyOverrides(const std::vector<std::string>& overrides);

    bool has(const std::string& dottedKey) const;
    std::string getString(const std::string& dottedKey) const;  // throws Error when missing
    int getInt(const std::string& dottedKey) const;
    double getDouble(const std::string& dottedKey) const;
    bool getBool(const std::string& dottedKey) const;
    std::string dump() const;                     // the effective configuration as YAML

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Every leaf key of a YAML mapping, dotted ("synth.frames"); Error naming `origin` on malformed YAML.
std::set<std::string> yamlLeafKeys(const std::string& yamlText, const std::string& origin);
// Refuses keys that `known` (the defaults' leaf keys) lacks, in a YAML layer or a key=value override: a
// misspelt key would otherwise be ignored and the run go on with the default. `listedIn` names the
// defaults file for the message.
void requireKnownKeys(const std::set<std::string>& known, const std::string& yamlText, const std::string& origin,
                      const std::string& listedIn);
void requireKnownOverride(const std::set<std::string>& known, const std::string& keyEqualsValue,
                          const std::string& listedIn);

// Folder of the bundled resources: $INST3D_RESOURCES, else the installed share/inst3d, else the source tree.
std::string resourceDir();
std::string demoScenePath();

}  // namespace inst3d
