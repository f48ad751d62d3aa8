#include "core/io/image_codec.h"

#include <cctype>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/common/error.h"
#include "core/common/file_util.h"

#ifdef INST3D_HAVE_JPEG
#include <jpeglib.h>
#endif
#ifdef INST3D_HAVE_PNG
#include <png.h>
#endif

// Both libjpeg and libpng report errors through a callback that must not return. Unwinding a C++
// exception through C frames is not guaranteed to work, so the callbacks longjmp back into the
// decoder function, which then throws. To keep setjmp/longjmp well defined, every C++ object those
// functions own is constructed *before* setjmp, and everything read after a longjmp lives in memory
// (the context structs), never in a local modified after setjmp.

namespace inst3d {

namespace {

// A frame image larger than this is a corrupt header, not a camera (ScanNet color is 1.25 MP).
// Checked before allocating, so a bogus 65535x65535 header never asks for 12 GB.
constexpr uint64_t kMaxImagePixels = uint64_t(1) << 26;

void checkPixelCount(uint64_t width, uint64_t height, const std::string& what, const char* kind) {
    if (width == 0 || height == 0 || width * height > kMaxImagePixels)
        fail(what, std::string(kind) + " header claims an implausible size " + std::to_string(width) + "x" +
                       std::to_string(height));
}

void checkRGB(const ImageRGB8& image, const char* codec) {
    if (image.width <= 0 || image.height <= 0 ||
        image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3)
        fail("", std::string("cannot encode ") + codec + ": RGB image is " + std::to_string(image.width) + "x" +
                     std::to_string(image.height) + " with " + std::to_string(image.pixels.size()) + " bytes");
}

void checkDepth(const ImageDepth16& image) {
    if (image.width <= 0 || image.height <= 0 ||
        image.pixels.size() != static_cast<size_t>(image.width) * image.height)
        fail("", "cannot encode PNG: depth image is " + std::to_string(image.width) + "x" +
                     std::to_string(image.height) + " with " + std::to_string(image.pixels.size()) + " pixels");
}

}  // namespace

// ---- JPEG ------------------------------------------------------------------------------------------
#ifdef INST3D_HAVE_JPEG
namespace {

struct JpegErrorContext {
    jpeg_error_mgr mgr;  // first member: libjpeg hands us a jpeg_error_mgr* that we cast back
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    int warnings;
    char firstWarning[JMSG_LENGTH_MAX];
};

extern "C" void jpegErrorExit(j_common_ptr cinfo) {
    auto* ctx = reinterpret_cast<JpegErrorContext*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, ctx->message);
    std::longjmp(ctx->jump, 1);
}

// Warnings (level -1) are how libjpeg reports corrupt entropy data and premature end of file while
// still producing an image; we record them instead of printing to stderr, and the decoder rejects the
// image, because a half-gray frame would silently poison 2D features.
extern "C" void jpegEmitMessage(j_common_ptr cinfo, int level) {
    if (level >= 0) return;  // trace messages
    auto* ctx = reinterpret_cast<JpegErrorContext*>(cinfo->err);
    if (ctx->warnings++ == 0) (*cinfo->err->format_message)(cinfo, ctx->firstWarning);
}

void initJpegErrors(JpegErrorContext& ctx) {
    jpeg_std_error(&ctx.mgr);
    ctx.mgr.error_exit = jpegErrorExit;
    ctx.mgr.emit_message = jpegEmitMessage;
    ctx.message[0] = '\0';
    ctx.firstWarning[0] = '\0';
    ctx.warnings = 0;
}

// Decodes the header, and unless headerOnly the pixels into out.pixels (already sized).
// Returns false on a libjpeg error (message in ctx).
bool runJpegDecode(const uint8_t* data, size_t size, JpegErrorContext& ctx, jpeg_decompress_struct& cinfo,
                   ImageRGB8& out, bool headerOnly) {
    if (setjmp(ctx.jump)) return false;
    jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
    jpeg_read_header(&cinfo, TRUE);
    out.width = static_cast<int>(cinfo.image_width);
    out.height = static_cast<int>(cinfo.image_height);
    if (headerOnly) return true;
    cinfo.out_color_space = JCS_RGB;  // libjpeg converts gray and YCbCr for us
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_components != 3) {
        std::snprintf(ctx.message, sizeof ctx.message, "unsupported JPEG with %d components",
                      cinfo.output_components);
        return false;
    }
    const size_t stride = static_cast<size_t>(out.width) * 3;
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out.pixels.data() + cinfo.output_scanline * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    return true;
}

ImageRGB8 decodeJpegImpl(const uint8_t* data, size_t size, const std::string& what, bool headerOnly) {
    if (!data || size == 0) fail(what, "empty JPEG data");
    ImageRGB8 image;
    JpegErrorContext ctx;
    initJpegErrors(ctx);
    jpeg_decompress_struct cinfo;
    cinfo.err = &ctx.mgr;
    jpeg_create_decompress(&cinfo);
    // Pass 1: header only, so the size can be checked before the pixel buffer is allocated.
    bool ok = runJpegDecode(data, size, ctx, cinfo, image, true);
    if (ok && !headerOnly) {
        jpeg_destroy_decompress(&cinfo);
        checkPixelCount(image.width, image.height, what, "JPEG");
        image.pixels.assign(static_cast<size_t>(image.width) * image.height * 3, 0);
        initJpegErrors(ctx);
        jpeg_create_decompress(&cinfo);
        ok = runJpegDecode(data, size, ctx, cinfo, image, false);
    }
    jpeg_destroy_decompress(&cinfo);
    if (!ok) fail(what, std::string("corrupt JPEG (") + ctx.message + ")");
    if (ctx.warnings > 0) fail(what, std::string("corrupt JPEG data (") + ctx.firstWarning + ")");
    if (headerOnly) checkPixelCount(image.width, image.height, what, "JPEG");
    return image;
}

struct JpegEncodeOutput {
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
};

bool runJpegEncode(const ImageRGB8& image, int quality, JpegErrorContext& ctx, jpeg_compress_struct& cinfo,
                   JpegEncodeOutput& out) {
    if (setjmp(ctx.jump)) return false;
    jpeg_mem_dest(&cinfo, &out.buffer, &out.size);
    cinfo.image_width = static_cast<JDIMENSION>(image.width);
    cinfo.image_height = static_cast<JDIMENSION>(image.height);
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    const size_t stride = static_cast<size_t>(image.width) * 3;
    while (cinfo.next_scanline < cinfo.image_height) {
        // libjpeg's API is not const-correct; it only reads the rows.
        JSAMPROW row = const_cast<uint8_t*>(image.pixels.data()) + cinfo.next_scanline * stride;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    return true;
}

}  // namespace

ImageRGB8 decodeJpeg(const uint8_t* data, size_t size, const std::string& what) {
    return decodeJpegImpl(data, size, what, false);
}

std::vector<uint8_t> encodeJpeg(const ImageRGB8& image, int quality) {
    checkRGB(image, "JPEG");
    if (quality < 1 || quality > 100) fail("", "JPEG quality must be in 1..100, got " + std::to_string(quality));
    std::vector<uint8_t> bytes;
    JpegErrorContext ctx;
    initJpegErrors(ctx);
    jpeg_compress_struct cinfo;
    cinfo.err = &ctx.mgr;
    jpeg_create_compress(&cinfo);
    JpegEncodeOutput out;
    bool ok = runJpegEncode(image, quality, ctx, cinfo, out);
    jpeg_destroy_compress(&cinfo);
    if (ok) bytes.assign(out.buffer, out.buffer + out.size);
    std::free(out.buffer);  // jpeg_mem_dest allocates with malloc
    if (!ok) fail("", std::string("JPEG encoding failed (") + ctx.message + ")");
    return bytes;
}

#else  // !INST3D_HAVE_JPEG

namespace {
[[noreturn]] void noJpeg(const std::string& what) {
    fail(what, "this build of inst3d has no JPEG codec (libjpeg was not found at configure time)");
}
}  // namespace
ImageRGB8 decodeJpeg(const uint8_t*, size_t, const std::string& what) { noJpeg(what); }
std::vector<uint8_t> encodeJpeg(const ImageRGB8&, int) { noJpeg(""); }

#endif

// ---- PNG -------------------------------------------------------------------------------------------
#ifdef INST3D_HAVE_PNG
namespace {

struct PngContext {
    std::jmp_buf jump;
    char message[256];
    // Reading: the memory being decoded.
    const uint8_t* data;
    size_t size;
    size_t pos;
    // Writing: where the encoded bytes go.
    std::vector<uint8_t>* sink;
};

extern "C" void pngErrorFn(png_structp png, png_const_charp msg) {
    auto* ctx = static_cast<PngContext*>(png_get_error_ptr(png));
    std::snprintf(ctx->message, sizeof ctx->message, "%s", msg ? msg : "unknown error");
    std::longjmp(ctx->jump, 1);
}
extern "C" void pngWarningFn(png_structp, png_const_charp) {}  // benign (e.g. unknown chunks)

extern "C" void pngReadFn(png_structp png, png_bytep out, png_size_t n) {
    auto* ctx = static_cast<PngContext*>(png_get_io_ptr(png));
    if (n > ctx->size - ctx->pos) png_error(png, "unexpected end of PNG data (truncated)");
    std::memcpy(out, ctx->data + ctx->pos, n);
    ctx->pos += n;
}

extern "C" void pngWriteFn(png_structp png, png_bytep data, png_size_t n) {
    auto* ctx = static_cast<PngContext*>(png_get_io_ptr(png));
    ctx->sink->insert(ctx->sink->end(), data, data + n);
}
extern "C" void pngFlushFn(png_structp) {}

enum class PngTarget { Depth16, RGB8 };

struct PngInfo {
    png_uint_32 width = 0, height = 0;
    int bitDepth = 0, colorType = 0;
};

// Reads the header and sets up the transformations for `target`. Returns false on a libpng error.
bool runPngHeader(png_structp png, png_infop info, PngContext& ctx, PngTarget target, PngInfo& hdr) {
    if (setjmp(ctx.jump)) return false;
    png_set_read_fn(png, &ctx, pngReadFn);
    png_set_user_limits(png, 65535, 65535);
    png_read_info(png, info);
    png_get_IHDR(png, info, &hdr.width, &hdr.height, &hdr.bitDepth, &hdr.colorType, nullptr, nullptr, nullptr);
    if (target == PngTarget::RGB8) {
        if (hdr.colorType == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
        if (hdr.colorType == PNG_COLOR_TYPE_GRAY && hdr.bitDepth < 8) png_set_expand_gray_1_2_4_to_8(png);
        if (hdr.colorType == PNG_COLOR_TYPE_GRAY || hdr.colorType == PNG_COLOR_TYPE_GRAY_ALPHA)
            png_set_gray_to_rgb(png);
        if (hdr.bitDepth == 16) png_set_strip_16(png);
        png_set_strip_alpha(png);  // also drops the alpha that palette expansion makes from tRNS
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    return true;
}

// Reads all rows into `raw` (already sized), as libpng delivers them after the transformations.
bool runPngRows(png_structp png, PngContext& ctx, std::vector<png_bytep>& rows) {
    if (setjmp(ctx.jump)) return false;
    png_read_image(png, rows.data());
    png_read_end(png, nullptr);
    return true;
}

// Decodes into `raw` with rowBytes per row; checks the layout libpng will deliver.
void decodePngRaw(const uint8_t* data, size_t size, const std::string& what, PngTarget target, PngInfo& hdr,
                  std::vector<uint8_t>& raw, size_t& rowBytes) {
    if (!data || size < 8 || png_sig_cmp(data, 0, 8) != 0) fail(what, "not a PNG file (bad signature)");
    std::vector<png_bytep> rows;
    PngContext ctx{};
    ctx.data = data;
    ctx.size = size;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, pngErrorFn, pngWarningFn);
    if (!png) fail(what, "out of memory creating PNG decoder");
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, nullptr, nullptr);
        fail(what, "out of memory creating PNG decoder");
    }
    std::string problem;
    if (!runPngHeader(png, info, ctx, target, hdr)) {
        problem = std::string("corrupt PNG (") + ctx.message + ")";
    } else if (uint64_t(hdr.width) * hdr.height > kMaxImagePixels) {
        problem = "PNG header claims an implausible size " + std::to_string(hdr.width) + "x" +
                  std::to_string(hdr.height);
    } else if (target == PngTarget::Depth16 &&
               (hdr.colorType != PNG_COLOR_TYPE_GRAY || (hdr.bitDepth != 16 && hdr.bitDepth != 8))) {
        problem = "expected a 16-bit grayscale depth PNG, got color type " + std::to_string(hdr.colorType) +
                  " with bit depth " + std::to_string(hdr.bitDepth);
    } else {
        rowBytes = png_get_rowbytes(png, info);
        size_t expected = target == PngTarget::RGB8 ? size_t(hdr.width) * 3 : size_t(hdr.width) * (hdr.bitDepth / 8);
        if (rowBytes != expected) {
            problem = "unexpected PNG row layout (" + std::to_string(rowBytes) + " bytes per row)";
        } else {
            raw.resize(rowBytes * hdr.height);
            rows.resize(hdr.height);
            for (png_uint_32 y = 0; y < hdr.height; ++y) rows[y] = raw.data() + y * rowBytes;
            if (!runPngRows(png, ctx, rows)) problem = std::string("corrupt PNG (") + ctx.message + ")";
        }
    }
    png_destroy_read_struct(&png, &info, nullptr);
    if (!problem.empty()) fail(what, problem);
}

bool runPngWrite(png_structp png, png_infop info, PngContext& ctx, png_uint_32 width, png_uint_32 height,
                 int bitDepth, int colorType, std::vector<png_bytep>& rows) {
    if (setjmp(ctx.jump)) return false;
    png_set_write_fn(png, &ctx, pngWriteFn, pngFlushFn);
    png_set_IHDR(png, info, width, height, bitDepth, colorType, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, rows.data());
    png_write_end(png, nullptr);
    return true;
}

// `raw` holds the rows exactly as PNG stores them (16-bit samples already big-endian).
std::vector<uint8_t> encodePngRaw(const std::vector<uint8_t>& raw, int width, int height, int bitDepth,
                                  int colorType) {
    std::vector<uint8_t> out;
    size_t rowBytes = raw.size() / height;
    std::vector<png_bytep> rows(height);
    for (int y = 0; y < height; ++y) rows[y] = const_cast<uint8_t*>(raw.data()) + y * rowBytes;
    PngContext ctx{};
    ctx.sink = &out;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, pngErrorFn, pngWarningFn);
    if (!png) fail("", "out of memory creating PNG encoder");
    png_infop info = png_create_info_struct(png);
    bool ok = info && runPngWrite(png, info, ctx, width, height, bitDepth, colorType, rows);
    png_destroy_write_struct(&png, info ? &info : nullptr);
    if (!ok) fail("", std::string("PNG encoding failed (") + ctx.message + ")");
    return out;
}

}  // namespace

ImageDepth16 decodePng16(const uint8_t* data, size_t size, const std::string& what) {
    PngInfo hdr;
    std::vector<uint8_t> raw;
    size_t rowBytes = 0;
    decodePngRaw(data, size, what, PngTarget::Depth16, hdr, raw, rowBytes);
    ImageDepth16 image;
    image.width = static_cast<int>(hdr.width);
    image.height = static_cast<int>(hdr.height);
    image.pixels.resize(size_t(hdr.width) * hdr.height);
    if (hdr.bitDepth == 16) {
        // PNG stores 16-bit samples big-endian whatever the host is; assemble them explicitly.
        for (size_t i = 0; i < image.pixels.size(); ++i)
            image.pixels[i] = static_cast<uint16_t>((raw[2 * i] << 8) | raw[2 * i + 1]);
    } else {
        for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = raw[i];
    }
    return image;
}

std::vector<uint8_t> encodePng16(const ImageDepth16& image) {
    checkDepth(image);
    std::vector<uint8_t> raw(image.pixels.size() * 2);
    for (size_t i = 0; i < image.pixels.size(); ++i) {
        raw[2 * i] = static_cast<uint8_t>(image.pixels[i] >> 8);
        raw[2 * i + 1] = static_cast<uint8_t>(image.pixels[i] & 0xff);
    }
    return encodePngRaw(raw, image.width, image.height, 16, PNG_COLOR_TYPE_GRAY);
}

ImageRGB8 decodePngRGB(const uint8_t* data, size_t size, const std::string& what) {
    PngInfo hdr;
    ImageRGB8 image;
    size_t rowBytes = 0;
    decodePngRaw(data, size, what, PngTarget::RGB8, hdr, image.pixels, rowBytes);
    image.width = static_cast<int>(hdr.width);
    image.height = static_cast<int>(hdr.height);
    return image;
}

std::vector<uint8_t> encodePngRGB(const ImageRGB8& image) {
    checkRGB(image, "PNG");
    return encodePngRaw(image.pixels, image.width, image.height, 8, PNG_COLOR_TYPE_RGB);
}

#else  // !INST3D_HAVE_PNG

namespace {
[[noreturn]] void noPng(const std::string& what) {
    fail(what, "this build of inst3d has no PNG codec (libpng was not found at configure time)");
}
}  // namespace
ImageDepth16 decodePng16(const uint8_t*, size_t, const std::string& what) { noPng(what); }
std::vector<uint8_t> encodePng16(const ImageDepth16&) { noPng(""); }
ImageRGB8 decodePngRGB(const uint8_t*, size_t, const std::string& what) { noPng(what); }
std::vector<uint8_t> encodePngRGB(const ImageRGB8&) { noPng(""); }

#endif

// ---- files -----------------------------------------------------------------------------------------
namespace {

enum class ImageKind { Jpeg, Png, Unknown };

// By content, not extension: exports in the wild contain PNGs named .jpg and vice versa.
ImageKind sniff(const uint8_t* data, size_t size) {
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageKind::Jpeg;
    static const uint8_t kPngSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (size >= 8 && std::memcmp(data, kPngSig, 8) == 0) return ImageKind::Png;
    return ImageKind::Unknown;
}

std::string lowerExtension(const std::string& path) {
    std::string name = baseName(path);
    size_t dot = name.rfind('.');
    std::string ext = dot == std::string::npos ? "" : name.substr(dot);
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext;
}

}  // namespace

ImageRGB8 readColorImage(const std::string& path) {
    MappedFile file(path);
    switch (sniff(file.data(), file.size())) {
        case ImageKind::Jpeg: return decodeJpeg(file.data(), file.size(), path);
        case ImageKind::Png: return decodePngRGB(file.data(), file.size(), path);
        default: fail(path, file.size() == 0 ? "empty image file" : "neither a JPEG nor a PNG file");
    }
}

ImageDepth16 readDepthImage(const std::string& path) {
    MappedFile file(path);
    if (file.size() == 0) fail(path, "empty image file");
    return decodePng16(file.data(), file.size(), path);
}

ImageSize readImageSize(const std::string& path) {
    MappedFile file(path);
    ImageSize size;
    switch (sniff(file.data(), file.size())) {
        case ImageKind::Jpeg: {
#ifdef INST3D_HAVE_JPEG
            ImageRGB8 header = decodeJpegImpl(file.data(), file.size(), path, true);
            size.width = header.width;
            size.height = header.height;
#else
            decodeJpeg(file.data(), file.size(), path);  // throws "no JPEG codec"
#endif
            return size;
        }
        case ImageKind::Png: {
            // IHDR is always the first chunk: width and height are big-endian at bytes 16..23.
            const uint8_t* d = file.data();
            if (file.size() < 24 || std::memcmp(d + 12, "IHDR", 4) != 0) fail(path, "corrupt PNG (no IHDR chunk)");
            auto be32 = [&](size_t o) { return (uint32_t(d[o]) << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]; };
            uint32_t w = be32(16), h = be32(20);
            checkPixelCount(w, h, path, "PNG");
            size.width = static_cast<int>(w);
            size.height = static_cast<int>(h);
            return size;
        }
        default: fail(path, file.size() == 0 ? "empty image file" : "neither a JPEG nor a PNG file");
    }
}

namespace {
// The encoders do not know the file name; put it into their errors.
template <typename Encode>
std::vector<uint8_t> encodeFor(const std::string& path, Encode encode) {
    try {
        return encode();
    } catch (const Error& e) {
        fail(path, e.problem());
    }
}
}  // namespace

void writeColorImage(const std::string& path, const ImageRGB8& image, int jpegQuality) {
    std::string ext = lowerExtension(path);
    std::vector<uint8_t> bytes;
    if (ext == ".jpg" || ext == ".jpeg") bytes = encodeFor(path, [&] { return encodeJpeg(image, jpegQuality); });
    else if (ext == ".png") bytes = encodeFor(path, [&] { return encodePngRGB(image); });
    else fail(path, "unsupported color image extension '" + ext + "' (use .jpg, .jpeg or .png)");
    writeFileAtomic(path, bytes.data(), bytes.size());
}

void writeDepthImage(const std::string& path, const ImageDepth16& image) {
    if (lowerExtension(path) != ".png") fail(path, "depth images are written as 16-bit PNG; use a .png name");
    std::vector<uint8_t> bytes = encodeFor(path, [&] { return encodePng16(image); });
    writeFileAtomic(path, bytes.data(), bytes.size());
}

}  // namespace inst3d
