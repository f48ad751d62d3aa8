// The image decoders behind exported frames and .sens records, from memory: JPEG, 16-bit depth PNG,
// 8-bit PNG. The first byte picks the decoder so one corpus serves all three.
#include "core/io/image_codec.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const uint8_t* image = data + 1;
    size_t bytes = size - 1;
    try {
        switch (data[0] % 3) {
            case 0: inst3d::decodeJpeg(image, bytes, "fuzz.jpg"); break;
            case 1: inst3d::decodePng16(image, bytes, "fuzz.png"); break;
            default: inst3d::decodePngRGB(image, bytes, "fuzz.png"); break;
        }
    } catch (const inst3d::Error&) {
    }
    return 0;
}
