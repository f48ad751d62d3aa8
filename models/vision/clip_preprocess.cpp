#include "models/vision/clip_preprocess.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/json_file.h"

// PIL's resampling must round exactly as PIL's C build does (x86-64 baseline, no FMA): a fused
// multiply-add in the kernel or the coefficient normalisation can move a fixed-point coefficient by one
// unit and flip a pixel. Keep the compiler from contracting (matters with -march=native and on aarch64).
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace inst3d {

namespace {

// ---- PIL Image.resize(BICUBIC): libImaging/Resample.c semantics --------------------------------------

constexpr int kPrecisionBits = 32 - 8 - 2;  // 22 fractional bits; 2 spare bits for negative lobes / overshoot

// Keys' cubic convolution with a = -0.5, support 2 (PIL's bicubic_filter). Evaluated in PIL's order.
double bicubicKernel(double x) {
    constexpr double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

// One axis: for each output index, the first input index, the tap count and ksize fixed-point weights.
struct AxisCoeffs {
    int ksize = 0;
    std::vector<int> first, count;  // [out]
    std::vector<int32_t> weights;   // [out * ksize]
};

// PIL's precompute_coeffs + normalize_coeffs_8bpc for the full box [0, inSize). When downscaling the
// kernel is stretched by in/out (antialiasing); taps are normalised to sum 1 in double, then rounded
// half away from zero to 22-bit fixed point.
AxisCoeffs axisCoeffs(int inSize, int outSize) {
    AxisCoeffs c;
    const double scale = double(float(inSize)) / outSize;  // PIL: (double)(in1 - in0) / outSize, box in float
    const double filterscale = std::max(scale, 1.0);
    const double support = 2.0 * filterscale;
    c.ksize = int(std::ceil(support)) * 2 + 1;
    c.first.resize(outSize);
    c.count.resize(outSize);
    c.weights.assign(size_t(outSize) * c.ksize, 0);
    std::vector<double> k(c.ksize);
    for (int xx = 0; xx < outSize; ++xx) {
        const double center = (xx + 0.5) * scale;
        const double ss = 1.0 / filterscale;
        int xmin = int(center - support + 0.5);  // C truncation, as PIL's (int) cast
        if (xmin < 0) xmin = 0;
        int xmax = int(center + support + 0.5);
        if (xmax > inSize) xmax = inSize;
        xmax -= xmin;
        double ww = 0.0;
        for (int x = 0; x < xmax; ++x) {
            k[x] = bicubicKernel((x + xmin - center + 0.5) * ss);
            ww += k[x];
        }
        for (int x = 0; x < xmax; ++x) {
            if (ww != 0.0) k[x] /= ww;
            const double scaled = k[x] * (1 << kPrecisionBits);
            c.weights[size_t(xx) * c.ksize + x] = k[x] < 0 ? int(-0.5 + scaled) : int(0.5 + scaled);
        }
        c.first[xx] = xmin;
        c.count[xx] = xmax;
    }
    return c;
}

// PIL's clip8: fixed point -> uint8 with an arithmetic shift (floor), clamped to [0, 255].
inline uint8_t clip8(int v) {
    v >>= kPrecisionBits;
    return uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
}

// One separable pass along x (stride 3 bytes) or y (stride 3 * width bytes); the output is uint8, as
// PIL stores the intermediate image.
ImageRGB8 horizontalPass(const ImageRGB8& in, int outWidth) {
    AxisCoeffs c = axisCoeffs(in.width, outWidth);
    ImageRGB8 out{outWidth, in.height, std::vector<uint8_t>(size_t(outWidth) * in.height * 3)};
    for (int y = 0; y < in.height; ++y) {
        for (int xx = 0; xx < outWidth; ++xx) {
            const int32_t* k = &c.weights[size_t(xx) * c.ksize];
            const uint8_t* src = in.at(c.first[xx], y);
            int s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;  // + 0.5 for rounding
            for (int x = 0; x < c.count[xx]; ++x, src += 3) {
                s0 += src[0] * k[x];
                s1 += src[1] * k[x];
                s2 += src[2] * k[x];
            }
            uint8_t* dst = out.at(xx, y);
            dst[0] = clip8(s0), dst[1] = clip8(s1), dst[2] = clip8(s2);
        }
    }
    return out;
}

ImageRGB8 verticalPass(const ImageRGB8& in, int outHeight) {
    AxisCoeffs c = axisCoeffs(in.height, outHeight);
    ImageRGB8 out{in.width, outHeight, std::vector<uint8_t>(size_t(in.width) * outHeight * 3)};
    const size_t rowStride = size_t(in.width) * 3;
    for (int yy = 0; yy < outHeight; ++yy) {
        const int32_t* k = &c.weights[size_t(yy) * c.ksize];
        for (int x = 0; x < in.width; ++x) {
            const uint8_t* src = in.at(x, c.first[yy]);
            int s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
            for (int y = 0; y < c.count[yy]; ++y, src += rowStride) {
                s0 += src[0] * k[y];
                s1 += src[1] * k[y];
                s2 += src[2] * k[y];
            }
            uint8_t* dst = out.at(x, yy);
            dst[0] = clip8(s0), dst[1] = clip8(s1), dst[2] = clip8(s2);
        }
    }
    return out;
}

int floorDiv2(int v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }  // Python's v // 2

// ---- preprocessor_config.json ------------------------------------------------------------------------

using Json = nlohmann::json;

void readTriple(const Json& j, const char* key, std::array<double, 3>& out, const std::string& path) {
    if (!j.contains(key) || j[key].is_null()) return;
    const Json& v = j[key];
    if (v.is_number()) {
        out.fill(v.get<double>());
    } else if (v.is_array() && v.size() == 3) {
        for (size_t i = 0; i < 3; ++i) out[i] = v[i].get<double>();
    } else {
        fail(path, std::string("'") + key + "' must be a number or 3 numbers");
    }
}

}  // namespace

ImageRGB8 resizeBicubicPil(const ImageRGB8& image, int width, int height) {
    if (image.width <= 0 || image.height <= 0) fail("", "cannot resize an empty image");
    if (width <= 0 || height <= 0)
        fail("", "resize to an empty size " + std::to_string(width) + "x" + std::to_string(height));
    // PIL: horizontal pass first (only when the width changes), then vertical; same size = a copy.
    ImageRGB8 out = width != image.width ? horizontalPass(image, width) : image;
    if (height != image.height) out = verticalPass(out, height);
    return out;
}

std::pair<int, int> shortestEdgeSize(int height, int width, int shortestEdge) {
    const int shortSide = std::min(width, height), longSide = std::max(width, height);
    // Python's int(size * long / short): exact integer product, correctly rounded division, truncation.
    const int newLong = int(double(int64_t(shortestEdge) * longSide) / double(shortSide));
    return width <= height ? std::make_pair(newLong, shortestEdge) : std::make_pair(shortestEdge, newLong);
}

ImageRGB8 centerCrop(const ImageRGB8& image, int height, int width) {
    if (height <= 0 || width <= 0) fail("", "center crop to an empty size");
    const int h = image.height, w = image.width;
    // transformers: offsets (h - crop) // 2; a crop larger than the image is zero-padded with the extra
    // split ceil-first, which leaves the crop at offset 0 of the padded image along that axis.
    int top = floorDiv2(h - height), left = floorDiv2(w - width);
    const int nh = std::max(height, h), nw = std::max(width, w);
    const int padTop = (nh - h + 1) / 2, padLeft = (nw - w + 1) / 2;
    top += padTop;
    left += padLeft;
    ImageRGB8 out{width, height, std::vector<uint8_t>(size_t(width) * height * 3, 0)};
    for (int y = 0; y < height; ++y) {
        const int sy = top + y - padTop;  // row in the unpadded image
        if (sy < 0 || sy >= h) continue;
        for (int x = 0; x < width; ++x) {
            const int sx = left + x - padLeft;
            if (sx < 0 || sx >= w) continue;
            std::copy_n(image.at(sx, sy), 3, out.at(x, y));
        }
    }
    return out;
}

ImageRGB8 clipResize(const ImageRGB8& image, const ClipPreprocessConfig& config) {
    if (!config.doResize) return image;
    auto [h, w] = config.shortestEdge > 0 ? shortestEdgeSize(image.height, image.width, config.shortestEdge)
                                          : std::make_pair(config.resizeHeight, config.resizeWidth);
    return resizeBicubicPil(image, w, h);
}

std::vector<float> clipPreprocess(const ImageRGB8& image, const ClipPreprocessConfig& config) {
    if (image.width <= 0 || image.height <= 0 || image.pixels.size() != size_t(image.width) * image.height * 3)
        fail("", "empty or malformed crop (" + std::to_string(image.width) + "x" + std::to_string(image.height) + ")");
    ImageRGB8 img = clipResize(image, config);
    if (config.doCenterCrop) img = centerCrop(img, config.cropHeight, config.cropWidth);

    // rescale as numpy: float64 product, cast to float32; normalize in float32 like transformers.
    const size_t plane = size_t(img.width) * img.height;
    std::vector<float> out(3 * plane);  // [3, H, W]
    for (int c = 0; c < 3; ++c) {
        const float mean = float(config.mean[c]), sd = float(config.std[c]);
        for (size_t i = 0; i < plane; ++i) {
            const uint8_t v = img.pixels[i * 3 + c];
            float x = config.doRescale ? float(double(v) * config.rescaleFactor) : float(v);
            if (config.doNormalize) x = (x - mean) / sd;
            out[size_t(c) * plane + i] = x;
        }
    }
    return out;
}

ClipPreprocessConfig ClipPreprocessConfig::forImageSize(int imageSize) {
    ClipPreprocessConfig c;
    c.shortestEdge = c.cropHeight = c.cropWidth = imageSize;
    return c;
}

ClipPreprocessConfig ClipPreprocessConfig::fromJson(const std::string& text, const std::string& path,
                                                    const ClipPreprocessConfig& defaults) {
    const Json j = parseJsonObject(text, path, "preprocessor config");
    ClipPreprocessConfig c = defaults;
    try {
        c.doResize = j.value("do_resize", c.doResize);
        c.doCenterCrop = j.value("do_center_crop", c.doCenterCrop);
        c.doRescale = j.value("do_rescale", c.doRescale);
        c.doNormalize = j.value("do_normalize", c.doNormalize);
        if (j.contains("rescale_factor") && !j["rescale_factor"].is_null()) c.rescaleFactor = j["rescale_factor"].get<double>();
        readTriple(j, "image_mean", c.mean, path);
        readTriple(j, "image_std", c.std, path);
        // size: an int (old configs) or {"shortest_edge"} resizes the short side; {"height","width"} is fixed.
        if (j.contains("size") && !j["size"].is_null()) {
            const Json& s = j["size"];
            if (s.is_number_integer()) {
                c.shortestEdge = s.get<int>();
            } else if (s.is_object() && s.contains("shortest_edge")) {
                c.shortestEdge = s["shortest_edge"].get<int>();
            } else if (s.is_object() && s.contains("height") && s.contains("width")) {
                c.shortestEdge = 0;
                c.resizeHeight = s["height"].get<int>();
                c.resizeWidth = s["width"].get<int>();
            } else {
                fail(path, "'size' must be an int, {shortest_edge} or {height, width}");
            }
        }
        if (j.contains("crop_size") && !j["crop_size"].is_null()) {
            const Json& s = j["crop_size"];
            if (s.is_number_integer()) {
                c.cropHeight = c.cropWidth = s.get<int>();
            } else if (s.is_object() && s.contains("height") && s.contains("width")) {
                c.cropHeight = s["height"].get<int>();
                c.cropWidth = s["width"].get<int>();
            } else {
                fail(path, "'crop_size' must be an int or {height, width}");
            }
        }
        if (j.contains("resample") && !j["resample"].is_null() && j["resample"].get<int>() != 3)
            fail(path, "resample " + std::to_string(j["resample"].get<int>()) + " is not supported (only 3, bicubic)");
    } catch (const nlohmann::json::exception& e) {
        fail(path, std::string("bad field type: ") + e.what());
    }
    if (c.doResize && (c.shortestEdge > 0 ? false : c.resizeHeight <= 0 || c.resizeWidth <= 0))
        fail(path, "resize size must be positive");
    if (c.doCenterCrop && (c.cropHeight <= 0 || c.cropWidth <= 0)) fail(path, "crop_size must be positive");
    for (double s : c.std)
        if (s == 0) fail(path, "image_std must not be 0");
    return c;
}

ClipPreprocessConfig ClipPreprocessConfig::load(const std::string& path, const ClipPreprocessConfig& defaults) {
    return fromJson(readTextFile(path), path, defaults);
}

}  // namespace inst3d
