#include "core/synth/catalog.h"

#include <cmath>

#include "core/synth/synth.h"

namespace inst3d {

namespace {

SynthCategory category(const char* name, int sn200, int nyu40, int eigen13, const char* eigen13Class,
                       const char* modelNet40, const char* modelNet10, const char* shapeNet, const char* synsetOffset,
                       const char* wnId, const char* wnKey, const char* mpcat, int mpcatIndex, bool structural = false) {
    SynthCategory c;
    c.name = name;
    c.scannet200Id = sn200;
    c.nyu40Id = nyu40;
    c.nyu40Class = nyu40ClassNames()[static_cast<size_t>(nyu40)];
    c.eigen13Id = eigen13;
    c.eigen13Class = eigen13Class;
    c.modelNet40 = modelNet40;
    c.modelNet10 = modelNet10;
    c.shapeNet55 = shapeNet;
    c.synsetOffset = synsetOffset;
    c.wnSynsetId = wnId;
    c.wnSynsetKey = wnKey;
    c.mpcat40 = mpcat;
    c.mpcat40Index = mpcatIndex;
    c.structural = structural;
    return c;
}

std::vector<SynthCategory> buildCategories() {
    // ids follow ScanNet200 (BenchmarkScripts/ScanNet200) and the nyu40 / eigen13 / mpcat40 columns
    // of the public tsv, so tools keyed on those ids treat the synthetic scenes like real ones.
    return {
        category("wall", 1, 1, 12, "Wall", "", "", "", "", "n04546855", "wall.n.01", "wall", 1, true),
        category("floor", 3, 2, 5, "Floor", "", "", "", "", "n03365592", "floor.n.01", "floor", 2, true),
        category("door", 5, 8, 12, "Wall", "door", "", "", "", "n03221720", "door.n.01", "door", 4, true),
        category("window", 16, 9, 13, "Window", "", "", "", "", "n04587648", "window.n.01", "window", 9, true),
        category("chair", 2, 5, 4, "Chair", "chair", "chair", "chair", "03001627", "n03001627", "chair.n.01", "chair", 3),
        category("table", 4, 7, 10, "Table", "table", "table", "table", "04379243", "n04379243", "table.n.02", "table", 5),
        category("couch", 6, 6, 9, "Sofa", "sofa", "sofa", "sofa", "04256520", "n04256520", "sofa.n.01", "sofa", 10),
        category("cabinet", 7, 3, 6, "Furniture", "", "", "cabinet", "02933112", "n02933112", "cabinet.n.01", "cabinet", 7),
        category("desk", 9, 14, 10, "Table", "desk", "desk", "table", "04379243", "n03179701", "desk.n.01", "table", 5),
        category("bed", 11, 4, 1, "Bed", "bed", "bed", "bed", "02818832", "n02818832", "bed.n.01", "bed", 11),
        category("pillow", 13, 18, 7, "Objects", "", "", "pillow", "03938244", "n03938244", "pillow.n.01", "cushion", 8),
        category("sink", 14, 34, 7, "Objects", "sink", "", "", "", "n04223580", "sink.n.01", "sink", 15),
        category("toilet", 17, 33, 7, "Objects", "toilet", "toilet", "", "", "n04446276", "toilet.n.01", "toilet", 18),
        category("bookshelf", 18, 10, 6, "Furniture", "bookshelf", "", "bookshelf", "02871439", "n02871439",
                 "bookshelf.n.01", "shelving", 31),
        category("monitor", 19, 40, 7, "Objects", "monitor", "monitor", "monitor", "03211117", "n03782190",
                 "monitor.n.04", "tv_monitor", 22),
        category("armchair", 23, 5, 4, "Chair", "chair", "chair", "chair", "03001627", "n02738535", "armchair.n.01",
                 "chair", 3),
        category("coffee table", 24, 7, 10, "Table", "table", "table", "table", "04379243", "n03063968",
                 "coffee_table.n.01", "table", 5),
        category("box", 26, 29, 7, "Objects", "", "", "", "", "n02883344", "box.n.01", "objects", 39),
        category("lamp", 28, 35, 7, "Objects", "lamp", "", "lamp", "03636649", "n03636649", "lamp.n.02", "lighting", 28),
        category("tv", 33, 25, 11, "TV", "", "", "monitor", "03211117", "n04404412", "television.n.02", "tv_monitor", 22),
        category("nightstand", 34, 32, 6, "Furniture", "night_stand", "night_stand", "", "", "n03015254",
                 "chest_of_drawers.n.01", "chest_of_drawers", 13),
        category("dresser", 36, 17, 6, "Furniture", "dresser", "dresser", "", "", "n03015254", "chest_of_drawers.n.01",
                 "chest_of_drawers", 13),
        category("plant", 40, 40, 7, "Objects", "plant", "", "", "", "n00017222", "plant.n.02", "plant", 14),
        category("keyboard", 46, 40, 7, "Objects", "keyboard", "", "keyboard", "03085013", "n03085013",
                 "computer_keyboard.n.01", "objects", 39),
        category("trash can", 56, 39, 6, "Furniture", "", "", "trash bin", "02747177", "n02747177", "ashcan.n.01",
                 "objects", 39),
    };
}

}  // namespace

const std::vector<SynthCategory>& synthCategories() {
    static const std::vector<SynthCategory> categories = buildCategories();
    return categories;
}

const SynthCategory* findSynthCategory(const std::string& name) {
    for (const SynthCategory& c : synthCategories())
        if (c.name == name) return &c;
    return nullptr;
}

LabelRow labelRowFor(const SynthCategory& c, int count) {
    LabelRow row;
    row.id = c.scannet200Id;
    row.rawCategory = c.name;
    row.category = c.name;
    row.count = count;
    row.nyu40id = c.nyu40Id;
    row.nyu40class = c.nyu40Class;
    row.columns = {std::to_string(c.scannet200Id), c.name, c.name, std::to_string(count), std::to_string(c.nyu40Id),
                   std::to_string(c.eigen13Id), c.nyu40Class, c.nyu40Class, c.eigen13Class, c.modelNet40, c.modelNet10,
                   c.shapeNet55, c.synsetOffset, c.wnSynsetId, c.wnSynsetKey, c.mpcat40, std::to_string(c.mpcat40Index)};
    return row;
}

// ---- palette ----------------------------------------------------------------------------------------

const std::vector<PaletteColor>& synthPalette() {
    // Chosen so that every pair is far apart in RGB: +-6 of vertex noise or flat shading never moves
    // a color to another name, and the names are the ones people use in referring expressions.
    static const std::vector<PaletteColor> palette = {
        {"red", {200, 35, 35}},     {"blue", {40, 90, 210}},    {"green", {50, 160, 60}},
        {"yellow", {235, 210, 50}}, {"white", {235, 235, 230}}, {"black", {30, 30, 32}},
        {"gray", {128, 128, 128}},  {"brown", {120, 72, 38}},   {"beige", {215, 195, 150}},
        {"orange", {240, 135, 30}}, {"pink", {240, 150, 190}},  {"purple", {130, 60, 165}},
        {"teal", {30, 150, 150}},   {"navy", {25, 35, 100}},
    };
    return palette;
}

const PaletteColor& nearestPaletteColor(double r, double g, double b) {
    const auto& palette = synthPalette();
    size_t best = 0;
    double bestD = INFINITY;
    for (size_t i = 0; i < palette.size(); ++i) {
        double dr = r - palette[i].rgb[0], dg = g - palette[i].rgb[1], db = b - palette[i].rgb[2];
        double d = dr * dr + dg * dg + db * db;
        if (d < bestD) {
            bestD = d;
            best = i;
        }
    }
    return palette[best];
}

}  // namespace inst3d
