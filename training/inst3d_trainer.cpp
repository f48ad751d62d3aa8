#include "training/inst3d_trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <random>
#include <set>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "models/inst3d/sequence.h"
#include "models/weights/torch_device.h"
#include "models/weights/torch_weights.h"

namespace inst3d {

namespace {

constexpr int64_t kIgnoreLabel = -100;
const char* kStateFile = "trainer_state.safetensors";

struct Encoded {
    const TaskSample* sample;
    const SceneObjects* scene;
    SampleText text;
};

torch::Tensor rows(const std::vector<float>& v, int64_t n, int64_t d) {
    return torch::from_blob(const_cast<float*>(v.data()), {n, d}, torch::kFloat32).clone();
}

// Every crop of the scenes padded to N objects: crops [B, N, C, D2] and cropValid [B, N, C]; both
// undefined when the scenes carry no crops (view_fusion: mean).
std::pair<torch::Tensor, torch::Tensor> cropBatch(const std::vector<const SceneObjects*>& scenes, int64_t N) {
    const int64_t C = scenes.front()->crops, D = scenes.front()->dim2d;
    if (C == 0) return {};
    std::vector<torch::Tensor> crops, valid;
    for (const SceneObjects* s : scenes) {
        if (s->crops != C) fail(s->sceneId, "scenes of one batch have different crop counts per object");
        const int64_t n = s->count;
        torch::Tensor f = torch::zeros({N, C, D}), v = torch::zeros({N, C}, torch::kBool);
        f.narrow(0, 0, n).copy_(rows(s->clipCrops, n * C, D).view({n, C, D}));
        std::vector<int64_t> cv(s->cropValid.begin(), s->cropValid.end());
        v.narrow(0, 0, n).copy_(torch::tensor(cv).view({n, C}).to(torch::kBool));
        crops.push_back(f);
        valid.push_back(v);
    }
    return {torch::stack(crops), torch::stack(valid)};
}

// The scenes of a micro-batch padded to the largest object count: [B, N, ...] and valid [B, N].
std::vector<torch::Tensor> sceneBatch(const std::vector<const SceneObjects*>& scenes) {
    int64_t N = 0;
    for (const SceneObjects* s : scenes) N = std::max<int64_t>(N, s->count);
    std::vector<torch::Tensor> u, c, p, v;
    for (const SceneObjects* s : scenes) {
        const int64_t n = s->count, pad = N - n;
        auto padRows = [&](torch::Tensor t) { return torch::cat({t, torch::zeros({pad, t.size(1)})}, 0); };
        u.push_back(padRows(rows(s->uni3d, n, s->dim3d)));
        c.push_back(padRows(rows(s->clip, n, s->dim2d)));
        p.push_back(padRows(rows(s->centers, n, 3)));
        std::vector<int64_t> valid(s->valid.begin(), s->valid.end());
        valid.resize(size_t(N), 0);
        v.push_back(torch::tensor(valid).to(torch::kBool));
    }
    auto [crops, cropValid] = cropBatch(scenes, N);
    return {torch::stack(u), torch::stack(c), torch::stack(p), torch::stack(v), crops, cropValid};
}

// Per sample: the summed cross-entropy of its answer tokens and their count ([B] each).
std::pair<torch::Tensor, torch::Tensor> answerLosses(const torch::Tensor& logits, const torch::Tensor& labels) {
    const int64_t B = logits.size(0), T = logits.size(1), V = logits.size(2);
    torch::Tensor pred = logits.narrow(1, 0, T - 1).reshape({-1, V});
    torch::Tensor target = labels.narrow(1, 1, T - 1).reshape({-1}).to(logits.device());
    torch::Tensor ce = torch::nn::functional::cross_entropy(
        pred, target, torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnoreLabel).reduction(torch::kNone));
    return {ce.view({B, T - 1}).sum(1), target.view({B, T - 1}).ne(kIgnoreLabel).sum(1).to(torch::kFloat32)};
}

std::vector<int64_t> ids(const std::vector<int>& v) { return {v.begin(), v.end()}; }

}  // namespace

SampleText encodeSampleText(const Inst3dStack& st, const std::string& prompt, const std::string& answer) {
    SampleText t;
    const LlamaTokenizer& tok = *st.tokenizer;
    for (size_t i = 0; i < st.prompt.segments.size(); ++i) t.text.push_back(ids(tok.encode(st.prompt.segments[i], i == 0)));
    t.question = ids(tok.encode(st.prompt.question(prompt), false));
    if (!answer.empty()) {
        t.answer = ids(tok.encode(answer, false));
        t.answer.push_back(tok.eosId());
    }
    return t;
}

std::pair<std::vector<int64_t>, std::vector<int64_t>> encodeFollowUpTurn(const Inst3dStack& st, const std::string& prompt,
                                                                         const std::string& answer) {
    const LlamaTokenizer& tok = *st.tokenizer;
    std::vector<int64_t> a = ids(tok.encode(answer, false));
    a.push_back(tok.eosId());
    return {ids(tok.encode("USER:" + st.prompt.question(prompt), false)), a};
}

std::vector<std::vector<const TaskSample*>> packConversations(const Inst3dData& data, int turns) {
    std::vector<std::vector<const TaskSample*>> out;
    if (turns == 1) {  // the reference: the data's order, one sample per sequence
        for (const TaskSample& t : data.samples) out.push_back({&t});
        return out;
    }
    std::map<std::pair<std::string, std::string>, std::vector<const TaskSample*>> groups;
    std::vector<std::pair<std::string, std::string>> keys;  // first-seen order, for a stable layout
    for (const TaskSample& t : data.samples) {
        auto& g = groups[{t.sample.sceneId, t.task}];
        if (g.empty()) keys.push_back({t.sample.sceneId, t.task});
        g.push_back(&t);
    }
    for (const auto& key : keys) {
        const size_t first = out.size();
        std::vector<std::set<int>> named;  // per conversation of this group: the identifiers its turns name
        const std::vector<const TaskSample*>& g = groups[key];
        for (size_t i = 0; i < g.size(); ++i) {
            const std::set<int> ids = objectIdsNamed(g[i]->sample);
            const size_t open = out.size() - first;
            size_t chosen = open;  // a new conversation unless one has room and names none of these identifiers
            for (size_t k = 0; k < open && chosen == open; ++k) {
                const size_t c = (i + k) % open;
                const bool disjoint = std::none_of(ids.begin(), ids.end(), [&](int id) { return named[c].count(id) > 0; });
                if (out[first + c].size() < size_t(turns) && disjoint) chosen = c;
            }
            if (chosen == open) {
                out.emplace_back();
                named.emplace_back();
            }
            out[first + chosen].push_back(g[i]);
            named[chosen].insert(ids.begin(), ids.end());
        }
    }
    return out;
}

size_t packedSequenceCount(const Inst3dData& data, int turns) { return packConversations(data, turns).size(); }

size_t SampleText::answerTokens() const {
    size_t n = answer.size();
    for (const auto& turn : turns) n += turn.second.size();
    return n;
}

at::Tensor identifierEmbeddings(const Inst3dStack& st) {
    const int64_t base = st.objectTokenBase();
    return st.llm->embed(torch::arange(base, base + st.config.identifierTokens).unsqueeze(0))[0];  // [I, dim_llm]
}

ObjectTokens encodeScenes(const Inst3dModel& model, const std::vector<const SceneObjects*>& scenes) {
    const std::vector<torch::Tensor> sb = sceneBatch(scenes);  // uni3d, clip, centres, valid, crops, cropValid
    return model.encode(sb[0], sb[1], sb[2], sb[3], sb[4], sb[5]);
}

std::vector<int64_t> objectOrder(const SceneObjects& s, bool shuffle, uint64_t seed) {
    std::vector<int64_t> order;
    for (int k = 0; k < s.count; ++k)
        if (s.valid[size_t(k)]) order.push_back(k);
    if (shuffle) std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
    return order;
}

std::vector<int64_t> identifierAssignment(int64_t identifiers, uint64_t seed) {
    std::vector<int64_t> idOf(static_cast<size_t>(identifiers));
    for (size_t j = 0; j < idOf.size(); ++j) idOf[j] = int64_t(j);
    std::shuffle(idOf.begin(), idOf.end(), std::mt19937_64(seed));
    return idOf;
}

std::vector<int64_t> reassignIdentifiers(const std::vector<int64_t>& ids, int64_t base, const std::vector<int64_t>& idOf) {
    std::vector<int64_t> out = ids;
    for (int64_t& t : out)
        if (t >= base && t < base + int64_t(idOf.size())) t = base + idOf[size_t(t - base)];
    return out;
}

namespace {
constexpr uint64_t kIdentifierSeedSalt = 0x9e3779b97f4a7c15ULL;  // the identifier draw apart from the order draw
}

struct Inst3dTrainer::Impl {
    Inst3dStack& st;
    Inst3dTrainOptions o;
    std::vector<Encoded> samples;
    std::vector<torch::Tensor> params;
    std::unique_ptr<torch::optim::AdamW> opt;
    int64_t steps = 0;
    int64_t permEpoch = -1;
    std::vector<size_t> perm;

    Impl(Inst3dStack& s, const Inst3dData& data, const Inst3dTrainOptions& options) : st(s), o(options) {
        const int wanted = st.config.tokenLayout == TokenLayout::Slots ? 2 : 1;
        if (st.prompt.slotCount() != wanted)
            fail("", std::string("the object prompt has ") + std::to_string(st.prompt.slotCount()) + " <REPLACE> slot(s); token_layout " +
                         tokenLayoutName(st.config.tokenLayout) + " needs " + std::to_string(wanted));
        if (o.turnsPerConversation < 1) fail("", "turns per conversation must be >= 1");
        packSamples(data);
        if (samples.empty()) fail("", "no training samples (check the task tags and the split)");
        torch::manual_seed(o.seed);  // the dropout masks (loadState restores the generator on --resume)
        st.model->setTraining(true);
        std::vector<torch::Tensor> decay, noDecay;  // Inst3D: no weight decay on biases and other 1-D tensors
        for (const torch::Tensor& p : st.model->trainableParameters()) (p.dim() < 2 ? noDecay : decay).push_back(p);
        for (const torch::Tensor& p : st.llm->trainableParameters()) (p.dim() < 2 ? noDecay : decay).push_back(p);
        params = decay;
        params.insert(params.end(), noDecay.begin(), noDecay.end());
        const TrainerConfig& c = o.optimizer;
        auto group = [&](std::vector<torch::Tensor> ps, double wd) {
            return torch::optim::OptimizerParamGroup(
                std::move(ps), std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(c.lr).betas({c.beta1, c.beta2}).eps(c.eps).weight_decay(wd)));
        };
        std::vector<torch::optim::OptimizerParamGroup> groups;
        groups.push_back(group(decay, c.weightDecay));
        if (!noDecay.empty()) groups.push_back(group(noDecay, 0.0));
        opt = std::make_unique<torch::optim::AdamW>(std::move(groups), torch::optim::AdamWOptions(c.lr));
    }

    // One entry per conversation of packConversations: its first sample's text, the others as turns.
    void packSamples(const Inst3dData& data) {
        for (const std::vector<const TaskSample*>& conv : packConversations(data, o.turnsPerConversation)) {
            const TaskSample& t = *conv.front();
            samples.push_back({&t, &data.scenes.at(t.sample.sceneId), encodeSampleText(st, t.sample.prompt, t.sample.caption.value_or(""))});
            for (size_t k = 1; k < conv.size(); ++k)
                samples.back().text.turns.push_back(encodeFollowUpTurn(st, conv[k]->sample.prompt, conv[k]->sample.caption.value_or("")));
        }
    }

    // The label curriculum's weight of the label embeddings at the current step: 1, then down to 0.
    double labelWeight() const {
        if (steps < o.labelTokenSteps) return 1.0;
        if (steps >= o.labelTokenSteps + o.labelFadeSteps) return 0.0;
        return 1.0 - double(steps - o.labelTokenSteps) / double(o.labelFadeSteps);
    }

    // Word embeddings of the scenes' object labels, padded like the object tokens: [B, N, dim_llm].
    torch::Tensor labelEmbeddings(const std::vector<const SceneObjects*>& scenes, int64_t N) const {
        const LlamaTokenizer& tok = *st.tokenizer;
        std::vector<torch::Tensor> rows;
        for (const SceneObjects* s : scenes) {
            std::vector<torch::Tensor> objs;
            for (int64_t j = 0; j < N; ++j) {
                const std::vector<std::string>& names = s->labelPhrases.empty() ? s->labels : s->labelPhrases;
                const std::string label = j < s->count ? names[size_t(j)] : "";
                const std::vector<int> pieces = tok.encode(" " + label, false);
                objs.push_back(pieces.empty() || label.empty()
                                   ? torch::zeros({int64_t(st.config.dimLlm)})
                                   : st.llm->embed(torch::tensor(ids(pieces), torch::kInt64).unsqueeze(0))[0].mean(0).to(torch::kFloat32).cpu());
            }
            rows.push_back(torch::stack(objs));
        }
        return torch::stack(rows);                                                             // [B, N, dim_llm]
    }

    // Sample k of the endless stream: each epoch is a permutation drawn from (seed, epoch).
    const Encoded& streamSample(int64_t k) {
        const int64_t n = int64_t(samples.size()), epoch = k / n;
        if (epoch != permEpoch) {
            perm.resize(samples.size());
            for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
            std::shuffle(perm.begin(), perm.end(), std::mt19937_64(o.seed + uint64_t(epoch)));
            permEpoch = epoch;
        }
        return samples[perm[size_t(k % n)]];
    }

    // Loss sums and token counts of a micro-batch ([B] each) and the label alignment term (a scalar, 0
    // outside the curriculum); sample i's objects shuffled from orderSeeds[i] when train (the sample's
    // place in the stream, so any split over ranks sees the same).
    std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> forward(const std::vector<const Encoded*>& batch, bool train,
                                                    const std::vector<uint64_t>& orderSeeds) const {
        const AutocastScope autocast(o.precision, parseTorchDevice(st.model->device()));
        std::vector<const SceneObjects*> scenes;
        for (const Encoded* e : batch) scenes.push_back(e->scene);
        ObjectTokens tokens = encodeScenes(*st.model, scenes);
        const double alpha = train ? labelWeight() : 0.0;
        torch::Tensor align = torch::zeros({});
        if (alpha > 0) {  // the label curriculum
            const torch::Tensor words = labelEmbeddings(scenes, tokens.tok3d().size(1)).to(tokens.tok3d().device());
            if (o.labelAlignWeight > 0) align = o.labelAlignWeight * labelAlignment(tokens, words, o.labelTokenParts);
            for (int k : o.labelTokenParts) tokens.parts[size_t(k)] = alpha * words + (1 - alpha) * tokens.parts[size_t(k)];
        }
        const int64_t base = st.objectTokenBase();
        const torch::Tensor idEmbeds = identifierEmbeddings(st);
        std::vector<EmbeddedSequence> seqs;
        for (size_t i = 0; i < batch.size(); ++i) {
            const Encoded& e = *batch[i];
            const uint64_t seed = orderSeeds.empty() ? 0 : orderSeeds[i];
            const std::vector<int64_t> order = objectOrder(*e.scene, train && o.shuffleObjects, seed);
            SequenceParts parts{e.text.text, e.text.question, e.text.answer, e.text.turns};
            torch::Tensor ids = idEmbeds;                                                     // [I, dim_llm]
            if (train && o.randomIdentifiers) {
                const std::vector<int64_t> idOf = identifierAssignment(st.config.identifierTokens, seed ^ kIdentifierSeedSalt);
                parts.question = reassignIdentifiers(parts.question, base, idOf);
                parts.answer = reassignIdentifiers(parts.answer, base, idOf);
                for (auto& [question, answer] : parts.turns) {
                    question = reassignIdentifiers(question, base, idOf);
                    answer = reassignIdentifiers(answer, base, idOf);
                }
                ids = idEmbeds.index_select(0, torch::tensor(idOf, torch::kInt64).to(idEmbeds.device()));  // row j = E(<OBJ idOf[j]>)
            }
            seqs.push_back(embedSequence(*st.llm, parts, st.model->objectSegments(tokens, int64_t(i), order, ids, st.config.tokenLayout)));
        }
        torch::Tensor embeds, mask, labels;
        collateSequences(seqs, embeds, mask, labels);
        auto [sums, counts] = answerLosses(st.llm->forwardTrainEmbeds(embeds, &mask, train).to(torch::kFloat32), labels);
        return {sums, counts, align};
    }

    // Mean (1 - cosine) between the model's tokens of those parts and the label embeddings, over
    // the objects that have a label (padding and unlabelled objects have zero rows): a scalar.
    static torch::Tensor labelAlignment(const ObjectTokens& tokens, const torch::Tensor& words, const std::vector<int>& parts) {
        const torch::Tensor valid = (words.norm(2, -1) > 0).to(torch::kFloat32);                 // [B, N]
        torch::Tensor sum = torch::zeros({}, words.options());
        for (int k : parts) {
            const torch::Tensor cos = torch::cosine_similarity(tokens.parts[size_t(k)], words.detach(), -1);  // [B, N]
            sum = sum + ((1 - cos) * valid).sum();
        }
        return sum / (double(parts.size()) * valid.sum()).clamp_min(1);
    }
};

Inst3dTrainer::Inst3dTrainer(Inst3dStack& stack, const Inst3dData& data, const Inst3dTrainOptions& options)
    : impl_(std::make_unique<Impl>(stack, data, options)) {}
Inst3dTrainer::~Inst3dTrainer() = default;

int64_t Inst3dTrainer::stepsDone() const { return impl_->steps; }
int64_t Inst3dTrainer::totalSteps() const { return impl_->o.optimizer.totalSteps; }
int64_t Inst3dTrainer::samplesPerStep() const { return int64_t(impl_->o.batchSize) * impl_->o.gradAccum; }

StepResult Inst3dTrainer::step() {
    Impl& s = *impl_;
    StepResult r;
    r.lr = scheduledLr(s.o.optimizer, s.steps);
    for (auto& g : s.opt->param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(r.lr);
    s.opt->zero_grad();
    // The step's micro-batches: their token counts first, so the loss is the mean over all answer
    // tokens of the step (what one big batch would give), whatever the accumulation and the ranks.
    const int world = s.o.group ? s.o.group->worldSize() : 1, rank = s.o.group ? s.o.group->rank() : 0;
    const int64_t first = s.steps * samplesPerStep();
    double tokens = 0;
    std::vector<std::vector<const Encoded*>> micro(size_t(s.o.gradAccum));
    std::vector<std::vector<uint64_t>> seeds(size_t(s.o.gradAccum));
    for (int64_t k = 0; k < samplesPerStep(); ++k) {
        const Encoded& e = s.streamSample(first + k);
        tokens += double(e.text.answerTokens());
        if (k % world != rank) continue;  // another rank's share
        micro[size_t(k / s.o.batchSize)].push_back(&e);
        seeds[size_t(k / s.o.batchSize)].push_back(s.o.seed * 1000003 + uint64_t(first + k));
    }
    std::map<std::string, std::pair<double, double>> perTask;
    double total = 0;
    for (size_t m = 0; m < micro.size(); ++m) {
        if (micro[m].empty()) continue;
        auto [sums, counts, align] = s.forward(micro[m], true, seeds[m]);
        torch::Tensor loss = sums.sum() / tokens;
        // The alignment is a mean per micro-batch: weighted by its share of the step's samples.
        (loss + align * (double(micro[m].size()) / double(samplesPerStep()))).backward();
        total += loss.item<double>();
        for (size_t i = 0; i < micro[m].size(); ++i) {
            auto& [sum, count] = perTask[micro[m][i]->sample->task];
            sum += sums[int64_t(i)].item<double>();
            count += counts[int64_t(i)].item<double>();
        }
    }
    if (world > 1) {  // every rank passes every gradient, zeros where its share touched none
        std::vector<torch::Tensor> grads;
        for (torch::Tensor& p : s.params) {
            if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
            grads.push_back(p.grad());
        }
        s.o.group->allReduceSum(grads);
        total = s.o.group->allReduceSum(total);
    }
    const double maxNorm = s.o.optimizer.maxGradNorm > 0 ? s.o.optimizer.maxGradNorm : std::numeric_limits<double>::infinity();
    r.gradNorm = torch::nn::utils::clip_grad_norm_(s.params, maxNorm);
    s.opt->step();
    ++s.steps;
    r.loss = total;
    for (const auto& [task, sc] : perTask) r.perTask[task] = sc.first / std::max(1.0, sc.second);
    return r;
}

double Inst3dTrainer::validationLoss(const Inst3dData& data, int maxSamples) const {
    torch::NoGradGuard noGrad;
    const Impl& s = *impl_;
    s.st.model->setTraining(false);
    std::vector<Encoded> enc;
    for (const TaskSample& t : data.samples) {
        if (int(enc.size()) >= maxSamples) break;
        const std::string answer = t.sample.caption ? *t.sample.caption : t.sample.refCaptions.empty() ? "" : t.sample.refCaptions[0];
        if (!answer.empty()) enc.push_back({&t, &data.scenes.at(t.sample.sceneId), encodeSampleText(s.st, t.sample.prompt, answer)});
    }
    double sum = 0, count = 0;
    for (size_t i = 0; i < enc.size(); i += size_t(s.o.batchSize)) {
        std::vector<const Encoded*> batch;
        for (size_t j = i; j < std::min(enc.size(), i + size_t(s.o.batchSize)); ++j) batch.push_back(&enc[j]);
        auto [sums, counts, align] = s.forward(batch, false, {});
        sum += sums.sum().item<double>();
        count += counts.sum().item<double>();
    }
    s.st.model->setTraining(true);
    return count > 0 ? sum / count : std::nan("");
}

void Inst3dTrainer::saveState(const std::string& dir) const {
    const Impl& s = *impl_;
    std::vector<std::pair<std::string, at::Tensor>> t;
    for (size_t i = 0; i < s.params.size(); ++i) {
        auto it = s.opt->state().find(c10::guts::to_string(s.params[i].unsafeGetTensorImpl()));
        if (it == s.opt->state().end()) continue;
        auto& st = static_cast<torch::optim::AdamWParamState&>(*it->second);
        t.emplace_back("exp_avg." + std::to_string(i), st.exp_avg().detach().cpu().contiguous());
        t.emplace_back("exp_avg_sq." + std::to_string(i), st.exp_avg_sq().detach().cpu().contiguous());
        t.emplace_back("step." + std::to_string(i), torch::tensor({st.step()}, torch::kInt64));
    }
    t.emplace_back("dropout_generator", at::detail::getDefaultCPUGenerator().get_state());
    saveTensors(joinPath(dir, kStateFile), t, {{"steps", std::to_string(s.steps)}});
}

void Inst3dTrainer::loadState(const std::string& dir) {
    Impl& s = *impl_;
    const std::string path = joinPath(dir, kStateFile);
    auto file = std::make_shared<SafetensorsFile>(path);
    auto it = file->metadata().find("steps");
    if (it == file->metadata().end()) fail(path, "no 'steps' in the metadata");
    s.steps = std::stoll(it->second);
    for (size_t i = 0; i < s.params.size(); ++i) {
        const std::string n = std::to_string(i);
        if (!file->find("exp_avg." + n)) continue;
        auto st = std::make_unique<torch::optim::AdamWParamState>();
        st->exp_avg(loadTensorChecked(file, "exp_avg." + n, s.params[i].sizes().vec()).clone().to(s.params[i].device()));
        st->exp_avg_sq(loadTensorChecked(file, "exp_avg_sq." + n, s.params[i].sizes().vec()).clone().to(s.params[i].device()));
        st->step(loadTensor(file, "step." + n).item<int64_t>());
        s.opt->state()[c10::guts::to_string(s.params[i].unsafeGetTensorImpl())] = std::move(st);
    }
    at::Generator dropout = at::detail::getDefaultCPUGenerator();
    dropout.set_state(loadTensor(file, "dropout_generator").clone());
}

}  // namespace inst3d
