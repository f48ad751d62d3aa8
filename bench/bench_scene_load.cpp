// Scene-loading benchmark: writes (once) a 1M-vertex, 2M-face ScanNet scene (binary PLY + segs +
// aggregation) and times inst3d's loadScene on it, reporting the median of several runs and the peak
// memory. bench/scene_load.sh runs the peers (Open3D, CloudCompare) on the same file beside it.
//   inst3d_bench_scene_load DIR [--vertices N] [--runs K]

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/common/memory_stats.h"
#include "core/cli/command.h"
#include "core/common/file_util.h"
#include "core/io/ply.h"
#include "core/io/scannet_json.h"
#include "core/io/scene_loader.h"

using namespace inst3d;

// A wavy grid: side*side vertices, 2*(side-1)^2 faces, 64-vertex-wide segments, one object per 16 segments.
static void writeBenchScene(const std::string& dir, size_t side) {
    const std::string id = "scene9999_00";
    makeDirectories(dir);
    Mesh m;
    m.xyz.reserve(side * side * 3);
    m.rgba.reserve(side * side * 4);
    for (size_t y = 0; y < side; ++y)
        for (size_t x = 0; x < side; ++x) {
            float fx = x * 0.005f, fy = y * 0.005f;
            m.xyz.insert(m.xyz.end(), {fx, fy, 0.05f * std::sin(fx * 3) * std::cos(fy * 2)});
            m.rgba.insert(m.rgba.end(), {uint8_t(x * 7), uint8_t(y * 3), uint8_t((x + y) & 255), 255});
        }
    for (uint32_t y = 0; y + 1 < side; ++y)
        for (uint32_t x = 0; x + 1 < side; ++x) {
            uint32_t a = y * side + x, b = a + 1, c = a + side, d = c + 1;
            m.faces.insert(m.faces.end(), {a, b, d, a, d, c});
        }
    writePly(joinPath(dir, id + "_vh_clean_2.ply"), m);
    Segmentation s;
    s.sceneId = id;
    s.segIndices.resize(side * side);
    for (size_t y = 0; y < side; ++y)
        for (size_t x = 0; x < side; ++x) s.segIndices[y * side + x] = static_cast<int32_t>((y / 64) * 1000 + x / 64);
    writeSegs(joinPath(dir, id + "_vh_clean_2.0.010000.segs.json"), s);
    Aggregation a;
    a.sceneId = "scannet." + id;
    std::vector<int32_t> segs = s.segIndices;
    std::sort(segs.begin(), segs.end());
    segs.erase(std::unique(segs.begin(), segs.end()), segs.end());
    for (size_t i = 0; i < segs.size(); i += 16) {
        SegGroup g;
        g.id = g.objectId = static_cast<int>(i / 16);
        g.label = "object";
        for (size_t k = i; k < std::min(segs.size(), i + 16); ++k) g.segments.push_back(segs[k]);
        a.segGroups.push_back(g);
    }
    writeAggregation(joinPath(dir, id + ".aggregation.json"), a);
}

// The benchmark proper; argv parsing is runProgram's and ArgParser's, as for the verbs.
static int runBench(const std::vector<std::string>& argv) {
    ArgParser args("inst3d_bench_scene_load",
                   "Writes (first run) and then loads a ScanNet scene of N vertices; median of K runs, peak memory.");
    args.positional("DIR", "where the benchmark scene is written and read")
        .option("vertices", "N", "vertices of the scene written", "1000000")
        .option("runs", "K", "timed loads", "5");
    if (!args.parse(argv)) return 0;
    const std::string dir = args.get("DIR");
    const size_t vertices = static_cast<size_t>(args.getInt("vertices"));
    const int runs = args.getInt("runs");
    if (runs < 1) throw UsageError("--runs must be >= 1");
    size_t side = static_cast<size_t>(std::sqrt(static_cast<double>(vertices)));
    if (!fileExists(joinPath(dir, "scene9999_00_vh_clean_2.ply"))) {
        // Written in its own process so the peak memory of the measuring run is only the loading.
        writeBenchScene(dir, side);
        std::printf("wrote the benchmark scene to %s; run again to measure\n", dir.c_str());
        return 0;
    }
    long rssBefore = (peakResidentBytes() / 1024);
    std::vector<double> times;
    size_t nv = 0, nf = 0, ni = 0;
    for (int r = 0; r < runs; ++r) {
        LoadOptions o;
        o.loadFrames = false;
        auto t0 = std::chrono::steady_clock::now();
        Scene s = loadScene(dir, o);
        auto t1 = std::chrono::steady_clock::now();
        times.push_back(std::chrono::duration<double>(t1 - t0).count());
        nv = s.mesh.numVertices();
        nf = s.mesh.numFaces();
        ni = s.instances.size();
    }
    std::sort(times.begin(), times.end());
    const double dataMb = (nv * (12 + 4 + 4) + nf * 12) / 1e6;  // xyz + rgba + segIndices + faces
    std::printf("inst3d loadScene  vertices %zu faces %zu instances %zu\n", nv, nf, ni);
    std::printf("  median %.3f s  min %.3f s  max %.3f s  (%d runs)\n", times[times.size() / 2], times.front(),
                times.back(), runs);
    std::printf("  peak RSS %.1f MB (before loading %.1f MB)  scene data %.1f MB\n", (peakResidentBytes() / 1024) / 1024.0,
                rssBefore / 1024.0, dataMb);
    return 0;
}

int main(int argc, char** argv) { return runProgram("inst3d_bench_scene_load", argc, argv, runBench); }
