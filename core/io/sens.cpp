#include "core/io/sens.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/image_codec.h"

namespace inst3d {

namespace {

// pose[16] + timestamp_color + timestamp_depth + color_size_bytes + depth_size_bytes
constexpr uint64_t kRecordHeaderBytes = 16 * 4 + 4 * 8;
// Same bound as the image codecs: a header asking for more is corrupt, and must not drive an allocation.
constexpr uint64_t kMaxFramePixels = uint64_t(1) << 26;
constexpr uint64_t kMaxFrameSide = 65535;  // JPEG's limit too
// Real sensor names are a few dozen bytes ("StructureSensor"); anything huge is a corrupt strlen.
constexpr uint64_t kMaxSensorNameBytes = 1 << 16;

// ---- little-endian encoding, explicit so the format does not depend on the host -------------------

uint32_t getU32(const uint8_t* p) {
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
uint64_t getU64(const uint8_t* p) { return uint64_t(getU32(p)) | (uint64_t(getU32(p + 4)) << 32); }
float getF32(const uint8_t* p) {
    uint32_t bits = getU32(p);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}
Mat4 getMat4(const uint8_t* p) {
    Mat4 m;  // .sens stores float32[16] row-major, like pose/<i>.txt
    for (int i = 0; i < 16; ++i) m.m[i] = getF32(p + 4 * i);
    return m;
}

void putU32(std::vector<uint8_t>& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void putU64(std::vector<uint8_t>& out, uint64_t v) {
    putU32(out, static_cast<uint32_t>(v));
    putU32(out, static_cast<uint32_t>(v >> 32));
}
void putF32(std::vector<uint8_t>& out, float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    putU32(out, bits);
}
void putMat4(std::vector<uint8_t>& out, const Mat4& m) {
    for (double v : m.m) putF32(out, static_cast<float>(v));
}

// ---- positioned reads with errors that say where and what -----------------------------------------

// Reads `n` bytes at `offset`; `context` ("header", "frame 3 of 10") and `expected` describe the read
// for the error message when the file ends first.
void readAt(std::FILE* f, const std::string& path, uint64_t fileSize, uint64_t offset, void* out, uint64_t n,
            const std::string& context, const std::string& expected) {
    if (offset > fileSize || n > fileSize - offset)
        fail(path, "truncated " + context + ": expected " + expected + " (" + std::to_string(n) +
                       " bytes at offset " + std::to_string(offset) + ") but the file ends at byte " +
                       std::to_string(fileSize));
    if (n == 0) return;
    if (::fseeko(f, static_cast<off_t>(offset), SEEK_SET) != 0 || std::fread(out, 1, n, f) != n)
        fail(path, "read error in " + context + " while reading " + expected + " at offset " +
                       std::to_string(offset) + (std::ferror(f) ? " (" + std::string(std::strerror(errno)) + ")"
                                                                : " (file shorter than when it was opened)"));
}

// Sequential reader over the header fields.
struct HeaderReader {
    std::FILE* f;
    const std::string& path;
    uint64_t fileSize;
    uint64_t pos = 0;

    void bytes(void* out, uint64_t n, const std::string& field) {
        readAt(f, path, fileSize, pos, out, n, "header", field);
        pos += n;
    }
    uint32_t u32(const std::string& field) {
        uint8_t b[4];
        bytes(b, 4, field);
        return getU32(b);
    }
    uint64_t u64(const std::string& field) {
        uint8_t b[8];
        bytes(b, 8, field);
        return getU64(b);
    }
    float f32(const std::string& field) {
        uint8_t b[4];
        bytes(b, 4, field);
        return getF32(b);
    }
    Mat4 mat4(const std::string& field) {
        uint8_t b[64];
        bytes(b, 64, field);
        return getMat4(b);
    }
};

SensHeader parseHeader(HeaderReader& in) {
    SensHeader h;
    h.version = in.u32("version");
    if (h.version != 4)
        fail(in.path, "unsupported .sens version " + std::to_string(h.version) + " (only version 4 is known)");
    uint64_t nameLength = in.u64("sensor name length");
    if (nameLength > kMaxSensorNameBytes || nameLength > in.fileSize - in.pos)
        fail(in.path, "corrupt header: sensor name length " + std::to_string(nameLength) + " is implausible");
    h.sensorName.resize(nameLength);
    in.bytes(h.sensorName.data(), nameLength, "sensor name");
    h.intrinsicColor = in.mat4("intrinsic_color");
    h.extrinsicColor = in.mat4("extrinsic_color");
    h.intrinsicDepth = in.mat4("intrinsic_depth");
    h.extrinsicDepth = in.mat4("extrinsic_depth");
    h.colorCompression = static_cast<int32_t>(in.u32("color_compression"));
    h.depthCompression = static_cast<int32_t>(in.u32("depth_compression"));
    h.colorWidth = in.u32("color_width");
    h.colorHeight = in.u32("color_height");
    h.depthWidth = in.u32("depth_width");
    h.depthHeight = in.u32("depth_height");
    h.depthShift = in.f32("depth_shift");
    h.numFrames = in.u64("num_frames");
    return h;
}

void validateHeader(const SensHeader& h, const std::string& path) {
    if (h.colorCompression < 0 || h.colorCompression > 2)
        fail(path, "unknown color_compression " + std::to_string(h.colorCompression) + " (0 raw, 1 png, 2 jpeg)");
    if (h.depthCompression < 0 || h.depthCompression > 2)
        fail(path, "unknown depth_compression " + std::to_string(h.depthCompression) +
                       " (0 raw_ushort, 1 zlib_ushort, 2 occi_ushort)");
    auto checkSize = [&](uint64_t w, uint64_t hgt, const char* which) {
        bool empty = w == 0 || hgt == 0;
        if ((empty && h.numFrames > 0) || w > kMaxFrameSide || hgt > kMaxFrameSide || w * hgt > kMaxFramePixels)
            fail(path, std::string("corrupt header: ") + which + " size " + std::to_string(w) + "x" +
                           std::to_string(hgt) + " is implausible");
    };
    checkSize(h.colorWidth, h.colorHeight, "color");
    checkSize(h.depthWidth, h.depthHeight, "depth");
    if (!(h.depthShift > 0) || !std::isfinite(h.depthShift))
        fail(path, "corrupt header: depth_shift " + std::to_string(h.depthShift) + " must be positive");
}

std::string frameContext(size_t frame, uint64_t numFrames) {
    return "frame " + std::to_string(frame) + " of " + std::to_string(numFrames);
}

struct RecordHeader {
    Mat4 pose;
    uint64_t timestampColor = 0, timestampDepth = 0, colorSize = 0, depthSize = 0;
};

RecordHeader parseRecordHeader(const uint8_t* b) {
    RecordHeader r;
    r.pose = getMat4(b);
    r.timestampColor = getU64(b + 64);
    r.timestampDepth = getU64(b + 72);
    r.colorSize = getU64(b + 80);
    r.depthSize = getU64(b + 88);
    return r;
}

// ---- payload decoding --------------------------------------------------------------------------------

ImageRGB8 decodeColor(const SensHeader& h, const std::vector<uint8_t>& bytes, const std::string& what) {
    ImageRGB8 image;
    if (h.colorCompression == 2) {
        image = decodeJpeg(bytes.data(), bytes.size(), what);
    } else if (h.colorCompression == 1) {
        image = decodePngRGB(bytes.data(), bytes.size(), what);
    } else {
        uint64_t expected = uint64_t(h.colorWidth) * h.colorHeight * 3;
        if (bytes.size() != expected)
            fail(what, "raw color has " + std::to_string(bytes.size()) + " bytes, expected " +
                           std::to_string(expected));
        image.width = static_cast<int>(h.colorWidth);
        image.height = static_cast<int>(h.colorHeight);
        image.pixels = bytes;
    }
    if (image.width != static_cast<int>(h.colorWidth) || image.height != static_cast<int>(h.colorHeight))
        fail(what, "color image is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                       " but the header says " + std::to_string(h.colorWidth) + "x" + std::to_string(h.colorHeight));
    return image;
}

ImageDepth16 decodeDepth(const SensHeader& h, const std::vector<uint8_t>& bytes, const std::string& what) {
    const uint64_t expected = uint64_t(h.depthWidth) * h.depthHeight * 2;
    std::vector<uint8_t> raw;
    if (h.depthCompression == 1) {
        raw.resize(expected);
        uLongf produced = static_cast<uLongf>(expected);
        int rc = ::uncompress(raw.data(), &produced, bytes.data(), static_cast<uLong>(bytes.size()));
        if (rc == Z_BUF_ERROR && produced == expected)
            fail(what, "zlib depth decompresses to more than the " + std::to_string(expected) + " bytes expected");
        if (rc != Z_OK) fail(what, std::string("corrupt zlib depth data (") + zError(rc) + ")");
        if (produced != expected)
            fail(what, "zlib depth decompressed to " + std::to_string(produced) + " bytes, expected " +
                           std::to_string(expected));
    } else if (h.depthCompression == 0) {
        if (bytes.size() != expected)
            fail(what, "raw depth has " + std::to_string(bytes.size()) + " bytes, expected " +
                           std::to_string(expected));
        raw = bytes;
    } else {
        fail(what, "occi_ushort depth compression is not supported; re-export the scan with zlib depth");
    }
    ImageDepth16 image;
    image.width = static_cast<int>(h.depthWidth);
    image.height = static_cast<int>(h.depthHeight);
    image.pixels.resize(expected / 2);
    for (size_t i = 0; i < image.pixels.size(); ++i)
        image.pixels[i] = static_cast<uint16_t>(raw[2 * i] | (raw[2 * i + 1] << 8));
    return image;
}

}  // namespace

std::vector<uint8_t> serializeSensHeader(const SensHeader& h) {
    std::vector<uint8_t> out;
    putU32(out, h.version);
    putU64(out, h.sensorName.size());
    out.insert(out.end(), h.sensorName.begin(), h.sensorName.end());
    putMat4(out, h.intrinsicColor);
    putMat4(out, h.extrinsicColor);
    putMat4(out, h.intrinsicDepth);
    putMat4(out, h.extrinsicDepth);
    putU32(out, static_cast<uint32_t>(h.colorCompression));
    putU32(out, static_cast<uint32_t>(h.depthCompression));
    putU32(out, h.colorWidth);
    putU32(out, h.colorHeight);
    putU32(out, h.depthWidth);
    putU32(out, h.depthHeight);
    putF32(out, h.depthShift);
    putU64(out, h.numFrames);
    return out;
}

// ---- SensFrameSource ---------------------------------------------------------------------------------

SensFrameSource::SensFrameSource(const std::string& path) : path_(path) {
    if (isDirectory(path)) fail(path, "is a directory, expected a .sens file");
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_) fail(path, "cannot open (" + std::string(std::strerror(errno)) + ")");
    try {
        if (::fseeko(file_, 0, SEEK_END) != 0) fail(path, "cannot seek");
        fileSize_ = static_cast<uint64_t>(::ftello(file_));
        HeaderReader reader{file_, path_, fileSize_};
        header_ = parseHeader(reader);
        validateHeader(header_, path_);
        buildIndex(reader.pos);
    } catch (...) {
        std::fclose(file_);
        file_ = nullptr;
        throw;
    }
}

SensFrameSource::~SensFrameSource() {
    if (file_) std::fclose(file_);
}

// Walks the frame records, reading only each 96-byte record header (pose, sizes) and seeking over the
// payloads, so opening a 2 GB scan reads a few hundred KB. Every size is checked against what is left
// in the file before it is trusted.
void SensFrameSource::buildIndex(uint64_t firstRecord) {
    uint64_t pos = firstRecord;
    // Never trust num_frames for the reservation: a corrupt count must not allocate gigabytes.
    offsets_.reserve(std::min<uint64_t>(header_.numFrames, (fileSize_ - pos) / kRecordHeaderBytes + 1));
    poses_.reserve(offsets_.capacity());
    for (uint64_t k = 0; k < header_.numFrames; ++k) {
        const std::string context = frameContext(k, header_.numFrames);
        uint8_t b[kRecordHeaderBytes];
        readAt(file_, path_, fileSize_, pos, b, kRecordHeaderBytes, context, "the frame record header");
        RecordHeader r = parseRecordHeader(b);
        uint64_t left = fileSize_ - pos - kRecordHeaderBytes;
        if (r.colorSize > left)
            fail(path_, "truncated " + context + ": color_size_bytes is " + std::to_string(r.colorSize) +
                            " but only " + std::to_string(left) + " bytes are left in the file");
        if (r.depthSize > left - r.colorSize)
            fail(path_, "truncated " + context + ": depth_size_bytes is " + std::to_string(r.depthSize) +
                            " but only " + std::to_string(left - r.colorSize) + " bytes are left in the file");
        offsets_.push_back(pos);
        poses_.push_back(FramePose{r.pose, r.pose.isFinite()});
        pos += kRecordHeaderBytes + r.colorSize + r.depthSize;
    }
    // num_imu_frames and the IMU records follow; nothing here reads them, so a file that stops right
    // after the last frame is still usable and is accepted.
}

Intrinsics SensFrameSource::colorIntrinsics() const {
    return Intrinsics::fromMatrix(header_.intrinsicColor, static_cast<int>(header_.colorWidth),
                                  static_cast<int>(header_.colorHeight));
}

Intrinsics SensFrameSource::depthIntrinsics() const {
    return Intrinsics::fromMatrix(header_.intrinsicDepth, static_cast<int>(header_.depthWidth),
                                  static_cast<int>(header_.depthHeight));
}

void SensFrameSource::checkFrame(size_t frame) const {
    if (frame >= offsets_.size())
        fail(path_, "frame " + std::to_string(frame) + " out of range (" + std::to_string(offsets_.size()) +
                        " frames)");
}

FramePose SensFrameSource::pose(size_t frame) const {
    checkFrame(frame);
    return poses_[frame];
}

SensFrameRecord SensFrameSource::readFrame(size_t frame, bool wantColor, bool wantDepth) const {
    checkFrame(frame);
    const std::string context = frameContext(frame, header_.numFrames);
    std::lock_guard<std::mutex> lock(mutex_);
    uint8_t b[kRecordHeaderBytes];
    uint64_t pos = offsets_[frame];
    readAt(file_, path_, fileSize_, pos, b, kRecordHeaderBytes, context, "the frame record header");
    RecordHeader r = parseRecordHeader(b);
    pos += kRecordHeaderBytes;
    if (r.colorSize > fileSize_ - pos || r.depthSize > fileSize_ - pos - r.colorSize)
        fail(path_, context + ": frame record changed since the file was opened");
    SensFrameRecord rec;
    rec.cameraToWorld = r.pose;
    rec.timestampColor = r.timestampColor;
    rec.timestampDepth = r.timestampDepth;
    if (wantColor) {
        rec.colorBytes.resize(r.colorSize);
        readAt(file_, path_, fileSize_, pos, rec.colorBytes.data(), r.colorSize, context, "color data");
    }
    if (wantDepth) {
        rec.depthBytes.resize(r.depthSize);
        readAt(file_, path_, fileSize_, pos + r.colorSize, rec.depthBytes.data(), r.depthSize, context,
               "depth data");
    }
    return rec;
}

SensFrameRecord SensFrameSource::readRecord(size_t frame) const { return readFrame(frame, true, true); }

ImageRGB8 SensFrameSource::color(size_t frame) const {
    SensFrameRecord rec = readFrame(frame, true, false);
    // Decoding happens outside the lock, so threads only serialise on the file access.
    return decodeColor(header_, rec.colorBytes, path_ + " frame " + std::to_string(frame));
}

ImageDepth16 SensFrameSource::depth(size_t frame) const {
    SensFrameRecord rec = readFrame(frame, false, true);
    return decodeDepth(header_, rec.depthBytes, path_ + " frame " + std::to_string(frame));
}

// ---- SensWriter --------------------------------------------------------------------------------------

namespace {

void writeAll(std::FILE* f, const void* data, size_t n, bool& ok) {
    if (ok && n > 0 && std::fwrite(data, 1, n, f) != n) ok = false;
}

std::vector<uint8_t> encodeColorPayload(const SensHeader& h, const ImageRGB8& color, int jpegQuality) {
    if (h.colorCompression == 2) return encodeJpeg(color, jpegQuality);
    if (h.colorCompression == 1) return encodePngRGB(color);
    return color.pixels;
}

std::vector<uint8_t> encodeDepthPayload(const SensHeader& h, const ImageDepth16& depth) {
    std::vector<uint8_t> raw(depth.pixels.size() * 2);
    for (size_t i = 0; i < depth.pixels.size(); ++i) {
        raw[2 * i] = static_cast<uint8_t>(depth.pixels[i] & 0xff);  // .sens is little-endian
        raw[2 * i + 1] = static_cast<uint8_t>(depth.pixels[i] >> 8);
    }
    if (h.depthCompression == 0) return raw;
    uLongf size = ::compressBound(static_cast<uLong>(raw.size()));
    std::vector<uint8_t> packed(size);
    int rc = ::compress2(packed.data(), &size, raw.data(), static_cast<uLong>(raw.size()), Z_DEFAULT_COMPRESSION);
    if (rc != Z_OK) fail("", std::string("zlib compression of depth failed (") + zError(rc) + ")");
    packed.resize(size);
    return packed;
}

}  // namespace

SensWriter::SensWriter(const std::string& path, const SensHeader& header) : path_(path), header_(header) {
    if (header_.colorCompression < 0 || header_.colorCompression > 2)
        fail(path, "cannot write color_compression " + std::to_string(header_.colorCompression));
    if (header_.depthCompression < 0 || header_.depthCompression > 1)
        fail(path, "cannot write depth_compression " + std::to_string(header_.depthCompression) +
                       " (only 0 raw_ushort and 1 zlib_ushort)");
    header_.version = 4;
    header_.numFrames = 0;
    std::string parent = parentPath(path);
    if (!parent.empty()) makeDirectories(parent);
    tmpPath_ = path + ".tmp-" + std::to_string(::getpid());
    file_ = std::fopen(tmpPath_.c_str(), "wb");
    if (!file_) fail(path, "cannot create temporary file " + tmpPath_ + " (" + std::strerror(errno) + ")");
    // Placeholder header; finish() rewrites it with the frame count (same length: the name is fixed).
    std::vector<uint8_t> bytes = serializeSensHeader(header_);
    numFramesOffset_ = static_cast<long>(bytes.size()) - 8;
    bool ok = true;
    writeAll(file_, bytes.data(), bytes.size(), ok);
    if (!ok) discard("cannot write header (disk full?)");
}

SensWriter::~SensWriter() {
    if (file_) {
        std::fclose(file_);
        std::remove(tmpPath_.c_str());
    }
}

void SensWriter::discard(const std::string& problem) {
    failed_ = true;
    if (file_) {
        std::fclose(file_);
        std::remove(tmpPath_.c_str());
        file_ = nullptr;
    }
    fail(path_, problem);
}

void SensWriter::addFrame(const Mat4& cameraToWorld, const ImageRGB8& color, const ImageDepth16& depth,
                          uint64_t timestampUs, int jpegQuality) {
    if (!file_) fail(path_, failed_ ? "writer failed earlier; no frames can be added" : "addFrame() after finish()");
    // The first frame fixes sizes the caller left at 0; every frame must then match the header.
    if (header_.colorWidth == 0 && header_.colorHeight == 0 && count_ == 0) {
        header_.colorWidth = static_cast<uint32_t>(color.width);
        header_.colorHeight = static_cast<uint32_t>(color.height);
    }
    if (header_.depthWidth == 0 && header_.depthHeight == 0 && count_ == 0) {
        header_.depthWidth = static_cast<uint32_t>(depth.width);
        header_.depthHeight = static_cast<uint32_t>(depth.height);
    }
    const std::string frame = "frame " + std::to_string(count_);
    if (color.width != int(header_.colorWidth) || color.height != int(header_.colorHeight) ||
        color.pixels.size() != size_t(color.width) * color.height * 3)
        fail(path_, frame + ": color image is " + std::to_string(color.width) + "x" + std::to_string(color.height) +
                        ", header says " + std::to_string(header_.colorWidth) + "x" + std::to_string(header_.colorHeight));
    if (depth.width != int(header_.depthWidth) || depth.height != int(header_.depthHeight) ||
        depth.pixels.size() != size_t(depth.width) * depth.height)
        fail(path_, frame + ": depth image is " + std::to_string(depth.width) + "x" + std::to_string(depth.height) +
                        ", header says " + std::to_string(header_.depthWidth) + "x" + std::to_string(header_.depthHeight));
    // Encode before writing anything, so an encoder error leaves the file consistent.
    std::vector<uint8_t> colorBytes, depthBytes;
    try {
        colorBytes = encodeColorPayload(header_, color, jpegQuality);
        depthBytes = encodeDepthPayload(header_, depth);
    } catch (const Error& e) {
        fail(path_, frame + ": " + e.problem());  // the encoders do not know the file name
    }
    std::vector<uint8_t> record;
    putMat4(record, cameraToWorld);
    putU64(record, timestampUs);
    putU64(record, timestampUs);
    putU64(record, colorBytes.size());
    putU64(record, depthBytes.size());
    bool ok = true;
    writeAll(file_, record.data(), record.size(), ok);
    writeAll(file_, colorBytes.data(), colorBytes.size(), ok);
    writeAll(file_, depthBytes.data(), depthBytes.size(), ok);
    if (!ok) discard(frame + ": write failed (disk full?)");
    ++count_;
}

void SensWriter::finish() {
    if (!file_) fail(path_, failed_ ? "writer failed earlier; nothing was written" : "finish() called twice");
    std::vector<uint8_t> tail;
    putU64(tail, 0);  // num_imu_frames: ScanNet's C++ reader expects the count even when there are none
    bool ok = true;
    writeAll(file_, tail.data(), tail.size(), ok);
    header_.numFrames = count_;
    std::vector<uint8_t> bytes = serializeSensHeader(header_);
    if (ok && static_cast<long>(bytes.size()) - 8 != numFramesOffset_) ok = false;  // name cannot change
    if (ok && ::fseeko(file_, 0, SEEK_SET) != 0) ok = false;
    writeAll(file_, bytes.data(), bytes.size(), ok);
    if (std::fflush(file_) != 0) ok = false;
    if (ok && ::fsync(::fileno(file_)) != 0) ok = false;  // durable before it replaces anything
    if (!ok) discard("write failed (disk full?)");
    bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!closed || std::rename(tmpPath_.c_str(), path_.c_str()) != 0) {
        std::string why = std::strerror(errno);
        std::remove(tmpPath_.c_str());
        failed_ = true;
        fail(path_, "cannot move the finished file into place (" + why + ")");
    }
    syncPath(parentPath(path_).empty() ? "." : parentPath(path_));
}

}  // namespace inst3d
