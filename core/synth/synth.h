// The synthetic ScanNet-format world: procedurally generated indoor scenes written in the exact
// ScanNet v2 layout (meshes, labels, over-segmentation, aggregation, axis alignment, RGB-D frames as
// .sens and as an exported folder, splits) plus language annotations in the real dataset formats.
// Deterministic per (seed, scene index). Everything downstream is tested on these files.
//
// Output layout of writeSynthWorld(out):
//   out/scans/sceneXXXX_00/sceneXXXX_00_vh_clean_2.ply, _vh_clean_2.labels.ply,
//        _vh_clean_2.0.010000.segs.json, .aggregation.json, .txt, .sens, frames/{color,depth,pose,intrinsic}/
//   out/scannetv2-labels.combined.tsv
//   out/splits/scannetv2_{train,val,test}.txt
//   out/ScanRefer, Multi3DRefer, ScanQA, Scan2Cap, ReferIt3D (nr3d.csv), SQA3D   (core/synth/language.h)
#pragma once
#include "core/common/progress.h"
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/common/math.h"
#include "core/io/scannet_json.h"
#include "core/scene/mesh.h"

namespace inst3d {

// How many referring expressions the language generator writes (synth.descriptions_per_*).
struct SynthLanguageSizes {
    int descriptionsPerTarget = 2;   // distinct descriptions of one target object
    int descriptionsPerScene = 30;   // at most, per scene (a random subset beyond it, in target order)
};

struct SynthOptions {
    int numScenes = 1;
    uint64_t seed = 0;
    int numFrames = 30;              // RGB-D frames along the camera path
    int colorWidth = 640, colorHeight = 480;
    int depthWidth = 320, depthHeight = 240;
    double vertexSpacing = 0.05;     // max edge length of the tessellated primitives, meters
    bool writeSens = true;
    bool writeExportedFrames = true;
    bool writeLanguage = true;
    int jpegQuality = 90;
    SynthLanguageSizes language;
    // Layouts a training world did not see, for held-out evaluation (docs/demo-model.md). The defaults
    // draw exactly the scenes they always drew.
    double roomScale = 1.0;          // room width and depth ranges (3.5-7 m x 3-6 m) multiplied by this
    int extraObjects = 0;            // furniture added past the room type's usual set (and its object cap)
};

// A named palette color: names used in the language annotations map to these exact RGB values.
struct PaletteColor {
    std::string name;
    uint8_t rgb[3];
};
const std::vector<PaletteColor>& synthPalette();
const PaletteColor& nearestPaletteColor(double r, double g, double b);  // r,g,b in 0..255

// One object of a generated scene, in aligned coordinates (Z up, room floor at z = 0).
struct SynthObject {
    int objectId = 0;              // = aggregation objectId = index in objects
    std::string category;          // raw category written to aggregation.json ("chair", "wall", ...)
    std::string colorName;         // palette name of its main color
    AABB box;                      // aligned, exact extent of its geometry
    double yawDegrees = 0;         // 0, 90, 180 or 270: the direction its front faces
    int supportId = -1;            // objectId it rests on; -1 = the floor (or structure)
    int wallIndex = -1;            // 0..3 when placed against that wall
    bool structural = false;       // floor, wall, door, window
};

struct SynthRoom {
    double width = 5, depth = 4, height = 2.7;  // x extent, y extent, wall height (aligned, origin at a corner)
    int doorWall = 0;                           // wall index of the door
};

struct SynthScene {
    std::string id;                      // "scene0000_00"
    SynthRoom room;
    std::vector<SynthObject> objects;
    Mat4 axisAlignment;                  // raw -> aligned, non-identity
    Mesh mesh;                           // raw coordinates, RGBA
    std::vector<int32_t> segIndices;     // [V]
    std::vector<uint16_t> nyu40Labels;   // [V]
    Aggregation aggregation;
    std::vector<Mat4> cameraToWorld;     // raw frame, one per RGB-D frame
};

// Layout + geometry of scene `index` (no frames rendered, nothing written).
SynthScene generateSynthScene(int index, const SynthOptions& options);

// Writes the whole world. progress(fraction, message); returning false cancels.
void writeSynthWorld(const std::string& outDir, const SynthOptions& options,
                     const Progress& progress = {});

// Writes one scene folder (everything under scans/<id>/) and returns its path.
std::string writeSynthSceneFolder(const std::string& scansDir, const SynthScene& scene, const SynthOptions& options);

}  // namespace inst3d
