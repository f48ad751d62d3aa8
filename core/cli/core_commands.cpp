// Verbs of the core library: `synth` (the synthetic ScanNet world) and `info` (scene summary) here;
// the others (score, score-predictions, segment, convert-weights, export-features) have their own files.
#include <iostream>

#include "core/cli/command.h"
#include "core/cli/convert_weights.h"
#include "core/cli/export_features.h"
#include "core/cli/info.h"
#include "core/cli/score_command.h"
#include "core/cli/segment_command.h"
#include "core/config/config.h"
#include "core/io/scene_loader.h"
#include "core/synth/synth.h"
#include "core/synth/verify.h"

namespace inst3d {
namespace {

int printVerification(const LanguageReport& report) {
    std::cout << "verified " << report.statements << " annotations; statement kinds found true:\n";
    for (const auto& [kind, n] : report.kinds) std::cout << "  " << kind << " " << n << "\n";
    for (const auto& f : report.failures) std::cerr << "FALSE: " << f << "\n";
    std::cout << (report.failures.empty() ? "all statements are true of the scenes\n"
                                          : std::to_string(report.failures.size()) + " statements are false\n");
    return report.failures.empty() ? 0 : 1;
}

int runSynth(const std::vector<std::string>& argv) {
    ArgParser args("inst3d synth",
                   "Writes procedurally generated indoor scenes in the exact ScanNet v2 layout (meshes, labels,\n"
                   "over-segmentation, aggregation, axis alignment, RGB-D as .sens and exported frames, splits)\n"
                   "with ScanRefer, Multi3DRefer, ScanQA, Scan2Cap, Nr3D and SQA3D annotations that are true of\n"
                   "the geometry. Deterministic per seed.");
    args.option("out", "DIR", "output folder (created)")
        .option("scenes", "N", "number of scenes (config synth.scenes)")
        .option("seed", "S", "random seed (config synth.seed)")
        .option("frames", "N", "RGB-D frames per scene (config synth.frames)")
        .option("config", "FILE", "YAML configuration merged over resources/config/default.yaml")
        .flag("no-language", "skip the language annotations")
        .flag("no-frames", "skip the RGB-D frames (.sens and exported)")
        .flag("verify", "after writing, re-check every annotation against the scenes read back from disk")
        .allowOverrides();
    if (!args.parse(argv)) return 0;
    if (!args.has("out")) throw UsageError("--out DIR is required (see inst3d synth --help)");
    Config config = configFromArgs(args);
    SynthOptions o;
    o.numScenes = args.has("scenes") ? args.getInt("scenes") : config.getInt("synth.scenes");
    o.seed = static_cast<uint64_t>(args.has("seed") ? args.getInt("seed") : config.getInt("synth.seed"));
    o.numFrames = args.has("frames") ? args.getInt("frames") : config.getInt("synth.frames");
    o.colorWidth = config.getInt("synth.color_width");
    o.colorHeight = config.getInt("synth.color_height");
    o.depthWidth = config.getInt("synth.depth_width");
    o.depthHeight = config.getInt("synth.depth_height");
    o.vertexSpacing = config.getDouble("synth.vertex_spacing");
    o.writeSens = config.getBool("synth.sens") && !args.has("no-frames");
    o.writeExportedFrames = config.getBool("synth.exported_frames") && !args.has("no-frames");
    if (args.has("no-frames")) o.numFrames = 0;
    o.writeLanguage = config.getBool("synth.language") && !args.has("no-language");
    o.jpegQuality = config.getInt("synth.jpeg_quality");
    o.language.descriptionsPerTarget = config.getInt("synth.descriptions_per_target");
    o.language.descriptionsPerScene = config.getInt("synth.descriptions_per_scene");
    o.roomScale = config.getDouble("synth.room_scale");
    o.extraObjects = config.getInt("synth.extra_objects");
    if (o.roomScale < 0.5 || o.roomScale > 3.0) throw UsageError("synth.room_scale must be between 0.5 and 3");
    if (o.extraObjects < 0 || o.extraObjects > 60) throw UsageError("synth.extra_objects must be between 0 and 60");
    if (o.language.descriptionsPerTarget < 1 || o.language.descriptionsPerScene < 1)
        throw UsageError("synth.descriptions_per_target and synth.descriptions_per_scene must be >= 1");
    if (o.numScenes < 1 || o.numScenes > 10000) throw UsageError("--scenes must be between 1 and 10000");
    if (o.numFrames < 0) throw UsageError("--frames must be >= 0");
    ProgressBar bar("synth");
    writeSynthWorld(args.get("out"), o, [&](double f, const std::string& m) { return bar.update(f, m); });
    bar.done();
    std::cout << "wrote " << o.numScenes << " scene(s) to " << args.get("out") << "\n";
    if (!args.has("verify") || !o.writeLanguage) return 0;
    return printVerification(verifySynthLanguageReport(args.get("out")));
}

int runInfo(const std::vector<std::string>& argv) {
    ArgParser args("inst3d info",
                   "Summarizes a scene: vertices, faces, instances by label, frames, bounds, axis alignment.\n"
                   "SCENE is a ScanNet scene folder or a PLY/OBJ mesh or point cloud (default: the demo scene).");
    args.positional("SCENE", "scene folder or mesh file", false).flag("json", "print JSON instead of text");
    if (!args.parse(argv)) return 0;
    std::string path = args.has("SCENE") ? args.get("SCENE") : demoScenePath();
    Scene scene = loadScene(path);
    std::cout << (args.has("json") ? describeSceneJson(scene) + "\n" : describeScene(scene));
    return 0;
}

}  // namespace

void registerCoreCommands(CommandRegistry& registry) {
    registry.add({"synth", "write a synthetic ScanNet-format world (scenes, frames, language)", runSynth});
    registry.add({"info", "summarize a scene folder or mesh file", runInfo});
    registerEvalCommands(registry);
    registerConvertWeightsCommand(registry);
    registerExportFeaturesCommand(registry);
    registerSegmentCommand(registry);
}

}  // namespace inst3d
