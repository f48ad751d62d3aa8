// `inst3d export-features`: see export_features.h.
#include "core/cli/export_features.h"

#include <iostream>

#include "core/cli/command.h"
#include "core/features/chatscene_export.h"

namespace inst3d {
namespace {

int runExportFeatures(const std::vector<std::string>& argv) {
    ArgParser args("inst3d export-features",
                   "Writes Chat-Scene / Inst3D's training files from a folder of feature caches\n"
                   "(<scene>.features.safetensors): scannet_mask3d_uni3d_feats.pt and scannet_total_image_feat.pt\n"
                   "({\"<scene>_<ii>\": FloatTensor[D]}; 3D rows of all zeros, i.e. proposals too small for the\n"
                   "encoder, get no key) and scannet_mask3d_<split>_attributes.pt ({scene: {objects, locs}}).\n"
                   "Files that torch.load reads without inst3d.");
    args.option("cache", "DIR", "folder of *.features.safetensors")
        .option("out", "DIR", "output folder (Chat-Scene's annotations/)")
        .option("split-name", "NAME", "split in the attributes file name (default val)")
        .option("max-inst", "N", "locs rows per scene, as --max_inst_num (default 100)");
    if (!args.parse(argv)) return 0;
    if (!args.has("cache") || !args.has("out")) throw UsageError("--cache DIR and --out DIR are required");
    ChatSceneExportOptions o;
    o.cacheDir = args.get("cache");
    o.outDir = args.get("out");
    if (args.has("split-name")) o.splitName = args.get("split-name");
    if (args.has("max-inst")) o.maxInstances = args.getInt("max-inst");
    if (o.maxInstances < 1) throw UsageError("--max-inst must be >= 1");
    const ChatSceneExportResult r = exportChatSceneFeatures(o);
    std::cout << r.scenes << " scene(s): " << r.keys3d << " 3D feature(s) (" << r.skipped3d << " all-zero left out), "
              << r.keys2d << " 2D feature(s)\n";
    for (const std::string& f : r.files) std::cout << "wrote " << f << "\n";
    return 0;
}

}  // namespace

void registerExportFeaturesCommand(CommandRegistry& registry) {
    registry.add({"export-features", "feature caches to Chat-Scene/Inst3D's aggregated .pt files (torch.load-able)",
                  runExportFeatures});
}

}  // namespace inst3d
