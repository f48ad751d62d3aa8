// PLY (ASCII and binary, ScanNet's _vh_clean_2.ply and .labels.ply): readPly, then touch every face index
// the reader accepted, so an index it failed to check shows up as an ASan read.
#include "core/io/ply.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return inst3d::fuzz::readAsFile(data, size, ".ply", [](const std::string& path) {
        inst3d::PlyData ply = inst3d::readPly(path);
        volatile float sink = 0;
        for (uint32_t index : ply.mesh.faces) sink = sink + ply.mesh.xyz.at(3 * size_t(index));  // at(): an unchecked index throws out_of_range, a crash here
    });
}
