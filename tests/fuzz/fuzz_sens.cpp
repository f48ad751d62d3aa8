// ScanNet .sens v4: the header and frame index at open, then the first frames' pose, JPEG colour and
// zlib depth decoded (at most kFramesDecoded, so one input stays fast).
#include <algorithm>

#include "core/io/sens.h"
#include "tests/fuzz/fuzz_support.h"

namespace {
constexpr size_t kFramesDecoded = 2;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return inst3d::fuzz::readAsFile(data, size, ".sens", [](const std::string& path) {
        inst3d::SensFrameSource sens(path);
        sens.colorIntrinsics();
        sens.depthIntrinsics();
        for (size_t i = 0; i < std::min(sens.numFrames(), kFramesDecoded); ++i) {
            sens.pose(i);
            sens.color(i);
            sens.depth(i);
        }
    });
}
