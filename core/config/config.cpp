#include "core/config/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {

struct Config::Impl {
    YAML::Node root = YAML::Node(YAML::NodeType::Map);
    std::vector<std::string> origins;  // for error messages
};

Config::Config() : impl_(std::make_unique<Impl>()) {}
Config::~Config() = default;
Config::Config(const Config& o) : impl_(std::make_unique<Impl>()) {
    impl_->root = YAML::Clone(o.impl_->root);
    impl_->origins = o.impl_->origins;
}
Config& Config::operator=(const Config& o) {
    if (this != &o) {
        impl_->root = YAML::Clone(o.impl_->root);
        impl_->origins = o.impl_->origins;
    }
    return *this;
}

// An installed inst3d (cpack, `cmake --install`) finds <prefix>/share/inst3d beside <prefix>/bin;
// a build tree uses the source tree's resources/ it was configured from.
static std::string installedResourceDir() {
    std::error_code ec;
    std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return "";
    std::filesystem::path share = exe.parent_path().parent_path() / "share" / "inst3d";
    return std::filesystem::is_directory(share / "config", ec) ? share.string() : "";
}

std::string resourceDir() {
    if (const char* env = std::getenv("INST3D_RESOURCES")) return env;
    static const std::string installed = installedResourceDir();
    return installed.empty() ? INST3D_RESOURCE_DIR : installed;
}

std::string demoScenePath() { return joinPath(resourceDir(), "demo/scene0000_00"); }

static std::vector<std::string> splitKey(const std::string& key) {
    std::vector<std::string> parts;
    std::stringstream ss(key);
    std::string p;
    while (std::getline(ss, p, '.')) {
        if (p.empty()) throw Error("", "config key '" + key + "' has an empty component");
        parts.push_back(p);
    }
    if (parts.empty()) throw Error("", "empty config key");
    return parts;
}

static void mergeNode(YAML::Node target, const YAML::Node& source) {
    for (const auto& kv : source) {
        const std::string key = kv.first.as<std::string>();
        if (kv.second.IsMap() && target[key] && target[key].IsMap())
            mergeNode(target[key], kv.second);
        else
            target[key] = YAML::Clone(kv.second);
    }
}

Config Config::defaults() {
    Config c;
    const std::string path = joinPath(resourceDir(), "config/default.yaml");
    if (fileExists(path)) c.mergeFile(path);
    return c;
}

void Config::mergeYaml(const std::string& text, const std::string& origin) {
    YAML::Node node;
    try {
        node = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        fail(origin, std::string("malformed YAML: ") + e.what());
    }
    if (node.IsNull()) return;
    if (!node.IsMap()) fail(origin, "top level must be a mapping of keys to values");
    mergeNode(impl_->root, node);
    impl_->origins.push_back(origin);
}

void Config::mergeFile(const std::string& path) { mergeYaml(readTextFile(path), path); }

// Recursion instead of reassigning YAML::Node variables: in yaml-cpp, `a = b` on an existing node
// rebinds the node inside the tree, which would corrupt the configuration.
static void setPath(YAML::Node node, const std::vector<std::string>& parts, size_t i, const YAML::Node& value) {
    if (i + 1 == parts.size()) {
        node[parts[i]] = value;
        return;
    }
    if (!node[parts[i]] || !node[parts[i]].IsMap()) node[parts[i]] = YAML::Node(YAML::NodeType::Map);
    setPath(node[parts[i]], parts, i + 1, value);
}

void Config::applyOverride(const std::string& kv) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("", "override '" + kv + "' is not key=value");
    std::vector<std::string> parts = splitKey(kv.substr(0, eq));
    YAML::Node value;
    try {
        value = YAML::Load(kv.substr(eq + 1));
    } catch (const YAML::Exception&) {
        value = YAML::Node(kv.substr(eq + 1));
    }
    setPath(impl_->root, parts, 0, value);
    if (impl_->origins.empty() || impl_->origins.back() != "command line") impl_->origins.push_back("command line");
}

void Config::applyOverrides(const std::vector<std::string>& overrides) {
    for (const auto& o : overrides) applyOverride(o);
}

static YAML::Node lookupParts(const YAML::Node& node, const std::vector<std::string>& parts, size_t i) {
    if (i == parts.size()) return node;
    if (!node.IsMap()) return YAML::Node();
    const YAML::Node child = node[parts[i]];
    if (!child) return YAML::Node();
    return lookupParts(child, parts, i + 1);
}

static YAML::Node lookup(const YAML::Node& root, const std::string& key) {
    return lookupParts(root, splitKey(key), 0);
}

bool Config::has(const std::string& key) const { return static_cast<bool>(lookup(impl_->root, key)); }

// Errors name the layers the value may come from (defaults, --config file, command line), newest last.
static std::string originsOf(const std::vector<std::string>& origins) {
    std::string out;
    for (const std::string& o : origins) out += (out.empty() ? "" : " + ") + o;
    return out.empty() ? "config" : "config (" + out + ")";
}

template <typename T>
static T typed(const YAML::Node& root, const std::vector<std::string>& origins, const std::string& key,
               const char* typeName) {
    YAML::Node n = lookup(root, key);
    if (!n) throw Error(originsOf(origins), "missing key '" + key + "'");
    try {
        return n.as<T>();
    } catch (const YAML::Exception&) {
        throw Error(originsOf(origins), "key '" + key + "' must be " + typeName);
    }
}

std::string Config::getString(const std::string& k) const { return typed<std::string>(impl_->root, impl_->origins, k, "a string"); }
int Config::getInt(const std::string& k) const { return typed<int>(impl_->root, impl_->origins, k, "an integer"); }
double Config::getDouble(const std::string& k) const { return typed<double>(impl_->root, impl_->origins, k, "a number"); }
bool Config::getBool(const std::string& k) const { return typed<bool>(impl_->root, impl_->origins, k, "true or false"); }

static void collectLeafKeys(const YAML::Node& n, const std::string& prefix, std::set<std::string>& out) {
    if (!n.IsMap()) {
        out.insert(prefix);
        return;
    }
    for (const auto& kv : n) {
        const std::string key = kv.first.as<std::string>();
        collectLeafKeys(kv.second, prefix.empty() ? key : prefix + "." + key, out);
    }
}

std::set<std::string> yamlLeafKeys(const std::string& yamlText, const std::string& origin) {
    YAML::Node node;
    try {
        node = YAML::Load(yamlText);
    } catch (const YAML::Exception& e) {
        fail(origin, std::string("malformed YAML: ") + e.what());
    }
    if (!node.IsNull() && !node.IsMap()) fail(origin, "top level must be a mapping of keys to values");
    std::set<std::string> keys;
    if (!node.IsNull()) collectLeafKeys(node, "", keys);
    return keys;
}

void requireKnownKeys(const std::set<std::string>& known, const std::string& yamlText, const std::string& origin,
                      const std::string& listedIn) {
    for (const std::string& k : yamlLeafKeys(yamlText, origin))
        if (!known.count(k)) fail(origin, "unknown key '" + k + "' (" + listedIn + " lists every key)");
}

void requireKnownOverride(const std::set<std::string>& known, const std::string& kv, const std::string& listedIn) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("", "override '" + kv + "' is not key=value");
    const std::string key = kv.substr(0, eq);
    if (!known.count(key))
        fail("command line", "unknown key '" + key + "' in override '" + kv + "' (" + listedIn + " lists every key)");
}

std::string Config::dump() const {
    YAML::Emitter out;
    out << impl_->root;
    return out.c_str();
}

}  // namespace inst3d
