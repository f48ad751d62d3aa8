// The synthetic ScanNet world: layout (layout.cpp) -> tessellated mesh (primitives.cpp) -> raw
// coordinates through a random axis alignment -> camera path -> rendered RGB-D (rasterizer.cpp) ->
// files in the ScanNet layout.
#include "core/synth/synth.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>

#include "core/common/file_util.h"
#include "core/io/exported_frames.h"
#include "core/io/label_map.h"
#include "core/io/ply.h"
#include "core/io/scene_loader.h"
#include "core/io/scene_meta.h"
#include "core/io/sens.h"
#include "core/synth/catalog.h"
#include "core/synth/language.h"
#include "core/synth/layout.h"
#include "core/synth/prng.h"
#include "core/synth/rasterizer.h"

namespace inst3d {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kUsualObjects = 26;  // the middle of a room's usual object cap (22-30)

// Independent random streams per scene, so that e.g. a change in the camera path leaves layouts alone.
enum Stream : uint64_t { kLayoutStream = 1, kMeshStream = 2, kCameraStream = 3, kAlignStream = 4, kSplitStream = 5 };

double cm(double v) { return std::round(v * 100.0) / 100.0; }

std::string sceneIdFor(int index) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "scene%04d_00", index);
    return buf;
}

RoomType roomTypeFor(int index, uint64_t seed) {
    // Cycling the types guarantees every handful of scenes covers all categories.
    return static_cast<RoomType>((static_cast<uint64_t>(index) + seed % 4) % 4);
}

// ---- structure ------------------------------------------------------------------------------------------

Model doorModel(SynthRng& rng, int color, double width, double height) {
    Model m;
    m.category = "door";
    m.mainColor = color;
    const int handle = paletteIndex(rng.chance(0.5) ? "gray" : "black");
    m.parts.push_back(boxPart({0, 0, 0}, {0.04, width, height}, color, kPosX | kNegY | kPosY | kPosZ));
    m.parts.push_back(boxPart({0.04, width - 0.16, 0.98}, {0.09, width - 0.06, 1.02}, handle, kAllFaces & ~kNegX));
    return m;
}

Model windowModel(int color, double width, double height) {
    Model m;
    m.category = "window";
    m.mainColor = color;
    m.parts.push_back(boxPart({0, 0.05, 0.03}, {0.03, width - 0.05, height}, color, kAllFaces & ~kNegX));
    m.parts.push_back(boxPart({0, 0, 0}, {0.07, width, 0.03}, color, kAllFaces & ~kNegX));  // sill
    return m;
}

// By value: callers pass a temporary list, so a reference into it would dangle.
int pickFrom(SynthRng& rng, const std::vector<int>& choices) { return rng.pick(choices); }

// Door and 1-2 windows; openings on one wall never overlap.
void addOpenings(RoomLayout& layout, SynthRng& rng, double spacing) {
    const SynthRoom& room = layout.room();
    std::vector<std::vector<std::pair<double, double>>> taken(4);
    const double doorW = cm(rng.uniform(0.8, 0.95)), doorH = cm(rng.uniform(2.0, std::min(2.15, room.height - 0.2)));
    const double doorAt = cm(rng.uniform(0.15, layout.wallLength(room.doorWall) - doorW - 0.25));
    Model door = doorModel(rng, pickFrom(rng, colorChoices("door")), doorW, doorH);
    settleColors(door, spacing);
    layout.addOnWall(door, room.doorWall, doorAt, 0, 0.9);
    taken[static_cast<size_t>(room.doorWall)].push_back({doorAt, doorAt + doorW});

    const int windows = rng.chance(0.5) ? 2 : 1;
    const int color = pickFrom(rng, colorChoices("window"));
    for (int i = 0, attempts = 0; i < windows && attempts < 20; ++attempts) {
        const int wall = (room.doorWall + rng.intIn(1, 3)) % 4;
        const double width = cm(rng.uniform(0.8, 1.6)), sill = cm(rng.uniform(0.8, 1.0));
        const double height = cm(rng.uniform(1.0, std::min(1.4, room.height - sill - 0.25)));
        const double slack = layout.wallLength(wall) - width - 0.4;
        if (slack < 0) continue;
        const double at = cm(0.2 + rng.uniform(0, slack));
        bool clash = false;
        for (const auto& t : taken[static_cast<size_t>(wall)]) clash |= at < t.second + 0.3 && t.first < at + width + 0.3;
        if (clash) continue;
        layout.addOnWall(windowModel(color, width, height), wall, at, sill, 0.12);
        taken[static_cast<size_t>(wall)].push_back({at, at + width});
        ++i;
    }
}

SynthRoom drawRoom(SynthRng& rng, double scale) {
    SynthRoom room;
    room.width = cm(rng.uniform(3.5, 7.0) * scale);
    room.depth = cm(rng.uniform(3.0, 6.0) * scale);
    room.height = cm(rng.uniform(2.5, 3.0));
    room.doorWall = rng.intIn(0, 3);
    return room;
}

// ---- axis alignment ---------------------------------------------------------------------------------------

// raw -> aligned: a rotation about Z that is never a multiple of 90 degrees, plus a few meters of
// translation. Rounded to the 6 decimals that <scene>.txt stores, so that the file is the truth.
Mat4 drawAxisAlignment(SynthRng& rng) {
    double degrees;
    do {
        degrees = rng.uniform(0, 360);
    } while (std::fmod(degrees, 90.0) < 5 || std::fmod(degrees, 90.0) > 85);
    auto coord = [&]() { return cm(rng.uniform(1.0, 4.0) * (rng.chance(0.5) ? 1 : -1)); };
    const double tx = coord(), ty = coord();
    Mat4 a = rotationZ(degrees * kPi / 180.0, {tx, ty, 0});
    for (double& v : a.m) v = std::round(v * 1e6) / 1e6;
    return a;
}

// ---- camera path -----------------------------------------------------------------------------------------

// True when a camera at p keeps 0.3 m from every object that reaches up near its height.
bool cameraClear(const Vec3& p, const SynthScene& scene) {
    if (p.x < 0.3 || p.y < 0.3 || p.x > scene.room.width - 0.3 || p.y > scene.room.depth - 0.3) return false;
    for (const SynthObject& o : scene.objects) {
        if (o.structural || o.box.max.z < p.z - 0.4) continue;
        if (p.x > o.box.min.x - 0.3 && p.x < o.box.max.x + 0.3 && p.y > o.box.min.y - 0.3 && p.y < o.box.max.y + 0.3)
            return false;
    }
    return true;
}

// OpenCV camera (x right, y down, z forward) at `eye` looking at `target`, Z up.
Mat4 lookAt(const Vec3& eye, const Vec3& target) {
    const Vec3 z = normalized(target - eye);
    const Vec3 x = normalized(cross(z, Vec3(0, 0, 1)));
    const Vec3 y = cross(z, x);
    Mat4 m;
    for (int r = 0; r < 3; ++r) {
        m(r, 0) = x[r];
        m(r, 1) = y[r];
        m(r, 2) = z[r];
        m(r, 3) = eye[r];
    }
    return m;
}

// Walks an ellipse ~0.6 m inside the walls at 1.3-1.6 m, looking at the middle of the room with a
// slight downward pitch, like a person scanning the room. Poses are returned in the raw frame.
std::vector<Mat4> cameraPath(const SynthScene& scene, int frames, SynthRng& rng) {
    const SynthRoom& room = scene.room;
    const Vec3 center{room.width / 2, room.depth / 2, 0};
    const double ax = std::max(0.3, room.width / 2 - 0.6), ay = std::max(0.3, room.depth / 2 - 0.6);
    const double phase = rng.uniform(0, 2 * kPi), bob = rng.uniform(0, 2 * kPi);
    const double dir = rng.chance(0.5) ? 1 : -1, height = rng.uniform(1.38, 1.52);
    const Mat4 alignedToRaw = scene.axisAlignment.inverse();
    std::vector<Mat4> poses;
    for (int k = 0; k < frames; ++k) {
        const double a = phase + dir * 2 * kPi * k / std::max(1, frames);
        Vec3 eye{center.x + ax * std::cos(a), center.y + ay * std::sin(a),
                 height + 0.08 * std::sin(2 * a + bob) + rng.uniform(-0.02, 0.02)};
        // Pull the camera toward the center until it is clear of tall furniture.
        Vec3 onPath = eye;
        for (double s = 1.0; s > 0.2 && !cameraClear(eye, scene); s -= 0.05) {
            eye.x = center.x + (onPath.x - center.x) * s;
            eye.y = center.y + (onPath.y - center.y) * s;
        }
        const Vec3 target{center.x + rng.uniform(-0.3, 0.3), center.y + rng.uniform(-0.3, 0.3), rng.uniform(0.6, 0.9)};
        poses.push_back(alignedToRaw * lookAt(eye, target));
    }
    return poses;
}

// ---- geometry -----------------------------------------------------------------------------------------------

void buildGeometry(SynthScene& scene, const RoomLayout& layout, const SynthOptions& options, int index) {
    MeshBuilder mb(options.vertexSpacing, mixSeed(options.seed, static_cast<uint64_t>(index), kMeshStream));
    const auto& placed = layout.objects();
    for (size_t i = 0; i < placed.size(); ++i) {
        const SynthCategory* cat = findSynthCategory(placed[i].model.category);
        mb.beginObject(static_cast<int>(i), static_cast<uint16_t>(cat ? cat->nyu40Id : 0));
        for (const Part& part : placed[i].model.parts) mb.addPart(part, placed[i].placement);
    }
    // Boxes from the emitted vertices: exact extents, whatever the primitives did.
    std::vector<AABB> boxes(placed.size());
    for (size_t v = 0; v < mb.numVertices(); ++v)
        boxes[static_cast<size_t>(mb.objectOfVertex[v])].extend({mb.xyz[3 * v], mb.xyz[3 * v + 1], mb.xyz[3 * v + 2]});

    for (size_t i = 0; i < placed.size(); ++i) {
        const PlacedObject& p = placed[i];
        SynthObject o;
        o.objectId = static_cast<int>(i);
        o.category = p.model.category;
        o.colorName = synthPalette()[static_cast<size_t>(p.model.mainColor)].name;
        o.box = boxes[i];
        // Walls face into the room; everything else faces where its model's +X went.
        const int quarter = p.model.category == "wall" ? (p.wallIndex + 1) % 4 : p.placement.yawQuarter;
        o.yawDegrees = 90.0 * quarter;
        o.supportId = p.supportId;
        o.wallIndex = p.wallIndex;
        o.structural = p.structural;
        scene.objects.push_back(o);
    }

    const Mat4 alignedToRaw = scene.axisAlignment.inverse();
    scene.mesh.xyz.resize(mb.xyz.size());
    for (size_t v = 0; v < mb.numVertices(); ++v) {
        Vec3 raw = alignedToRaw.transformPoint({mb.xyz[3 * v], mb.xyz[3 * v + 1], mb.xyz[3 * v + 2]});
        for (int c = 0; c < 3; ++c) scene.mesh.xyz[3 * v + static_cast<size_t>(c)] = static_cast<float>(raw[c]);
    }
    scene.mesh.rgba = std::move(mb.rgba);
    scene.mesh.faces = std::move(mb.faces);
    scene.segIndices = std::move(mb.segIndices);
    scene.nyu40Labels = std::move(mb.labels);

    scene.aggregation.sceneId = "scannet." + scene.id;
    scene.aggregation.segmentsFile = "scannet." + scene.id + "_vh_clean_2.0.010000.segs.json";
    for (size_t i = 0; i < placed.size(); ++i) {
        SegGroup g;
        g.id = g.objectId = static_cast<int>(i);
        g.label = placed[i].model.category;
        g.segments = mb.segmentsOfObject[i];
        scene.aggregation.segGroups.push_back(g);
    }
}

// ---- files ----------------------------------------------------------------------------------------------------

Intrinsics colorIntrinsics(const SynthOptions& o) {
    // ScanNet's color camera has fx ~ 0.9 W; principal point at the image center (pixel-center convention).
    Intrinsics k;
    k.width = o.colorWidth;
    k.height = o.colorHeight;
    k.fx = k.fy = std::round(0.9 * o.colorWidth * 1000.0) / 1000.0;
    k.cx = (o.colorWidth - 1) / 2.0;
    k.cy = (o.colorHeight - 1) / 2.0;
    return k;
}

Intrinsics depthIntrinsics(const SynthOptions& o) { return colorIntrinsics(o).scaledTo(o.depthWidth, o.depthHeight); }

// The room type is a function of (index, seed); the index is read back from the scene id.
std::string sceneTypeOf(const SynthScene& scene, const SynthOptions& o) {
    int index = 0;
    if (std::sscanf(scene.id.c_str(), "scene%d_", &index) != 1) return "Misc.";
    return sceneTypeName(roomTypeFor(index, o.seed));
}

void writeMeta(const std::string& path, const SynthScene& scene, const SynthOptions& o, int frames) {
    SceneMeta meta;
    setAxisAlignment(meta, scene.axisAlignment);
    setIntrinsics(meta, colorIntrinsics(o), depthIntrinsics(o));
    meta.set("numColorFrames", std::to_string(frames));
    meta.set("numDepthFrames", std::to_string(frames));
    meta.set("numIMUmeasurements", "0");
    meta.set("sceneType", sceneTypeOf(scene, o));
    writeSceneMeta(path, meta);
}

void writeFrames(const std::string& dir, const SynthScene& scene, const SynthOptions& o) {
    const int frames = static_cast<int>(scene.cameraToWorld.size());
    const bool sens = o.writeSens, exported = o.writeExportedFrames;
    if (frames == 0 || (!sens && !exported)) return;
    const Intrinsics kc = colorIntrinsics(o), kd = depthIntrinsics(o);
    const MeshRasterizer raster(scene.mesh);
    SensHeader header;
    header.sensorName = "StructureSensor";
    header.intrinsicColor = kc.asMatrix();
    header.intrinsicDepth = kd.asMatrix();
    header.colorWidth = static_cast<uint32_t>(kc.width);
    header.colorHeight = static_cast<uint32_t>(kc.height);
    header.depthWidth = static_cast<uint32_t>(kd.width);
    header.depthHeight = static_cast<uint32_t>(kd.height);
    header.numFrames = static_cast<uint64_t>(frames);
    std::unique_ptr<SensWriter> writer;
    if (sens) writer = std::make_unique<SensWriter>(joinPath(dir, scene.id + ".sens"), header);
    const std::string framesDir = joinPath(dir, "frames");
    if (exported) writeExportedIntrinsics(framesDir, kc, kd);
    for (int i = 0; i < frames; ++i) {
        const Mat4& pose = scene.cameraToWorld[static_cast<size_t>(i)];
        const ImageRGB8 color = raster.color(pose, kc);
        const ImageDepth16 depth = raster.depth(pose, kd);
        if (writer) writer->addFrame(pose, color, depth, static_cast<uint64_t>(i) * 100000u, o.jpegQuality);
        if (exported) writeExportedFrame(framesDir, static_cast<size_t>(i), pose, color, depth, o.jpegQuality);
    }
    if (writer) writer->finish();
}

// ~70/20/10 by a seeded shuffle; with two or more scenes there is always a train and a val scene.
std::vector<std::string> drawSplits(int n, uint64_t seed) {
    std::vector<int> order(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
    SynthRng rng(mixSeed(seed, 0, kSplitStream));
    rng.shuffle(order);
    int val = n >= 2 ? std::max(1, static_cast<int>(std::lround(0.2 * n))) : 0;
    int test = static_cast<int>(std::lround(0.1 * n));
    if (n - val - test < 1) test = std::max(0, n - val - 1);
    std::vector<std::string> splits(static_cast<size_t>(n), "train");
    for (int k = 0; k < val; ++k) splits[static_cast<size_t>(order[static_cast<size_t>(k)])] = "val";
    for (int k = val; k < val + test; ++k) splits[static_cast<size_t>(order[static_cast<size_t>(k)])] = "test";
    return splits;
}

void writeSplitFiles(const std::string& outDir, const std::vector<std::string>& ids, const std::vector<std::string>& splits) {
    const std::string dir = joinPath(outDir, "splits");
    makeDirectories(dir);
    for (const char* name : {"train", "val", "test"}) {
        std::string text;
        for (size_t i = 0; i < ids.size(); ++i)
            if (splits[i] == name) text += ids[i] + "\n";
        writeFileAtomic(joinPath(dir, std::string("scannetv2_") + name + ".txt"), text);
    }
}

void writeLabelTable(const std::string& outDir, const std::map<std::string, int>& counts) {
    LabelMap map;
    for (const SynthCategory& c : synthCategories()) {
        auto it = counts.find(c.name);
        map.add(labelRowFor(c, it == counts.end() ? 0 : it->second));
    }
    map.write(joinPath(outDir, "scannetv2-labels.combined.tsv"));
}

// The language annotations are derived from the objects and the room alone; dropping the mesh keeps
// memory flat when thousands of scenes are written (a scene's mesh is several megabytes).
SynthScene withoutGeometry(SynthScene scene) {
    scene.mesh = Mesh();
    scene.segIndices = {};
    scene.nyu40Labels = {};
    return scene;
}

}  // namespace

SynthScene generateSynthScene(int index, const SynthOptions& options) {
    SynthScene scene;
    scene.id = sceneIdFor(index);
    SynthRng rng(mixSeed(options.seed, static_cast<uint64_t>(index), kLayoutStream));
    scene.room = drawRoom(rng, options.roomScale);

    RoomLayout layout(scene.room, rng);
    const std::vector<int> wallColors = colorChoices("wall");
    const int wallColor = rng.pick(wallColors);
    std::vector<int> floorColors;
    for (int c : colorChoices("floor"))
        if (c != wallColor) floorColors.push_back(c);
    layout.addShell(wallColor, rng.pick(floorColors));
    addOpenings(layout, rng, options.vertexSpacing);
    const double areaScale = options.roomScale * options.roomScale;
    Furnisher furnisher(layout, rng, options.vertexSpacing, rng.intIn(22, 30) + options.extraObjects,
                        areaScale * (1.0 + double(options.extraObjects) / kUsualObjects));
    furnish(furnisher, roomTypeFor(index, options.seed));
    addClutter(furnisher, options.extraObjects);

    SynthRng alignRng(mixSeed(options.seed, static_cast<uint64_t>(index), kAlignStream));
    scene.axisAlignment = drawAxisAlignment(alignRng);
    buildGeometry(scene, layout, options, index);

    SynthRng cameraRng(mixSeed(options.seed, static_cast<uint64_t>(index), kCameraStream));
    scene.cameraToWorld = cameraPath(scene, options.numFrames, cameraRng);
    return scene;
}

std::string writeSynthSceneFolder(const std::string& scansDir, const SynthScene& scene, const SynthOptions& options) {
    const std::string dir = joinPath(scansDir, scene.id);
    makeDirectories(dir);
    const std::string base = joinPath(dir, scene.id);
    writePly(base + "_vh_clean_2.ply", scene.mesh);
    PlyWriteOptions labels;
    labels.label = &scene.nyu40Labels;
    writePly(base + "_vh_clean_2.labels.ply", scene.mesh, labels);
    Segmentation segs;
    segs.sceneId = scene.id;
    segs.segIndices = scene.segIndices;
    segs.params = {{"kThresh", "0.01"}, {"segMinVerts", "20"}, {"minPoints", "750"}, {"maxPoints", "5000"},
                   {"thinThresh", "0.05"}, {"flatThresh", "0.001"}, {"minLength", "0.02"}, {"maxLength", "1"}};
    writeSegs(base + "_vh_clean_2.0.010000.segs.json", segs);
    writeAggregation(base + ".aggregation.json", scene.aggregation);
    const bool frames = options.writeSens || options.writeExportedFrames;
    writeMeta(base + ".txt", scene, options, frames ? static_cast<int>(scene.cameraToWorld.size()) : 0);
    writeFrames(dir, scene, options);
    return dir;
}

void writeSynthWorld(const std::string& outDir, const SynthOptions& options,
                     const Progress& progress) {
    auto report = [&](double fraction, const std::string& message) {
        if (progress && !progress(fraction, message)) throw Cancelled();
    };
    const int n = std::max(0, options.numScenes);
    const std::string scansDir = joinPath(outDir, "scans");
    makeDirectories(scansDir);
    // What an interrupted earlier run left; only then, so a --out over other data is never swept.
    if (isMarkedIncomplete(outDir)) removeStaleTemporaries(outDir, /*recursive=*/true);
    markIncomplete(outDir, "run inst3d synth --out " + outDir + " again");
    std::vector<SynthScene> kept;  // the language generator needs every scene at once
    std::vector<std::string> ids;
    std::map<std::string, int> counts;
    for (int i = 0; i < n; ++i) {
        report(0.9 * i / std::max(1, n), "scene " + sceneIdFor(i));
        SynthScene scene = generateSynthScene(i, options);
        writeSynthSceneFolder(scansDir, scene, options);
        for (const SynthObject& o : scene.objects) ++counts[o.category];
        ids.push_back(scene.id);
        if (options.writeLanguage) kept.push_back(withoutGeometry(std::move(scene)));
    }
    const std::vector<std::string> splits = drawSplits(n, options.seed);
    writeSplitFiles(outDir, ids, splits);
    writeLabelTable(outDir, counts);
    if (options.writeLanguage) {
        report(0.9, "language annotations");
        writeSynthLanguage(outDir, kept, splits, options.seed, options.language);
    }
    markComplete(outDir);
    report(1.0, "done");
}

}  // namespace inst3d
