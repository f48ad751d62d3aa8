#include "models/llm/llama_model.h"

#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <random>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "models/weights/checkpoint_files.h"
#include "models/weights/torch_device.h"
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

// One linear projection y = x W^T, optionally with a LoRA adapter (PEFT's LoraLayer):
// y = x W^T + scale * dropout(x) A^T B^T, scale = alpha / r, dropout only when training.
struct Proj {
    torch::Tensor w;             // [out, in], frozen
    torch::Tensor loraA, loraB;  // [r, in], [out, r]; undefined without LoRA
    double scale = 0, dropout = 0;

    torch::Tensor operator()(const torch::Tensor& x, bool train) const {
        torch::Tensor y = torch::matmul(x, w.t());                                  // [B, T, out]
        if (!loraA.defined()) return y;
        torch::Tensor xd = train && dropout > 0 ? torch::dropout(x, dropout, /*train=*/true) : x;
        return y + torch::matmul(torch::matmul(xd, loraA.t()), loraB.t()) * scale;  // [B, T, out]
    }
};

struct Layer {
    torch::Tensor attnNorm;        // [D]
    Proj q, k, v, o;               // [H*hd, D], [Hkv*hd, D], [Hkv*hd, D], [D, H*hd]
    torch::Tensor mlpNorm;         // [D]
    Proj gate, up;                 // [F, D]
    Proj down;                     // [D, F]
    torch::Tensor kCache, vCache;  // [B, Hkv, L, hd]

    // The projections by their Hugging Face module names (PEFT's target_modules match the last part).
    std::vector<std::pair<std::string, Proj*>> projs() {
        return {{"self_attn.q_proj", &q}, {"self_attn.k_proj", &k}, {"self_attn.v_proj", &v},
                {"self_attn.o_proj", &o}, {"mlp.gate_proj", &gate}, {"mlp.up_proj", &up},
                {"mlp.down_proj", &down}};
    }
    // The module name projs() gives `p`, one of this layer's projections.
    std::string nameOf(const Proj* p) {
        for (auto& [name, q] : projs())
            if (q == p) return name;
        return {};
    }
};

// How random() fills a weight: ones, embeddings at std 0.02, or linear at uniform(+-sqrt(3 / fan_in)).
enum class WeightInit { Norm, Embedding, Linear };

// One entry of LlamaModel::Impl::layout().
struct Weight {
    std::string name;  // Hugging Face name
    torch::Tensor* tensor;
    std::vector<int64_t> shape;
    WeightInit init;
    int layer;         // decoder layer, -1 for the model-level weights
};

// PEFT's wrapper module: adapter keys are this + the base model's module name.
const std::string kPeftPrefix = "base_model.model.";

std::string layerPrefix(size_t i) { return "model.layers." + std::to_string(i) + "."; }

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
    torch::Device device = torch::kCPU;
    torch::Tensor embedTokens;  // [V, D]
    torch::Tensor finalNorm;    // [D]
    torch::Tensor lmHead;       // [V, D]
    std::vector<Layer> layers;
    torch::Tensor invFreq;      // [hd/2] fp32
    int64_t cacheBatch = 0, cacheLen = 0;
    int64_t cacheFilled = 0;    // positions [0, cacheFilled) hold keys/values
    std::vector<int64_t> cachedIds;  // the ids behind cache positions [0, size) (batch 1, ids forwards only)
    std::optional<LoraConfig> lora;
    bool trainEmb = false;
    bool trainBase = false;

    // Every weight with its HF name, shape and random init, in checkpoint order, which is also the order
    // random() draws in; load, random and namedWeights share it. A tied lm_head aliases embed_tokens and
    // is not listed. Sizes `layers` to the config.
    std::vector<Weight> layout() {
        const int64_t D = cfg.hiddenSize, V = cfg.vocabSize;
        layers.resize(size_t(std::max(0, cfg.numLayers)));
        std::vector<Weight> out = {{"model.embed_tokens.weight", &embedTokens, {V, D}, WeightInit::Embedding, -1},
                                   {"model.norm.weight", &finalNorm, {D}, WeightInit::Norm, -1}};
        if (!cfg.tieWordEmbeddings) out.push_back({"lm_head.weight", &lmHead, {V, D}, WeightInit::Linear, -1});
        for (size_t i = 0; i < layers.size(); ++i) {
            std::vector<Weight> l = layerLayout(i);
            out.insert(out.end(), l.begin(), l.end());
        }
        return out;
    }

    // Layer i's weights in checkpoint order; the projections under their projs() names.
    std::vector<Weight> layerLayout(size_t i) {
        const int64_t D = cfg.hiddenSize, F = cfg.intermediateSize;
        const int64_t qDim = int64_t(cfg.numHeads) * cfg.headDim, kvDim = int64_t(cfg.numKvHeads) * cfg.headDim;
        Layer& l = layers[i];
        const std::string p = layerPrefix(i);
        auto norm = [&](const char* name, torch::Tensor& t) {
            return Weight{p + name + ".weight", &t, {D}, WeightInit::Norm, int(i)};
        };
        auto proj = [&](Proj& w, std::vector<int64_t> shape) {
            return Weight{p + l.nameOf(&w) + ".weight", &w.w, std::move(shape), WeightInit::Linear, int(i)};
        };
        return {norm("input_layernorm", l.attnNorm),
                proj(l.q, {qDim, D}), proj(l.k, {kvDim, D}), proj(l.v, {kvDim, D}), proj(l.o, {D, qDim}),
                norm("post_attention_layernorm", l.mlpNorm),
                proj(l.gate, {F, D}), proj(l.up, {F, D}), proj(l.down, {D, F})};
    }

    // layout() in namedWeights' order, which saved training checkpoints and merged exports already use:
    // embed_tokens; per layer its two norms, then its projections; the final norm; lm_head.
    std::vector<Weight> saveOrder() {
        std::vector<Weight> w = layout();
        auto key = [&](const Weight& e) {
            const int block = e.init == WeightInit::Embedding ? -1 : e.layer >= 0 ? e.layer : cfg.numLayers;
            return std::make_pair(block, e.init != WeightInit::Norm);
        };
        std::stable_sort(w.begin(), w.end(), [&](const Weight& a, const Weight& b) { return key(a) < key(b); });
        return w;
    }

    // A tied lm_head is embed_tokens itself (layout() lists it once).
    void tieLmHead() {
        if (cfg.tieWordEmbeddings) lmHead = embedTokens;
    }

    // inv_freq[i] = 1 / theta^(2i / hd), fp32 as transformers (legacy `rotary_emb.inv_freq` keys unused).
    void initRope() {
        invFreq = 1.0 / torch::pow(cfg.ropeTheta, torch::arange(0, cfg.headDim, 2, torch::kInt64).to(torch::kFloat32) /
                                                      float(cfg.headDim));
        invFreq = invFreq.to(device);
    }

    torch::TensorOptions options(torch::ScalarType t) const { return torch::TensorOptions().dtype(t).device(device); }

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

    // Rotary cos / sin for positions [startPos, startPos + T): [T, hd] each, computed in fp32 then cast.
    std::pair<torch::Tensor, torch::Tensor> rope(int64_t startPos, int64_t T) const {
        torch::Tensor pos = torch::arange(startPos, startPos + T, options(torch::kFloat32));
        torch::Tensor freqs = torch::outer(pos, invFreq);                       // [T, hd/2]
        torch::Tensor angles = torch::cat({freqs, freqs}, -1);                  // [T, hd]
        return {angles.cos().to(dtype), angles.sin().to(dtype)};
    }

    // Additive fp32 mask: query startPos+i sees keys 0..startPos+i (-inf above), [T, S]; with a padding
    // mask keyMask [B, S] (1 = token, 0 = padding) padding keys get float lowest (finite, so a row of
    // padding never becomes NaN): [B, 1, T, S].
    torch::Tensor attentionMask(int64_t T, int64_t startPos, const torch::Tensor* keyMask) const {
        const int64_t S = startPos + T;
        torch::Tensor mask = torch::full({T, S}, -std::numeric_limits<float>::infinity(), options(torch::kFloat32))
                                 .triu(startPos + 1);                                                  // [T, S]
        if (!keyMask) return mask;
        torch::Tensor pad = (keyMask->to(device, torch::kFloat32) == 0).to(torch::kFloat32) *
                            std::numeric_limits<float>::lowest();                                       // [B, S]
        return mask + pad.view({pad.size(0), 1, 1, S});                                                // [B, 1, T, S]
    }

    // Self-attention of one layer on the normed input h [B, T, D]. With `cache`, keys / values of the new
    // positions are written at [startPos, S) and all S cached positions are attended; without, only these.
    torch::Tensor attention(Layer& l, const torch::Tensor& h, const torch::Tensor& cos, const torch::Tensor& sin,
                            const torch::Tensor& mask, int64_t startPos, bool cache, bool train) {
        const int64_t B = h.size(0), T = h.size(1);
        const int64_t H = cfg.numHeads, Hkv = cfg.numKvHeads, hd = cfg.headDim, rep = H / Hkv;
        torch::Tensor q = l.q(h, train).view({B, T, H, hd}).transpose(1, 2);    // [B, H, T, hd]
        torch::Tensor k = l.k(h, train).view({B, T, Hkv, hd}).transpose(1, 2);  // [B, Hkv, T, hd]
        torch::Tensor v = l.v(h, train).view({B, T, Hkv, hd}).transpose(1, 2);  // [B, Hkv, T, hd]
        q = q * cos + rotateHalf(q) * sin;
        k = k * cos + rotateHalf(k) * sin;
        if (cache) {
            const int64_t S = startPos + T;
            l.kCache.index_put_({Slice(), Slice(), Slice(startPos, S)}, k);
            l.vCache.index_put_({Slice(), Slice(), Slice(startPos, S)}, v);
            k = l.kCache.index({Slice(), Slice(), Slice(0, S)});                // [B, Hkv, S, hd]
            v = l.vCache.index({Slice(), Slice(), Slice(0, S)});                // [B, Hkv, S, hd]
        }
        if (rep > 1) {  // GQA: kv head j serves query heads j*rep .. j*rep+rep-1
            k = k.repeat_interleave(rep, 1);                                    // [B, H, S, hd]
            v = v.repeat_interleave(rep, 1);
        }
        torch::Tensor scores = torch::matmul(q, k.transpose(2, 3)) / std::sqrt(double(hd));       // [B, H, T, S]
        torch::Tensor probs = torch::softmax(scores.to(torch::kFloat32) + mask, -1).to(dtype);    // [B, H, T, S]
        torch::Tensor att = torch::matmul(probs, v).transpose(1, 2).reshape({B, T, H * hd});      // [B, T, H*hd]
        return l.o(att, train);                                                                   // [B, T, D]
    }

    // SwiGLU MLP of one layer on the normed input h [B, T, D].
    torch::Tensor mlp(const Layer& l, const torch::Tensor& h, bool train) const {
        return l.down(torch::silu(l.gate(h, train)) * l.up(h, train), train);  // [B, T, D]
    }

    // The decoder on x [B, T, D] at positions [startPos, startPos + T) -> fp32 logits [B, T, V]. The one
    // copy of the layer math, shared by cached inference (cache = true) and training (cache = false,
    // startPos 0, autograd on, LoRA dropout when train).
    torch::Tensor run(torch::Tensor x, int64_t startPos, bool cache, const torch::Tensor* keyMask, bool train,
                      std::vector<torch::Tensor>* hidden) {
        const int64_t T = x.size(1);
        auto [cos, sin] = rope(startPos, T);
        torch::Tensor mask = attentionMask(T, startPos, keyMask);
        if (hidden) hidden->push_back(x);
        for (Layer& l : layers) {
            x = x + attention(l, rmsNorm(x, l.attnNorm), cos, sin, mask, startPos, cache, train);  // [B, T, D]
            x = x + mlp(l, rmsNorm(x, l.mlpNorm), train);                                          // [B, T, D]
            if (hidden && &l != &layers.back()) hidden->push_back(x);
        }
        x = rmsNorm(x, finalNorm);                                                     // [B, T, D]
        if (hidden) hidden->push_back(x);
        return torch::matmul(x, lmHead.t()).to(torch::kFloat32);                       // [B, T, V]
    }

    // Inference with the KV cache: x [B, T, D] at [startPos, startPos + T).
    torch::Tensor forward(const torch::Tensor& x, int64_t startPos, std::vector<torch::Tensor>* hidden) {
        const int64_t B = x.size(0), T = x.size(1);
        if (B != cacheBatch || startPos + T > cacheLen) {
            if (startPos != 0)
                fail("", "KV cache holds " + std::to_string(cacheLen) + " positions for batch " + std::to_string(cacheBatch) +
                             "; cannot continue at position " + std::to_string(startPos) + " with " + std::to_string(T) +
                             " new tokens");
            allocateCache(B, std::max<int64_t>(cfg.maxPositions, T));
        }
        cacheFilled = startPos + T;
        return run(x, startPos, /*cache=*/true, nullptr, /*train=*/false, hidden);
    }

    void allocateCache(int64_t batch, int64_t maxLen) {
        for (Layer& l : layers) {
            l.kCache = torch::zeros({batch, cfg.numKvHeads, maxLen, cfg.headDim}, options(dtype));
            l.vCache = torch::zeros({batch, cfg.numKvHeads, maxLen, cfg.headDim}, options(dtype));
        }
        cacheBatch = batch;
        cacheLen = maxLen;
        cacheFilled = 0;
        cachedIds.clear();
    }

    void reserveCache(int64_t maxLen) {
        if (cacheBatch == 0) return allocateCache(1, maxLen);
        if (maxLen <= cacheLen) return;
        const int64_t len = std::max(maxLen, std::min<int64_t>(2 * cacheLen, cfg.maxPositions));
        for (Layer& l : layers) {
            for (torch::Tensor* c : {&l.kCache, &l.vCache}) {
                torch::Tensor grown = torch::zeros({cacheBatch, cfg.numKvHeads, len, cfg.headDim}, options(dtype));
                grown.narrow(2, 0, cacheFilled).copy_(c->narrow(2, 0, cacheFilled));
                *c = grown;
            }
        }
        cacheLen = len;
    }

    // Keeps cachedIds in step with a forward of ids [B, T] at startPos.
    void noteIds(const torch::Tensor& ids, int64_t startPos) {
        if (ids.size(0) != 1 || int64_t(cachedIds.size()) < startPos) {
            cachedIds.clear();
            return;
        }
        cachedIds.resize(size_t(startPos));
        torch::Tensor row = ids.select(0, 0).to(torch::kCPU, torch::kInt64).contiguous();  // [T]
        cachedIds.insert(cachedIds.end(), row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
    }

    void reorderCache(const torch::Tensor& beamIdx) {
        const int64_t N = beamIdx.size(0);
        torch::Tensor idx = beamIdx.to(device, torch::kInt64);
        cachedIds.clear();
        for (Layer& l : layers) {
            for (torch::Tensor* c : {&l.kCache, &l.vCache}) {
                // Only the written positions move; index_select copies, so reading and writing the same
                // rows is safe.
                torch::Tensor moved = c->narrow(2, 0, cacheFilled).index_select(0, idx);  // [N, Hkv, filled, hd]
                if (N != cacheBatch) *c = torch::empty({N, cfg.numKvHeads, cacheLen, cfg.headDim}, options(dtype));
                c->narrow(2, 0, cacheFilled).copy_(moved);
            }
        }
        cacheBatch = N;
    }
};

LlamaModel::LlamaModel() : impl_(std::make_unique<Impl>()) {}
LlamaModel::~LlamaModel() = default;

std::unique_ptr<LlamaModel> LlamaModel::load(const std::string& dir, LlmDType dtype, const std::string& device) {
    std::unique_ptr<LlamaModel> m(new LlamaModel());
    Impl& s = *m->impl_;
    s.device = parseTorchDevice(device);
    s.cfg = LlamaConfig::load(dir + "/config.json");
    s.dtype = scalarType(dtype);
    CheckpointFiles files(dir);
    for (const Weight& w : s.layout())
        *w.tensor = files.get(w.name, w.shape).to(s.device, s.dtype);  // no copy for f32 on the CPU: views the file
    s.tieLmHead();
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

// Uniform(-a, a) has std a/sqrt(3): a = sqrt(3/fan_in) keeps activations at unit scale through the
// residual stream; embeddings at std ~0.02 as LLaMA's initializer_range; lm_head at 1/sqrt(D). Drawn on
// the CPU, so every device gets the same numbers.
torch::Tensor randomWeight(const Weight& w, PoolFill& fill, torch::ScalarType dtype, torch::Device device) {
    if (w.init == WeightInit::Norm) return torch::ones(w.shape, torch::TensorOptions().dtype(dtype).device(device));
    const double a = w.init == WeightInit::Embedding ? 0.02 * std::sqrt(3.0) : std::sqrt(3.0 / double(w.shape.at(1)));
    return fill.make(w.shape, a, dtype).to(device);
}

}  // namespace

std::unique_ptr<LlamaModel> LlamaModel::random(const LlamaConfig& config, LlmDType dtype, uint64_t seed,
                                               const std::string& device) {
    std::unique_ptr<LlamaModel> m(new LlamaModel());
    Impl& s = *m->impl_;
    s.device = parseTorchDevice(device);
    s.cfg = config;
    s.dtype = scalarType(dtype);
    const LlamaConfig& c = s.cfg;
    if (c.numKvHeads <= 0 || c.numHeads % c.numKvHeads != 0) fail("", "random model: heads must be a multiple of kv heads");
    PoolFill fill(seed);
    for (const Weight& w : s.layout()) *w.tensor = randomWeight(w, fill, s.dtype, s.device);
    s.tieLmHead();
    s.initRope();
    return m;
}

LlmDType LlamaModel::dtype() const {
    if (impl_->dtype == torch::kFloat16) return LlmDType::F16;
    if (impl_->dtype == torch::kBFloat16) return LlmDType::BF16;
    return LlmDType::F32;
}

std::string LlamaModel::device() const { return impl_->device.str(); }

void LlamaModel::resizeTokenEmbeddings(int64_t newVocab, uint64_t seed) {
    Impl& s = *impl_;
    if (newVocab <= 0) fail("", "resizeTokenEmbeddings: vocabulary size must be positive");
    at::Generator gen = at::detail::createCPUGenerator(seed);
    const int64_t D = s.cfg.hiddenSize;
    auto resize = [&](const torch::Tensor& w) {  // [V, D] -> [newVocab, D]
        int64_t keep = std::min<int64_t>(w.size(0), newVocab);
        torch::Tensor fresh = at::normal(0.0, 0.02, {newVocab - keep, D}, gen, torch::kFloat32).to(s.device, s.dtype);
        return torch::cat({w.narrow(0, 0, keep), fresh}, 0).contiguous();
    };
    s.embedTokens = resize(s.embedTokens);
    s.lmHead = s.cfg.tieWordEmbeddings ? s.embedTokens : resize(s.lmHead);
    s.cfg.vocabSize = int(newVocab);
}

void LlamaModel::reorderCache(const at::Tensor& beamIdx) { impl_->reorderCache(beamIdx); }
int64_t LlamaModel::cacheBatch() const { return impl_->cacheBatch; }
int64_t LlamaModel::cacheCapacity() const { return impl_->cacheLen; }
void LlamaModel::reserveCache(int64_t maxLen) { impl_->reserveCache(maxLen); }

int64_t LlamaModel::cachedPrefixLength(const std::vector<int64_t>& ids) const {
    const Impl& s = *impl_;
    if (s.cacheBatch != 1) return 0;
    const size_t n = std::min({ids.size(), s.cachedIds.size(), size_t(s.cacheFilled)});
    return std::mismatch(ids.begin(), ids.begin() + n, s.cachedIds.begin()).first - ids.begin();
}

const LlamaConfig& LlamaModel::config() const { return impl_->cfg; }

at::Tensor LlamaModel::embed(const at::Tensor& ids) const {
    return torch::embedding(impl_->embedTokens, ids.to(impl_->device, torch::kInt64));  // [B, T, D]
}

at::Tensor LlamaModel::forward(const at::Tensor& ids, int64_t startPos, std::vector<at::Tensor>* hiddenStates) {
    torch::NoGradGuard noGrad;
    torch::Tensor logits = impl_->forward(embed(ids), startPos, hiddenStates);
    impl_->noteIds(ids, startPos);
    return logits;
}

at::Tensor LlamaModel::forwardEmbeds(const at::Tensor& embeds, int64_t startPos,
                                     std::vector<at::Tensor>* hiddenStates) {
    torch::NoGradGuard noGrad;
    if (embeds.dim() != 3 || embeds.size(2) != impl_->cfg.hiddenSize)
        fail("", "inputs_embeds must be [B, T, " + std::to_string(impl_->cfg.hiddenSize) + "]");
    torch::Tensor logits = impl_->forward(embeds.to(impl_->device, impl_->dtype), startPos, hiddenStates);
    impl_->cachedIds.clear();
    return logits;
}

at::Tensor LlamaModel::forwardTrain(const at::Tensor& ids, const at::Tensor* attentionMask, bool train) {
    return forwardTrainEmbeds(embed(ids), attentionMask, train);
}

at::Tensor LlamaModel::forwardTrainEmbeds(const at::Tensor& embeds, const at::Tensor* attentionMask, bool train) {
    Impl& s = *impl_;
    if (embeds.dim() != 3 || embeds.size(2) != s.cfg.hiddenSize)
        fail("", "inputs_embeds must be [B, T, " + std::to_string(s.cfg.hiddenSize) + "]");
    if (attentionMask && (attentionMask->dim() != 2 || attentionMask->size(0) != embeds.size(0) ||
                          attentionMask->size(1) != embeds.size(1)))
        fail("", "attention mask must be [B, T] like the input");
    return s.run(embeds.to(s.device, s.dtype), 0, /*cache=*/false, attentionMask, train, nullptr);
}

void LlamaModel::enableLora(const LoraConfig& config, uint64_t seed) {
    Impl& s = *impl_;
    if (s.lora) fail("", "LoRA is already attached");
    if (config.r <= 0) fail("", "LoRA rank must be positive");
    for (const std::string& t : config.targetModules)
        if (t != "q_proj" && t != "k_proj" && t != "v_proj" && t != "o_proj" && t != "gate_proj" && t != "up_proj" &&
            t != "down_proj")
            fail("", "unknown LoRA target module '" + t + "' (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)");
    at::Generator gen = at::detail::createCPUGenerator(seed);
    for (Layer& l : s.layers) {
        for (auto& [name, p] : l.projs()) {
            if (!config.targets(name.substr(name.find('.') + 1))) continue;
            const int64_t out = p->w.size(0), in = p->w.size(1);
            // kaiming_uniform_(a=sqrt(5)): gain sqrt(2 / (1 + 5)), bound gain * sqrt(3 / in) = 1 / sqrt(in).
            const double bound = 1.0 / std::sqrt(double(in));
            p->loraA = ((at::rand({config.r, in}, gen, torch::kFloat32) * 2 - 1) * bound).to(s.device, s.dtype).requires_grad_();
            p->loraB = torch::zeros({out, config.r}, s.options(s.dtype)).requires_grad_();
            p->scale = config.scale();
            p->dropout = config.dropout;
        }
    }
    s.lora = config;
}

const LoraConfig* LlamaModel::loraConfig() const { return impl_->lora ? &*impl_->lora : nullptr; }

void LlamaModel::mergeLora() {
    Impl& s = *impl_;
    if (!s.lora) fail("", "mergeLora: no LoRA attached");
    torch::NoGradGuard noGrad;
    for (Layer& l : s.layers) {
        for (auto& [name, p] : l.projs()) {
            if (!p->loraA.defined()) continue;
            torch::Tensor delta = torch::matmul(p->loraB.to(torch::kFloat32), p->loraA.to(torch::kFloat32));  // [out, in]
            p->w = (p->w.to(torch::kFloat32) + delta * p->scale).to(s.dtype);
            p->loraA = p->loraB = torch::Tensor();
        }
    }
    s.lora.reset();
}

void LlamaModel::setTrainEmbeddings(bool on) {
    Impl& s = *impl_;
    s.trainEmb = on;
    s.embedTokens = s.embedTokens.detach().clone().requires_grad_(on);
    s.lmHead = s.cfg.tieWordEmbeddings ? s.embedTokens : s.lmHead.detach().clone().requires_grad_(on);
}

bool LlamaModel::trainEmbeddings() const { return impl_->trainEmb; }

void LlamaModel::setTrainBaseWeights(bool on) {
    Impl& s = *impl_;
    s.trainBase = on;
    auto own = [on](torch::Tensor& t) { t = t.detach().clone().requires_grad_(on); };  // loaded weights may view files
    for (Layer& l : s.layers) {
        own(l.attnNorm);
        own(l.mlpNorm);
        for (auto& [name, p] : l.projs()) own(p->w);
    }
    own(s.finalNorm);
}

std::vector<std::pair<std::string, at::Tensor>> LlamaModel::adapterTensors() const {
    Impl& s = *impl_;
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (size_t i = 0; i < s.layers.size(); ++i) {
        for (auto& [name, p] : s.layers[i].projs()) {
            if (!p->loraA.defined()) continue;
            const std::string key = kPeftPrefix + layerPrefix(i) + name;
            out.emplace_back(key + ".lora_A.weight", p->loraA);
            out.emplace_back(key + ".lora_B.weight", p->loraB);
        }
    }
    if (s.trainEmb)  // PEFT's save_embedding_layers: embed_tokens, then lm_head unless tied
        for (const Weight& w : s.layout())
            if (w.tensor == &s.embedTokens || w.tensor == &s.lmHead) out.emplace_back(kPeftPrefix + w.name, *w.tensor);
    return out;
}

std::vector<at::Tensor> LlamaModel::trainableParameters() const {
    Impl& s = *impl_;
    std::vector<at::Tensor> out;
    for (auto& [name, t] : adapterTensors()) out.push_back(t);
    if (s.trainBase)  // all but embed_tokens / lm_head, which setTrainEmbeddings governs
        for (const Weight& w : s.saveOrder())
            if (w.tensor != &s.embedTokens && w.tensor != &s.lmHead) out.push_back(*w.tensor);
    return out;
}

std::vector<std::pair<std::string, at::Tensor>> LlamaModel::namedWeights() const {
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (const Weight& w : impl_->saveOrder()) out.emplace_back(w.name, *w.tensor);
    return out;
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
