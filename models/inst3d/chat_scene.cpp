#include "models/inst3d/chat_scene.h"

#include <torch/torch.h>

#include <iostream>
#include <map>
#include <set>

#include "core/common/error.h"
#include "core/io/torch_pickle.h"
#include "models/llm/llama_model.h"
#include "models/weights/checkpoint_files.h"  // tensorFromRef
#include "models/weights/torch_weights.h"     // shapeString

namespace inst3d {

namespace {

const std::string kLlamaPrefix = "llama_model.";

bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// Linear(d_in, H), GELU, Linear(H, H) as torch.nn.Sequential indices 0 and 2.
struct Projector {
    torch::Tensor w0, b0, w2, b2;  // [H, d_in], [H], [H, H], [H]

    torch::Tensor operator()(const torch::Tensor& f) const {
        torch::Tensor x = f.to(w0.device(), torch::kFloat32);
        x = x / x.norm(2, -1, true).clamp_min(1e-12);                      // F.normalize(dim=-1), zeros stay 0
        return torch::linear(torch::gelu(torch::linear(x, w0, b0)), w2, b2);  // [N, H], exact (erf) GELU
    }
};

// A dict-like value's entry (EasyDict objects included), or null.
const PickleValue* entryOf(const PickleValue* v, const std::string& key) {
    if (!v || !(v->is(PickleValue::Kind::Dict) || v->is(PickleValue::Kind::Object))) return nullptr;
    return v->find(key);
}

bool numberOf(const PickleValue* v, double& out) {
    if (!v || !(v->is(PickleValue::Kind::Int) || v->is(PickleValue::Kind::Float))) return false;
    out = v->asFloat();
    return true;
}

}  // namespace

struct ChatSceneModel::Impl {
    Projector obj, img;
    ChatSceneLoadInfo info;
};

ChatSceneModel::ChatSceneModel() : impl_(std::make_unique<Impl>()) {}
ChatSceneModel::~ChatSceneModel() = default;

const ChatSceneLoadInfo& ChatSceneModel::info() const { return impl_->info; }
int64_t ChatSceneModel::dim3d() const { return impl_->obj.w0.size(1); }
int64_t ChatSceneModel::dim2d() const { return impl_->img.w0.size(1); }

std::unique_ptr<ChatSceneModel> ChatSceneModel::load(const std::string& path, LlamaModel& llm,
                                                     const ChatSceneLoadOptions& options) {
    if (llm.loraConfig()) fail(path, "the base LLM already has LoRA attached; load the checkpoint into a fresh base");
    TorchCheckpoint ckpt(path);
    const PickleValue* model = entryOf(&ckpt.root(), "model");
    if (!model) fail(path, "no 'model' state dict (expected Chat-Scene's {\"model\": ..., \"config\": ...})");
    std::map<std::string, const TensorRef*> tensors;
    for (const auto& [k, v] : model->entries())
        if (k->is(PickleValue::Kind::String) && v->is(PickleValue::Kind::Tensor)) tensors[k->asString()] = &v->tensor();

    std::unique_ptr<ChatSceneModel> out(new ChatSceneModel());
    ChatSceneLoadInfo& info = out->impl_->info;
    const int64_t H = llm.config().hiddenSize;
    std::set<std::string> used;

    auto get = [&](const std::string& name) -> torch::Tensor {
        auto it = tensors.find(name);
        if (it == tensors.end()) fail(path, "tensor '" + name + "' missing from the 'model' state dict");
        used.insert(name);
        return tensorFromRef(*it->second);
    };
    auto expectShape = [&](const torch::Tensor& t, const std::string& name, const std::vector<int64_t>& shape) {
        if (t.sizes().vec() != shape)
            fail(path, "tensor '" + name + "' has shape " + shapeString(t.sizes().vec()) + ", expected " + shapeString(shape));
    };
    const std::string device = llm.device();
    auto projector = [&](const std::string& prefix) {
        Projector p;
        const torch::Tensor w0 = get(prefix + ".0.weight");
        if (w0.dim() != 2 || w0.size(0) != H)
            fail(path, "tensor '" + prefix + ".0.weight' has shape " + shapeString(w0.sizes().vec()) + ", expected [" +
                           std::to_string(H) + ", <feature dim>] (the LLM's hidden size " + std::to_string(H) + ")");
        auto take = [&](const std::string& n, const std::vector<int64_t>& shape) {
            torch::Tensor t = n == ".0.weight" ? w0 : get(prefix + n);
            expectShape(t, prefix + n, shape);
            return t.to(torch::Device(device), torch::kFloat32).contiguous();
        };
        p.w0 = take(".0.weight", {H, w0.size(1)});
        p.b0 = take(".0.bias", {H});
        p.w2 = take(".2.weight", {H, H});
        p.b2 = take(".2.bias", {H});
        return p;
    };
    out->impl_->obj = projector("object_proj");
    out->impl_->img = projector("object_img_proj");

    // The config (utils.easydict.EasyDict, opaque to the unpickler but dict-like): cross-checks and LoRA r / alpha.
    const PickleValue* config = entryOf(&ckpt.root(), "config");
    const PickleValue* cfgModel = entryOf(config, "model");
    const PickleValue* cfgLora = entryOf(config, "lora");
    auto checkDim = [&](const char* key, int64_t got) {
        double v;
        if (numberOf(entryOf(cfgModel, key), v) && int64_t(v) != got)
            fail(path, std::string("config.model.") + key + " = " + std::to_string(int64_t(v)) + ", but the projector takes " +
                           std::to_string(got));
    };
    checkDim("input_dim", out->dim3d());
    checkDim("img_input_dim", out->dim2d());

    // embed_tokens / lm_head: the base vocabulary plus max_obj_num <OBJ k> rows.
    const std::string embName = kLlamaPrefix + "base_model.model.model.embed_tokens.weight";
    const int64_t baseVocab = llm.config().vocabSize;
    const torch::Tensor emb = get(embName);
    if (emb.dim() != 2 || emb.size(1) != H || emb.size(0) <= baseVocab)
        fail(path, "tensor '" + embName + "' has shape " + shapeString(emb.sizes().vec()) + ", expected [" +
                       std::to_string(baseVocab) + " + max_obj_num, " + std::to_string(H) + "] (the base LLM's vocabulary)");
    info.objTokenBase = baseVocab;
    info.maxObjects = emb.size(0) - baseVocab;
    double cfgMax;
    if (numberOf(entryOf(cfgModel, "max_obj_num"), cfgMax) && int64_t(cfgMax) != info.maxObjects)
        fail(path, "config.model.max_obj_num = " + std::to_string(int64_t(cfgMax)) + ", but embed_tokens adds " +
                       std::to_string(info.maxObjects) + " rows");

    // LoRA: the targeted projections from the keys, r from lora_A, alpha from config.lora when readable.
    std::map<std::string, std::string> llmKeys;  // PEFT adapter name (adapterTensors) -> checkpoint key
    std::set<std::string> targets;
    int64_t r = 0;
    for (const auto& [name, ref] : tensors) {
        if (!startsWith(name, kLlamaPrefix)) continue;
        std::string peft = name.substr(kLlamaPrefix.size());
        const std::string dflt = ".default.weight";
        if (peft.size() > dflt.size() && peft.compare(peft.size() - dflt.size(), dflt.size(), dflt) == 0)
            peft = peft.substr(0, peft.size() - dflt.size()) + ".weight";
        llmKeys[peft] = name;
        const size_t a = peft.find(".lora_A.");
        if (a == std::string::npos) continue;
        const size_t dot = peft.rfind('.', a - 1);
        targets.insert(peft.substr(dot + 1, a - dot - 1));  // "q_proj", ...
        if (!ref->shape.empty()) r = ref->shape[0];
    }
    if (targets.empty()) fail(path, "no LoRA tensors (llama_model....lora_A.default.weight) in the 'model' state dict");
    LoraConfig lora;
    lora.targetModules.assign(targets.begin(), targets.end());
    lora.r = int(r);
    lora.alpha = options.loraAlpha;
    lora.dropout = options.loraDropout;
    double v;
    if (numberOf(entryOf(cfgLora, "lora_r"), v)) {
        if (int64_t(v) != r) fail(path, "config.lora.lora_r = " + std::to_string(int64_t(v)) + ", but lora_A has " + std::to_string(r) + " rows");
        if (numberOf(entryOf(cfgLora, "lora_alpha"), v)) {
            lora.alpha = v;
            info.loraFromConfig = true;
        }
        if (numberOf(entryOf(cfgLora, "lora_dropout"), v)) lora.dropout = v;
    }
    const PickleValue* mp = entryOf(cfgModel, "llama_model_path");
    if (mp && mp->is(PickleValue::Kind::String)) lora.baseModel = mp->asString();
    info.lora = lora;

    llm.resizeTokenEmbeddings(emb.size(0));
    llm.setTrainEmbeddings(true);  // embed_tokens / lm_head join adapterTensors(), as Chat-Scene's train_emb
    llm.enableLora(lora);
    {
        torch::NoGradGuard noGrad;
        for (auto& [name, dst] : llm.adapterTensors()) {
            auto it = llmKeys.find(name);
            if (it == llmKeys.end()) fail(path, "tensor '" + kLlamaPrefix + name + "' (LoRA / embeddings of the LLM) missing");
            torch::Tensor src = get(it->second);
            if (src.sizes() != dst.sizes())
                fail(path, "tensor '" + it->second + "' has shape " + shapeString(src.sizes().vec()) + ", expected " +
                               shapeString(dst.sizes().vec()));
            dst.copy_(src);  // bf16 -> the model dtype
            ++info.llmTensors;
        }
    }
    for (const auto& [peft, name] : llmKeys)
        if (!used.count(name)) fail(path, "tensor '" + name + "' matches no tensor of the LLM");

    // pos_embedding.gauss_B, pos_proj.* (add_pos_emb False) and anything else outside the LLM: unused.
    for (const auto& [name, ref] : tensors)
        if (!used.count(name)) info.ignored.push_back(name);
    if (!info.ignored.empty())
        std::cerr << path << ": " << info.ignored.size() << " checkpoint tensor(s) unused (" << info.ignored.front()
                  << (info.ignored.size() > 1 ? ", ..." : "") << ")\n";
    return out;
}

torch::Tensor ChatSceneModel::projectObjects(const torch::Tensor& f3) const {
    if (f3.dim() != 2 || f3.size(1) != dim3d())
        fail("", "Chat-Scene object_proj: features of shape " + shapeString(f3.sizes().vec()) + ", expected [N, " +
                     std::to_string(dim3d()) + "]");
    return impl_->obj(f3);
}

torch::Tensor ChatSceneModel::projectImages(const torch::Tensor& f2) const {
    if (f2.dim() != 2 || f2.size(1) != dim2d())
        fail("", "Chat-Scene object_img_proj: features of shape " + shapeString(f2.sizes().vec()) + ", expected [N, " +
                     std::to_string(dim2d()) + "]");
    return impl_->img(f2);
}

torch::Tensor ChatSceneModel::objectTokens(const LlamaModel& llm, const torch::Tensor& f3, const torch::Tensor& f2,
                                           const std::vector<int64_t>& assigned) const {
    const int64_t K = int64_t(assigned.size()), N = f3.size(0);
    if (f2.size(0) != N) fail("", "Chat-Scene object tokens: " + std::to_string(N) + " 3D rows but " + std::to_string(f2.size(0)) + " 2D rows");
    if (K > maxObjects()) fail("", "Chat-Scene object tokens: " + std::to_string(K) + " groups, the vocabulary has " + std::to_string(maxObjects()) + " <OBJ> ids");
    for (int64_t a : assigned)
        if (a < 0 || a >= N) fail("", "Chat-Scene object tokens: assigned id " + std::to_string(a) + " outside [0, " + std::to_string(N) + ")");
    const torch::Tensor t3 = projectObjects(f3), t2 = projectImages(f2);                       // [N, H]
    const torch::Tensor idx = torch::tensor(assigned, torch::kInt64).to(t3.device());
    const torch::Tensor ids = torch::arange(info().objTokenBase, info().objTokenBase + K, torch::kInt64);
    const torch::Tensor e = llm.embed(ids.unsqueeze(0))[0].to(t3.device(), torch::kFloat32);  // [K, H]
    return torch::stack({e, t3.index_select(0, idx), t2.index_select(0, idx)}, 1).reshape({3 * K, t3.size(1)});  // [3K, H]
}

}  // namespace inst3d
