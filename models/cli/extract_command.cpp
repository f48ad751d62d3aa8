#include "models/cli/extract_command.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/config/config.h"
#include "core/features/extraction.h"
#include "core/features/proposal_provider.h"
#include "models/vision/scene_encoders.h"
#include "models/weights/torch_device.h"
#include "models/weights/torch_runtime.h"

namespace inst3d {
namespace {

ArgParser& declareEncoderOptions(ArgParser& args) {
    return args.option("uni3d", "CKPT", "3D encoder: Uni3D weights (.safetensors, released key layout), random:tiny, or none")
        .option("uni3d-config", "NAME", "Uni3D size of CKPT: g l b s ti", "g")
        .option("clip", "DIR", "2D encoder: CLIP folder (config.json + model.safetensors), random:tiny, or none")
        .option("proposals", "SPEC", "gt | mask3d:PATH (Mask3D export, OpenMask3D *_masks.pt, Chat-Scene .pt) | builtin", "gt")
        .option("top-k", "K", "views per instance (config views.top_k)")
        .option("frame-stride", "N", "every N-th frame (config views.frame_stride)")
        .option("config", "FILE", "YAML configuration merged over resources/config/default.yaml")
        .option("device", "DEV", "where the encoders run: cpu, cuda or cuda:N (needs a CUDA LibTorch)", "cpu")
        .flag("no-views", "skip view selection, crops and 2D features")
        .allowOverrides();
}

struct Setup {
    ExtractOptions options;
    std::unique_ptr<PointEncoder> encoder3d;
    std::unique_ptr<CropEncoder> encoder2d;
};

Setup setupFrom(const ArgParser& args) {
    if (!args.has("uni3d") || !args.has("clip"))
        throw UsageError("--uni3d and --clip are required (a checkpoint, random:tiny to try the pipeline, or none)");
    Config config = configFromArgs(args);
    if (args.has("top-k")) config.applyOverride("views.top_k=" + args.get("top-k"));
    if (args.has("frame-stride")) config.applyOverride("views.frame_stride=" + args.get("frame-stride"));
    Setup s;
    s.options.views = ViewSelectionOptions::fromConfig(config);
    s.options.with2d = !args.has("no-views");
    setProposalSource(s.options, args.get("proposals"));
    const std::string device = checkTorchDevice(args.get("device"));
    s.encoder3d = openPointEncoder(args.get("uni3d"), args.get("uni3d-config"), device);
    s.encoder2d = s.options.with2d ? openCropEncoder(args.get("clip"), device) : nullptr;
    return s;
}

void printStageTable(const StageTimes& t, size_t scenes) {
    const double n = double(std::max<size_t>(1, scenes));
    const std::pair<const char*, double> rows[] = {{"load scene", t.load}, {"proposals", t.proposals},
                                                   {"views", t.views},      {"crops", t.crops},
                                                   {"3D encoder", t.encode3d}, {"2D encoder", t.encode2d},
                                                   {"write cache", t.write}};
    double total = 0;
    std::printf("%-12s %12s %12s\n", "stage", "s / scene", "total s");
    for (const auto& [name, seconds] : rows) {
        std::printf("%-12s %12.3f %12.2f\n", name, seconds / n, seconds);
        total += seconds;
    }
    std::printf("%-12s %12.3f %12.2f\n", "all", total / n, total);
}

int runExtract(const std::vector<std::string>& argv) {
    ArgParser args("inst3d extract",
                   "Offline feature extraction (the paper's preprocessing): for every scene, proposals, Uni3D\n"
                   "features of each instance's points, OpenMask3D view selection, 3-level crops and CLIP crop\n"
                   "features, written as one feature cache per scene (docs/formats.md, \"Feature cache\").\n"
                   "Resumable: scenes whose cache reads back whole are skipped; a scene that fails is reported\n"
                   "and the others go on. Try it without weights: --uni3d random:tiny --clip random:tiny.");
    args.option("scenes", "DIR", "ScanNet scans folder (one <scene_id>/ folder per scene)")
        .option("split", "FILE", "only the scene ids listed, one per line (scannetv2_val.txt)")
        .option("out", "DIR", "output folder for <scene_id>.features.safetensors")
        .flag("no-resume", "recompute scenes that already have a complete cache");
    declareEncoderOptions(args);
    if (!args.parse(argv)) return 0;
    if (!args.has("scenes") || !args.has("out")) throw UsageError("--scenes and --out are required");
    Setup s = setupFrom(args);
    ExtractJob job;
    job.sceneDirs = listSceneDirs(args.get("scenes"), args.get("split"));
    job.outDir = args.get("out");
    job.resume = !args.has("no-resume");
    ProgressBar bar("extract");
    const ExtractReport report =
        runExtraction(job, s.options, s.encoder3d.get(), s.encoder2d.get(), [&](size_t done, size_t total, const std::string& dir) {
            return bar.update(double(done) / double(total), dir.empty() ? "done" : baseName(dir));
        });
    bar.done();
    std::printf("extracted %zu scene(s), skipped %zu already complete, %zu failed -> %s\n", report.written.size(),
                report.skipped.size(), report.failed.size(), job.outDir.c_str());
    for (const auto& [dir, error] : report.failed) std::fprintf(stderr, "FAILED %s: %s\n", dir.c_str(), error.c_str());
    if (!report.written.empty()) printStageTable(report.times, report.written.size());
    return report.failed.empty() ? 0 : 1;
}

}  // namespace

int runBenchExtract(const std::vector<std::string>& argv) {
    ArgParser args("inst3d bench extract",
                   "Per-stage time of feature extraction per scene (proposals, views, crops, 3D encoder, 2D\n"
                   "encoder), on the scenes of DIR, written to a temporary folder that is removed afterwards.");
    args.option("scenes", "DIR", "ScanNet scans folder").option("limit", "N", "first N scenes only", "0");
    declareEncoderOptions(args);
    if (!args.parse(argv)) return 0;
    if (!args.has("scenes")) throw UsageError("--scenes is required");
    Setup s = setupFrom(args);
    ExtractJob job;
    job.sceneDirs = listSceneDirs(args.get("scenes"));
    const size_t limit = size_t(std::max(0, args.getInt("limit")));
    if (limit > 0 && job.sceneDirs.size() > limit) job.sceneDirs.resize(limit);
    const auto tmp = std::filesystem::temp_directory_path() / ("inst3d-bench-extract-" + std::to_string(::getpid()));
    job.outDir = tmp.string();
    job.resume = false;
    const ExtractReport report = runExtraction(job, s.options, s.encoder3d.get(), s.encoder2d.get());
    std::filesystem::remove_all(tmp);
    for (const auto& [dir, error] : report.failed) std::fprintf(stderr, "FAILED %s: %s\n", dir.c_str(), error.c_str());
    std::printf("%s\n", cpuRuntimeLine().c_str());
    std::printf("inst3d bench extract: %zu scene(s), proposals %s, 3D %s, 2D %s\n\n", report.written.size(),
                s.options.proposalsName.c_str(), s.encoder3d ? s.encoder3d->name().c_str() : "none",
                s.encoder2d ? s.encoder2d->name().c_str() : "none");
    printStageTable(report.times, report.written.size());
    return report.failed.empty() ? 0 : 1;
}

void registerExtractCommand(CommandRegistry& registry) {
    registry.add({"extract", "offline feature extraction: proposals, Uni3D 3D and CLIP crop features per scene (resumable)",
                  runExtract});
}

}  // namespace inst3d
