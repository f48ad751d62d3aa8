// `inst3d export-features --cache DIR --out DIR [--split-name val]`: Chat-Scene / Inst3D's aggregated
// torch.save files from a folder of feature caches (core/features/chatscene_export.h).
#pragma once

namespace inst3d {

class CommandRegistry;
void registerExportFeaturesCommand(CommandRegistry& registry);

}  // namespace inst3d
