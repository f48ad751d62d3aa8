// Posed RGB-D frames of a scan (.sens or an exported color/depth/pose/intrinsic folder).
// Images are decoded lazily, one frame at a time, so a 5000-frame scan costs nothing until asked.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/math.h"

namespace inst3d {

struct Intrinsics {
    double fx = 0, fy = 0, cx = 0, cy = 0;
    int width = 0, height = 0;
    Mat4 asMatrix() const;                        // 4x4 as ScanNet's intrinsic_*.txt
    static Intrinsics fromMatrix(const Mat4& k, int width, int height);
    Intrinsics scaledTo(int newWidth, int newHeight) const;  // pixel-center-preserving rescale
};

struct ImageRGB8 {
    int width = 0, height = 0;
    std::vector<uint8_t> pixels;  // [H*W*3] row-major RGB
    uint8_t* at(int x, int y) { return &pixels[(static_cast<size_t>(y) * width + x) * 3]; }
    const uint8_t* at(int x, int y) const { return &pixels[(static_cast<size_t>(y) * width + x) * 3]; }
};

struct ImageDepth16 {
    int width = 0, height = 0;
    std::vector<uint16_t> pixels;  // [H*W] depth in units of 1/depthShift meters (mm for ScanNet); 0 = invalid
    uint16_t at(int x, int y) const { return pixels[static_cast<size_t>(y) * width + x]; }
};

struct FramePose {
    Mat4 cameraToWorld;   // OpenCV camera (x right, y down, z forward) to the raw mesh frame
    bool valid = true;    // false when the tracker lost the camera (-inf entries): never use such a pose
};

// Random access to frames. Implementations: SensFrameSource, ExportedFrameSource.
class FrameSource {
public:
    virtual ~FrameSource() = default;
    virtual std::string description() const = 0;  // file or folder it reads
    virtual size_t numFrames() const = 0;
    virtual Intrinsics colorIntrinsics() const = 0;
    virtual Intrinsics depthIntrinsics() const = 0;
    virtual double depthShift() const { return 1000.0; }  // raw depth value per meter
    virtual FramePose pose(size_t frame) const = 0;
    virtual ImageRGB8 color(size_t frame) const = 0;       // throws Error naming the file on bad data
    virtual ImageDepth16 depth(size_t frame) const = 0;
    size_t numValidPoses() const;
};

}  // namespace inst3d
