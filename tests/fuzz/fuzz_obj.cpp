// Wavefront OBJ (a user's own capture): readObj, then every face index it accepted is read.
#include "core/io/obj_mesh.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return inst3d::fuzz::readAsFile(data, size, ".obj", [](const std::string& path) {
        inst3d::Mesh mesh = inst3d::readObj(path);
        volatile float sink = 0;
        for (uint32_t index : mesh.faces) sink = sink + mesh.xyz.at(3 * size_t(index));
    });
}
