#include "models/llm/lora.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/torch_pickle.h"
#include "models/llm/llama_model.h"
#include "models/weights/checkpoint_files.h"
#include "models/weights/torch_weights.h"

namespace inst3d {

bool LoraConfig::targets(const std::string& module) const {
    return std::find(targetModules.begin(), targetModules.end(), module) != targetModules.end();
}

std::string LoraConfig::toJson() const {
    nlohmann::json j = {{"peft_type", "LORA"},
                        {"task_type", "CAUSAL_LM"},
                        {"base_model_name_or_path", baseModel},
                        {"r", r},
                        {"lora_alpha", alpha},
                        {"lora_dropout", dropout},
                        {"target_modules", targetModules},
                        {"bias", "none"},
                        {"fan_in_fan_out", false},
                        {"inference_mode", true},
                        {"modules_to_save", nullptr}};
    return j.dump(2) + "\n";
}

LoraConfig LoraConfig::fromJson(const std::string& text, const std::string& path) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) fail(path, "not a JSON object");
    if (j.value("peft_type", std::string()) != "LORA") fail(path, "peft_type is not \"LORA\"");
    if (!j.contains("r") || !j.contains("lora_alpha")) fail(path, "missing r or lora_alpha");
    if (j.value("bias", std::string("none")) != "none") fail(path, "LoRA bias other than \"none\" is not supported");
    for (const char* flag : {"fan_in_fan_out", "use_rslora", "use_dora"})
        if (j.contains(flag) && j[flag].is_boolean() && j[flag].get<bool>())
            fail(path, std::string(flag) + " is not supported");
    LoraConfig c;
    c.r = j["r"].get<int>();
    c.alpha = j["lora_alpha"].get<double>();
    c.dropout = j.value("lora_dropout", 0.0);
    c.baseModel = j.value("base_model_name_or_path", std::string());
    if (j.contains("target_modules")) {
        const nlohmann::json& t = j["target_modules"];
        if (t.is_string()) fail(path, "target_modules as a regular expression is not supported");
        c.targetModules = t.get<std::vector<std::string>>();
    }
    return c;
}

void saveLoraAdapter(const LlamaModel& model, const std::string& dir) {
    const LoraConfig* cfg = model.loraConfig();
    if (!cfg) fail(dir, "saveLoraAdapter: the model has no LoRA");
    makeDirectories(dir);
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (auto& [name, t] : model.adapterTensors()) tensors.emplace_back(name, t.detach().contiguous());
    saveTensors(joinPath(dir, "adapter_model.safetensors"), tensors, {{"format", "pt"}});
    writeFileAtomic(joinPath(dir, "adapter_config.json"), cfg->toJson());
}

namespace {

// name -> tensor from adapter_model.safetensors, else adapter_model.bin.
std::map<std::string, torch::Tensor> readAdapter(const std::string& dir, std::string& source) {
    std::map<std::string, torch::Tensor> out;
    const std::string st = joinPath(dir, "adapter_model.safetensors"), bin = joinPath(dir, "adapter_model.bin");
    if (fileExists(st)) {
        source = st;
        auto f = std::make_shared<SafetensorsFile>(st);
        for (const TensorInfo& t : f->tensors()) out[t.name] = loadTensor(f, t.name);
    } else if (fileExists(bin)) {
        source = bin;
        TorchCheckpoint c(bin);
        for (auto& [name, ref] : flattenTensors(c.root())) out[name] = tensorFromRef(ref);
    } else {
        fail(dir, "no adapter_model.safetensors or adapter_model.bin");
    }
    return out;
}

// PEFT keeps the adapter name in memory ("lora_A.default.weight") and strips it when saving; accept both.
std::string canonicalKey(std::string k) {
    for (const char* ab : {".lora_A.", ".lora_B."}) {
        size_t p = k.find(ab);
        if (p != std::string::npos && k.compare(p + 8, 8, "default.") == 0) k.erase(p + 8, 8);
    }
    return k;
}

}  // namespace

void loadLoraAdapter(LlamaModel& model, const std::string& dir) {
    const std::string cfgPath = joinPath(dir, "adapter_config.json");
    LoraConfig cfg = LoraConfig::fromJson(readTextFile(cfgPath), cfgPath);
    std::string source;
    std::map<std::string, torch::Tensor> stored;
    for (auto& [k, t] : readAdapter(dir, source)) stored[canonicalKey(k)] = t;
    const bool hasEmb = stored.count("base_model.model.model.embed_tokens.weight") > 0;
    if (hasEmb) model.setTrainEmbeddings(true);
    model.enableLora(cfg);
    torch::NoGradGuard noGrad;
    size_t used = 0;
    for (auto& [name, dst] : model.adapterTensors()) {
        auto it = stored.find(name);
        if (it == stored.end()) fail(source, "tensor '" + name + "' missing");
        if (it->second.sizes() != dst.sizes())
            fail(source, "tensor '" + name + "' has shape " + shapeString(it->second.sizes().vec()) + ", expected " +
                             shapeString(dst.sizes().vec()));
        dst.copy_(it->second);
        ++used;
    }
    if (used != stored.size())
        fail(source, std::to_string(stored.size() - used) + " tensor(s) match no LoRA target of the model");
}

}  // namespace inst3d
