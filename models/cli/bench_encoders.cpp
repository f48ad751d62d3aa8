// `inst3d bench encoders`: throughput of the CLIP crop encoder and the Uni3D point encoder at a chosen
// size on a chosen device, with each forward's arithmetic counted from the weight shapes and set beside
// the device's own matrix-product rate measured in the same run (how far from its arithmetic limit an
// encoder runs), and the encoder time of a ScanNet-sized scene (100 instances x 5 views x 3 levels).
#include "models/cli/bench_encoders.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "core/common/error.h"
#include "models/vision/clip_vision.h"
#include "models/vision/uni3d.h"
#include "models/weights/torch_device.h"
#include "models/weights/torch_runtime.h"

namespace inst3d {
namespace {

bool has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// Forward FLOPs of one CLIP image: every weight matrix (2 x its elements per token it touches), plus
// attention's two T x T x D products per layer. Embedding tables are lookups and are not counted.
double clipFlops(const ClipVision& m) {
    const ClipVisionConfig& c = m.config();
    const double T = double(c.numPositions()), patches = double(c.gridSize() * c.gridSize());
    double macs = 0;
    for (const auto& [name, w] : m.stateDict()) {
        if (w.dim() < 2 || (has(name, "embedding.weight") && !has(name, "patch_embedding"))) continue;
        const double tokens = has(name, "patch_embedding") ? patches : has(name, "visual_projection") ? 1 : T;
        macs += double(w.numel()) * tokens;
    }
    return 2 * macs + double(c.numLayers) * 4 * T * T * double(c.hiddenSize);
}

// Forward FLOPs of one Uni3D instance: the mini-PointNet on G x K points, the transformer on G + 1
// tokens (+ attention), the positional MLP and encoder2trans on G, the head on 1. FPS and kNN not counted.
double uni3dFlops(const Uni3dEncoder& m) {
    const Uni3dConfig& c = m.config();
    const double G = double(c.numGroup), K = double(c.groupSize);
    double macs = 0;
    for (const auto& [name, w] : m.stateDict()) {
        if (w.dim() < 2 || has(name, "cls_")) continue;
        const double tokens = has(name, "encoder.first_conv") || has(name, "encoder.second_conv") ? G * K
                              : has(name, "visual.blocks")                                      ? G + 1
                              : has(name, "trans2embed")                                        ? 1
                                                                                                : G;
        macs += double(w.numel()) * tokens;
    }
    return 2 * macs + double(c.depth) * 4 * (G + 1) * (G + 1) * double(c.transDim);
}

// Seconds for `repeats` calls of fn after one warm-up call, the device drained before each clock read.
double timed(const torch::Device& device, int repeats, const std::function<void()>& fn) {
    auto sync = [&] {
        if (device.is_cuda()) torch::cuda::synchronize();
    };
    fn();
    sync();
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < repeats; ++i) fn();
    sync();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The device's fp32 N x N x N matmul rate in FLOP/s: the ceiling every encoder figure is held against.
double matmulRate(const torch::Device& device, int n) {
    torch::Tensor a = torch::rand({n, n}, torch::TensorOptions().device(device)), b = torch::rand({n, n}, a.options());
    const int reps = device.is_cuda() ? 20 : 3;
    const double s = timed(device, reps, [&] { torch::matmul(a, b); });
    return 2.0 * double(n) * n * n * reps / s;
}

struct Row {
    std::string what;
    double items = 0, seconds = 0, flopsPerItem = 0;
};

}  // namespace

int runBenchEncoders(const std::vector<std::string>& argv) {
    ArgParser args("inst3d bench encoders",
                   "Throughput of the feature encoders (random weights of the released sizes unless a checkpoint\n"
                   "is given), their arithmetic counted from the weight shapes, beside this device's fp32\n"
                   "matrix-product rate, and the encoder time of a 100-instance scene (5 views x 3 levels).");
    args.option("clip", "SPEC", "CLIP: random:vit-l-14-336, random:tiny, a checkpoint folder, or none", "random:vit-l-14-336")
        .option("uni3d", "SPEC", "Uni3D: random:g (l b s ti tiny), a .safetensors file, or none", "random:g")
        .option("uni3d-config", "NAME", "Uni3D size of a checkpoint file", "g")
        .option("device", "DEV", "cpu, cuda or cuda:N (needs a CUDA LibTorch)", "cpu")
        .option("crops", "N", "crops per timed pass", "16")
        .option("batch", "B", "crops per CLIP forward", "16")
        .option("instances", "N", "instances per timed pass (one forward each, as extraction runs them)", "2")
        .option("points", "P", "points per instance", "4096")
        .option("matmul", "N", "size of the N x N x N fp32 product that measures the device (0 = skip)", "1024")
        .option("threads", "T", "intra-op threads (default: every CPU this process may use, or $INST3D_THREADS)");
    if (!args.parse(argv)) return 0;
    const torch::Device device = parseTorchDevice(args.get("device"));
    if (args.has("threads")) setThreads(args.getInt("threads"));
    const int crops = args.getInt("crops"), batch = args.getInt("batch"), instances = args.getInt("instances");
    const int points = args.getInt("points"), n = args.getInt("matmul");
    if (crops < 1 || batch < 1 || instances < 1 || points < 1 || n < 0)
        throw UsageError("--crops, --batch, --instances and --points must be >= 1, --matmul >= 0");
    torch::NoGradGuard noGrad;
    std::vector<Row> rows;

    const double matmulFlops = n > 0 ? matmulRate(device, n) : 0;  // per second

    if (args.get("clip") != "none") {
        auto enc = ClipCropEncoder::open(args.get("clip"), batch, args.get("device"));
        const ClipVision& m = enc->model();
        const int64_t S = m.config().imageSize;
        torch::Tensor pixels = torch::rand({batch, 3, S, S}, torch::TensorOptions().device(device));  // [B, 3, S, S]
        const int passes = (crops + batch - 1) / batch;
        const double s = timed(device, passes, [&] { m.imageFeatures(pixels); });
        rows.push_back({enc->name() + " (batch " + std::to_string(batch) + ")", double(passes * batch), s, clipFlops(m)});
    }
    if (args.get("uni3d") != "none") {
        auto m = Uni3dEncoder::open(args.get("uni3d"), args.get("uni3d-config"), args.get("device"));
        if (points < m->config().groupSize) throw UsageError("--points must be at least the group size " + std::to_string(m->config().groupSize));
        torch::Tensor xyz = torch::rand({1, points, 3}) * 2 - 1, rgb = torch::rand({1, points, 3});  // [1, P, 3]
        const double s = timed(device, instances, [&] { m->encode(xyz, rgb); });
        rows.push_back({"uni3d-" + m->config().name + " (" + std::to_string(points) + " points)", double(instances), s,
                        uni3dFlops(*m)});
    }

    std::printf("%s\ninst3d bench encoders on %s, %d threads", cpuRuntimeLine().c_str(), device.str().c_str(),
                torch::get_num_threads());
    if (n > 0) std::printf(", fp32 matmul %dx%dx%d: %.3g GFLOP/s", n, n, n, matmulFlops / 1e9);
    std::printf("\n\n| encoder | items | s | items/s | GFLOP/item | GFLOP/s | of matmul rate |\n|---|---|---|---|---|---|---|\n");
    double sceneSeconds = 0;
    for (const Row& r : rows) {
        const double rate = r.items / r.seconds, flops = rate * r.flopsPerItem;
        std::printf("| %s | %.0f | %.3f | %.3g | %.3g | %.3g | %s |\n", r.what.c_str(), r.items, r.seconds, rate,
                    r.flopsPerItem / 1e9, flops / 1e9,
                    matmulFlops > 0 ? (std::to_string(int(100 * flops / matmulFlops + 0.5)) + " %").c_str() : "-");
        sceneSeconds += (r.what.rfind("uni3d", 0) == 0 ? 100.0 : 1500.0) / rate;
    }
    if (rows.size() == 2)
        std::printf("\nscene of 100 instances x 5 views x 3 levels (1500 crops, 100 instances): %.3g s in the encoders\n",
                    sceneSeconds);
    return 0;
}

// `inst3d bench` alone: what every CPU figure depends on. The BLAS LibTorch loaded, the thread count
// and why, and the fp32 matmul rate on one thread and on all of them.
int runBenchMachine(const std::vector<std::string>& argv) {
    ArgParser args("inst3d bench machine",
                   "Prints the BLAS this LibTorch runs on, its intra-op threads, and the fp32 matmul rate on one\n"
                   "thread and on all of them. Check it before trusting any CPU figure: Debian's default\n"
                   "libblas.so.3 is the slow reference BLAS until an optimised one (OpenBLAS) is installed.");
    args.option("matmul", "N", "size of the N x N x N fp32 product", "1024")
        .option("threads", "T", "intra-op threads for the second measurement (default: every CPU available)");
    if (!args.parse(argv)) return 0;
    if (args.has("threads")) setThreads(args.getInt("threads"));
    const int n = args.getInt("matmul");
    if (n < 1) throw UsageError("--matmul must be >= 1");
    torch::NoGradGuard noGrad;
    const torch::Device cpu(torch::kCPU);
    const int threads = torch::get_num_threads();
    std::printf("%s\n\n| fp32 matmul %dx%dx%d | GFLOP/s |\n|---|---|\n", cpuRuntimeLine().c_str(), n, n, n);
    torch::set_num_threads(1);
    std::printf("| 1 thread | %.1f |\n", matmulRate(cpu, n) / 1e9);
    torch::set_num_threads(threads);
    if (threads > 1) std::printf("| %d threads | %.1f |\n", threads, matmulRate(cpu, n) / 1e9);
    return 0;
}

}  // namespace inst3d
