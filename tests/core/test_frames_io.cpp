// RGB-D frame I/O: .sens (ScanNet v4), reader.py exported folders, JPEG/PNG codecs.
#include <QTemporaryDir>
#include <QtTest>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <thread>
#include <zlib.h>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/exported_frames.h"
#include "core/io/image_codec.h"
#include "core/io/scene_meta.h"
#include "core/io/sens.h"
#include "support/test_support.h"

using namespace inst3d;
namespace fs = std::filesystem;

namespace {

constexpr int kColorW = 64, kColorH = 48, kDepthW = 32, kDepthH = 24;
// version, strlen, "StructureSensor", 4 matrices, 2 compressions, 4 sizes, depth_shift, num_frames
constexpr uint64_t kHeaderBytes = 4 + 8 + 15 + 4 * 64 + 2 * 4 + 4 * 4 + 4 + 8;
constexpr uint64_t kRecordHeaderBytes = 64 + 4 * 8;

// Smooth gradients plus a disc: realistic for JPEG, different per frame.
ImageRGB8 drawColor(int w, int h, int seed) {
    ImageRGB8 img;
    img.width = w;
    img.height = h;
    img.pixels.resize(size_t(w) * h * 3);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            uint8_t* p = img.at(x, y);
            double dx = x - w * 0.5 - seed, dy = y - h * 0.5;
            bool disc = dx * dx + dy * dy < (h * 0.3) * (h * 0.3);
            p[0] = static_cast<uint8_t>((x * 255) / (w - 1));
            p[1] = static_cast<uint8_t>((y * 255) / (h - 1));
            p[2] = static_cast<uint8_t>(disc ? 220 : 40 + 10 * seed);
        }
    return img;
}

// Covers 0 (invalid), values above 255 (byte order matters) and the 16-bit extremes.
ImageDepth16 depthRamp(int w, int h, int seed) {
    ImageDepth16 img;
    img.width = w;
    img.height = h;
    img.pixels.resize(size_t(w) * h);
    for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<uint16_t>(500 + i * 37 + seed * 1000);
    img.pixels[0] = 0;
    img.pixels[1] = 65535;
    img.pixels[2] = 256;
    img.pixels[3] = 255;
    img.pixels[4] = 1;
    return img;
}

Mat4 poseFor(int i) { return rotationZ(0.1 * i + 0.05, {0.5 * i + 0.123, -1.25, 1.4}); }

Mat4 invalidPose() {
    Mat4 m;
    for (double& v : m.m) v = -std::numeric_limits<double>::infinity();
    return m;
}

SensHeader makeHeader() {
    SensHeader h;
    h.sensorName = "StructureSensor";
    h.intrinsicColor = Intrinsics{57.5, 58.25, 31.75, 23.5, kColorW, kColorH}.asMatrix();
    h.intrinsicDepth = Intrinsics{28.75, 29.125, 15.5, 11.75, kDepthW, kDepthH}.asMatrix();
    h.extrinsicDepth = rotationZ(0.0, {0.025, 0, 0});
    h.colorWidth = kColorW;
    h.colorHeight = kColorH;
    h.depthWidth = kDepthW;
    h.depthHeight = kDepthH;
    return h;
}

void writeSens(const std::string& path, int frames, int invalidFrame = -1, SensHeader header = makeHeader()) {
    SensWriter writer(path, header);
    for (int i = 0; i < frames; ++i)
        writer.addFrame(i == invalidFrame ? invalidPose() : poseFor(i), drawColor(kColorW, kColorH, i),
                        depthRamp(kDepthW, kDepthH, i), 1000000ull + 33333ull * i);
    writer.finish();
}

double meanAbsDiff(const ImageRGB8& a, const ImageRGB8& b) {
    if (a.pixels.size() != b.pixels.size() || a.pixels.empty()) return 1e9;
    double sum = 0;
    for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
    return sum / a.pixels.size();
}

// Pose as .sens stores it: float32, then widened back.
bool equalsAsFloat(const Mat4& read, const Mat4& original) {
    for (int i = 0; i < 16; ++i)
        if (read.m[i] != double(float(original.m[i]))) return false;
    return true;
}

bool nearlyEqual(const Mat4& a, const Mat4& b, double tol) {
    for (int i = 0; i < 16; ++i)
        if (!(std::fabs(a.m[i] - b.m[i]) <= tol)) return false;
    return true;
}

// The message of the inst3d::Error `f` throws, or "<no error>". Anything else propagates and fails the test.
std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "<no error>";
}

// Little-endian field access on raw file bytes, independent of the library's own parser.
template <typename T>
T at(const std::vector<uint8_t>& b, uint64_t offset) {
    T v;
    std::memcpy(&v, b.data() + offset, sizeof v);
    return v;
}

// Offsets of the frame records, walked by hand from the sizes in each record.
std::vector<uint64_t> frameOffsets(const std::vector<uint8_t>& b, uint64_t numFrames) {
    std::vector<uint64_t> out;
    uint64_t pos = kHeaderBytes;
    for (uint64_t k = 0; k < numFrames && pos + kRecordHeaderBytes <= b.size(); ++k) {
        out.push_back(pos);
        pos += kRecordHeaderBytes + at<uint64_t>(b, pos + 80) + at<uint64_t>(b, pos + 88);
    }
    out.push_back(pos);  // where num_imu_frames sits
    return out;
}

void writeVector(const std::string& path, const std::vector<uint8_t>& bytes) {
    test::writeBytes(path, std::string(bytes.begin(), bytes.end()));
}

// A PNG assembled by hand (filter 0 rows, one IDAT) so decoding is checked against the spec, not
// against our own encoder.
std::vector<uint8_t> handMadePng16(int w, int h, const std::vector<uint8_t>& samplesBigEndian) {
    std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    auto be32 = [](std::vector<uint8_t>& out, uint32_t v) {
        for (int s = 24; s >= 0; s -= 8) out.push_back(uint8_t(v >> s));
    };
    auto chunk = [&](const char* type, const std::vector<uint8_t>& data) {
        be32(png, uint32_t(data.size()));
        std::vector<uint8_t> body(type, type + 4);
        body.insert(body.end(), data.begin(), data.end());
        png.insert(png.end(), body.begin(), body.end());
        be32(png, uint32_t(crc32(0, body.data(), uInt(body.size()))));
    };
    std::vector<uint8_t> ihdr;
    be32(ihdr, w);
    be32(ihdr, h);
    ihdr.insert(ihdr.end(), {16, 0, 0, 0, 0});  // 16-bit, grayscale, deflate, filter 0, no interlace
    chunk("IHDR", ihdr);
    std::vector<uint8_t> rows;
    for (int y = 0; y < h; ++y) {
        rows.push_back(0);
        rows.insert(rows.end(), samplesBigEndian.begin() + y * w * 2, samplesBigEndian.begin() + (y + 1) * w * 2);
    }
    uLongf size = compressBound(uLong(rows.size()));
    std::vector<uint8_t> idat(size);
    compress2(idat.data(), &size, rows.data(), uLong(rows.size()), 6);
    idat.resize(size);
    chunk("IDAT", idat);
    chunk("IEND", {});
    return png;
}

}  // namespace

class TestFramesIO : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    std::string path(const std::string& name) const { return tmp_.filePath(QString::fromStdString(name)).toStdString(); }

private slots:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    // ---- .sens ----

    void sensRoundTrip() {
        std::string file = path("roundtrip/scene0000_00.sens");
        writeSens(file, 5);
        SensFrameSource src(file);
        QCOMPARE(src.numFrames(), size_t(5));
        QCOMPARE(src.header().version, 4u);
        QCOMPARE(src.header().sensorName, std::string("StructureSensor"));
        QCOMPARE(src.header().colorCompression, 2);
        QCOMPARE(src.header().depthCompression, 1);
        QCOMPARE(src.depthShift(), 1000.0);
        QVERIFY(equalsAsFloat(src.header().extrinsicDepth, rotationZ(0.0, {0.025, 0, 0})));

        Intrinsics kc = src.colorIntrinsics(), kd = src.depthIntrinsics();
        QCOMPARE(kc.fx, 57.5);
        QCOMPARE(kc.fy, 58.25);
        QCOMPARE(kc.cx, 31.75);
        QCOMPARE(kc.cy, 23.5);
        QCOMPARE(kc.width, kColorW);
        QCOMPARE(kc.height, kColorH);
        QCOMPARE(kd.fx, 28.75);
        QCOMPARE(kd.cy, 11.75);
        QCOMPARE(kd.width, kDepthW);
        QCOMPARE(kd.height, kDepthH);

        for (int i = 0; i < 5; ++i) {
            QVERIFY(src.pose(i).valid);
            QVERIFY(equalsAsFloat(src.pose(i).cameraToWorld, poseFor(i)));
            ImageDepth16 d = src.depth(i);
            QCOMPARE(d.width, kDepthW);
            QCOMPARE(d.height, kDepthH);
            QVERIFY(d.pixels == depthRamp(kDepthW, kDepthH, i).pixels);
            ImageRGB8 c = src.color(i);
            QCOMPARE(c.width, kColorW);
            QCOMPARE(c.height, kColorH);
            QVERIFY2(meanAbsDiff(c, drawColor(kColorW, kColorH, i)) < 3.0, "JPEG color too far from the original");
            SensFrameRecord rec = src.readRecord(i);
            QCOMPARE(rec.timestampColor, 1000000ull + 33333ull * i);
            QCOMPARE(rec.timestampDepth, rec.timestampColor);
            QVERIFY(rec.colorBytes.size() > 2 && rec.colorBytes[0] == 0xFF && rec.colorBytes[1] == 0xD8);
        }
        QCOMPARE(src.numValidPoses(), size_t(5));
    }

    // The bytes on disk, read by hand: the format must be ScanNet's, not merely self-consistent.
    void sensByteLayout() {
        const int n = 3;
        std::string file = path("layout.sens");
        writeSens(file, n);
        std::vector<uint8_t> b = readBinaryFile(file);
        QCOMPARE(at<uint32_t>(b, 0), 4u);                 // version
        QCOMPARE(at<uint64_t>(b, 4), uint64_t(15));       // strlen
        QCOMPARE(std::string(b.begin() + 12, b.begin() + 27), std::string("StructureSensor"));
        const uint64_t k = 27;                            // intrinsic_color, row-major float32[16]
        QCOMPARE(at<float>(b, k + 0 * 4), 57.5f);         // fx at (0,0)
        QCOMPARE(at<float>(b, k + 2 * 4), 31.75f);        // cx at (0,2)
        QCOMPARE(at<float>(b, k + 5 * 4), 58.25f);        // fy at (1,1)
        QCOMPARE(at<float>(b, k + 6 * 4), 23.5f);         // cy at (1,2)
        QCOMPARE(at<float>(b, k + 15 * 4), 1.0f);
        QCOMPARE(at<float>(b, k + 64 * 3 + 3 * 4), 0.025f);  // extrinsic_depth translation x at (0,3)
        const uint64_t after = k + 4 * 64;
        QCOMPARE(at<int32_t>(b, after + 0), 2);           // color_compression jpeg
        QCOMPARE(at<int32_t>(b, after + 4), 1);           // depth_compression zlib_ushort
        QCOMPARE(at<uint32_t>(b, after + 8), uint32_t(kColorW));
        QCOMPARE(at<uint32_t>(b, after + 12), uint32_t(kColorH));
        QCOMPARE(at<uint32_t>(b, after + 16), uint32_t(kDepthW));
        QCOMPARE(at<uint32_t>(b, after + 20), uint32_t(kDepthH));
        QCOMPARE(at<float>(b, after + 24), 1000.0f);      // depth_shift
        QCOMPARE(at<uint64_t>(b, after + 28), uint64_t(n));  // num_frames
        QCOMPARE(after + 36, kHeaderBytes);
        QCOMPARE(serializeSensHeader(makeHeader()).size(), size_t(kHeaderBytes));

        std::vector<uint64_t> offs = frameOffsets(b, n);
        for (int i = 0; i < n; ++i) {
            uint64_t p = offs[i];
            Mat4 pose;
            for (int j = 0; j < 16; ++j) pose.m[j] = at<float>(b, p + 4 * j);
            QVERIFY(equalsAsFloat(pose, poseFor(i)));
            QCOMPARE(at<uint64_t>(b, p + 64), 1000000ull + 33333ull * i);
            uint64_t colorSize = at<uint64_t>(b, p + 80), depthSize = at<uint64_t>(b, p + 88);
            const uint64_t c = p + kRecordHeaderBytes;
            QCOMPARE(int(b[c]), 0xFF);  // JPEG SOI ... EOI
            QCOMPARE(int(b[c + 1]), 0xD8);
            QCOMPARE(int(b[c + colorSize - 2]), 0xFF);
            QCOMPARE(int(b[c + colorSize - 1]), 0xD9);
            // Depth: plain zlib of little-endian uint16 H*W.
            std::vector<uint8_t> raw(kDepthW * kDepthH * 2);
            uLongf rawSize = uLongf(raw.size());
            QCOMPARE(uncompress(raw.data(), &rawSize, b.data() + c + colorSize, uLong(depthSize)), Z_OK);
            QCOMPARE(rawSize, uLongf(raw.size()));
            ImageDepth16 expect = depthRamp(kDepthW, kDepthH, i);
            for (size_t j = 0; j < expect.pixels.size(); ++j)
                QCOMPARE(uint16_t(raw[2 * j] | (raw[2 * j + 1] << 8)), expect.pixels[j]);
        }
        QCOMPARE(at<uint64_t>(b, offs[n]), uint64_t(0));  // num_imu_frames
        QCOMPARE(uint64_t(b.size()), offs[n] + 8);
    }

    void sensInvalidPose() {
        std::string file = path("lost.sens");
        writeSens(file, 4, 2);
        SensFrameSource src(file);
        QVERIFY(src.pose(0).valid);
        QVERIFY(src.pose(1).valid);
        QVERIFY(!src.pose(2).valid);
        QVERIFY(std::isinf(src.pose(2).cameraToWorld.m[0]));
        QVERIFY(src.pose(3).valid);
        QCOMPARE(src.numValidPoses(), size_t(3));
        // Images of a lost-tracking frame are still there.
        QVERIFY(src.depth(2).pixels == depthRamp(kDepthW, kDepthH, 2).pixels);
    }

    void sensRandomAccess() {
        std::string file = path("random.sens");
        writeSens(file, 6);
        SensFrameSource src(file);
        for (int k : {4, 0, 5, 4, 2}) {
            QVERIFY(src.depth(k).pixels == depthRamp(kDepthW, kDepthH, k).pixels);
            QVERIFY(meanAbsDiff(src.color(k), drawColor(kColorW, kColorH, k)) < 3.0);
            QVERIFY(equalsAsFloat(src.pose(k).cameraToWorld, poseFor(k)));
        }
        std::string msg = errorOf([&] { src.depth(6); });
        QVERIFY2(msg.find("random.sens") != std::string::npos && msg.find("out of range") != std::string::npos,
                 msg.c_str());
        QVERIFY(errorOf([&] { src.pose(100); }) != "<no error>");
    }

    void sensConcurrentReads() {
        std::string file = path("threads.sens");
        writeSens(file, 6);
        SensFrameSource src(file);
        std::atomic<int> bad{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (int r = 0; r < 10; ++r) {
                    int k = (t + r) % 6;
                    if (src.depth(k).pixels != depthRamp(kDepthW, kDepthH, k).pixels) ++bad;
                    if (src.readRecord(k).timestampColor != 1000000ull + 33333ull * k) ++bad;
                }
            });
        for (auto& th : threads) th.join();
        QCOMPARE(bad.load(), 0);
    }

    void sensTruncated() {
        const int n = 4;
        std::string file = path("full.sens");
        writeSens(file, n);
        std::vector<uint8_t> b = readBinaryFile(file);
        std::vector<uint64_t> offs = frameOffsets(b, n);
        auto colorSize = [&](int k) { return at<uint64_t>(b, offs[k] + 80); };
        struct Cut {
            uint64_t size;
            std::string mustMention;
        };
        std::vector<Cut> cuts = {
            {0, "header"},
            {2, "version"},
            {9, "sensor name length"},
            {20, "sensor name"},
            {60, "intrinsic_color"},
            {kHeaderBytes - 3, "num_frames"},
            {kHeaderBytes, "frame 0 of 4"},                                            // no frames at all
            {offs[0] + 50, "frame 0 of 4"},                                            // in a record header
            {offs[2] + kRecordHeaderBytes + colorSize(2) / 2, "frame 2 of 4"},         // in color bytes
            {offs[3] + kRecordHeaderBytes + colorSize(3) + 5, "frame 3 of 4"},         // in depth bytes
            {offs[4] - 1, "frame 3 of 4"},                                             // last byte missing
        };
        std::string cutFile = path("truncated.sens");
        for (const Cut& cut : cuts) {
            writeVector(cutFile, std::vector<uint8_t>(b.begin(), b.begin() + cut.size));
            std::string msg = errorOf([&] { SensFrameSource src(cutFile); });
            QVERIFY2(msg.find("truncated.sens") != std::string::npos, (std::to_string(cut.size) + ": " + msg).c_str());
            QVERIFY2(msg.find(cut.mustMention) != std::string::npos, (std::to_string(cut.size) + ": " + msg).c_str());
        }
        // Only the trailing num_imu_frames missing: every frame is intact, and nothing reads IMU data.
        writeVector(cutFile, std::vector<uint8_t>(b.begin(), b.begin() + offs[4]));
        SensFrameSource src(cutFile);
        QCOMPARE(src.numFrames(), size_t(n));
        QVERIFY(src.depth(3).pixels == depthRamp(kDepthW, kDepthH, 3).pixels);
    }

    void sensFileShrinksAfterOpen() {
        std::string file = path("shrinks.sens");
        writeSens(file, 3);
        SensFrameSource src(file);
        std::vector<uint8_t> b = readBinaryFile(file);
        fs::resize_file(file, frameOffsets(b, 3)[1] + 10);
        QVERIFY(src.depth(0).pixels == depthRamp(kDepthW, kDepthH, 0).pixels);
        std::string msg = errorOf([&] { src.color(2); });
        QVERIFY2(msg.find("shrinks.sens") != std::string::npos && msg.find("frame 2") != std::string::npos,
                 msg.c_str());
    }

    void sensWrongVersion() {
        std::string file = path("version.sens");
        writeSens(file, 1);
        std::vector<uint8_t> b = readBinaryFile(file);
        b[0] = 5;
        writeVector(file, b);
        std::string msg = errorOf([&] { SensFrameSource src(file); });
        QVERIFY2(msg.find("version.sens") != std::string::npos && msg.find("version 5") != std::string::npos,
                 msg.c_str());
    }

    void sensAbsurdSizes() {
        std::string file = path("absurd.sens");
        writeSens(file, 2);
        const std::vector<uint8_t> good = readBinaryFile(file);
        auto patched = [&](uint64_t offset, uint64_t value, size_t bytes) {
            std::vector<uint8_t> b = good;
            std::memcpy(b.data() + offset, &value, bytes);
            writeVector(file, b);
            return errorOf([&] { SensFrameSource src(file); });
        };
        const uint64_t after = 27 + 4 * 64;
        std::string msg = patched(kHeaderBytes + 80, uint64_t(1) << 62, 8);  // color_size_bytes of frame 0
        QVERIFY2(msg.find("absurd.sens") != std::string::npos && msg.find("frame 0") != std::string::npos &&
                     msg.find("color_size_bytes") != std::string::npos,
                 msg.c_str());
        msg = patched(kHeaderBytes + 88, ~uint64_t(0), 8);  // depth_size_bytes of frame 0
        QVERIFY2(msg.find("depth_size_bytes") != std::string::npos, msg.c_str());
        msg = patched(4, uint64_t(1) << 40, 8);  // sensor name length
        QVERIFY2(msg.find("sensor name length") != std::string::npos, msg.c_str());
        msg = patched(after + 28, uint64_t(1) << 50, 8);  // num_frames far beyond the file
        QVERIFY2(msg.find("frame 2 of") != std::string::npos, msg.c_str());
        msg = patched(after + 8, 200000, 4);  // color_width
        QVERIFY2(msg.find("implausible") != std::string::npos, msg.c_str());
        msg = patched(after + 0, 7, 4);  // color_compression
        QVERIFY2(msg.find("color_compression 7") != std::string::npos, msg.c_str());
    }

    void sensCorruptColor() {
        std::string file = path("corrupt_color.sens");
        writeSens(file, 3);
        std::vector<uint8_t> b = readBinaryFile(file);
        uint64_t c = frameOffsets(b, 3)[1] + kRecordHeaderBytes;
        std::memset(b.data() + c, 0, 16);  // frame 1's JPEG no longer starts with SOI
        writeVector(file, b);
        SensFrameSource src(file);
        std::string msg = errorOf([&] { src.color(1); });
        QVERIFY2(msg.find("corrupt_color.sens frame 1") != std::string::npos && msg.find("JPEG") != std::string::npos,
                 msg.c_str());
        QVERIFY(src.depth(1).pixels == depthRamp(kDepthW, kDepthH, 1).pixels);  // the rest of the frame is fine
        QVERIFY(meanAbsDiff(src.color(2), drawColor(kColorW, kColorH, 2)) < 3.0);
    }

    void sensCorruptDepth() {
        std::string file = path("corrupt_depth.sens");
        writeSens(file, 2);
        std::vector<uint8_t> b = readBinaryFile(file);
        uint64_t p = frameOffsets(b, 2)[0];
        uint64_t d = p + kRecordHeaderBytes + at<uint64_t>(b, p + 80);
        b[d] ^= 0xFF;  // zlib header byte
        writeVector(file, b);
        SensFrameSource src(file);
        std::string msg = errorOf([&] { src.depth(0); });
        QVERIFY2(msg.find("corrupt_depth.sens frame 0") != std::string::npos && msg.find("zlib") != std::string::npos,
                 msg.c_str());
    }

    void sensOtherCompressions() {
        // PNG color + raw depth, then raw color: both lossless, so exact.
        for (int colorCompression : {1, 0}) {
            SensHeader h = makeHeader();
            h.colorCompression = colorCompression;
            h.depthCompression = 0;
            std::string file = path("lossless" + std::to_string(colorCompression) + ".sens");
            writeSens(file, 2, -1, h);
            SensFrameSource src(file);
            QCOMPARE(src.header().colorCompression, colorCompression);
            QCOMPARE(src.header().depthCompression, 0);
            for (int i = 0; i < 2; ++i) {
                QVERIFY(src.color(i).pixels == drawColor(kColorW, kColorH, i).pixels);
                QVERIFY(src.depth(i).pixels == depthRamp(kDepthW, kDepthH, i).pixels);
            }
            QCOMPARE(src.readRecord(0).depthBytes.size(), size_t(kDepthW * kDepthH * 2));
        }
    }

    void sensWriterSizesFromFirstFrame() {
        SensHeader h = makeHeader();
        h.colorWidth = h.colorHeight = h.depthWidth = h.depthHeight = 0;
        std::string file = path("sizes.sens");
        writeSens(file, 2, -1, h);
        SensFrameSource src(file);
        QCOMPARE(src.colorIntrinsics().width, kColorW);
        QCOMPARE(src.depthIntrinsics().height, kDepthH);
        // A frame of another size is refused, naming the frame.
        SensWriter writer(path("mismatch.sens"), makeHeader());
        writer.addFrame(poseFor(0), drawColor(kColorW, kColorH, 0), depthRamp(kDepthW, kDepthH, 0), 0);
        std::string msg = errorOf([&] {
            writer.addFrame(poseFor(1), drawColor(kColorW + 2, kColorH, 1), depthRamp(kDepthW, kDepthH, 1), 0);
        });
        QVERIFY2(msg.find("frame 1") != std::string::npos, msg.c_str());
        writer.finish();  // the refused frame did not damage the file
        QCOMPARE(SensFrameSource(path("mismatch.sens")).numFrames(), size_t(1));
    }

    void sensWriterIsAtomic() {
        std::string dir = path("atomic");
        std::string file = joinPath(dir, "scene.sens");
        {
            SensWriter writer(file, makeHeader());
            writer.addFrame(poseFor(0), drawColor(kColorW, kColorH, 0), depthRamp(kDepthW, kDepthH, 0), 0);
            QVERIFY(!fileExists(file));  // nothing at the final path until finish()
        }
        QVERIFY(!fileExists(file));
        QVERIFY(fs::is_empty(dir));  // and no temporary left behind
        {
            SensWriter writer(file, makeHeader());
            writer.finish();
            QVERIFY(errorOf([&] { writer.finish(); }) != "<no error>");
        }
        QCOMPARE(SensFrameSource(file).numFrames(), size_t(0));
        QCOMPARE(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1L);
    }

    void sensOpenErrors() {
        std::string msg = errorOf([&] { SensFrameSource src(path("does_not_exist.sens")); });
        QVERIFY2(msg.find("does_not_exist.sens") != std::string::npos, msg.c_str());
        test::writeBytes(path("empty.sens"), "");
        msg = errorOf([&] { SensFrameSource src(path("empty.sens")); });
        QVERIFY2(msg.find("empty.sens") != std::string::npos, msg.c_str());
    }

    // ---- codecs ----

    void jpegCorrupt() {
        std::vector<uint8_t> good = encodeJpeg(drawColor(kColorW, kColorH, 0), 90);
        QCOMPARE(decodeJpeg(good.data(), good.size(), "ok.jpg").width, kColorW);

        std::vector<uint8_t> noise(good.size());
        for (size_t i = 0; i < noise.size(); ++i) noise[i] = uint8_t(i * 131 + 7);
        std::string msg = errorOf([&] { decodeJpeg(noise.data(), noise.size(), "noise.jpg"); });
        QVERIFY2(msg.find("noise.jpg") != std::string::npos, msg.c_str());

        std::vector<uint8_t> half(good.begin(), good.begin() + good.size() / 2);
        msg = errorOf([&] { decodeJpeg(half.data(), half.size(), "half.jpg"); });
        QVERIFY2(msg.find("half.jpg") != std::string::npos, msg.c_str());

        std::vector<uint8_t> headerOnly(good.begin(), good.begin() + 4);
        msg = errorOf([&] { decodeJpeg(headerOnly.data(), headerOnly.size(), "stub.jpg"); });
        QVERIFY2(msg.find("stub.jpg") != std::string::npos, msg.c_str());

        // Entropy data cut short: libjpeg only warns and pads with gray; that must be an error too.
        ImageRGB8 noisy;
        noisy.width = 320;
        noisy.height = 240;
        noisy.pixels.resize(320 * 240 * 3);
        for (size_t i = 0; i < noisy.pixels.size(); ++i) noisy.pixels[i] = uint8_t((i * 2654435761u) >> 24);
        std::vector<uint8_t> big = encodeJpeg(noisy, 90);
        std::vector<uint8_t> cut(big.begin(), big.begin() + big.size() * 9 / 10);
        msg = errorOf([&] { decodeJpeg(cut.data(), cut.size(), "cut.jpg"); });
        QVERIFY2(msg.find("cut.jpg") != std::string::npos && msg.find("corrupt JPEG data") != std::string::npos,
                 msg.c_str());

        msg = errorOf([&] { decodeJpeg(nullptr, 0, "empty.jpg"); });
        QVERIFY2(msg.find("empty.jpg") != std::string::npos, msg.c_str());
    }

    void jpegQuality() {
        ImageRGB8 img = drawColor(kColorW, kColorH, 3);
        std::vector<uint8_t> hi = encodeJpeg(img, 95), lo = encodeJpeg(img, 20);
        QVERIFY(lo.size() < hi.size());
        double hiErr = meanAbsDiff(decodeJpeg(hi.data(), hi.size(), "hi"), img);
        double loErr = meanAbsDiff(decodeJpeg(lo.data(), lo.size(), "lo"), img);
        QVERIFY2(hiErr < loErr && hiErr < 3.0, (std::to_string(hiErr) + " vs " + std::to_string(loErr)).c_str());
        QVERIFY(errorOf([&] { encodeJpeg(img, 0); }) != "<no error>");
        ImageRGB8 wrong = img;
        wrong.pixels.pop_back();
        QVERIFY(errorOf([&] { encodeJpeg(wrong); }) != "<no error>");
    }

    void png16RoundTrip() {
        ImageDepth16 d;
        d.width = 7;
        d.height = 3;
        d.pixels = {0, 1, 255, 256, 257, 1000, 4097, 32767, 32768, 65534, 65535, 0x1234, 0xABCD, 0x00FF,
                    0xFF00, 2, 3, 500, 60000, 12345, 54321};
        std::vector<uint8_t> png = encodePng16(d);
        ImageDepth16 back = decodePng16(png.data(), png.size(), "d.png");
        QCOMPARE(back.width, 7);
        QCOMPARE(back.height, 3);
        QVERIFY(back.pixels == d.pixels);

        ImageDepth16 ramp = depthRamp(kDepthW, kDepthH, 9);
        std::string file = path("depth/9.png");
        makeDirectories(path("depth"));
        writeDepthImage(file, ramp);
        QVERIFY(readDepthImage(file).pixels == ramp.pixels);
        ImageSize size = readImageSize(file);
        QCOMPARE(size.width, kDepthW);
        QCOMPARE(size.height, kDepthH);
    }

    // PNG samples are big-endian: bytes 01 02 mean 258, not 513.
    void png16ByteOrder() {
        std::vector<uint8_t> be = {0x01, 0x02, 0xFF, 0xFF, 0x00, 0x00, 0x12, 0x34, 0x00, 0xFF, 0xFF, 0x00};
        std::vector<uint8_t> png = handMadePng16(3, 2, be);
        ImageDepth16 d = decodePng16(png.data(), png.size(), "hand.png");
        QCOMPARE(d.width, 3);
        QCOMPARE(d.height, 2);
        std::vector<uint16_t> expect = {258, 65535, 0, 0x1234, 0x00FF, 0xFF00};
        QVERIFY(d.pixels == expect);
    }

    void pngRGBAndErrors() {
        ImageRGB8 img = drawColor(kColorW, kColorH, 4);
        std::vector<uint8_t> png = encodePngRGB(img);
        QVERIFY(decodePngRGB(png.data(), png.size(), "c.png").pixels == img.pixels);
        // A color PNG is not a depth image.
        std::string msg = errorOf([&] { decodePng16(png.data(), png.size(), "color_as_depth.png"); });
        QVERIFY2(msg.find("color_as_depth.png") != std::string::npos && msg.find("16-bit") != std::string::npos,
                 msg.c_str());
        std::vector<uint8_t> half(png.begin(), png.begin() + png.size() / 2);
        msg = errorOf([&] { decodePngRGB(half.data(), half.size(), "half.png"); });
        QVERIFY2(msg.find("half.png") != std::string::npos, msg.c_str());
        msg = errorOf([&] { decodePng16(png.data(), 5, "tiny.png"); });
        QVERIFY2(msg.find("tiny.png") != std::string::npos, msg.c_str());
        // readColorImage goes by content: a PNG named .jpg still reads.
        std::string file = path("actually_png.jpg");
        writeVector(file, png);
        QVERIFY(readColorImage(file).pixels == img.pixels);
        QVERIFY(errorOf([&] { writeColorImage(path("x.bmp"), img); }).find("x.bmp") != std::string::npos);
        ImageDepth16 broken;
        broken.width = 4;
        broken.height = 4;  // but no pixels
        msg = errorOf([&] { writeDepthImage(path("broken.png"), broken); });
        QVERIFY2(msg.find("broken.png") != std::string::npos, msg.c_str());
        QVERIFY(!fileExists(path("broken.png")));
    }

    // ---- exported folders ----

    void exportedRoundTrip() {
        std::string dir = path("export_rt");
        Intrinsics kc{57.5, 58.25, 31.75, 23.5, kColorW, kColorH}, kd{28.75, 29.125, 15.5, 11.75, kDepthW, kDepthH};
        writeExportedIntrinsics(dir, kc, kd, Mat4(), rotationZ(0.0, {0.025, 0, 0}));
        for (int i = 0; i < 4; ++i)
            writeExportedFrame(dir, i, i == 2 ? invalidPose() : poseFor(i), drawColor(kColorW, kColorH, i),
                               depthRamp(kDepthW, kDepthH, i));
        for (const char* f : {"color/0.jpg", "color/3.jpg", "depth/3.png", "pose/3.txt", "intrinsic/intrinsic_color.txt",
                              "intrinsic/intrinsic_depth.txt", "intrinsic/extrinsic_color.txt",
                              "intrinsic/extrinsic_depth.txt"})
            QVERIFY2(fileExists(joinPath(dir, f)), f);
        QVERIFY(nearlyEqual(readMatrix4File(joinPath(dir, "intrinsic/extrinsic_depth.txt")),
                            rotationZ(0.0, {0.025, 0, 0}), 1e-9));

        ExportedLayout layout;
        QVERIFY(findExportedLayout(dir, layout));
        QCOMPARE(layout.poseDir, joinPath(dir, "pose"));
        ExportedFrameSource src(layout);
        QCOMPARE(src.numFrames(), size_t(4));
        QCOMPARE(src.colorIntrinsics().fx, 57.5);
        QCOMPARE(src.colorIntrinsics().cy, 23.5);
        QCOMPARE(src.colorIntrinsics().width, kColorW);   // from color/0.jpg's header
        QCOMPARE(src.colorIntrinsics().height, kColorH);
        QCOMPARE(src.depthIntrinsics().fy, 29.125);
        QCOMPARE(src.depthIntrinsics().width, kDepthW);   // from depth/0.png's header
        QCOMPARE(src.depthIntrinsics().height, kDepthH);
        QCOMPARE(src.numValidPoses(), size_t(3));
        QVERIFY(!src.pose(2).valid);
        for (int i = 0; i < 4; ++i) {
            if (i != 2) QVERIFY(nearlyEqual(src.pose(i).cameraToWorld, poseFor(i), 1e-6));
            QVERIFY(src.depth(i).pixels == depthRamp(kDepthW, kDepthH, i).pixels);
            QVERIFY(meanAbsDiff(src.color(i), drawColor(kColorW, kColorH, i)) < 3.0);
        }
        QVERIFY(errorOf([&] { src.color(4); }).find("out of range") != std::string::npos);
    }

    // .sens -> reader.py folder, the way `inst3d` exports a scan.
    void sensToExported() {
        std::string file = path("convert.sens");
        writeSens(file, 3, 1);
        SensFrameSource sens(file);
        std::string dir = path("converted");
        writeExportedIntrinsics(dir, sens.colorIntrinsics(), sens.depthIntrinsics());
        for (size_t i = 0; i < sens.numFrames(); ++i)
            writeExportedFrame(dir, i, sens.pose(i).cameraToWorld, sens.color(i), sens.depth(i));
        ExportedLayout layout;
        QVERIFY(findExportedLayout(dir, layout));
        ExportedFrameSource exp(layout);
        QCOMPARE(exp.numFrames(), sens.numFrames());
        QVERIFY(!exp.pose(1).valid);
        QCOMPARE(exp.depthIntrinsics().cx, sens.depthIntrinsics().cx);
        for (size_t i = 0; i < 3; ++i) QVERIFY(exp.depth(i).pixels == sens.depth(i).pixels);
    }

    void exportedMissingFiles() {
        std::string dir = path("export_missing");
        writeExportedIntrinsics(dir, Intrinsics{50, 50, 32, 24, kColorW, kColorH},
                                Intrinsics{25, 25, 16, 12, kDepthW, kDepthH});
        for (int i = 0; i < 4; ++i)
            writeExportedFrame(dir, i, poseFor(i), drawColor(kColorW, kColorH, i), depthRamp(kDepthW, kDepthH, i));
        fs::remove(joinPath(dir, "depth/1.png"));
        fs::remove(joinPath(dir, "color/2.jpg"));
        ExportedLayout layout;
        QVERIFY(findExportedLayout(dir, layout));
        ExportedFrameSource src(layout);
        QCOMPARE(src.numFrames(), size_t(4));
        std::string msg = errorOf([&] { src.depth(1); });
        QVERIFY2(msg.find("depth/1.png") != std::string::npos, msg.c_str());
        QVERIFY(meanAbsDiff(src.color(1), drawColor(kColorW, kColorH, 1)) < 3.0);
        msg = errorOf([&] { src.color(2); });
        QVERIFY2(msg.find("color/2.jpg") != std::string::npos, msg.c_str());

        // A gap in the pose files ends the sequence.
        fs::remove(joinPath(dir, "pose/3.txt"));
        QCOMPARE(ExportedFrameSource(layout).numFrames(), size_t(3));
        // Only the color intrinsics: depth's are derived by rescaling to the depth image size.
        fs::remove(joinPath(dir, "intrinsic/intrinsic_depth.txt"));
        Intrinsics kd = ExportedFrameSource(layout).depthIntrinsics();
        QCOMPARE(kd.width, kDepthW);
        QCOMPARE(kd.fx, 25.0);
        // No intrinsics at all.
        fs::remove(joinPath(dir, "intrinsic/intrinsic_color.txt"));
        msg = errorOf([&] { ExportedFrameSource s(layout); });
        QVERIFY2(msg.find("intrinsic_depth.txt") != std::string::npos, msg.c_str());
        // Zero-padded ids are a different layout, said so.
        std::string padded = path("export_padded");
        makeDirectories(joinPath(padded, "pose"));
        makeDirectories(joinPath(padded, "color"));
        makeDirectories(joinPath(padded, "depth"));
        writeMatrix4File(joinPath(padded, "pose/000000.txt"), Mat4());
        QVERIFY(findExportedLayout(padded, layout));
        msg = errorOf([&] { ExportedFrameSource s(layout); });
        QVERIFY2(msg.find("zero-padded") != std::string::npos, msg.c_str());
    }

    void exportedLayouts() {
        std::string src = path("layout_src");
        writeExportedIntrinsics(src, Intrinsics{50, 50, 32, 24, kColorW, kColorH},
                                Intrinsics{25, 25, 16, 12, kDepthW, kDepthH});
        for (int i = 0; i < 2; ++i)
            writeExportedFrame(src, i, poseFor(i), drawColor(kColorW, kColorH, i), depthRamp(kDepthW, kDepthH, i));

        // OpenMask3D: <scene>/data/{pose,intrinsic}, <scene>/data_compressed/{color,depth}.
        std::string scene = path("scene0011_00");
        makeDirectories(joinPath(scene, "data"));
        makeDirectories(joinPath(scene, "data_compressed"));
        fs::copy(joinPath(src, "pose"), joinPath(scene, "data/pose"));
        fs::copy(joinPath(src, "intrinsic"), joinPath(scene, "data/intrinsic"));
        fs::copy(joinPath(src, "color"), joinPath(scene, "data_compressed/color"));
        fs::copy(joinPath(src, "depth"), joinPath(scene, "data_compressed/depth"));
        ExportedLayout layout;
        QVERIFY(findExportedLayout(scene, layout));
        QCOMPARE(layout.colorDir, joinPath(scene, "data_compressed/color"));
        QCOMPARE(layout.depthDir, joinPath(scene, "data_compressed/depth"));
        QCOMPARE(layout.poseDir, joinPath(scene, "data/pose"));
        QCOMPARE(layout.intrinsicDir, joinPath(scene, "data/intrinsic"));
        ExportedFrameSource om(layout);
        QCOMPARE(om.numFrames(), size_t(2));
        QVERIFY(om.depth(1).pixels == depthRamp(kDepthW, kDepthH, 1).pixels);

        // <scene>/frames/ and <scene>/exported/.
        for (const char* sub : {"frames", "exported"}) {
            std::string s = path(std::string("scene_") + sub);
            makeDirectories(s);
            fs::copy(src, joinPath(s, sub), fs::copy_options::recursive);
            QVERIFY(findExportedLayout(s, layout));
            QCOMPARE(layout.poseDir, joinPath(joinPath(s, sub), "pose"));
            QCOMPARE(ExportedFrameSource(layout).numFrames(), size_t(2));
        }

        // Nothing there.
        std::string none = path("no_frames");
        makeDirectories(joinPath(none, "pose"));  // pose alone is not a layout
        QVERIFY(!findExportedLayout(none, layout));
        QVERIFY(!findExportedLayout(path("missing_dir"), layout));
    }
};

QTEST_GUILESS_MAIN(TestFramesIO)
#include "test_frames_io.moc"
