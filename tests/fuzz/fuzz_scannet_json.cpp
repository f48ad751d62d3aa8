// ScanNet's JSON files: the same bytes as a *.segs.json and as an *.aggregation.json.
#include "core/io/scannet_json.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    inst3d::fuzz::readAsFile(data, size, ".segs.json", [](const std::string& path) { inst3d::readSegs(path); });
    return inst3d::fuzz::readAsFile(data, size, ".aggregation.json",
                                    [](const std::string& path) { inst3d::readAggregation(path); });
}
