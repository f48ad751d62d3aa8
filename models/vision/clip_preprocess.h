// CLIP image preprocessing, identical to transformers' CLIPImageProcessor (the slow PIL path of 4.39
// that Inst3D's CLIPProcessor runs) for RGB uint8 images. Torch-free.
//
//   resize     shortest edge -> size.shortest_edge, new long edge = int(size * long / short) (truncated),
//              with PIL's Image.resize(BICUBIC, reducing_gap=None) on the uint8 image: separable, support
//              2 * max(1, in/out) (a = -0.5 kernel stretched when downscaling), coefficients normalised
//              then rounded to 22-bit fixed point, horizontal pass first, each pass rounded and clipped
//              to uint8. Bit-exact with PIL (libImaging/Resample.c); same size: a copy.
//   center crop  top = floor((h - crop_h) / 2), left likewise; zero padding (ceil halves) when the
//              crop is larger than the image, as transformers' center_crop.
//   rescale    float32(double(x) * rescale_factor)
//   normalize  (x - float32(mean)) / float32(std), in float32
//   output     channels first [3, crop_h, crop_w]
//
// Deviation: transformers infers the channel axis from the array shape, so a crop 1 or 3 pixels high
// ([1|3, W, 3]) is taken as channels-first: a 3-high crop is scrambled, a 1-high crop raises. Here every
// crop is RGB channels-last, as intended; such tiny SAM boxes are rare.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/scene/frames.h"

namespace inst3d {

struct ClipPreprocessConfig {
    bool doResize = true;
    int shortestEdge = 336;          // size.shortest_edge; 0 when size is {height, width}
    int resizeHeight = 0, resizeWidth = 0;  // size {height, width}: a fixed size (aspect not kept)
    bool doCenterCrop = true;
    int cropHeight = 336, cropWidth = 336;
    bool doRescale = true;
    double rescaleFactor = 1.0 / 255.0;
    bool doNormalize = true;
    std::array<double, 3> mean{0.48145466, 0.4578275, 0.40821073};  // OPENAI_CLIP_MEAN
    std::array<double, 3> std{0.26862954, 0.26130258, 0.27577711};  // OPENAI_CLIP_STD

    // ViT-L/14-336's processor scaled to a model input of `imageSize` (shortest edge = crop = imageSize):
    // what the encoder uses when the checkpoint has no preprocessor_config.json.
    static ClipPreprocessConfig forImageSize(int imageSize);
    // HF preprocessor_config.json: `size` as {"shortest_edge"}, {"height","width"} or an int (old
    // files: shortest edge), `crop_size` as {"height","width"} or an int, do_* flags, rescale_factor,
    // image_mean/std, `resample` (3 = bicubic is the only one supported). Missing keys keep `defaults`.
    static ClipPreprocessConfig fromJson(const std::string& text, const std::string& path,
                                         const ClipPreprocessConfig& defaults);
    static ClipPreprocessConfig load(const std::string& path, const ClipPreprocessConfig& defaults);
};

// PIL Image.resize((width, height), Image.BICUBIC) of an RGB image, bit-exact. Error on empty sizes.
ImageRGB8 resizeBicubicPil(const ImageRGB8& image, int width, int height);

// transformers' get_resize_output_image_size(default_to_square=False): {height, width}.
std::pair<int, int> shortestEdgeSize(int height, int width, int shortestEdge);

// transformers' center_crop (with its zero padding) of an RGB image.
ImageRGB8 centerCrop(const ImageRGB8& image, int height, int width);

// The resized (not yet cropped) uint8 image, as PIL returns it to transformers.
ImageRGB8 clipResize(const ImageRGB8& image, const ClipPreprocessConfig& config);

// The whole CLIPImageProcessor: image -> pixel_values [3, H, W] (row-major, channels
// first). Error for an empty image.
std::vector<float> clipPreprocess(const ImageRGB8& image, const ClipPreprocessConfig& config);

}  // namespace inst3d
