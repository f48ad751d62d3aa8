// `inst3d pretrain uni3d`: the 3D encoder pre-trained on a ScanNet-layout world's ground-truth instances
// (training/encoder_pretrain.h), written in Uni3D's released layout for `inst3d extract --uni3d`.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/cli/command.h"
#include "core/common/error.h"
#include "core/common/file_util.h"
#include "models/weights/torch_runtime.h"
#include "training/encoder_pretrain.h"

namespace inst3d {
namespace {

PretrainOptions pretrainOptions(const ArgParser& args) {
    PretrainOptions o;
    o.epochs = args.getInt("epochs");
    o.batchSize = args.getInt("batch");
    o.points = args.getInt("points");
    o.lr = args.getDouble("lr");
    o.seed = uint64_t(args.getInt("seed"));
    if (o.epochs < 1 || o.batchSize < 1 || o.points < 1 || o.lr <= 0)
        throw UsageError("--epochs, --batch and --points must be >= 1 and --lr > 0");
    return o;
}

// FILE.json beside the weights: what was trained on, how, and the curve.
void writeReport(const std::string& path, const std::string& root, const Uni3dConfig& cfg, const PretrainSet& data,
                 const PretrainOptions& o, const std::vector<PretrainEpoch>& log) {
    nlohmann::ordered_json epochs = nlohmann::ordered_json::array();
    for (const PretrainEpoch& e : log)
        epochs.push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"train_category_acc", e.trainCategoryAcc},
                          {"val_category_acc", e.valCategoryAcc}, {"val_colour_acc", e.valColourAcc}, {"seconds", e.seconds}});
    nlohmann::ordered_json j = {{"format", "inst3d-pretrain/1"}, {"encoder", "uni3d-" + cfg.name}, {"data", root},
                                {"objective", "cosine classifier over categories and colour classes (temperature)"},
                                {"categories", data.categories}, {"colour_levels", kColourLevels},
                                {"train_instances", data.train.size()}, {"val_instances", data.val.size()},
                                {"val_unseen_category", data.valUnseen},
                                {"options", {{"epochs", o.epochs}, {"batch", o.batchSize}, {"points", o.points}, {"lr", o.lr},
                                             {"weight_decay", o.weightDecay}, {"temperature", o.temperature}, {"seed", o.seed}}},
                                {"epochs", epochs}};
    writeFileAtomic(path, j.dump(1) + "\n");
}

int runPretrain(const std::vector<std::string>& argv) {
    ArgParser args("inst3d pretrain",
                   "Pre-trains an encoder on a ScanNet-layout world (inst3d synth writes one): uni3d learns from\n"
                   "the ground-truth instances of the train split, each embedding pulled towards learned\n"
                   "prototypes of its category and colour (CLIP-style contrastive loss against fixed classes),\n"
                   "and is scored on the val split's scenes. Writes OUT in Uni3D's released layout (use it with\n"
                   "inst3d extract --uni3d OUT --uni3d-config CONFIG) and OUT.json with the curve.");
    args.positional("ENCODER", "uni3d")
        .option("data", "DIR", "the world: scans/, splits/")
        .option("out", "FILE", "weights to write (.safetensors)")
        .option("config", "NAME", "Uni3D size (tiny, ti, s, b, l, g)", "tiny")
        .option("epochs", "N", "passes over the train instances", "40")
        .option("batch", "B", "instances per step", "32")
        .option("points", "P", "points sampled per instance and step", "512")
        .option("lr", "LR", "AdamW learning rate (cosine to a tenth)", "1e-3")
        .option("seed", "S", "initial weights, sampling and order", "0")
        .option("threads", "T", "intra-op threads (default: every CPU this process may use, or $INST3D_THREADS)");
    if (!args.parse(argv)) return 0;
    if (args.get("ENCODER") != "uni3d") throw UsageError("inst3d pretrain: ENCODER is uni3d, not '" + args.get("ENCODER") + "'");
    if (!args.has("data") || !args.has("out")) throw UsageError("--data DIR and --out FILE are required (see --help)");
    applyDefaultThreads();
    if (args.has("threads")) setThreads(args.getInt("threads"));
    const PretrainOptions o = pretrainOptions(args);
    const Uni3dConfig cfg = Uni3dConfig::named(args.get("config"));
    std::printf("inst3d pretrain uni3d: %s\n", cpuRuntimeLine().c_str());
    ProgressBar loading("instances");
    const PretrainSet data = loadPretrainSet(args.get("data"), cfg.groupSize,
                                             [&](double f, const std::string& m) { return loading.update(f, m); });
    loading.done();
    std::printf("%zu train instances of %zu categories, %zu val instances (%d of unseen categories left out)\n",
                data.train.size(), data.categories.size(), data.val.size(), data.valUnseen);
    auto encoder = Uni3dEncoder::random(cfg, uint64_t(o.seed));
    std::printf("| epoch | loss | train category | val category | val colour | time |\n|---|---|---|---|---|---|\n");
    const std::vector<PretrainEpoch> log = pretrainUni3d(*encoder, data, o, [](const PretrainEpoch& e) {
        std::printf("| %d | %.4f | %.3f | %.3f | %.3f | %.0f s |\n", e.epoch, e.loss, e.trainCategoryAcc, e.valCategoryAcc,
                    e.valColourAcc, e.seconds);
        std::fflush(stdout);
        return true;
    });
    encoder->save(args.get("out"));
    writeReport(args.get("out") + ".json", args.get("data"), cfg, data, o, log);
    std::printf("wrote %s and %s.json\n", args.get("out").c_str(), args.get("out").c_str());
    return 0;
}

}  // namespace

void registerPretrainCommand(CommandRegistry& registry) {
    registry.add({"pretrain", "pre-train the 3D encoder (uni3d) on a world's ground-truth instances, by category and colour", runPretrain});
}

}  // namespace inst3d
