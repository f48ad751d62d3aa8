// Frames exported from .sens by ScanNet's reader.py (and the layouts downstream tools expect):
//   <dir>/color/<i>.jpg   <dir>/depth/<i>.png (16-bit, mm)   <dir>/pose/<i>.txt (4x4 camera-to-world)
//   <dir>/intrinsic/intrinsic_color.txt, intrinsic_depth.txt, extrinsic_color.txt, extrinsic_depth.txt
// Frame ids are not zero-padded and start at 0. OpenMask3D's split layout (<scene>/data/pose,
// <scene>/data/intrinsic, <scene>/data_compressed/{color,depth}) is recognised too.
#pragma once
#include <string>
#include <vector>

#include "core/scene/frames.h"

namespace inst3d {

struct ExportedLayout {
    std::string colorDir, depthDir, poseDir, intrinsicDir;
};

// Finds an exported-frames layout under a scene folder: itself, frames/, exported/, data/, then
// data/+data_compressed/ (OpenMask3D). Needs color/, depth/ and pose/ folders. False when there is none.
bool findExportedLayout(const std::string& sceneDir, ExportedLayout& out);

class ExportedFrameSource : public FrameSource {
public:
    explicit ExportedFrameSource(const ExportedLayout& layout);
    std::string description() const override { return layout_.poseDir; }
    size_t numFrames() const override { return poses_.size(); }
    Intrinsics colorIntrinsics() const override { return color_; }
    Intrinsics depthIntrinsics() const override { return depth_; }
    FramePose pose(size_t frame) const override;
    ImageRGB8 color(size_t frame) const override;     // missing file -> Error naming it
    ImageDepth16 depth(size_t frame) const override;

    // Files of frame `frame` (color: <i>.jpg, or <i>.png when only that exists); missing -> Error naming it.
    std::string colorPath(size_t frame) const;
    std::string depthPath(size_t frame) const;

private:
    void checkFrame(size_t frame) const;

    ExportedLayout layout_;
    std::vector<FramePose> poses_;
    Intrinsics color_, depth_;
};

// Writes one frame / the intrinsics in reader.py's layout under `dir`.
void writeExportedIntrinsics(const std::string& dir, const Intrinsics& color, const Intrinsics& depth,
                             const Mat4& extrinsicColor = Mat4(), const Mat4& extrinsicDepth = Mat4());
void writeExportedFrame(const std::string& dir, size_t index, const Mat4& cameraToWorld, const ImageRGB8& color,
                        const ImageDepth16& depth, int jpegQuality = 90);

}  // namespace inst3d
