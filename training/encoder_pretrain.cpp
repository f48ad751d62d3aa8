#include "training/encoder_pretrain.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/scene_loader.h"
#include "training/inst3d_data.h"

namespace inst3d {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kPrototypeStd = 0.02;  // initial prototypes: small random directions

struct SplitInstances {
    std::vector<std::string> labels;
    std::vector<PretrainInstance> instances;  // category left at 0
};

SplitInstances splitInstances(const std::string& root, const std::string& split, int64_t groupSize,
                              const Progress& progress, double from, double to) {
    SplitInstances out;
    const std::vector<std::string> ids = splitScenes(root, split);
    LoadOptions lo;
    lo.loadFrames = false;
    for (size_t i = 0; i < ids.size(); ++i) {
        if (progress) progress(from + (to - from) * double(i) / double(ids.size()), ids[i]);
        const Scene scene = loadScene(joinPath(root, "scans/" + ids[i]), lo);
        for (const Instance& inst : scene.instances) {
            const InstancePoints pts = instancePoints(scene, inst);
            if (int64_t(pts.size()) < Uni3dEncoder::kMinInstancePoints) continue;
            PretrainInstance p;
            p.sceneId = scene.id;
            p.colour = colourClass(pts);
            p.input = prepareUni3dInstance(pts.xyz, colourBytes(pts), groupSize);
            out.labels.push_back(inst.label);
            out.instances.push_back(std::move(p));
        }
    }
    return out;
}

// A step's batch: `points` points drawn per instance, each cloud turned about z by a random angle.
std::pair<torch::Tensor, torch::Tensor> sampleBatch(const std::vector<const PretrainInstance*>& batch, int64_t points,
                                                    std::mt19937_64& rng) {
    const int64_t B = int64_t(batch.size());
    torch::Tensor xyz = torch::empty({B, points, 3}), rgb = torch::empty({B, points, 3});
    float* px = xyz.data_ptr<float>();
    float* pc = rgb.data_ptr<float>();
    std::uniform_real_distribution<double> angle(0.0, 2 * M_PI);
    for (int64_t b = 0; b < B; ++b) {
        const Uni3dInput& in = batch[size_t(b)]->input;
        std::uniform_int_distribution<int64_t> pick(0, in.numPoints - 1);
        const double a = angle(rng), c = std::cos(a), s = std::sin(a);
        for (int64_t k = 0; k < points; ++k) {
            const size_t src = size_t(pick(rng)) * 3;
            const size_t dst = size_t(b * points + k) * 3;
            const float x = in.xyz[src], y = in.xyz[src + 1];
            px[dst] = float(c * x - s * y);
            px[dst + 1] = float(s * x + c * y);
            px[dst + 2] = in.xyz[src + 2];
            for (int ch = 0; ch < 3; ++ch) pc[dst + size_t(ch)] = in.rgb[src + size_t(ch)];
        }
    }
    return {xyz, rgb};
}

// Cosine-classifier logits: normalised embeddings against normalised prototypes, over the temperature.
torch::Tensor prototypeLogits(const torch::Tensor& embed, const torch::Tensor& prototypes, double temperature) {
    using torch::nn::functional::normalize;
    const auto unit = torch::nn::functional::NormalizeFuncOptions().dim(-1);
    return torch::matmul(normalize(embed, unit), normalize(prototypes, unit).t()) / temperature;  // [B, K]
}

// Held-out accuracy by the nearest prototype, each instance whole (every point, as extraction does).
std::pair<double, double> validate(const Uni3dEncoder& enc, const std::vector<PretrainInstance>& val,
                                   const torch::Tensor& catProto, const torch::Tensor& colProto) {
    if (val.empty()) return {0, 0};
    torch::NoGradGuard noGrad;
    int catHits = 0, colHits = 0;
    for (const PretrainInstance& p : val) {
        torch::Tensor xyz = torch::from_blob(const_cast<float*>(p.input.xyz.data()), {1, p.input.numPoints, 3});
        torch::Tensor rgb = torch::from_blob(const_cast<float*>(p.input.rgb.data()), {1, p.input.numPoints, 3});
        const torch::Tensor e = enc.encode(xyz, rgb);                                                  // [1, E]
        catHits += prototypeLogits(e, catProto, 1.0).argmax(-1).item<int64_t>() == p.category;
        colHits += prototypeLogits(e, colProto, 1.0).argmax(-1).item<int64_t>() == p.colour;
    }
    return {double(catHits) / double(val.size()), double(colHits) / double(val.size())};
}

}  // namespace

int colourClass(const InstancePoints& points) {
    int cls = 0;
    for (size_t ch = 0; ch < 3; ++ch) {
        std::vector<float> v;
        for (size_t i = ch; i < points.rgb.size(); i += 3) v.push_back(points.rgb[i]);
        if (v.empty()) return 0;
        std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
        const int level = std::min(kColourLevels - 1, int(v[v.size() / 2] * float(kColourLevels)));
        cls = cls * kColourLevels + level;
    }
    return cls;
}

PretrainSet loadPretrainSet(const std::string& root, int64_t groupSize,
                            const Progress& progress) {
    SplitInstances train = splitInstances(root, "train", groupSize, progress, 0.0, 0.7);
    SplitInstances val = splitInstances(root, "val", groupSize, progress, 0.7, 1.0);
    if (train.instances.empty()) fail(joinPath(root, "splits/scannetv2_train.txt"), "no instances in the train scenes");
    PretrainSet set;
    const std::set<std::string> seen(train.labels.begin(), train.labels.end());
    set.categories.assign(seen.begin(), seen.end());
    std::map<std::string, int> index;
    for (size_t k = 0; k < set.categories.size(); ++k) index[set.categories[k]] = int(k);
    for (size_t i = 0; i < train.instances.size(); ++i) {
        train.instances[i].category = index.at(train.labels[i]);
        set.train.push_back(std::move(train.instances[i]));
    }
    for (size_t i = 0; i < val.instances.size(); ++i) {
        auto it = index.find(val.labels[i]);
        if (it == index.end()) {
            ++set.valUnseen;
            continue;
        }
        val.instances[i].category = it->second;
        set.val.push_back(std::move(val.instances[i]));
    }
    return set;
}

namespace {

struct PretrainState {
    torch::Tensor catProto, colProto;  // [categories, E], [27, E]
    std::unique_ptr<torch::optim::AdamW> opt;
    int64_t step = 0, totalSteps = 1;
};

double cosineLr(const PretrainOptions& o, int64_t step, int64_t total) {
    const double t = double(step) / double(std::max<int64_t>(1, total));
    return o.lr * (o.minLrRatio + (1 - o.minLrRatio) * 0.5 * (1 + std::cos(M_PI * t)));
}

// One epoch over data.train in a fresh order: mean loss and train category accuracy.
std::pair<double, double> trainEpoch(const Uni3dEncoder& enc, const PretrainSet& data, const PretrainOptions& o,
                                     PretrainState& st, std::mt19937_64& rng) {
    std::vector<const PretrainInstance*> order;
    for (const PretrainInstance& p : data.train) order.push_back(&p);
    std::shuffle(order.begin(), order.end(), rng);
    double lossSum = 0, hits = 0;
    int batches = 0;
    for (size_t from = 0; from < order.size(); from += size_t(o.batchSize)) {
        const std::vector<const PretrainInstance*> batch(order.begin() + long(from),
                                                         order.begin() + long(std::min(order.size(), from + size_t(o.batchSize))));
        std::vector<int64_t> cats, cols;
        for (const PretrainInstance* p : batch) {
            cats.push_back(p->category);
            cols.push_back(p->colour);
        }
        auto [xyz, rgb] = sampleBatch(batch, o.points, rng);
        for (auto& g : st.opt->param_groups())
            static_cast<torch::optim::AdamWOptions&>(g.options()).lr(cosineLr(o, st.step, st.totalSteps));
        const torch::Tensor e = enc.encodeWithGrad(xyz, rgb);                                        // [B, E]
        const torch::Tensor catLogits = prototypeLogits(e, st.catProto, o.temperature);              // [B, C]
        const torch::Tensor loss = torch::nn::functional::cross_entropy(catLogits, torch::tensor(cats)) +
                                   torch::nn::functional::cross_entropy(prototypeLogits(e, st.colProto, o.temperature), torch::tensor(cols));
        st.opt->zero_grad();
        loss.backward();
        st.opt->step();
        ++st.step;
        lossSum += loss.item<double>();
        hits += catLogits.argmax(-1).eq(torch::tensor(cats)).sum().item<double>();
        ++batches;
    }
    return {lossSum / std::max(1, batches), hits / double(std::max<size_t>(1, order.size()))};
}

}  // namespace

std::vector<PretrainEpoch> pretrainUni3d(Uni3dEncoder& encoder, const PretrainSet& data, const PretrainOptions& o,
                                         const std::function<bool(const PretrainEpoch&)>& onEpoch) {
    if (o.epochs < 1 || o.batchSize < 1 || o.points < encoder.config().groupSize)
        fail("", "pretraining needs epochs and batch >= 1 and at least group_size (" +
                     std::to_string(encoder.config().groupSize) + ") points per instance");
    torch::manual_seed(o.seed);
    std::mt19937_64 rng(o.seed);
    const int64_t E = encoder.config().embedDim;
    PretrainState st;
    st.catProto = (torch::randn({int64_t(data.categories.size()), E}) * kPrototypeStd).requires_grad_(true);
    st.colProto = (torch::randn({kColourLevels * kColourLevels * kColourLevels, E}) * kPrototypeStd).requires_grad_(true);
    std::vector<torch::Tensor> params = encoder.trainableParameters();
    for (torch::Tensor& p : params) p.requires_grad_(true);
    params.push_back(st.catProto);
    params.push_back(st.colProto);
    st.opt = std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(o.lr).weight_decay(o.weightDecay));
    st.totalSteps = int64_t(o.epochs) * int64_t((data.train.size() + size_t(o.batchSize) - 1) / size_t(o.batchSize));
    std::vector<PretrainEpoch> log;
    const auto start = Clock::now();
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        PretrainEpoch e;
        e.epoch = epoch;
        std::tie(e.loss, e.trainCategoryAcc) = trainEpoch(encoder, data, o, st, rng);
        std::tie(e.valCategoryAcc, e.valColourAcc) = validate(encoder, data.val, st.catProto, st.colProto);
        e.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        log.push_back(e);
        if (onEpoch && !onEpoch(e)) break;
    }
    for (torch::Tensor& p : encoder.trainableParameters()) p.requires_grad_(false);
    return log;
}

}  // namespace inst3d
