// JPEG (libjpeg) and PNG (libpng) for frames: 8-bit RGB color, 16-bit depth.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/scene/frames.h"

namespace inst3d {

// `what` names the file (or ".sens frame N") in error messages.
ImageRGB8 decodeJpeg(const uint8_t* data, size_t size, const std::string& what);
std::vector<uint8_t> encodeJpeg(const ImageRGB8& image, int quality = 90);
ImageDepth16 decodePng16(const uint8_t* data, size_t size, const std::string& what);
std::vector<uint8_t> encodePng16(const ImageDepth16& image);
ImageRGB8 decodePngRGB(const uint8_t* data, size_t size, const std::string& what);  // 8-bit gray/RGB/RGBA
std::vector<uint8_t> encodePngRGB(const ImageRGB8& image);

// By extension: .jpg/.jpeg or .png.
ImageRGB8 readColorImage(const std::string& path);
ImageDepth16 readDepthImage(const std::string& path);  // 16-bit PNG
// Width and height from the file header only (no pixel decoding); throws like the readers.
struct ImageSize {
    int width = 0, height = 0;
};
ImageSize readImageSize(const std::string& path);

void writeColorImage(const std::string& path, const ImageRGB8& image, int jpegQuality = 90);
void writeDepthImage(const std::string& path, const ImageDepth16& image);

}  // namespace inst3d
