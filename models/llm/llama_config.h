// Hugging Face LlamaConfig (config.json of a LLaMA / Vicuna directory): the fields the runtime uses.
// Both RoPE forms are read: top-level `rope_theta` (+ `rope_scaling: null`, transformers 4.x) and
// `rope_parameters: {"rope_type": "default", "rope_theta": ...}` (transformers 5.x).
#pragma once
#include <string>

namespace inst3d {

struct LlamaConfig {
    int vocabSize = 32000;
    int hiddenSize = 4096;
    int intermediateSize = 11008;
    int numLayers = 32;
    int numHeads = 32;
    int numKvHeads = 32;       // `num_key_value_heads` (absent: = num_attention_heads); < heads is GQA
    int headDim = 128;         // `head_dim` or hidden_size / num_attention_heads
    int maxPositions = 4096;
    double rmsNormEps = 1e-6;  // LlamaConfig's default; Vicuna's file says 1e-5
    double ropeTheta = 10000.0;
    bool tieWordEmbeddings = false;
    int bosId = 1;
    int eosId = 2;
    std::string torchDtype;    // as stored ("float16", ...), informative

    // Throws Error naming `path` for malformed JSON, missing required fields, or unsupported features
    // (hidden_act other than silu, RoPE scaling other than default, attention/MLP biases).
    static LlamaConfig fromJson(const std::string& json, const std::string& path);
    static LlamaConfig load(const std::string& configJsonPath);
    // Shapes by name, for random models: "7b" (the defaults: LLaMA-2-7B / Vicuna-7B) and "tiny" (58 M
    // parameters, a quick CPU figure). Error for another name.
    static LlamaConfig named(const std::string& name);
    std::string toJson() const;  // transformers 4.x form (rope_theta at top level)
};

}  // namespace inst3d
