#include "training/cli/train_config.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {

namespace {

void leafKeys(const YAML::Node& n, const std::string& prefix, std::set<std::string>& out) {
    if (!n.IsMap()) {
        out.insert(prefix);
        return;
    }
    for (const auto& kv : n) leafKeys(kv.second, prefix.empty() ? kv.first.as<std::string>() : prefix + "." + kv.first.as<std::string>(), out);
}

std::set<std::string> keysOf(const std::string& yaml) {
    std::set<std::string> keys;
    leafKeys(YAML::Load(yaml), "", keys);
    return keys;
}

void requireKnown(const std::set<std::string>& known, const std::string& yamlText, const std::string& origin) {
    for (const std::string& k : keysOf(yamlText))
        if (!known.count(k)) fail(origin, "unknown key '" + k + "' (resources/config/train/default.yaml lists every key)");
}

}  // namespace

Config trainingConfig(const std::string& file, const std::vector<std::string>& overrides) {
    const std::string defaultsPath = joinPath(resourceDir(), "config/train/default.yaml");
    const std::string defaults = readTextFile(defaultsPath);
    const std::set<std::string> known = keysOf(defaults);
    Config c;
    c.mergeYaml(defaults, defaultsPath);
    if (!file.empty()) {
        const std::string text = readTextFile(file);
        requireKnown(known, text, file);
        c.mergeYaml(text, file);
    }
    for (const std::string& o : overrides) {
        const size_t eq = o.find('=');
        if (eq == std::string::npos) fail("", "override '" + o + "' is not key=value");
        if (!known.count(o.substr(0, eq))) fail("command line", "unknown key '" + o.substr(0, eq) + "' in override '" + o + "'");
        c.applyOverride(o);
    }
    return c;
}

}  // namespace inst3d
