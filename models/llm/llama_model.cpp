#include "models/llm/llama_model.h"

#include <torch/torch.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "models/weights/torch_weights.h"

namespace inst3d {

namespace {

using torch::indexing::Slice;

torch::ScalarType scalarType(LlmDType t) {
    switch (t) {
        case LlmDType::F16: return torch::kFloat16;
        case LlmDType::BF16: return torch::kBFloat16;
        default: return torch::kFloat32;
    }
}

// The checkpoint's tensors: one model.safetensors, or the shards named by model.safetensors.index.json.
class CheckpointFiles {
public:
    explicit CheckpointFiles(const std::string& dir) {
        std::string single = dir + "/model.safetensors";
        std::string index = dir + "/model.safetensors.index.json";
        if (fileExists(single)) {
            single_ = std::make_shared<SafetensorsFile>(single);
            return;
        }
        if (!fileExists(index)) fail(dir, "no model.safetensors or model.safetensors.index.json");
        indexPath_ = index;
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(readTextFile(index));
        } catch (const nlohmann::json::exception& e) {
            fail(index, std::string("malformed JSON: ") + e.what());
        }
        if (!j.contains("weight_map") || !j["weight_map"].is_object()) fail(index, "no 'weight_map' object");
        for (const auto& [name, file] : j["weight_map"].items()) {
            if (!file.is_string()) fail(index, "weight_map['" + name + "'] is not a file name");
            std::string shard = dir + "/" + file.get<std::string>();
            auto& open = shards_[shard];
            if (!open) open = std::make_shared<SafetensorsFile>(shard);
            where_[name] = open;
        }
    }

    // The tensor, shape-checked; Error names the tensor and the file that should hold it.
    torch::Tensor get(const std::string& name, const std::vector<int64_t>& shape) const {
        std::shared_ptr<SafetensorsFile> file = single_;
        if (!file) {
            auto it = where_.find(name);
            if (it == where_.end()) fail(indexPath_, "tensor '" + name + "' missing from weight_map");
            file = it->second;
        }
        if (!file->find(name)) fail(file->path(), "tensor '" + name + "' missing");
        return loadTensorChecked(file, name, shape);
    }

private:
    std::shared_ptr<SafetensorsFile> single_;
    std::string indexPath_;
    std::map<std::string, std::shared_ptr<SafetensorsFile>> shards_;
    std::map<std::string, std::shared_ptr<SafetensorsFile>> where_;
};

struct Layer {
    torch::Tensor attnNorm;       // [D]
    torch::Tensor wq, wk, wv, wo; // [H*hd, D], [Hkv*hd, D], [Hkv*hd, D], [D, H*hd]
    torch::Tensor mlpNorm;        // [D]
    torch::Tensor wGate, wUp;     // [F, D]
    torch::Tensor wDown;          // [D, F]
    torch::Tensor kCache, vCache; // [B, Hkv, L, hd]
};

}  // namespace

LlmDType llmDTypeFromName(const std::string& name) {
    if (name == "f32" || name == "float32" || name == "fp32") return LlmDType::F32;
    if (name == "f16" || name == "float16" || name == "fp16") return LlmDType::F16;
    if (name == "bf16" || name == "bfloat16") return LlmDType::BF16;
    fail("", "unknown dtype '" + name + "' (f32, f16 or bf16)");
}

struct LlamaModel::Impl {
    LlamaConfig cfg;
    torch::ScalarType dtype = torch::kFloat32;
    torch::Tensor embedTokens;  // [V, D]
    torch::Tensor finalNorm;    // [D]
    torch::Tensor lmHead;       // [V, D]
    std::vector<Layer> layers;
    torch::Tensor invFreq;      // [hd/2] fp32
    int64_t cacheBatch = 0, cacheLen = 0;

    // RMSNorm as transformers: normalise in fp32, cast back, then scale.
    torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& w) const {
        torch::Tensor xf = x.to(torch::kFloat32);                                          // [B, T, D]
        xf = xf * torch::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + cfg.rmsNormEps);
        return w * xf.to(x.scalar_type());
    }

    // HF RoPE: q/k weights are permuted so that the two halves of each head rotate together.
    static torch::Tensor rotateHalf(const torch::Tensor& x) {
        int64_t half = x.size(-1) / 2;
        return torch::cat({-x.index({"...", Slice(half, torch::indexing::None)}), x.index({"...", Slice(0, half)})}, -1);
    }

    torch::Tensor forward(torch::Tensor x, int64_t startPos, std::vector<torch::Tensor>* hidden) {
        // x: [B, T, D]
        const int64_t B = x.size(0), T = x.size(1);
        const int64_t H = cfg.numHeads, Hkv = cfg.numKvHeads, hd = cfg.headDim, rep = H / Hkv;
        if (B != cacheBatch || startPos + T > cacheLen) {
            if (startPos != 0)
                fail("", "KV cache holds " + std::to_string(cacheLen) + " positions for batch " + std::to_string(cacheBatch) +
                             "; cannot continue at position " + std::to_string(startPos) + " with " + std::to_string(T) +
                             " new tokens");
            allocateCache(B, std::max<int64_t>(cfg.maxPositions, T));
        }
        const int64_t S = startPos + T;  // keys visible to the last query

        // Rotary angles for positions [startPos, S): [T, hd], computed in fp32 then cast.
        torch::Tensor pos = torch::arange(startPos, S, torch::kFloat32);
        torch::Tensor freqs = torch::outer(pos, invFreq);                       // [T, hd/2]
        torch::Tensor angles = torch::cat({freqs, freqs}, -1);                  // [T, hd]
        torch::Tensor cos = angles.cos().to(dtype), sin = angles.sin().to(dtype);

        // Causal mask: query startPos+i sees keys 0..startPos+i.  [T, S]
        torch::Tensor mask = torch::full({T, S}, -std::numeric_limits<float>::infinity(), torch::kFloat32)
                                 .triu(startPos + 1);

        if (hidden) hidden->push_back(x);
        for (Layer& l : layers) {
            // Attention block
            torch::Tensor h = rmsNorm(x, l.attnNorm);                                  // [B, T, D]
            torch::Tensor q = torch::matmul(h, l.wq.t()).view({B, T, H, hd}).transpose(1, 2);    // [B, H, T, hd]
            torch::Tensor k = torch::matmul(h, l.wk.t()).view({B, T, Hkv, hd}).transpose(1, 2);  // [B, Hkv, T, hd]
            torch::Tensor v = torch::matmul(h, l.wv.t()).view({B, T, Hkv, hd}).transpose(1, 2);  // [B, Hkv, T, hd]
            q = q * cos + rotateHalf(q) * sin;
            k = k * cos + rotateHalf(k) * sin;
            l.kCache.index_put_({Slice(), Slice(), Slice(startPos, S)}, k);
            l.vCache.index_put_({Slice(), Slice(), Slice(startPos, S)}, v);
            torch::Tensor keys = l.kCache.index({Slice(), Slice(), Slice(0, S)});     // [B, Hkv, S, hd]
            torch::Tensor values = l.vCache.index({Slice(), Slice(), Slice(0, S)});   // [B, Hkv, S, hd]
            if (rep > 1) {  // GQA: kv head j serves query heads j*rep .. j*rep+rep-1
                keys = keys.repeat_interleave(rep, 1);                                 // [B, H, S, hd]
                values = values.repeat_interleave(rep, 1);
            }
            torch::Tensor scores = torch::matmul(q, keys.transpose(2, 3)) / std::sqrt(double(hd));  // [B, H, T, S]
            scores = scores + mask.to(scores.scalar_type());
            torch::Tensor probs = torch::softmax(scores.to(torch::kFloat32), -1).to(dtype);          // [B, H, T, S]
            torch::Tensor att = torch::matmul(probs, values).transpose(1, 2).reshape({B, T, H * hd});  // [B, T, H*hd]
            x = x + torch::matmul(att, l.wo.t());                                     // [B, T, D]

            // SwiGLU MLP block
            h = rmsNorm(x, l.mlpNorm);                                                 // [B, T, D]
            torch::Tensor gate = torch::silu(torch::matmul(h, l.wGate.t()));          // [B, T, F]
            torch::Tensor up = torch::matmul(h, l.wUp.t());                           // [B, T, F]
            x = x + torch::matmul(gate * up, l.wDown.t());                            // [B, T, D]
            if (hidden && &l != &layers.back()) hidden->push_back(x);
        }
        x = rmsNorm(x, finalNorm);                                                     // [B, T, D]
        if (hidden) hidden->push_back(x);
        return torch::matmul(x, lmHead.t()).to(torch::kFloat32);                       // [B, T, V]
    }

    void allocateCache(int64_t batch, int64_t maxLen) {
        for (Layer& l : layers) {
            l.kCache = torch::zeros({batch, cfg.numKvHeads, maxLen, cfg.headDim}, dtype);
            l.vCache = torch::zeros({batch, cfg.numKvHeads, maxLen, cfg.headDim}, dtype);
        }
        cacheBatch = batch;
        cacheLen = maxLen;
    }
};

LlamaModel::LlamaModel() : impl_(std::make_unique<Impl>()) {}
LlamaModel::~LlamaModel() = default;

std::unique_ptr<LlamaModel> LlamaModel::load(const std::string& dir, LlmDType dtype) {
    std::unique_ptr<LlamaModel> m(new LlamaModel());
    Impl& s = *m->impl_;
    s.cfg = LlamaConfig::load(dir + "/config.json");
    s.dtype = scalarType(dtype);
    const LlamaConfig& c = s.cfg;
    const int64_t D = c.hiddenSize, F = c.intermediateSize, V = c.vocabSize;
    const int64_t qDim = int64_t(c.numHeads) * c.headDim, kvDim = int64_t(c.numKvHeads) * c.headDim;
    CheckpointFiles files(dir);
    auto get = [&](const std::string& name, std::vector<int64_t> shape) {
        torch::Tensor t = files.get(name, shape);
        return t.scalar_type() == s.dtype ? t : t.to(s.dtype);
    };
    s.embedTokens = get("model.embed_tokens.weight", {V, D});
    s.finalNorm = get("model.norm.weight", {D});
    s.lmHead = c.tieWordEmbeddings ? s.embedTokens : get("lm_head.weight", {V, D});
    for (int i = 0; i < c.numLayers; ++i) {
        std::string p = "model.layers." + std::to_string(i) + ".";
        Layer l;
        l.attnNorm = get(p + "input_layernorm.weight", {D});
        l.wq = get(p + "self_attn.q_proj.weight", {qDim, D});
        l.wk = get(p + "self_attn.k_proj.weight", {kvDim, D});
        l.wv = get(p + "self_attn.v_proj.weight", {kvDim, D});
        l.wo = get(p + "self_attn.o_proj.weight", {D, qDim});
        l.mlpNorm = get(p + "post_attention_layernorm.weight", {D});
        l.wGate = get(p + "mlp.gate_proj.weight", {F, D});
        l.wUp = get(p + "mlp.up_proj.weight", {F, D});
        l.wDown = get(p + "mlp.down_proj.weight", {D, F});
        s.layers.push_back(std::move(l));
    }
    // inv_freq[i] = 1 / theta^(2i / hd), fp32 as transformers (legacy `rotary_emb.inv_freq` keys unused).
    s.invFreq = 1.0 / torch::pow(c.ropeTheta, torch::arange(0, c.headDim, 2, torch::kInt64).to(torch::kFloat32) /
                                                  float(c.headDim));
    return m;
}

const LlamaConfig& LlamaModel::config() const { return impl_->cfg; }

at::Tensor LlamaModel::embed(const at::Tensor& ids) const {
    return torch::embedding(impl_->embedTokens, ids.to(torch::kInt64));  // [B, T, D]
}

at::Tensor LlamaModel::forward(const at::Tensor& ids, int64_t startPos, std::vector<at::Tensor>* hiddenStates) {
    torch::NoGradGuard noGrad;
    return impl_->forward(embed(ids), startPos, hiddenStates);
}

at::Tensor LlamaModel::forwardEmbeds(const at::Tensor& embeds, int64_t startPos,
                                     std::vector<at::Tensor>* hiddenStates) {
    torch::NoGradGuard noGrad;
    if (embeds.dim() != 3 || embeds.size(2) != impl_->cfg.hiddenSize)
        fail("", "inputs_embeds must be [B, T, " + std::to_string(impl_->cfg.hiddenSize) + "]");
    return impl_->forward(embeds.to(impl_->dtype), startPos, hiddenStates);
}

void LlamaModel::allocateCache(int64_t batch, int64_t maxLen) { impl_->allocateCache(batch, maxLen); }

std::vector<int64_t> LlamaModel::generateGreedy(const std::vector<int64_t>& prompt, int maxNewTokens,
                                                const std::function<bool(int64_t)>& onToken) {
    if (prompt.empty()) fail("", "generation needs a non-empty prompt");
    const int64_t total = int64_t(prompt.size()) + maxNewTokens;
    allocateCache(1, total);
    std::vector<int64_t> out;
    torch::Tensor logits = forward(torch::tensor(prompt, torch::kInt64).unsqueeze(0), 0);  // [1, P, V]
    int64_t pos = int64_t(prompt.size());
    for (int i = 0; i < maxNewTokens; ++i) {
        int64_t next = logits.index({0, -1}).argmax().item<int64_t>();
        if (next == impl_->cfg.eosId) break;
        out.push_back(next);
        if (onToken && !onToken(next)) break;
        if (i + 1 == maxNewTokens) break;
        logits = forward(torch::tensor({next}, torch::kInt64).unsqueeze(0), pos++);  // [1, 1, V]
    }
    return out;
}

}  // namespace inst3d
