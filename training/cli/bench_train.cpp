// `inst3d bench train`: samples/s and peak memory of Inst3D instruction-tuning steps, run by the trainer
// of `inst3d train` (training/inst3d_trainer.h) on generated scenes with random weights, so the paper's
// shapes can be measured without Vicuna or a dataset. tools/oracles/bench_train.py times the same step
// in PyTorch + peft (docs/performance.md).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <random>

#include "core/cli/command.h"
#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/common/memory_stats.h"
#include "core/config/config.h"
#include "core/data/instructions.h"
#include "models/weights/torch_runtime.h"
#include "training/cli/train_commands.h"
#include "training/cli/train_config.h"
#include "training/cli/vocabulary.h"
#include "training/inst3d_trainer.h"

namespace inst3d {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr float kRoomSizeM = 6.0f;          // object centres uniform in a room this wide
constexpr float kObjectSizeM = 0.5f;        // every generated box is this wide
constexpr int64_t kVicunaVocab = 32000;     // the base vocabulary of the paper's LLM
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kMemoryHeadroom = 0.9;     // refuse a model whose weights need more than this share of free memory
const char* kDescription = "this is a brown chair. it is the chair closest to the window";

struct BenchOptions {
    std::string model;
    int llmLayers = 0;  // 0: the configuration's own
    int objects = 0, scenes = 0, batch = 0, steps = 0;
    bool full = false;  // full fine-tuning instead of LoRA
    TrainPrecision precision = TrainPrecision::Fp32;
    uint64_t seed = 0;
};

// A fresh folder under $TMPDIR for the bench's vocabulary (mkdtemp: no clash between concurrent runs).
std::string freshTempDirectory() {
    std::string path = (fs::temp_directory_path() / "inst3d-bench-train-XXXXXX").string();
    if (!mkdtemp(path.data())) fail(path, "cannot create a temporary folder");
    return path;
}

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// One scene of `objects` valid objects: unit-normal features, centres in a room.
SceneObjects benchScene(const Inst3dConfig& mc, int index, int objects, std::mt19937_64& rng) {
    std::normal_distribution<float> normal;
    std::uniform_real_distribution<float> room(0.0f, kRoomSizeM);
    SceneObjects s;
    s.sceneId = "bench" + std::to_string(index);
    s.count = objects;
    s.dim3d = int(mc.dim3d);
    s.dim2d = int(mc.dim2d);
    for (int64_t i = 0; i < int64_t(objects) * mc.dim3d; ++i) s.uni3d.push_back(normal(rng));
    for (int64_t i = 0; i < int64_t(objects) * mc.dim2d; ++i) s.clip.push_back(normal(rng));
    for (int k = 0; k < objects; ++k) {
        const float x = room(rng), y = room(rng), z = room(rng) / 4;
        s.centers.insert(s.centers.end(), {x, y, z});
        s.boxes.push_back({{x, y, z}, {kObjectSizeM, kObjectSizeM, kObjectSizeM}});
        s.labels.push_back("chair");
        s.valid.push_back(1);
    }
    return s;
}

// Scenes with one ScanRefer-style grounding sample per object (the real prompt templates and answer format).
Inst3dData benchData(const Inst3dConfig& mc, const BenchOptions& o) {
    Inst3dData d;
    std::mt19937_64 rng(o.seed);
    const PromptTemplates templates = PromptTemplates::loadDefault();
    for (int s = 0; s < o.scenes; ++s) {
        SceneObjects scene = benchScene(mc, s, o.objects, rng);
        for (int k = 0; k < o.objects; ++k) {
            TaskSample t;
            t.task = "scanrefer";
            t.sample.sceneId = scene.sceneId;
            t.sample.objId = k;
            std::string prompt = templates.grounding[size_t(k) % templates.grounding.size()];
            prompt.replace(prompt.find("<description>"), std::string("<description>").size(), kDescription);
            t.sample.prompt = prompt;
            t.sample.caption = groundingAnswer(k);
            d.samples.push_back(t);
            ++d.samplesPerTask[t.task];
        }
        d.scenes[scene.sceneId] = std::move(scene);
    }
    return d;
}

// The LLM: LLaMA-7B's shapes when the configuration is 4096 wide (vocabulary 32000 + the identifiers),
// else the random base of `inst3d train` (llm.random_* of the training defaults).
LlamaConfig benchLlmConfig(const Inst3dConfig& mc, const Config& defaults, int64_t tokenizerVocab, int layers) {
    LlamaConfig c = LlamaConfig::named("7b");
    if (mc.dimLlm == c.hiddenSize) {
        c.vocabSize = std::max<int64_t>(tokenizerVocab, kVicunaVocab + mc.identifierTokens);
    } else {
        c.vocabSize = tokenizerVocab;
        c.hiddenSize = int(mc.dimLlm);
        c.numLayers = defaults.getInt("llm.random_layers");
        c.numHeads = c.numKvHeads = defaults.getInt("llm.random_heads");
        c.headDim = c.hiddenSize / c.numHeads;
        c.intermediateSize = defaults.getInt("llm.random_ffn");
    }
    if (layers > 0) c.numLayers = layers;
    return c;
}

int64_t llmParameters(const LlamaConfig& c) {
    const int64_t D = c.hiddenSize, F = c.intermediateSize, V = c.vocabSize;
    const int64_t q = int64_t(c.numHeads) * c.headDim, kv = int64_t(c.numKvHeads) * c.headDim;
    const int64_t layer = 2 * D + D * q + 2 * D * kv + q * D + 3 * D * F;
    return V * D * (c.tieWordEmbeddings ? 1 : 2) + D + layer * c.numLayers;
}

LoraConfig benchLora(const Config& defaults) {
    LoraConfig l;
    l.r = defaults.getInt("lora.r");
    l.alpha = defaults.getDouble("lora.alpha");
    l.dropout = defaults.getDouble("lora.dropout");
    l.targetModules = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
    return l;
}

// The stack `inst3d train` builds for llm.base=random, at the bench's shapes.
Inst3dStack benchStack(const Inst3dConfig& mc, const Inst3dData& data, const BenchOptions& o, const std::string& tmp) {
    const Config defaults = trainingConfig("", {});
    Inst3dStack st;
    st.config = mc;
    st.prompt = ObjectPrompt::loadDefault();
    st.tokenizer = std::make_unique<LlamaTokenizer>(trainVocabulary(data, st.prompt, defaults.getInt("llm.random_vocab"), tmp));
    st.tokenizer->addObjectTokens(mc.identifierTokens);
    const LlamaConfig lc = benchLlmConfig(mc, defaults, st.tokenizer->vocabSize(), o.llmLayers);
    const double need = double(llmParameters(lc)) * sizeof(float), free = double(availableMemoryBytes());
    if (free > 0 && need > kMemoryHeadroom * free)
        fail("", "the LLM's fp32 weights need " + std::to_string(need / kGiB) + " GiB, this machine has " +
                     std::to_string(free / kGiB) + " GiB free: measure fewer layers (--llm-layers N)");
    st.llm = LlamaModel::random(lc, LlmDType::F32, o.seed);
    st.model = Inst3dModel::random(mc, o.seed);
    st.llm->setTrainEmbeddings(true);
    st.llm->enableLora(benchLora(defaults), o.seed);
    if (o.full) st.llm->setTrainBaseWeights(true);
    return st;
}

int64_t tokensPerSample(const Inst3dStack& st, const TaskSample& t, int objects) {
    const SampleText text = encodeSampleText(st, t.sample.prompt, *t.sample.caption);
    int64_t n = int64_t(text.question.size() + text.answer.size());
    for (const auto& seg : text.text) n += int64_t(seg.size());
    const int64_t perObject = st.config.tokenLayout == TokenLayout::Interleaved ? 4 : 5;  // id + 3 | id + 2, id + 1
    return n + perObject * objects;
}

int64_t trainableCount(const Inst3dStack& st) {
    int64_t n = 0;
    for (const at::Tensor& p : st.model->trainableParameters()) n += p.numel();
    for (const at::Tensor& p : st.llm->trainableParameters()) n += p.numel();
    return n;
}

void report(const Inst3dStack& st, const BenchOptions& o, const Inst3dData& data, double firstStep, double perStep) {
    const LlamaConfig& lc = st.llm->config();
    std::printf("| quantity | value |\n|---|---|\n");
    std::printf("| configuration | %s, LLM %d layers x %d wide (%.1f M parameters), %s |\n", st.config.name.c_str(), lc.numLayers,
                lc.hiddenSize, double(llmParameters(lc)) / 1e6, o.full ? "full fine-tuning" : "LoRA r 32 on q,k,v,o,gate,up,down + embeddings");
    std::printf("| trainable parameters | %.2f M |\n", double(trainableCount(st)) / 1e6);
    std::printf("| sequence | %lld tokens (%d objects) |\n", (long long)tokensPerSample(st, data.samples.front(), o.objects), o.objects);
    std::printf("| batch | %d samples, %s |\n", o.batch, trainPrecisionName(o.precision));
    std::printf("| first step | %.2f s |\n", firstStep);
    std::printf("| step (mean of %d) | %.3f s |\n", o.steps, perStep);
    std::printf("| samples/s | %.2f |\n", double(o.batch) / perStep);
    std::printf("| peak RSS | %.2f GiB |\n", double(peakResidentBytes()) / kGiB);
}

BenchOptions parseOptions(const ArgParser& args) {
    BenchOptions o;
    o.model = args.get("model");
    o.llmLayers = args.getInt("llm-layers");
    o.objects = args.getInt("objects");
    o.scenes = args.getInt("scenes");
    o.batch = args.getInt("batch");
    o.steps = args.getInt("steps");
    o.seed = uint64_t(args.getInt("seed"));
    const std::string ft = args.get("finetune");
    if (ft != "lora" && ft != "full") throw UsageError("--finetune is lora or full");
    o.full = ft == "full";
    o.precision = parseTrainPrecision(args.get("precision"), "--precision");
    if (o.objects < 1 || o.scenes < 1 || o.batch < 1 || o.steps < 1 || o.llmLayers < 0)
        throw UsageError("--objects, --scenes, --batch and --steps must be >= 1, --llm-layers >= 0");
    return o;
}

int runBenchTrain(const std::vector<std::string>& argv) {
    ArgParser args("inst3d bench train",
                   "Times Inst3D training steps (the trainer of `inst3d train`: encoder, LLM with LoRA, AdamW) on\n"
                   "generated scenes with random weights, and reports samples/s and peak memory. The paper's\n"
                   "shapes: --model inst3d-7b (LLaMA-7B; fp32 needs 27 GB, so on a smaller machine measure a few\n"
                   "of its 32 layers with --llm-layers and scale). The same step in PyTorch + peft:\n"
                   "tools/oracles/bench_train.py.");
    args.option("model", "NAME", "model configuration (resources/config/model/NAME.yaml)", "synth-small")
        .option("llm-layers", "N", "LLM layers (0: the configuration's; 32 for inst3d-7b)", "0")
        .option("objects", "N", "valid objects per scene", "40")
        .option("scenes", "N", "generated scenes", "2")
        .option("batch", "B", "samples per step", "8")
        .option("steps", "N", "timed steps after the first", "3")
        .option("finetune", "MODE", "lora or full", "lora")
        .option("precision", "P", "fp32, or bf16 (autocast; fp32 weights and AdamW state)", "fp32")
        .option("threads", "T", "intra-op threads (default: every CPU this process may use, or $INST3D_THREADS)")
        .option("seed", "S", "seed of the weights and scenes", "0");
    if (!args.parse(argv)) return 0;
    applyDefaultThreads();
    if (args.has("threads")) setThreads(args.getInt("threads"));
    const BenchOptions o = parseOptions(args);
    const Inst3dConfig mc = Inst3dConfig::named(o.model);
    if (o.objects > mc.maxObjects || o.objects > mc.identifierTokens)
        throw UsageError("--objects is at most " + std::to_string(std::min<int64_t>(mc.maxObjects, mc.identifierTokens)) + " for " + mc.name);
    std::printf("inst3d bench train: %s\n", cpuRuntimeLine().c_str());
    const Inst3dData data = benchData(mc, o);
    const std::string tmp = freshTempDirectory();
    Inst3dStack st = benchStack(mc, data, o, tmp);
    fs::remove_all(tmp);
    Inst3dTrainOptions to;
    to.batchSize = o.batch;
    to.seed = o.seed;
    to.precision = o.precision;
    to.optimizer.totalSteps = o.steps + 1;
    Inst3dTrainer trainer(st, data, to);
    auto t0 = Clock::now();
    trainer.step();  // allocations, the optimizer's moments
    const double first = secondsSince(t0);
    t0 = Clock::now();
    for (int i = 0; i < o.steps; ++i) trainer.step();
    report(st, o, data, first, secondsSince(t0) / o.steps);
    return 0;
}

}  // namespace

void registerBenchTrain(CommandRegistry& registry) {
    registry.addSubject("bench", "train", "Inst3D training samples/s and peak memory (tiny or the paper's shapes)", runBenchTrain);
}

}  // namespace inst3d
