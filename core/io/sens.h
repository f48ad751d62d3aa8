// ScanNet .sens, version 4 (little-endian), as SensReader/c++/src/sensorData.h writes it:
//   uint32 version=4 | uint64 strlen | char sensor_name[strlen]
//   float32 intrinsic_color[16], extrinsic_color[16], intrinsic_depth[16], extrinsic_depth[16]
//   int32 color_compression (0 raw, 1 png, 2 jpeg) | int32 depth_compression (0 raw_ushort, 1 zlib_ushort, 2 occi)
//   uint32 color_width, color_height, depth_width, depth_height | float32 depth_shift | uint64 num_frames
//   per frame: float32 camera_to_world[16] | uint64 timestamp_color, timestamp_depth
//              | uint64 color_size_bytes, depth_size_bytes | color bytes | depth bytes
//   uint64 num_imu_frames | IMU records (not read)
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/scene/frames.h"

namespace inst3d {

struct SensHeader {
    uint32_t version = 4;
    std::string sensorName;
    Mat4 intrinsicColor, extrinsicColor, intrinsicDepth, extrinsicDepth;
    int32_t colorCompression = 2;  // jpeg
    int32_t depthCompression = 1;  // zlib_ushort
    uint32_t colorWidth = 0, colorHeight = 0, depthWidth = 0, depthHeight = 0;
    float depthShift = 1000.0f;
    uint64_t numFrames = 0;
};

struct SensFrameRecord {
    Mat4 cameraToWorld;
    uint64_t timestampColor = 0, timestampDepth = 0;
    std::vector<uint8_t> colorBytes;  // compressed as the header says
    std::vector<uint8_t> depthBytes;
};

// Streams a .sens frame by frame: open() reads the header and builds an offset index by seeking over
// frame payloads (no decoding), so random access is one seek. Truncated files throw naming the frame.
class SensFrameSource : public FrameSource {
public:
    explicit SensFrameSource(const std::string& path);
    ~SensFrameSource() override;
    const SensHeader& header() const { return header_; }
    std::string description() const override { return path_; }
    size_t numFrames() const override { return offsets_.size(); }
    Intrinsics colorIntrinsics() const override;
    Intrinsics depthIntrinsics() const override;
    double depthShift() const override { return header_.depthShift; }
    FramePose pose(size_t frame) const override;
    ImageRGB8 color(size_t frame) const override;
    ImageDepth16 depth(size_t frame) const override;
    SensFrameRecord readRecord(size_t frame) const;  // raw, undecoded

private:
    void buildIndex(uint64_t firstRecord);
    void checkFrame(size_t frame) const;
    SensFrameRecord readFrame(size_t frame, bool wantColor, bool wantDepth) const;

    std::string path_;
    SensHeader header_;
    std::vector<uint64_t> offsets_;   // file offset of each frame record
    std::vector<FramePose> poses_;
    uint64_t fileSize_ = 0;
    mutable std::mutex mutex_;        // serialises seek+read on file_ across threads
    mutable std::FILE* file_ = nullptr;
};

// Writes frames one at a time (JPEG color, zlib depth), then patches num_frames on finish().
// The file appears atomically on finish(); a writer destroyed before finish() leaves nothing behind.
// header.colorCompression may also be 1 (png) or 0 (raw), depthCompression 0 (raw); zero color/depth
// sizes are taken from the first frame.
class SensWriter {
public:
    SensWriter(const std::string& path, const SensHeader& header);
    ~SensWriter();
    SensWriter(const SensWriter&) = delete;
    SensWriter& operator=(const SensWriter&) = delete;
    void addFrame(const Mat4& cameraToWorld, const ImageRGB8& color, const ImageDepth16& depth,
                  uint64_t timestampUs, int jpegQuality = 90);
    void finish();

private:
    std::string path_, tmpPath_;
    SensHeader header_;
    std::FILE* file_ = nullptr;
    uint64_t count_ = 0;
    long numFramesOffset_ = 0;
    bool failed_ = false;  // a write failed: the temp file is gone and finish() must not succeed

    [[noreturn]] void discard(const std::string& problem);  // removes the temp file, throws
};

// The header exactly as it is laid out on disk (little-endian); exposed for tests and tools.
std::vector<uint8_t> serializeSensHeader(const SensHeader& header);

}  // namespace inst3d
