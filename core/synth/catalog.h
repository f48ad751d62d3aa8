// The fixed vocabulary of the synthetic world: object categories with their ScanNet label ids, and
// helpers to write them as scannetv2-labels.combined.tsv rows.
#pragma once
#include <string>
#include <vector>

#include "core/io/label_map.h"

namespace inst3d {

struct SynthCategory {
    std::string name;         // raw category, as in aggregation.json ("trash can")
    int scannet200Id = 0;     // tsv column `id`
    int nyu40Id = 0;
    std::string nyu40Class;   // nyu40ClassNames()[nyu40Id]
    int eigen13Id = 0;
    std::string eigen13Class;
    std::string modelNet40, modelNet10, shapeNet55, synsetOffset, wnSynsetId, wnSynsetKey;
    std::string mpcat40;
    int mpcat40Index = 0;
    bool structural = false;  // floor, wall, door, window
};

// Every category the generator can emit (structure first).
const std::vector<SynthCategory>& synthCategories();
// nullptr for a name the generator never uses.
const SynthCategory* findSynthCategory(const std::string& name);
// The tsv row of a category in the 17-column layout; `count` = instances in the written world.
LabelRow labelRowFor(const SynthCategory& category, int count);

}  // namespace inst3d
