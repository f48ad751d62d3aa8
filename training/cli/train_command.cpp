// `inst3d train`: Inst3D multi-task instruction tuning from a configuration (train_config.h).
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/cli/command.h"
#include "training/cli/loss_plot.h"
#include "training/cli/train_commands.h"
#include "training/cli/train_config.h"
#include "training/cli/vocabulary.h"
#include "models/weights/torch_runtime.h"
#include "training/distributed.h"
#include "training/inst3d_checkpoint.h"

namespace inst3d {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

DataOptions dataOptions(const Config& c, const std::string& split, const std::string& tags, const Inst3dConfig& model) {
    DataOptions o;
    o.root = c.getString("data.root");
    o.featuresDir = c.getString("data.features");
    if (o.root.empty() || o.featuresDir.empty()) throw UsageError("data.root and data.features are required");
    o.split = split;
    o.tasks = parseTaskTags(tags);
    o.maxObjects = model.maxObjects;
    o.withCrops = model.viewFusion == ViewFusion::Views;
    o.trainIouThreshold = c.getDouble("data.train_iou_threshold");
    o.seed = uint64_t(c.getInt("seed"));
    o.limitScenes = c.getInt("data.limit_scenes");
    const std::string answer = c.getString("data.grounding_answer");
    if (answer != "id" && answer != "name_id") throw UsageError("data.grounding_answer must be id or name_id, got '" + answer + "'");
    o.namedGrounding = answer == "name_id";
    o.scanReferSubset = c.getString("data.scanrefer_subset");
    if (o.scanReferSubset != "all" && o.scanReferSubset != "unique" && o.scanReferSubset != "multiple")
        throw UsageError("data.scanrefer_subset must be all, unique or multiple, got '" + o.scanReferSubset + "'");
    const std::string words = c.getString("data.label_words");
    if (words != "category" && words != "description")
        throw UsageError("data.label_words must be category or description, got '" + words + "'");
    o.descriptionLabels = words == "description";
    return o;
}

// llm.random_embed_std > 0: the random LLM's token embeddings (the <OBJ###> rows too) rescaled to that
// standard deviation, so that words and identifiers enter at the scale of the object tokens.
void scaleEmbeddings(LlamaModel& llm, double stdev) {
    if (stdev < 0) throw UsageError("llm.random_embed_std must be >= 0 (0: as drawn)");
    if (stdev == 0) return;
    torch::NoGradGuard noGrad;
    for (auto& [name, t] : llm.namedWeights())
        if (name == "model.embed_tokens.weight") t.mul_(stdev / t.std().item<double>());
}

// The LLM and tokenizer: a LLaMA folder, or a random LLaMA with a vocabulary trained here.
void buildLanguageModel(Inst3dStack& st, const Config& c, const Inst3dData& data, const std::string& runDir,
                        std::string& baseLlmDir, CheckpointInfo& info) {
    const std::string base = c.getString("llm.base");
    if (base.empty()) throw UsageError("llm.base is required (a LLaMA / Vicuna folder, or random)");
    if (base == "random") {
        st.tokenizer = std::make_unique<LlamaTokenizer>(trainVocabulary(data, st.prompt, c.getInt("llm.random_vocab"), runDir));
        st.tokenizer->addObjectTokens(st.config.identifierTokens);
        LlamaConfig lc;
        lc.vocabSize = st.tokenizer->vocabSize();
        lc.hiddenSize = st.config.dimLlm;
        lc.numLayers = c.getInt("llm.random_layers");
        lc.numHeads = lc.numKvHeads = c.getInt("llm.random_heads");
        lc.headDim = lc.hiddenSize / lc.numHeads;
        lc.intermediateSize = c.getInt("llm.random_ffn");
        lc.maxPositions = 2048;
        st.llm = LlamaModel::random(lc, LlmDType::F32, uint64_t(c.getInt("seed")));
        scaleEmbeddings(*st.llm, c.getDouble("llm.random_embed_std"));
        baseLlmDir = joinPath(runDir, "base-llm");
        saveLlamaFolder(*st.llm, baseLlmDir);
        info.llmBase = "llm";
    } else {
        st.tokenizer = std::make_unique<LlamaTokenizer>(joinPath(base, "tokenizer.model"));
        st.tokenizer->addObjectTokens(st.config.identifierTokens);
        st.llm = LlamaModel::load(base);
        st.llm->resizeTokenEmbeddings(st.tokenizer->vocabSize(), uint64_t(c.getInt("seed")));
        info.llmBase = fs::absolute(base).string();
    }
    if (st.llm->config().hiddenSize != st.config.dimLlm)
        fail(base, "the LLM is " + std::to_string(st.llm->config().hiddenSize) + " wide, the model configuration's dim_llm is " +
                       std::to_string(st.config.dimLlm));
}

LoraConfig loraConfig(const Config& c) {
    LoraConfig l;
    l.r = c.getInt("lora.r");
    l.alpha = c.getDouble("lora.alpha");
    l.dropout = c.getDouble("lora.dropout");
    l.targetModules.clear();
    std::istringstream in(c.getString("lora.targets"));
    for (std::string t; std::getline(in, t, ',');)
        if (!t.empty()) l.targetModules.push_back(t);
    return l;
}

// optim.label_token_parts: "instance,scene,fused" or a part of it, as ObjectTokens' part indices.
std::vector<int> labelTokenParts(const std::string& list) {
    const std::map<std::string, int> part = {{"instance", 2}, {"scene", 3}, {"fused", 4}};
    std::vector<int> parts;
    std::istringstream in(list);
    for (std::string name; std::getline(in, name, ',');) {
        auto it = part.find(name);
        if (it == part.end())
            throw UsageError("optim.label_token_parts names instance, scene and fused, not '" + name + "'");
        if (std::find(parts.begin(), parts.end(), it->second) == parts.end()) parts.push_back(it->second);
    }
    if (parts.empty()) throw UsageError("optim.label_token_parts is empty (instance, scene, fused or a part of them)");
    return parts;
}

void checkFeatureWidths(const Inst3dConfig& m, const Inst3dData& data, const std::string& features) {
    const SceneObjects& s = data.scenes.begin()->second;
    if (s.dim3d != m.dim3d || s.dim2d != m.dim2d)
        fail(features, "features are " + std::to_string(s.dim3d) + "-d (3D) / " + std::to_string(s.dim2d) +
                           "-d (2D), the model configuration '" + m.name + "' expects " + std::to_string(m.dim3d) + " / " +
                           std::to_string(m.dim2d));
}

Inst3dTrainOptions trainOptions(const Config& c, const Inst3dData& data, std::shared_ptr<DistributedGroup> group) {
    Inst3dTrainOptions o;
    o.group = std::move(group);
    o.batchSize = c.getInt("optim.batch_size");
    o.gradAccum = c.getInt("optim.grad_accum");
    if (o.batchSize < 1 || o.gradAccum < 1) throw UsageError("optim.batch_size and optim.grad_accum must be >= 1");
    o.seed = uint64_t(c.getInt("seed"));
    o.shuffleObjects = c.getBool("optim.shuffle_objects");
    const std::string ids = c.getString("optim.id_assignment");
    if (ids != "fixed" && ids != "random") throw UsageError("optim.id_assignment is fixed or random, not '" + ids + "'");
    o.randomIdentifiers = ids == "random";
    o.precision = parseTrainPrecision(c.getString("optim.precision"), "optim.precision");
    o.turnsPerConversation = c.getInt("optim.turns_per_conversation");
    o.labelTokenSteps = c.getInt("optim.label_token_steps");
    o.labelFadeSteps = c.getInt("optim.label_fade_steps");
    if (o.labelTokenSteps < 0 || o.labelFadeSteps < 0) throw UsageError("optim.label_token_steps and optim.label_fade_steps must be >= 0");
    o.labelAlignWeight = c.getDouble("optim.label_align_weight");
    if (!(o.labelAlignWeight >= 0)) throw UsageError("optim.label_align_weight must be >= 0");
    o.labelTokenParts = labelTokenParts(c.getString("optim.label_token_parts"));
    if (o.turnsPerConversation < 1) throw UsageError("optim.turns_per_conversation must be >= 1");
    const size_t samples = packedSequenceCount(data, o.turnsPerConversation);  // an epoch: every sequence once
    TrainerConfig& t = o.optimizer;
    t.lr = c.getDouble("optim.lr");
    t.weightDecay = c.getDouble("optim.weight_decay");
    t.minLrMulti = c.getDouble("optim.min_lr_multi");
    t.maxGradNorm = c.getDouble("optim.max_grad_norm");
    const double stepsPerEpoch = double(samples) / double(o.batchSize * o.gradAccum);
    t.totalSteps = std::max<int64_t>(1, int64_t(std::ceil(stepsPerEpoch * c.getDouble("optim.epochs"))));
    t.warmupSteps = int64_t(std::round(stepsPerEpoch * c.getDouble("optim.warmup_epochs")));
    return o;
}

int envRank() { return std::getenv("RANK") ? std::atoi(std::getenv("RANK")) : 0; }

// After a kill, the log may hold steps past the checkpoint: drop them, the resumed run writes them again.
void truncateLogAfter(const std::string& path, int64_t step) {
    std::ifstream in(path);
    std::string kept;
    for (std::string line; std::getline(in, line);)
        if (!line.empty() && nlohmann::json::parse(line, nullptr, false).value("step", int64_t(0)) <= step) kept += line + "\n";
    writeFileAtomic(path, kept);
}

void appendJsonLine(const std::string& path, const nlohmann::ordered_json& j) {
    std::ofstream out(path, std::ios::app);
    out << j.dump() << "\n";
    if (!out) fail(path, "cannot append to the training log");
}

struct Run {
    Config cfg;
    std::string dir, ckptDir, log;
    Inst3dData train, val;
    Inst3dStack stack;
    CheckpointInfo info;
    std::string baseLlmDir;
    std::unique_ptr<Inst3dTrainer> trainer;
    std::shared_ptr<DistributedGroup> group;  // one process unless WORLD_SIZE > 1
    bool main() const { return group->isMain(); }
};

void setUp(Run& r, bool resume) {
    const Inst3dConfig mc = Inst3dConfig::named(r.cfg.getString("model.config"));
    r.train = loadInst3dData(dataOptions(r.cfg, "train", r.cfg.getString("data.train_tag"), mc));
    const std::string valTag = r.cfg.getString("data.val_tag");
    if (!valTag.empty()) r.val = loadInst3dData(dataOptions(r.cfg, "val", valTag, mc));
    checkFeatureWidths(mc, r.train, r.cfg.getString("data.features"));
    r.info.encoders = r.train.scenes.begin()->second.provenance;
    r.info.tags = r.cfg.getString("data.train_tag");
    if (resume) {
        r.stack = loadInst3dCheckpoint(r.ckptDir, &r.info);
        r.info.tags = r.cfg.getString("data.train_tag");  // a resumed stage may train other tasks (the demo's stage 2)
        if (fs::exists(joinPath(r.ckptDir, "llm"))) r.baseLlmDir = joinPath(r.ckptDir, "llm");
    } else {
        r.stack.config = mc;
        r.stack.prompt = ObjectPrompt::loadDefault();
        // Every rank builds the same vocabulary and base LLM (seeded); only rank 0's files are kept.
        const std::string own = r.main() ? r.dir : joinPath(r.dir, "rank-" + std::to_string(r.group->rank()));
        makeDirectories(own);
        buildLanguageModel(r.stack, r.cfg, r.train, own, r.baseLlmDir, r.info);
        r.stack.model = Inst3dModel::random(mc, uint64_t(r.cfg.getInt("seed")));
        r.stack.llm->setTrainEmbeddings(r.cfg.getBool("lora.train_embeddings"));
        r.stack.llm->enableLora(loraConfig(r.cfg), uint64_t(r.cfg.getInt("seed")));
    }
    if (r.cfg.getString("llm.finetune") == "full") r.stack.llm->setTrainBaseWeights(true);
    else if (r.cfg.getString("llm.finetune") != "lora") throw UsageError("llm.finetune is lora or full");
    r.trainer = std::make_unique<Inst3dTrainer>(r.stack, r.train, trainOptions(r.cfg, r.train, r.group));
    if (resume) {
        r.trainer->loadState(r.ckptDir);
        if (r.main()) truncateLogAfter(r.log, r.trainer->stepsDone());
    }
}

void save(Run& r) {
    r.info.steps = r.trainer->stepsDone();
    const bool full = r.cfg.getString("llm.finetune") == "full";
    std::string base = r.baseLlmDir;
    if (full) {  // the base weights trained too: write them as they are now
        base = joinPath(r.dir, "trained-llm");
        saveLlamaFolder(*r.stack.llm, base);
    }
    saveInst3dCheckpoint(r.ckptDir, r.stack, r.info, r.trainer.get(), base);
    if (full) fs::remove_all(base);
}

void printSummary(const Run& r) {
    std::printf("inst3d train: %zu train samples (", r.train.samples.size());
    for (const auto& [task, n] : r.train.samplesPerTask) std::printf(" %s %d", task.c_str(), n);
    std::printf(" ) in %zu scenes, %zu val samples; %s\n", r.train.scenes.size(), r.val.samples.size(), cpuRuntimeLine().c_str());
    for (const auto& [why, n] : r.train.skipped) std::printf("  skipped %d: %s\n", n, why.c_str());
    const int turns = r.cfg.getInt("optim.turns_per_conversation");
    if (turns > 1)
        std::printf("  packed into %zu conversations of up to %d turns (a step's samples are conversations)\n",
                    packedSequenceCount(r.train, turns), turns);
}

void trainLoop(Run& r) {
    const int64_t total = r.trainer->totalSteps(), first = r.trainer->stepsDone();
    const int valEvery = std::max(1, r.cfg.getInt("val_every")), saveEvery = std::max(1, r.cfg.getInt("save_every"));
    const int reportEvery = int(std::max<int64_t>(1, total / 20));
    std::printf("%lld steps of %lld samples (from step %lld, %d process(es)) -> %s\n", (long long)total,
                (long long)r.trainer->samplesPerStep(), (long long)first, r.group->worldSize(), r.ckptDir.c_str());
    ProgressBar bar("train");
    const auto t0 = Clock::now();
    while (r.trainer->stepsDone() < total) {
        const StepResult s = r.trainer->step();
        const int64_t k = r.trainer->stepsDone();
        const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
        if (!r.main()) continue;  // other ranks only compute their share of each step
        appendJsonLine(r.log, {{"step", k}, {"loss", s.loss}, {"tasks", s.perTask}, {"lr", s.lr}, {"grad_norm", s.gradNorm},
                               {"seconds", elapsed}});
        const double done = double(k - first) / double(total - first);
        char msg[160];
        std::snprintf(msg, sizeof msg, "step %lld/%lld loss %.4f lr %.2e, %s left", (long long)k, (long long)total, s.loss, s.lr,
                      ProgressBar::eta(elapsed, done).c_str());
        bar.update(double(k) / double(total), msg);
        if (k % reportEvery == 0 || k == total) std::printf("%s\n", msg);
        if (!r.val.samples.empty() && (k % valEvery == 0 || k == total)) {
            const double v = r.trainer->validationLoss(r.val, r.cfg.getInt("val_samples"));
            appendJsonLine(r.log, {{"step", k}, {"val_loss", v}});
            std::printf("step %lld: validation loss %.4f\n", (long long)k, v);
        }
        if (k % saveEvery == 0 || k == total) save(r);
    }
    bar.done();
    r.group->barrier();
    if (!r.main()) {  // its copy of the vocabulary and base LLM (rank 0 keeps the real ones)
        fs::remove_all(joinPath(r.dir, "rank-" + std::to_string(r.group->rank())));
        return;
    }
    writeLossPlot(r.log, joinPath(r.dir, "loss.png"));
    std::printf("checkpoint %s, loss log %s, plot %s\n", r.ckptDir.c_str(), r.log.c_str(), joinPath(r.dir, "loss.png").c_str());
}

int runTrain(const std::vector<std::string>& argv) {
    ArgParser args("inst3d train",
                   "Inst3D-LMM multi-task instruction tuning. Reads the feature caches of `inst3d extract` and the\n"
                   "benchmarks' files from data.root, trains the scene encoder with the LLM's LoRA and <OBJ###>\n"
                   "rows, and writes OUTPUT/checkpoint/ (atomically), OUTPUT/loss.jsonl and OUTPUT/loss.png.\n"
                   "Keys and defaults: resources/config/train/default.yaml. Example (a synthetic world):\n"
                   "  inst3d train --config resources/config/train/synth-tiny.yaml data.root=w data.features=w/features output=run");
    args.option("config", "FILE", "training configuration (YAML)").flag("resume", "continue OUTPUT/checkpoint where it stopped").allowOverrides();
    if (!args.parse(argv)) return 0;
    applyDefaultThreads();  // all CPUs this process may use (models/weights/torch_runtime.h)
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines reach a log file as they happen
    Run r;
    r.cfg = trainingConfig(args.has("config") ? args.get("config") : "", args.overrides());
    r.dir = r.cfg.getString("output");
    if (r.dir.empty()) throw UsageError("output=DIR is required");
    r.ckptDir = joinPath(r.dir, "checkpoint");
    r.log = joinPath(r.dir, "loss.jsonl");
    const bool resume = args.has("resume");
    recoverReplacedDirectory(r.ckptDir);  // a save killed between its two renames
    if (resume && !fileExists(joinPath(r.ckptDir, "checkpoint.json"))) fail(r.ckptDir, "nothing to resume");
    if (!resume && fileExists(joinPath(r.ckptDir, "checkpoint.json")) && envRank() == 0)
        fail(r.ckptDir, "a checkpoint exists already (--resume to continue it, or another output)");
    r.group = DistributedGroup::fromEnvironment();
    if (r.group->worldSize() > 1 && !std::getenv("INST3D_THREADS"))  // the ranks share this machine's CPUs
        setThreads(std::max(1, cpusAvailableToProcess() / r.group->worldSize()));
    makeDirectories(r.dir);
    if (!resume && r.main()) writeFileAtomic(r.log, "");
    setUp(r, resume);
    printSummary(r);
    trainLoop(r);
    return 0;
}

}  // namespace

int runEval(const std::vector<std::string>& argv);  // eval_command.cpp
void registerBenchTrain(CommandRegistry& registry);  // bench_train.cpp
void registerChatCommand(CommandRegistry& registry);  // chat_command.cpp
void registerPretrainCommand(CommandRegistry& registry);  // pretrain_command.cpp

void registerTrainingCommands(CommandRegistry& registry) {
    registry.add({"train", "Inst3D-LMM multi-task instruction tuning on feature caches (checkpoint, loss log and plot)", runTrain});
    registry.add({"eval", "evaluate an Inst3D checkpoint on ScanRefer / Multi3DRefer / Scan2Cap / ScanQA / SQA3D / Nr3D (--blind: no scene)", runEval});
    registerChatCommand(registry);
    registerPretrainCommand(registry);
    registerBenchTrain(registry);  // after the models layer's `bench`
}

}  // namespace inst3d
