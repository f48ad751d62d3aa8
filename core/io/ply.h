// PLY reader and writer for ScanNet meshes (*_vh_clean_2.ply, *_vh_clean_2.labels.ply) and for
// users' own meshes and point clouds. Reads ascii, binary_little_endian and binary_big_endian with any
// scalar property types; x,y,z are required, red/green/blue(/alpha) and label are picked up when present.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/scene/mesh.h"

namespace inst3d {

struct PlyData {
    Mesh mesh;
    std::vector<uint16_t> label;  // per-vertex 'label' property (nyu40 id) when the file has one
    std::string format;           // "ascii", "binary_little_endian", "binary_big_endian"
    std::vector<std::string> comments;
};

// Throws Error(path, ...) on a malformed header, a truncated body, indices out of range or NaN/inf coordinates.
PlyData readPly(const std::string& path);

enum class PlyFormat { BinaryLittleEndian, Ascii };

struct PlyWriteOptions {
    PlyFormat format = PlyFormat::BinaryLittleEndian;
    bool writeAlpha = true;                    // ScanNet meshes carry alpha
    const std::vector<uint16_t>* label = nullptr;  // writes 'property ushort label' (labels.ply)
    std::string comment = "inst3d";
};

// Atomic write in the ScanNet layout: float x,y,z; uchar red,green,blue,alpha; [ushort label];
// faces as 'property list uchar int vertex_indices'.
void writePly(const std::string& path, const Mesh& mesh, const PlyWriteOptions& options = {});

}  // namespace inst3d
