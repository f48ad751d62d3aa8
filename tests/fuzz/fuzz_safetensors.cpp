// safetensors (weights, feature caches): the header is validated whole at open; then every tensor's
// first and last byte is read through data(), so an extent the validation missed is an ASan read.
#include "core/io/safetensors.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return inst3d::fuzz::readAsFile(data, size, ".safetensors", [](const std::string& path) {
        inst3d::SafetensorsFile file(path);
        volatile uint8_t sink = 0;
        for (const auto& tensor : file.tensors()) {
            size_t bytes = static_cast<size_t>(tensor.numel()) * inst3d::dtypeSize(tensor.dtype);
            if (bytes == 0) continue;
            const uint8_t* p = file.data(tensor);
            sink = sink + p[0] + p[bytes - 1];
        }
    });
}
