#include "training/cli/train_config.h"

#include <set>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {

Config trainingConfig(const std::string& file, const std::vector<std::string>& overrides) {
    const std::string defaultsPath = joinPath(resourceDir(), "config/train/default.yaml");
    const std::string defaults = readTextFile(defaultsPath);
    const std::set<std::string> known = yamlLeafKeys(defaults, defaultsPath);
    const std::string listedIn = "resources/config/train/default.yaml";
    Config c;
    c.mergeYaml(defaults, defaultsPath);
    if (!file.empty()) {
        const std::string text = readTextFile(file);
        requireKnownKeys(known, text, file, listedIn);
        c.mergeYaml(text, file);
    }
    for (const std::string& o : overrides) {
        requireKnownOverride(known, o, listedIn);
        c.applyOverride(o);
    }
    return c;
}

}  // namespace inst3d
