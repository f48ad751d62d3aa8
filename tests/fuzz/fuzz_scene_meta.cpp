// <scene>.txt: key = value lines; then the axis alignment and both intrinsics are parsed from it.
#include "core/io/scene_meta.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return inst3d::fuzz::readAsFile(data, size, ".txt", [](const std::string& path) {
        inst3d::SceneMeta meta = inst3d::readSceneMeta(path);
        inst3d::axisAlignmentOf(meta, path);
        inst3d::Intrinsics intrinsics;
        inst3d::colorIntrinsicsOf(meta, path, intrinsics);
        inst3d::depthIntrinsicsOf(meta, path, intrinsics);
    });
}
