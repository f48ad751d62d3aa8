#include "core/io/exported_frames.h"

#include <filesystem>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/image_codec.h"
#include "core/io/scene_meta.h"

namespace inst3d {

namespace {

std::string frameFile(const std::string& dir, size_t index, const char* ext) {
    return joinPath(dir, std::to_string(index) + ext);
}

// The intrinsic folder may be absent in hand-made exports; the source then reports the missing file,
// which says more than "no layout found".
bool hasFrameDirs(const ExportedLayout& l) {
    return isDirectory(l.colorDir) && isDirectory(l.depthDir) && isDirectory(l.poseDir);
}

ExportedLayout plainLayout(const std::string& dir) {
    return {joinPath(dir, "color"), joinPath(dir, "depth"), joinPath(dir, "pose"), joinPath(dir, "intrinsic")};
}

bool anyPoseFile(const std::string& poseDir) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(poseDir, ec))
        if (entry.path().extension() == ".txt") return true;
    return false;
}

// Intrinsics from intrinsic_<which>.txt; when only the other camera's file exists (some hand-made
// exports keep just one), that matrix is rescaled to this camera's image size.
Intrinsics loadIntrinsics(const std::string& dir, const char* which, const char* other, ImageSize size,
                          ImageSize otherSize) {
    std::string file = joinPath(dir, std::string("intrinsic_") + which + ".txt");
    if (fileExists(file)) return Intrinsics::fromMatrix(readMatrix4File(file), size.width, size.height);
    std::string otherFile = joinPath(dir, std::string("intrinsic_") + other + ".txt");
    if (!fileExists(otherFile)) fail(file, "missing camera intrinsics (and no " + baseName(otherFile) + " either)");
    Intrinsics k = Intrinsics::fromMatrix(readMatrix4File(otherFile), otherSize.width, otherSize.height);
    return k.scaledTo(size.width, size.height);
}

}  // namespace

bool findExportedLayout(const std::string& sceneDir, ExportedLayout& out) {
    std::vector<ExportedLayout> candidates = {
        plainLayout(sceneDir),
        plainLayout(joinPath(sceneDir, "frames")),
        plainLayout(joinPath(sceneDir, "exported")),
        plainLayout(joinPath(sceneDir, "data")),
        // OpenMask3D / Inst3D: poses and intrinsics under data/, images under data_compressed/.
        {joinPath(sceneDir, "data_compressed/color"), joinPath(sceneDir, "data_compressed/depth"),
         joinPath(sceneDir, "data/pose"), joinPath(sceneDir, "data/intrinsic")},
    };
    for (const auto& c : candidates) {
        if (hasFrameDirs(c)) {
            out = c;
            return true;
        }
    }
    return false;
}

ExportedFrameSource::ExportedFrameSource(const ExportedLayout& layout) : layout_(layout) {
    // reader.py numbers frames 0..N-1 without padding; a gap ends the sequence.
    for (size_t i = 0;; ++i) {
        std::string file = frameFile(layout_.poseDir, i, ".txt");
        if (!fileExists(file)) break;
        Mat4 m = readMatrix4File(file);
        poses_.push_back(FramePose{m, m.isFinite()});
    }
    if (poses_.empty())
        fail(layout_.poseDir, anyPoseFile(layout_.poseDir)
                                  ? "no 0.txt: frame ids must start at 0 and not be zero-padded (reader.py layout)"
                                  : "no pose files (expected 0.txt, 1.txt, ...)");
    // Image sizes come from frame 0's headers; decoding the pixels is not needed for that.
    ImageSize colorSize = readImageSize(colorPath(0));
    ImageSize depthSize = readImageSize(depthPath(0));
    color_ = loadIntrinsics(layout_.intrinsicDir, "color", "depth", colorSize, depthSize);
    depth_ = loadIntrinsics(layout_.intrinsicDir, "depth", "color", depthSize, colorSize);
}

void ExportedFrameSource::checkFrame(size_t frame) const {
    if (frame >= poses_.size())
        fail(layout_.poseDir, "frame " + std::to_string(frame) + " out of range (" + std::to_string(poses_.size()) +
                                  " frames)");
}

std::string ExportedFrameSource::colorPath(size_t frame) const {
    std::string jpg = frameFile(layout_.colorDir, frame, ".jpg");
    if (fileExists(jpg)) return jpg;
    std::string png = frameFile(layout_.colorDir, frame, ".png");  // some exports keep color lossless
    if (fileExists(png)) return png;
    fail(jpg, "missing color image for frame " + std::to_string(frame));
}

std::string ExportedFrameSource::depthPath(size_t frame) const {
    std::string png = frameFile(layout_.depthDir, frame, ".png");
    if (!fileExists(png)) fail(png, "missing depth image for frame " + std::to_string(frame));
    return png;
}

FramePose ExportedFrameSource::pose(size_t frame) const {
    checkFrame(frame);
    return poses_[frame];
}

// Every frame must match frame 0's size, or the intrinsics would silently be wrong for it.
template <typename Image>
static void checkSize(const Image& image, const Intrinsics& k, const std::string& path) {
    if (image.width != k.width || image.height != k.height)
        fail(path, "image is " + std::to_string(image.width) + "x" + std::to_string(image.height) + " but frame 0 is " +
                       std::to_string(k.width) + "x" + std::to_string(k.height));
}

ImageRGB8 ExportedFrameSource::color(size_t frame) const {
    checkFrame(frame);
    std::string path = colorPath(frame);
    ImageRGB8 image = readColorImage(path);
    checkSize(image, color_, path);
    return image;
}

ImageDepth16 ExportedFrameSource::depth(size_t frame) const {
    checkFrame(frame);
    std::string path = depthPath(frame);
    ImageDepth16 image = readDepthImage(path);
    checkSize(image, depth_, path);
    return image;
}

void writeExportedIntrinsics(const std::string& dir, const Intrinsics& color, const Intrinsics& depth,
                             const Mat4& extrinsicColor, const Mat4& extrinsicDepth) {
    std::string k = joinPath(dir, "intrinsic");
    makeDirectories(k);
    writeMatrix4File(joinPath(k, "intrinsic_color.txt"), color.asMatrix());
    writeMatrix4File(joinPath(k, "intrinsic_depth.txt"), depth.asMatrix());
    writeMatrix4File(joinPath(k, "extrinsic_color.txt"), extrinsicColor);
    writeMatrix4File(joinPath(k, "extrinsic_depth.txt"), extrinsicDepth);
}

void writeExportedFrame(const std::string& dir, size_t index, const Mat4& cameraToWorld, const ImageRGB8& color,
                        const ImageDepth16& depth, int jpegQuality) {
    ExportedLayout l = plainLayout(dir);
    for (const std::string* d : {&l.colorDir, &l.depthDir, &l.poseDir}) makeDirectories(*d);
    writeColorImage(frameFile(l.colorDir, index, ".jpg"), color, jpegQuality);
    writeDepthImage(frameFile(l.depthDir, index, ".png"), depth);
    // The pose goes last: frames are counted by pose files, so an interrupted export never exposes a
    // frame whose images are missing.
    writeMatrix4File(frameFile(l.poseDir, index, ".txt"), cameraToWorld);
}

}  // namespace inst3d
