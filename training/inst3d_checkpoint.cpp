#include "training/inst3d_checkpoint.h"

#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/json_file.h"
#include "models/weights/torch_weights.h"

namespace inst3d {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "inst3d-checkpoint/1";


}  // namespace

void saveLlamaFolder(const LlamaModel& llm, const std::string& dir) {
    makeDirectories(dir);
    writeFileAtomic(joinPath(dir, "config.json"), llm.config().toJson());
    std::vector<std::pair<std::string, at::Tensor>> w;
    for (auto& [name, t] : llm.namedWeights()) w.emplace_back(name, t.detach().cpu().contiguous());
    saveTensors(joinPath(dir, "model.safetensors"), w, {{"format", "pt"}});
}

void saveInst3dCheckpoint(const std::string& dir, const Inst3dStack& st, const CheckpointInfo& info,
                          const Inst3dTrainer* trainer, const std::string& baseLlmDir) {
    // Staged beside `dir` and exchanged with it in one step: a kill during a save leaves the previous
    // checkpoint whole (tests/core/test_crash_safety.cpp kills writers of this kind at random instants).
    const std::string tmp = dir + ".tmp-" + std::to_string(::getpid());
    if (!parentPath(dir).empty()) removeStaleTemporaries(parentPath(dir));
    fs::remove_all(tmp);
    makeDirectories(tmp);
    st.model->save(joinPath(tmp, "inst3d.safetensors"));
    saveLoraAdapter(*st.llm, joinPath(tmp, "adapter"));
    fs::copy_file(st.tokenizer->path(), joinPath(tmp, "tokenizer.model"));
    if (!baseLlmDir.empty()) fs::copy(baseLlmDir, joinPath(tmp, "llm"), fs::copy_options::recursive);
    if (trainer) trainer->saveState(tmp);
    nlohmann::ordered_json j = {{"format", kFormat},
                                {"model_config", st.config.toYaml()},
                                {"llm", info.llmBase},
                                {"identifier_tokens", st.config.identifierTokens},
                                {"token_layout", tokenLayoutName(st.config.tokenLayout)},
                                {"prompt", st.prompt.segments},
                                {"encoders", info.encoders},
                                {"tags", info.tags},
                                {"steps", info.steps}};
    writeFileAtomic(joinPath(tmp, "checkpoint.json"), j.dump(1) + "\n");
    replaceDirectoryAtomic(tmp, dir);
}

namespace {

nlohmann::json readCheckpointJson(const std::string& dir) {
    recoverReplacedDirectory(dir);  // a save killed between its two renames (file systems without exchange)
    const std::string path = joinPath(dir, "checkpoint.json");
    if (!fileExists(path)) fail(path, "not found: " + dir + " is not an inst3d checkpoint folder");
    nlohmann::json j = parseJsonFile(path);
    if (j.value("format", "") != kFormat) fail(path, "not an inst3d checkpoint (format '" + j.value("format", "") + "')");
    return j;
}

void fillInfo(const nlohmann::json& j, CheckpointInfo& info) {
    info.llmBase = j.at("llm").get<std::string>();
    info.encoders = j.at("encoders").get<std::map<std::string, std::string>>();
    info.tags = j.value("tags", "");
    info.steps = j.value("steps", int64_t(0));
}

}  // namespace

CheckpointInfo readCheckpointInfo(const std::string& dir) {
    CheckpointInfo info;
    fillInfo(readCheckpointJson(dir), info);
    return info;
}

Inst3dStack loadInst3dCheckpoint(const std::string& dir, CheckpointInfo* info, const std::string& device) {
    const std::string path = joinPath(dir, "checkpoint.json");
    const nlohmann::json j = readCheckpointJson(dir);
    Inst3dStack st;
    st.config = Inst3dConfig::fromYaml(j.at("model_config").get<std::string>(), path + ": model_config");
    st.prompt.segments = j.at("prompt").get<std::vector<std::string>>();
    st.tokenizer = std::make_unique<LlamaTokenizer>(joinPath(dir, "tokenizer.model"));
    st.tokenizer->addObjectTokens(st.config.identifierTokens);
    const std::string base = j.at("llm").get<std::string>();
    st.llm = LlamaModel::load(base == "llm" ? joinPath(dir, "llm") : base, LlmDType::F32, device);
    if (st.llm->config().vocabSize < st.tokenizer->vocabSize()) st.llm->resizeTokenEmbeddings(st.tokenizer->vocabSize());
    if (st.llm->config().vocabSize != st.tokenizer->vocabSize())
        fail(path, "the LLM has " + std::to_string(st.llm->config().vocabSize) + " token rows, the tokenizer " +
                       std::to_string(st.tokenizer->vocabSize()));
    loadLoraAdapter(*st.llm, joinPath(dir, "adapter"));
    st.model = Inst3dModel::load(joinPath(dir, "inst3d.safetensors"), st.config, device);
    if (info) {
        fillInfo(j, *info);
        info->lora = *st.llm->loraConfig();
    }
    return st;
}

void checkCheckpointEncoders(const CheckpointInfo& info, const Inst3dData& data, const std::string& where) {
    if (!data.scenes.empty()) checkSceneEncoders(info, data.scenes.begin()->second, where);
}

std::string encoderMismatch(const CheckpointInfo& info, const std::map<std::string, std::string>& provenance) {
    for (const auto& [key, value] : info.encoders) {
        auto it = provenance.find(key);
        const std::string got = it == provenance.end() ? "(none)" : it->second;
        if (got != value) return "the feature caches' " + key + " is '" + got + "', the checkpoint was trained on '" + value + "'";
    }
    return "";
}

void checkSceneEncoders(const CheckpointInfo& info, const SceneObjects& s, const std::string& where) {
    const std::string mismatch = encoderMismatch(info, s.provenance);
    if (!mismatch.empty()) fail(where, mismatch + " (extract the features with the checkpoint's encoders)");
}

}  // namespace inst3d
