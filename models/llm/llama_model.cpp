#include "models/llm/llama_model.h"

#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "models/weights/checkpoint_files.h"
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
    int64_t cacheFilled = 0;    // positions [0, cacheFilled) hold keys/values

    // inv_freq[i] = 1 / theta^(2i / hd), fp32 as transformers (legacy `rotary_emb.inv_freq` keys unused).
    void initRope() {
        invFreq = 1.0 / torch::pow(cfg.ropeTheta, torch::arange(0, cfg.headDim, 2, torch::kInt64).to(torch::kFloat32) /
                                                      float(cfg.headDim));
    }

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
        cacheFilled = S;

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
        cacheFilled = 0;
    }

    void reorderCache(const torch::Tensor& beamIdx) {
        const int64_t N = beamIdx.size(0);
        torch::Tensor idx = beamIdx.to(torch::kInt64);
        for (Layer& l : layers) {
            for (torch::Tensor* c : {&l.kCache, &l.vCache}) {
                // Only the written positions move; index_select copies, so reading and writing the same
                // rows is safe.
                torch::Tensor moved = c->narrow(2, 0, cacheFilled).index_select(0, idx);  // [N, Hkv, filled, hd]
                if (N != cacheBatch) *c = torch::empty({N, cfg.numKvHeads, cacheLen, cfg.headDim}, dtype);
                c->narrow(2, 0, cacheFilled).copy_(moved);
            }
        }
        cacheBatch = N;
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
    s.initRope();
    return m;
}

namespace {

// Tiles one pool of uniform numbers in [-1, 1) over tensors: a memcpy-speed fill (13.5 GB of 7B weights
// in seconds, where drawing every value costs minutes on a CPU). The pool length is prime so rows of
// power-of-two length do not repeat in step; each tensor starts at its own random offset.
class PoolFill {
public:
    explicit PoolFill(uint64_t seed) : gen_(at::detail::createCPUGenerator(seed)), rng_(seed) {
        pool_ = torch::rand({kPool}, gen_) * 2 - 1;  // [P] fp32
    }
    torch::Tensor make(const std::vector<int64_t>& shape, double scale, torch::ScalarType dtype) {
        torch::Tensor t = torch::empty(shape, dtype);
        torch::Tensor scaled = (pool_ * scale).to(dtype).contiguous();  // [P]
        // Plain memcpy: thousands of small copy_ calls each open a parallel region, which costs
        // milliseconds apiece on a busy machine (13.5 GB took 136 s that way, page faults included).
        const size_t es = t.element_size();
        char* dst = static_cast<char*>(t.data_ptr());
        const char* src = static_cast<const char*>(scaled.data_ptr());
        int64_t off = int64_t(rng_() % kPool);
        for (int64_t done = 0; done < t.numel(); off = 0) {
            int64_t len = std::min(kPool - off, t.numel() - done);
            std::memcpy(dst + done * es, src + off * es, len * es);
            done += len;
        }
        return t;
    }

private:
    static constexpr int64_t kPool = 1048573;  // prime, 4 MB in fp32
    at::Generator gen_;
    std::mt19937_64 rng_;
    torch::Tensor pool_;
};

}  // namespace

std::unique_ptr<LlamaModel> LlamaModel::random(const LlamaConfig& config, LlmDType dtype, uint64_t seed) {
    std::unique_ptr<LlamaModel> m(new LlamaModel());
    Impl& s = *m->impl_;
    s.cfg = config;
    s.dtype = scalarType(dtype);
    const LlamaConfig& c = s.cfg;
    if (c.numKvHeads <= 0 || c.numHeads % c.numKvHeads != 0) fail("", "random model: heads must be a multiple of kv heads");
    const int64_t D = c.hiddenSize, F = c.intermediateSize, V = c.vocabSize;
    const int64_t qDim = int64_t(c.numHeads) * c.headDim, kvDim = int64_t(c.numKvHeads) * c.headDim;
    PoolFill fill(seed);
    // Uniform(-a, a) has std a/sqrt(3): a = sqrt(3/fan_in) keeps activations at unit scale through the
    // residual stream; embeddings at std ~0.02 as LLaMA's initializer_range; lm_head at 1/sqrt(D).
    auto linear = [&](int64_t out, int64_t in) { return fill.make({out, in}, std::sqrt(3.0 / double(in)), s.dtype); };
    auto ones = [&](int64_t n) { return torch::ones({n}, s.dtype); };
    s.embedTokens = fill.make({V, D}, 0.02 * std::sqrt(3.0), s.dtype);
    s.finalNorm = ones(D);
    s.lmHead = c.tieWordEmbeddings ? s.embedTokens : linear(V, D);
    for (int i = 0; i < c.numLayers; ++i) {
        Layer l;
        l.attnNorm = ones(D);
        l.wq = linear(qDim, D);
        l.wk = linear(kvDim, D);
        l.wv = linear(kvDim, D);
        l.wo = linear(D, qDim);
        l.mlpNorm = ones(D);
        l.wGate = linear(F, D);
        l.wUp = linear(F, D);
        l.wDown = linear(D, F);
        s.layers.push_back(std::move(l));
    }
    s.initRope();
    return m;
}

LlmDType LlamaModel::dtype() const {
    if (impl_->dtype == torch::kFloat16) return LlmDType::F16;
    if (impl_->dtype == torch::kBFloat16) return LlmDType::BF16;
    return LlmDType::F32;
}

void LlamaModel::resizeTokenEmbeddings(int64_t newVocab, uint64_t seed) {
    Impl& s = *impl_;
    if (newVocab <= 0) fail("", "resizeTokenEmbeddings: vocabulary size must be positive");
    at::Generator gen = at::detail::createCPUGenerator(seed);
    const int64_t D = s.cfg.hiddenSize;
    auto resize = [&](const torch::Tensor& w) {  // [V, D] -> [newVocab, D]
        int64_t keep = std::min<int64_t>(w.size(0), newVocab);
        torch::Tensor fresh = at::normal(0.0, 0.02, {newVocab - keep, D}, gen, torch::kFloat32).to(s.dtype);
        return torch::cat({w.narrow(0, 0, keep), fresh}, 0).contiguous();
    };
    s.embedTokens = resize(s.embedTokens);
    s.lmHead = s.cfg.tieWordEmbeddings ? s.embedTokens : resize(s.lmHead);
    s.cfg.vocabSize = int(newVocab);
}

void LlamaModel::reorderCache(const at::Tensor& beamIdx) { impl_->reorderCache(beamIdx); }
int64_t LlamaModel::cacheBatch() const { return impl_->cacheBatch; }
int64_t LlamaModel::cacheCapacity() const { return impl_->cacheLen; }

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
