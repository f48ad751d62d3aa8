#include "models/llm/llama_config.h"

#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {

LlamaConfig LlamaConfig::fromJson(const std::string& text, const std::string& path) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const std::exception& e) {
        fail(path, std::string("malformed JSON: ") + e.what());
    }
    if (!j.is_object()) fail(path, "config.json is not an object");
    auto required = [&](const char* key) -> const nlohmann::json& {
        if (!j.contains(key) || !j[key].is_number_integer()) fail(path, std::string("missing integer field '") + key + "'");
        return j[key];
    };
    LlamaConfig c;
    try {
        c.vocabSize = required("vocab_size").get<int>();
        c.hiddenSize = required("hidden_size").get<int>();
        c.intermediateSize = required("intermediate_size").get<int>();
        c.numLayers = required("num_hidden_layers").get<int>();
        c.numHeads = required("num_attention_heads").get<int>();
        c.numKvHeads = j.contains("num_key_value_heads") && !j["num_key_value_heads"].is_null()
                           ? j["num_key_value_heads"].get<int>()
                           : c.numHeads;
        c.headDim = j.contains("head_dim") && !j["head_dim"].is_null() ? j["head_dim"].get<int>()
                                                                        : (c.numHeads > 0 ? c.hiddenSize / c.numHeads : 0);
        c.maxPositions = j.value("max_position_embeddings", c.maxPositions);
        c.rmsNormEps = j.value("rms_norm_eps", c.rmsNormEps);
        c.tieWordEmbeddings = j.value("tie_word_embeddings", false);
        if (j.contains("bos_token_id") && j["bos_token_id"].is_number_integer()) c.bosId = j["bos_token_id"].get<int>();
        if (j.contains("eos_token_id") && j["eos_token_id"].is_number_integer()) c.eosId = j["eos_token_id"].get<int>();
        if (j.contains("torch_dtype") && j["torch_dtype"].is_string()) c.torchDtype = j["torch_dtype"].get<std::string>();
        else if (j.contains("dtype") && j["dtype"].is_string()) c.torchDtype = j["dtype"].get<std::string>();

        std::string act = j.value("hidden_act", std::string("silu"));
        if (act != "silu") fail(path, "hidden_act '" + act + "' is not supported (LLaMA uses silu)");
        if (j.value("attention_bias", false) || j.value("mlp_bias", false))
            fail(path, "attention_bias / mlp_bias are not supported (LLaMA has no biases)");

        // RoPE: transformers 5.x `rope_parameters`, else 4.x `rope_theta` + `rope_scaling`.
        auto checkType = [&](const nlohmann::json& p) {
            std::string type = p.value("rope_type", p.value("type", std::string("default")));
            if (type != "default") fail(path, "RoPE type '" + type + "' is not supported (only 'default')");
        };
        if (j.contains("rope_parameters") && j["rope_parameters"].is_object()) {
            const auto& p = j["rope_parameters"];
            checkType(p);
            c.ropeTheta = p.value("rope_theta", c.ropeTheta);
        } else {
            c.ropeTheta = j.value("rope_theta", c.ropeTheta);
            if (j.contains("rope_scaling") && j["rope_scaling"].is_object()) checkType(j["rope_scaling"]);
        }
    } catch (const nlohmann::json::exception& e) {
        fail(path, std::string("bad field type: ") + e.what());
    }
    if (c.vocabSize <= 0 || c.hiddenSize <= 0 || c.intermediateSize <= 0 || c.numLayers <= 0 || c.numHeads <= 0 ||
        c.numKvHeads <= 0 || c.headDim <= 0 || c.maxPositions <= 0)
        fail(path, "sizes must be positive");
    if (c.numHeads % c.numKvHeads != 0)
        fail(path, "num_attention_heads (" + std::to_string(c.numHeads) + ") is not a multiple of num_key_value_heads (" +
                       std::to_string(c.numKvHeads) + ")");
    if (c.headDim % 2 != 0) fail(path, "head_dim must be even for RoPE");
    return c;
}

LlamaConfig LlamaConfig::load(const std::string& configJsonPath) {
    return fromJson(readTextFile(configJsonPath), configJsonPath);
}

LlamaConfig LlamaConfig::named(const std::string& name) {
    LlamaConfig c;
    if (name == "7b") return c;  // the defaults are the 7B shapes
    if (name != "tiny") fail("", "unknown LLaMA config '" + name + "' (tiny or 7b)");
    c.hiddenSize = 512;
    c.intermediateSize = 1376;
    c.numLayers = 8;
    c.numHeads = c.numKvHeads = 8;
    c.headDim = 64;
    return c;
}

std::string LlamaConfig::toJson() const {
    nlohmann::json j = {{"architectures", {"LlamaForCausalLM"}},
                        {"model_type", "llama"},
                        {"vocab_size", vocabSize},
                        {"hidden_size", hiddenSize},
                        {"intermediate_size", intermediateSize},
                        {"num_hidden_layers", numLayers},
                        {"num_attention_heads", numHeads},
                        {"num_key_value_heads", numKvHeads},
                        {"head_dim", headDim},
                        {"max_position_embeddings", maxPositions},
                        {"rms_norm_eps", rmsNormEps},
                        {"rope_theta", ropeTheta},
                        {"rope_scaling", nullptr},
                        {"hidden_act", "silu"},
                        {"tie_word_embeddings", tieWordEmbeddings},
                        {"bos_token_id", bosId},
                        {"eos_token_id", eosId}};
    if (!torchDtype.empty()) j["torch_dtype"] = torchDtype;
    return j.dump(2);
}

}  // namespace inst3d
