#include "models/inst3d/inst3d_config.h"

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <sstream>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/config/config.h"

namespace inst3d {

const char* spatialFusionName(SpatialFusion f) {
    return f == SpatialFusion::Mul ? "mul" : f == SpatialFusion::Bias ? "bias" : "add";
}

const char* tokenLayoutName(TokenLayout t) { return t == TokenLayout::Interleaved ? "interleaved" : "slots"; }
const char* viewFusionName(ViewFusion v) { return v == ViewFusion::Mean ? "mean" : "views"; }

namespace {

void requireDivisible(const std::string& path, const char* what, int width, int heads) {
    if (heads < 1 || width % heads != 0)
        fail(path, std::string(what) + ": width " + std::to_string(width) + " is not divisible by " +
                       std::to_string(heads) + " heads");
}

double unitInterval(const std::string& path, const std::string& key, const YAML::Node& v) {
    const double x = v.as<double>();
    if (!(x >= 0 && x < 1)) fail(path, "'" + key + "' must be in [0, 1)");
    return x;
}

}  // namespace

Inst3dConfig Inst3dConfig::fromYaml(const std::string& text, const std::string& path) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        fail(path, std::string("not valid YAML: ") + e.what());
    }
    if (!root.IsMap()) fail(path, "the model configuration must be a YAML mapping");
    Inst3dConfig c;
    bool identifiersGiven = false;
    auto positive = [&](int* field) {
        return [&path, field](const std::string& key, const YAML::Node& v) {
            *field = v.as<int>();
            if (*field < 1) fail(path, "'" + key + "' must be >= 1");
        };
    };
    const std::map<std::string, std::function<void(const std::string&, const YAML::Node&)>> keys = {
        {"name", [&](const std::string&, const YAML::Node& v) { c.name = v.as<std::string>(); }},
        {"dim_3d", positive(&c.dim3d)}, {"dim_2d", positive(&c.dim2d)}, {"dim_scene", positive(&c.dimScene)},
        {"dim_llm", positive(&c.dimLlm)}, {"mcmf_heads", positive(&c.mcmfHeads)},
        {"spatial_layers", positive(&c.spatialLayers)}, {"spatial_heads", positive(&c.spatialHeads)},
        {"spatial_ffn", positive(&c.spatialFfn)}, {"relation_layers", positive(&c.relationLayers)},
        {"relation_heads", positive(&c.relationHeads)}, {"relation_ffn", positive(&c.relationFfn)},
        {"max_objects", positive(&c.maxObjects)},
        {"identifier_tokens", [&](const std::string& k, const YAML::Node& v) { positive(&c.identifierTokens)(k, v); identifiersGiven = true; }},
        {"spatial_fusion", [&](const std::string& k, const YAML::Node& v) {
             const std::string s = v.as<std::string>();
             if (s == "mul") c.spatialFusion = SpatialFusion::Mul;
             else if (s == "bias") c.spatialFusion = SpatialFusion::Bias;
             else if (s == "add") c.spatialFusion = SpatialFusion::Add;
             else fail(path, "'" + k + "' is '" + s + "' (mul, bias or add)");
         }},
        {"spatial_dropout", [&](const std::string& k, const YAML::Node& v) { c.spatialDropout = unitInterval(path, k, v); }},
        {"relation_dropout", [&](const std::string& k, const YAML::Node& v) { c.relationDropout = unitInterval(path, k, v); }},
        {"mcmf_residual", [&](const std::string&, const YAML::Node& v) { c.mcmfResidual = v.as<bool>(); }},
        {"fuse_with_id", [&](const std::string&, const YAML::Node& v) { c.fuseWithId = v.as<bool>(); }},
        {"token_norm", [&](const std::string& k, const YAML::Node& v) {
             const std::string s = v.as<std::string>();
             if (s == "none") c.tokenRmsNorm = false;
             else if (s == "rms") c.tokenRmsNorm = true;
             else fail(path, "'" + k + "' is '" + s + "' (none or rms)");
         }},
        {"token_layout", [&](const std::string& k, const YAML::Node& v) {
             const std::string s = v.as<std::string>();
             if (s == "interleaved") c.tokenLayout = TokenLayout::Interleaved;
             else if (s == "slots") c.tokenLayout = TokenLayout::Slots;
             else fail(path, "'" + k + "' is '" + s + "' (interleaved or slots)");
         }},
        {"view_fusion", [&](const std::string& k, const YAML::Node& v) {
             const std::string s = v.as<std::string>();
             if (s == "mean") c.viewFusion = ViewFusion::Mean;
             else if (s == "views") c.viewFusion = ViewFusion::Views;
             else fail(path, "'" + k + "' is '" + s + "' (mean or views)");
         }},
    };
    for (const auto& kv : root) {
        const std::string key = kv.first.as<std::string>();
        auto it = keys.find(key);
        if (it == keys.end()) fail(path, "unknown key '" + key + "' (docs/model.md lists the keys)");
        try {
            it->second(key, kv.second);
        } catch (const YAML::Exception& e) {
            fail(path, "'" + key + "': " + e.what());
        }
    }
    if (!identifiersGiven) c.identifierTokens = c.maxObjects;
    if (c.identifierTokens < c.maxObjects)
        fail(path, "identifier_tokens (" + std::to_string(c.identifierTokens) + ") must be >= max_objects (" +
                       std::to_string(c.maxObjects) + ")");
    requireDivisible(path, "mcmf_heads", c.dim3d, c.mcmfHeads);
    requireDivisible(path, "spatial_heads", c.dimScene, c.spatialHeads);
    requireDivisible(path, "relation_heads", c.dimScene, c.relationHeads);
    if (c.dimScene % 2 != 0) fail(path, "dim_scene must be even (the Fourier embedding is [sin, cos])");
    return c;
}

Inst3dConfig Inst3dConfig::load(const std::string& path) { return fromYaml(readTextFile(path), path); }

Inst3dConfig Inst3dConfig::named(const std::string& nameOrPath) {
    if (nameOrPath.find('/') != std::string::npos || nameOrPath.find(".yaml") != std::string::npos) return load(nameOrPath);
    const std::string path = joinPath(resourceDir(), "config/model/" + nameOrPath + ".yaml");
    if (!fileExists(path)) fail(path, "no model configuration named '" + nameOrPath + "'");
    return load(path);
}

std::string Inst3dConfig::toYaml() const {
    std::ostringstream o;
    o << "name: " << name << "\ndim_3d: " << dim3d << "\ndim_2d: " << dim2d << "\ndim_scene: " << dimScene
      << "\ndim_llm: " << dimLlm << "\nmcmf_heads: " << mcmfHeads << "\nspatial_layers: " << spatialLayers
      << "\nspatial_heads: " << spatialHeads << "\nspatial_ffn: " << spatialFfn
      << "\nspatial_fusion: " << spatialFusionName(spatialFusion) << "\nrelation_layers: " << relationLayers
      << "\nrelation_heads: " << relationHeads << "\nrelation_ffn: " << relationFfn
      << "\nmax_objects: " << maxObjects << "\nidentifier_tokens: " << identifierTokens
      << "\ntoken_layout: " << tokenLayoutName(tokenLayout) << "\nmcmf_residual: " << (mcmfResidual ? "true" : "false")
      << "\nview_fusion: " << viewFusionName(viewFusion) << "\nfuse_with_id: " << (fuseWithId ? "true" : "false")
      << "\ntoken_norm: " << (tokenRmsNorm ? "rms" : "none")
      << "\nspatial_dropout: " << spatialDropout << "\nrelation_dropout: " << relationDropout
      << "\n";
    return o.str();
}

}  // namespace inst3d
