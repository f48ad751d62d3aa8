#include "core/synth/models.h"

#include <cmath>
#include <functional>
#include <initializer_list>
#include <map>
#include <stdexcept>

#include "core/synth/synth.h"

namespace inst3d {

namespace {

// Dimensions are rounded to centimeters: readable numbers in boxes and captions.
double cm(double v) { return std::round(v * 100.0) / 100.0; }
double draw(SynthRng& rng, double lo, double hi) { return cm(rng.uniform(lo, hi)); }

int pickColor(SynthRng& rng, std::initializer_list<const char*> names) {
    std::vector<const char*> v(names);
    return paletteIndex(v[static_cast<size_t>(rng.intIn(0, static_cast<int>(v.size()) - 1))]);
}

constexpr unsigned kSides = kNegX | kPosX | kNegY | kPosY;
constexpr unsigned kNoBottom = kAllFaces & ~kNegZ;

Surface topSurface(double d, double w, double z) {
    Surface s;
    s.valid = true;
    s.x0 = -d / 2;
    s.x1 = d / 2;
    s.y0 = -w / 2;
    s.y1 = w / 2;
    s.z = z;
    return s;
}

// Four square legs under a top of depth d, width w, from the floor to `height`.
void addLegs(Model& m, double d, double w, double height, double leg, double inset, int color) {
    for (double sx : {-d / 2 + inset, d / 2 - inset - leg})
        for (double sy : {-w / 2 + inset, w / 2 - inset - leg})
            m.parts.push_back(boxPart({sx, sy, 0}, {sx + leg, sy + leg, height}, color, kSides));
}

Model chair(SynthRng& rng, int main) {
    Model m;
    const double w = draw(rng, 0.42, 0.52), d = draw(rng, 0.42, 0.5), seat = draw(rng, 0.43, 0.48);
    const double top = draw(rng, 0.82, 0.98), t = 0.05;
    const int legs = rng.chance(0.5) ? main : pickColor(rng, {"black", "gray", "brown", "white"});
    m.parts.push_back(boxPart({-d / 2, -w / 2, seat - t}, {d / 2, w / 2, seat}, main));
    m.parts.push_back(boxPart({-d / 2, -w / 2, seat}, {-d / 2 + t, w / 2, top}, main, kAllFaces & ~kNegZ));
    addLegs(m, d, w, seat - t, 0.04, 0.0, legs);
    return m;
}

Model armchair(SynthRng& rng, int main) {
    Model m;
    const double w = draw(rng, 0.75, 0.95), d = draw(rng, 0.75, 0.9), seat = draw(rng, 0.4, 0.45);
    const double top = draw(rng, 0.8, 0.95), arm = draw(rng, 0.55, 0.65), bt = draw(rng, 0.15, 0.2),
                 aw = draw(rng, 0.12, 0.16);
    m.parts.push_back(boxPart({-d / 2 + bt, -w / 2 + aw, 0}, {d / 2, w / 2 - aw, seat}, main, kNoBottom));
    m.parts.push_back(boxPart({-d / 2, -w / 2, 0}, {-d / 2 + bt, w / 2, top}, main, kNoBottom));
    m.parts.push_back(boxPart({-d / 2 + bt, -w / 2, 0}, {d / 2, -w / 2 + aw, arm}, main, kNoBottom));
    m.parts.push_back(boxPart({-d / 2 + bt, w / 2 - aw, 0}, {d / 2, w / 2, arm}, main, kNoBottom));
    return m;
}

Model table(SynthRng& rng, int main, bool coffee) {
    Model m;
    const double w = coffee ? draw(rng, 0.9, 1.3) : draw(rng, 0.9, 1.8);
    const double d = coffee ? draw(rng, 0.5, 0.7) : draw(rng, 0.65, 1.0);
    const double h = coffee ? draw(rng, 0.4, 0.46) : draw(rng, 0.72, 0.78), t = 0.04;
    const int legs = rng.chance(0.5) ? main : pickColor(rng, {"black", "gray", "brown", "white"});
    m.parts.push_back(boxPart({-d / 2, -w / 2, h - t}, {d / 2, w / 2, h}, main));
    addLegs(m, d, w, h - t, 0.05, 0.03, legs);
    m.surface = topSurface(d, w, h);
    return m;
}

Model desk(SynthRng& rng, int main) {
    Model m;
    const double w = draw(rng, 1.0, 1.6), d = draw(rng, 0.6, 0.75), h = draw(rng, 0.72, 0.76), t = 0.03;
    m.parts.push_back(boxPart({-d / 2, -w / 2, h - t}, {d / 2, w / 2, h}, main));
    m.parts.push_back(boxPart({-d / 2, -w / 2, 0}, {d / 2, -w / 2 + t, h - t}, main, kSides));
    m.parts.push_back(boxPart({-d / 2, w / 2 - t, 0}, {d / 2, w / 2, h - t}, main, kSides));
    // Modesty panel at the back, between the side panels.
    m.parts.push_back(boxPart({-d / 2 + 0.02, -w / 2 + t, 0.3}, {-d / 2 + 0.04, w / 2 - t, h - t}, main,
                              kNegX | kPosX | kNegZ));
    m.surface = topSurface(d, w, h);
    return m;
}

Model bed(SynthRng& rng, int main) {
    Model m;
    const bool dbl = rng.chance(0.6);
    const double w = dbl ? draw(rng, 1.4, 1.8) : draw(rng, 0.9, 1.2), len = draw(rng, 1.95, 2.1);
    const double base = 0.2, top = draw(rng, 0.45, 0.55);
    const int frame = pickColor(rng, {"brown", "black", "gray", "white", "beige"});
    // No headboard: the mattress is the highest part, so pillows rest on the bed's top.
    m.parts.push_back(boxPart({-len / 2 + 0.03, -w / 2 + 0.03, 0}, {len / 2 - 0.03, w / 2 - 0.03, base}, frame, kSides));
    m.parts.push_back(boxPart({-len / 2, -w / 2, base}, {len / 2, w / 2, top}, main, kNoBottom));
    m.surface = topSurface(len, w, top);
    return m;
}

Model couch(SynthRng& rng, int main) {
    Model m;
    const double w = draw(rng, 1.5, 2.4), d = draw(rng, 0.8, 0.95), seat = draw(rng, 0.4, 0.45);
    const double top = draw(rng, 0.8, 0.9), arm = draw(rng, 0.55, 0.65), bt = draw(rng, 0.18, 0.22),
                 aw = draw(rng, 0.12, 0.18);
    m.parts.push_back(boxPart({-d / 2 + bt, -w / 2 + aw, 0}, {d / 2, w / 2 - aw, seat}, main, kNoBottom));
    m.parts.push_back(boxPart({-d / 2, -w / 2, 0}, {-d / 2 + bt, w / 2, top}, main, kNoBottom));
    m.parts.push_back(boxPart({-d / 2 + bt, -w / 2, 0}, {d / 2, -w / 2 + aw, arm}, main, kNoBottom));
    m.parts.push_back(boxPart({-d / 2 + bt, w / 2 - aw, 0}, {d / 2, w / 2, arm}, main, kNoBottom));
    // Cushions go on the seat, between the arms and in front of the back.
    m.surface.valid = true;
    m.surface.x0 = -d / 2 + bt;
    m.surface.x1 = d / 2;
    m.surface.y0 = -w / 2 + aw;
    m.surface.y1 = w / 2 - aw;
    m.surface.z = seat;
    return m;
}

// Horizontal handles on a front face at x = d/2.
void addHandles(Model& m, double d, const std::vector<std::pair<double, double>>& yz, int color) {
    for (const auto& p : yz)
        m.parts.push_back(boxPart({d / 2, p.first - 0.06, p.second - 0.01}, {d / 2 + 0.02, p.first + 0.06, p.second + 0.01},
                                  color, kAllFaces & ~kNegX));
}

int handleColor(SynthRng& rng) { return pickColor(rng, {"gray", "black", "white", "brown"}); }

Model cabinet(SynthRng& rng, int main, bool tall) {
    Model m;
    const double w = draw(rng, 0.5, 1.2), d = draw(rng, 0.4, 0.55);
    const double h = tall ? draw(rng, 1.6, 2.0) : draw(rng, 0.7, 1.0);
    m.parts.push_back(boxPart({-d / 2, -w / 2, 0}, {d / 2, w / 2, h}, main, kNoBottom));
    const double hz = cm(h * 0.6);
    addHandles(m, d, {{-0.08, hz}, {0.08, hz}}, handleColor(rng));
    if (!tall) m.surface = topSurface(d, w, h);
    return m;
}

Model dresser(SynthRng& rng, int main) {
    Model m;
    const double w = draw(rng, 1.0, 1.6), d = draw(rng, 0.45, 0.55), h = draw(rng, 0.75, 1.0);
    m.parts.push_back(boxPart({-d / 2, -w / 2, 0}, {d / 2, w / 2, h}, main, kNoBottom));
    std::vector<std::pair<double, double>> handles;
    for (int row = 0; row < 3; ++row)
        for (double y : {-w / 4, w / 4}) handles.emplace_back(cm(y), cm(h * (0.2 + 0.3 * row)));
    addHandles(m, d, handles, handleColor(rng));
    m.surface = topSurface(d, w, h);
    return m;
}

Model nightstand(SynthRng& rng, int main) {
    Model m;
    const double w = draw(rng, 0.42, 0.55), d = draw(rng, 0.36, 0.45), h = draw(rng, 0.5, 0.62);
    m.parts.push_back(boxPart({-d / 2, -w / 2, 0}, {d / 2, w / 2, h}, main, kNoBottom));
    addHandles(m, d, {{0.0, cm(h * 0.75)}}, handleColor(rng));
    m.surface = topSurface(d, w, h);
    return m;
}

Model bookshelf(SynthRng& rng, int main) {
    Model m;
    const double w = draw(rng, 0.6, 1.2), d = draw(rng, 0.28, 0.38), h = draw(rng, 1.4, 2.0), t = 0.02, plinth = 0.06;
    m.parts.push_back(boxPart({-d / 2, -w / 2, 0}, {d / 2, -w / 2 + t, h}, main, kNoBottom));
    m.parts.push_back(boxPart({-d / 2, w / 2 - t, 0}, {d / 2, w / 2, h}, main, kNoBottom));
    m.parts.push_back(boxPart({-d / 2, -w / 2 + t, h - t}, {d / 2, w / 2 - t, h}, main, kPosX | kNegZ | kPosZ));
    m.parts.push_back(boxPart({-d / 2, -w / 2 + t, 0}, {d / 2, w / 2 - t, plinth}, main, kPosX | kPosZ));
    m.parts.push_back(boxPart({-d / 2, -w / 2 + t, plinth}, {-d / 2 + 0.01, w / 2 - t, h - t}, main, kNegX | kPosX));
    const int shelves = static_cast<int>((h - plinth - t) / 0.36);
    const double step = (h - plinth - t) / (shelves + 1);
    for (int k = 1; k <= shelves; ++k) {
        const double z = cm(plinth + k * step);
        m.parts.push_back(boxPart({-d / 2 + 0.01, -w / 2 + t, z - t}, {d / 2, w / 2 - t, z}, main, kPosX | kNegZ | kPosZ));
    }
    return m;
}

Model lamp(SynthRng& rng, int main, bool small) {
    Model m;
    const int metal = pickColor(rng, {"black", "gray", "white", "brown"});
    const double baseR = small ? draw(rng, 0.06, 0.08) : draw(rng, 0.12, 0.15), baseH = 0.03;
    const double poleR = small ? 0.012 : 0.015;
    const double shadeR = small ? draw(rng, 0.1, 0.14) : draw(rng, 0.17, 0.22);
    const double shadeH = small ? draw(rng, 0.15, 0.2) : draw(rng, 0.24, 0.3);
    const double top = small ? draw(rng, 0.38, 0.55) : draw(rng, 1.35, 1.65);
    m.parts.push_back(cylinderPart(0, 0, baseR, 0, baseH, metal, kPosZ));
    m.parts.push_back(cylinderPart(0, 0, poleR, baseH, top - shadeH, metal, 0));
    m.parts.push_back(cylinderPart(0, 0, shadeR, top - shadeH, top, main));
    return m;
}

// A display on a stand: shared by monitor and tv.
Model screen(SynthRng& rng, int main, double w, double h, double depth) {
    Model m;
    const int stand = rng.chance(0.5) ? main : pickColor(rng, {"black", "gray"});
    const double bx = cm(0.1 + w * 0.1), by = cm(0.08 + w * 0.12), lift = cm(0.06 + h * 0.08);
    m.parts.push_back(boxPart({-bx, -by, 0}, {bx, by, 0.015}, stand, kNoBottom));
    m.parts.push_back(boxPart({-depth / 2 - 0.03, -0.025, 0.015}, {-depth / 2, 0.025, lift + 0.02}, stand, kSides));
    m.parts.push_back(boxPart({-depth / 2, -w / 2, lift}, {depth / 2, w / 2, lift + h}, main));
    return m;
}

Model monitor(SynthRng& rng, int main) {
    const double w = draw(rng, 0.45, 0.65);
    return screen(rng, main, w, cm(w * rng.uniform(0.56, 0.65)), 0.04);
}

Model tv(SynthRng& rng, int main) {
    const double w = draw(rng, 0.7, 1.1);
    return screen(rng, main, w, cm(w * 0.58), 0.06);
}

Model keyboard(SynthRng& rng, int main) {
    Model m;
    const double d = draw(rng, 0.13, 0.17), w = draw(rng, 0.42, 0.48), h = draw(rng, 0.025, 0.035);
    m.parts.push_back(boxPart({-d / 2, -w / 2, 0}, {d / 2, w / 2, h}, main, kNoBottom));
    return m;
}

Model trashCan(SynthRng& rng, int main) {
    Model m;
    const double h = draw(rng, 0.3, 0.5);
    if (rng.chance(0.6)) {
        m.parts.push_back(cylinderPart(0, 0, draw(rng, 0.12, 0.18), 0, h, main, kPosZ));
    } else {
        const double w = draw(rng, 0.25, 0.35), d = draw(rng, 0.2, 0.3);
        m.parts.push_back(boxPart({-d / 2, -w / 2, 0}, {d / 2, w / 2, h}, main, kNoBottom));
    }
    return m;
}

// One box of depth d (x), width w (y) and height h standing on the origin: pillows, boxes, bins.
Model singleBox(double d, double w, double h, int main) {
    Model m;
    m.parts.push_back(boxPart({-d / 2, -w / 2, 0}, {d / 2, w / 2, h}, main, kNoBottom));
    return m;
}

Model pillow(SynthRng& rng, int main, bool upright) {
    const double d = upright ? draw(rng, 0.12, 0.16) : draw(rng, 0.3, 0.4);
    const double w = upright ? draw(rng, 0.38, 0.48) : draw(rng, 0.5, 0.65);
    const double h = upright ? draw(rng, 0.35, 0.42) : draw(rng, 0.1, 0.14);
    return singleBox(d, w, h, main);
}

Model cardboardBox(SynthRng& rng, int main, bool small) {
    const double d = small ? draw(rng, 0.15, 0.3) : draw(rng, 0.25, 0.5);
    const double w = small ? draw(rng, 0.15, 0.3) : draw(rng, 0.25, 0.5);
    const double h = small ? draw(rng, 0.1, 0.25) : draw(rng, 0.2, 0.45);
    return singleBox(d, w, h, main);
}

Model plant(SynthRng& rng, int main, bool small) {
    Model m;
    const int pot = pickColor(rng, {"brown", "white", "gray", "black", "orange", "beige"});
    const double potR = small ? draw(rng, 0.06, 0.08) : draw(rng, 0.12, 0.17);
    const double potH = small ? draw(rng, 0.08, 0.12) : draw(rng, 0.22, 0.32);
    const double leafR = small ? draw(rng, 0.09, 0.13) : draw(rng, 0.2, 0.3);
    const double top = small ? draw(rng, 0.25, 0.38) : draw(rng, 0.7, 1.2);
    m.parts.push_back(cylinderPart(0, 0, potR, 0, potH, pot, 0));
    m.parts.push_back(cylinderPart(0, 0, leafR, potH, top, main));
    return m;
}

Model sink(SynthRng& rng, int main) {
    Model m;
    const double w = draw(rng, 0.5, 0.9), d = draw(rng, 0.45, 0.55), h = draw(rng, 0.8, 0.86);
    const int tap = pickColor(rng, {"gray", "white", "black"});
    m.parts.push_back(boxPart({-d / 2, -w / 2, 0}, {d / 2, w / 2, h - 0.04}, main, kSides));
    m.parts.push_back(boxPart({-d / 2, -w / 2, h - 0.04}, {d / 2 + 0.02, w / 2, h}, main));
    m.parts.push_back(cylinderPart(-d / 2 + 0.06, 0, 0.015, h, h + 0.16, tap, kPosZ));
    m.parts.push_back(boxPart({-d / 2 + 0.075, -0.012, h + 0.13}, {-d / 2 + 0.18, 0.012, h + 0.16}, tap));
    return m;
}

Model toilet(SynthRng& rng, int main) {
    Model m;
    const double tankW = draw(rng, 0.18, 0.21), bowlW = draw(rng, 0.17, 0.19), seat = draw(rng, 0.4, 0.44);
    const double tankTop = draw(rng, 0.75, 0.85);
    m.parts.push_back(boxPart({-0.36, -0.1, 0}, {-0.2, 0.1, seat - 0.04}, main, kSides));
    m.parts.push_back(boxPart({-0.2, -0.12, 0}, {0.2, 0.12, seat - 0.04}, main, kSides));
    m.parts.push_back(boxPart({-0.16, -bowlW, seat - 0.04}, {0.34, bowlW, seat}, main));
    m.parts.push_back(boxPart({-0.36, -tankW, seat - 0.04}, {-0.16, tankW, tankTop}, main));
    return m;
}

using Builder = std::function<Model(SynthRng&, int, const ModelStyle&)>;

const std::map<std::string, Builder>& builders() {
    static const std::map<std::string, Builder> b = {
        {"chair", [](SynthRng& r, int c, const ModelStyle&) { return chair(r, c); }},
        {"armchair", [](SynthRng& r, int c, const ModelStyle&) { return armchair(r, c); }},
        {"table", [](SynthRng& r, int c, const ModelStyle&) { return table(r, c, false); }},
        {"coffee table", [](SynthRng& r, int c, const ModelStyle&) { return table(r, c, true); }},
        {"desk", [](SynthRng& r, int c, const ModelStyle&) { return desk(r, c); }},
        {"bed", [](SynthRng& r, int c, const ModelStyle&) { return bed(r, c); }},
        {"couch", [](SynthRng& r, int c, const ModelStyle&) { return couch(r, c); }},
        {"cabinet", [](SynthRng& r, int c, const ModelStyle& s) { return cabinet(r, c, s.tall); }},
        {"dresser", [](SynthRng& r, int c, const ModelStyle&) { return dresser(r, c); }},
        {"nightstand", [](SynthRng& r, int c, const ModelStyle&) { return nightstand(r, c); }},
        {"bookshelf", [](SynthRng& r, int c, const ModelStyle&) { return bookshelf(r, c); }},
        {"lamp", [](SynthRng& r, int c, const ModelStyle& s) { return lamp(r, c, s.small); }},
        {"monitor", [](SynthRng& r, int c, const ModelStyle&) { return monitor(r, c); }},
        {"tv", [](SynthRng& r, int c, const ModelStyle&) { return tv(r, c); }},
        {"keyboard", [](SynthRng& r, int c, const ModelStyle&) { return keyboard(r, c); }},
        {"trash can", [](SynthRng& r, int c, const ModelStyle&) { return trashCan(r, c); }},
        {"pillow", [](SynthRng& r, int c, const ModelStyle& s) { return pillow(r, c, s.upright); }},
        {"box", [](SynthRng& r, int c, const ModelStyle& s) { return cardboardBox(r, c, s.small); }},
        {"plant", [](SynthRng& r, int c, const ModelStyle& s) { return plant(r, c, s.small); }},
        {"sink", [](SynthRng& r, int c, const ModelStyle&) { return sink(r, c); }},
        {"toilet", [](SynthRng& r, int c, const ModelStyle&) { return toilet(r, c); }},
    };
    return b;
}

}  // namespace

AABB Model::box() const {
    AABB b;
    for (const Part& p : parts) {
        b.extend(p.lo);
        b.extend(p.hi);
    }
    return b;
}

Model buildModel(const std::string& category, SynthRng& rng, int mainColor, const ModelStyle& style) {
    auto it = builders().find(category);
    if (it == builders().end()) throw std::invalid_argument("synth: no model for category '" + category + "'");
    Model m = it->second(rng, mainColor, style);
    m.category = category;
    m.mainColor = mainColor;
    return m;
}

int paletteIndex(const std::string& name) {
    const auto& p = synthPalette();
    for (size_t i = 0; i < p.size(); ++i)
        if (p[i].name == name) return static_cast<int>(i);
    throw std::out_of_range("synth: no palette color '" + name + "'");
}

std::vector<int> colorChoices(const std::string& category) {
    auto names = [](std::initializer_list<const char*> list) {
        std::vector<int> out;
        for (const char* n : list) out.push_back(paletteIndex(n));
        return out;
    };
    if (category == "wall") return names({"white", "beige", "gray"});
    if (category == "floor") return names({"brown", "gray", "beige"});
    if (category == "door") return names({"brown", "white", "gray", "beige", "navy", "red", "teal"});
    if (category == "window") return names({"white", "gray", "black", "brown", "blue"});
    if (category == "plant") return names({"green", "teal", "yellow", "pink", "purple", "red", "orange"});
    if (category == "toilet" || category == "sink") return names({"white", "white", "beige", "gray", "black", "blue", "pink"});
    if (category == "monitor" || category == "tv" || category == "keyboard")
        return names({"black", "gray", "white", "navy", "blue", "red"});
    if (category == "box") return names({"brown", "beige", "white", "orange", "red", "blue", "green", "yellow", "gray"});
    std::vector<int> all(synthPalette().size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
    return all;
}

void settleColors(Model& model, double vertexSpacing) {
    const auto& palette = synthPalette();
    double total = 0, mainCount = 0, sum[3] = {0, 0, 0};
    for (const Part& p : model.parts) {
        const double n = static_cast<double>(partVertexCount(p, vertexSpacing));
        total += n;
        if (p.color == model.mainColor) mainCount += n;
        for (int c = 0; c < 3; ++c) sum[c] += n * palette[static_cast<size_t>(p.color)].rgb[c];
    }
    const double mean[3] = {sum[0] / total, sum[1] / total, sum[2] / total};
    // Margin: the mean must stay clearly closest to the main color, noise and float rounding included.
    auto dist = [&](size_t i) {
        double d = 0;
        for (int c = 0; c < 3; ++c) d += (mean[c] - palette[i].rgb[c]) * (mean[c] - palette[i].rgb[c]);
        return std::sqrt(d);
    };
    const double dMain = dist(static_cast<size_t>(model.mainColor));
    bool clear = mainCount >= 0.6 * total;
    for (size_t i = 0; i < palette.size() && clear; ++i)
        if (static_cast<int>(i) != model.mainColor && dist(i) < dMain + 20) clear = false;
    if (!clear)
        for (Part& p : model.parts) p.color = model.mainColor;
}

}  // namespace inst3d
