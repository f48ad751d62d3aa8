// The synthetic ScanNet world: files read back with the core readers equal what the generator built,
// rendered depth lies on the mesh, layouts are physically plausible, output is deterministic.
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/common/file_util.h"
#include "core/io/label_map.h"
#include "core/io/ply.h"
#include "core/io/scene_loader.h"
#include "core/io/scene_meta.h"
#include "core/io/sens.h"
#include "core/synth/rasterizer.h"
#include "core/synth/synth.h"

using namespace inst3d;
namespace fs = std::filesystem;

namespace {

// ---- point-to-mesh distance ---------------------------------------------------------------------------

// Closest point on triangle abc to p (Ericson, Real-Time Collision Detection, 5.1.5).
Vec3 closestOnTriangle(const Vec3& p, const Vec3& a, const Vec3& b, const Vec3& c) {
    const Vec3 ab = b - a, ac = c - a, ap = p - a;
    const double d1 = dot(ab, ap), d2 = dot(ac, ap);
    if (d1 <= 0 && d2 <= 0) return a;
    const Vec3 bp = p - b;
    const double d3 = dot(ab, bp), d4 = dot(ac, bp);
    if (d3 >= 0 && d4 <= d3) return b;
    const double vc = d1 * d4 - d3 * d2;
    if (vc <= 0 && d1 >= 0 && d3 <= 0) return a + ab * (d1 / (d1 - d3));
    const Vec3 cp = p - c;
    const double d5 = dot(ab, cp), d6 = dot(ac, cp);
    if (d6 >= 0 && d5 <= d6) return c;
    const double vb = d5 * d2 - d1 * d6;
    if (vb <= 0 && d2 >= 0 && d6 <= 0) return a + ac * (d2 / (d2 - d6));
    const double va = d3 * d6 - d5 * d4;
    if (va <= 0 && (d4 - d3) >= 0 && (d5 - d6) >= 0) return b + (c - b) * ((d4 - d3) / ((d4 - d3) + (d5 - d6)));
    const double denom = 1.0 / (va + vb + vc);
    return a + ab * (vb * denom) + ac * (vc * denom);
}

// Uniform grid over the mesh: each triangle is listed in every cell its box, grown by `reach`,
// touches, so "is p within `reach` of the surface" only needs p's own cell.
class SurfaceGrid {
public:
    SurfaceGrid(const Mesh& mesh, double cell, double reach) : mesh_(mesh), cell_(cell) {
        bounds_ = mesh.bounds();
        bounds_.min = bounds_.min - Vec3(reach, reach, reach);
        bounds_.max = bounds_.max + Vec3(reach, reach, reach);
        for (int a = 0; a < 3; ++a) dims_[a] = std::max(1, static_cast<int>(std::ceil((bounds_.max[a] - bounds_.min[a]) / cell)));
        std::vector<std::pair<size_t, uint32_t>> entries;
        for (size_t f = 0; f < mesh.numFaces(); ++f) {
            AABB box;
            for (int k = 0; k < 3; ++k) box.extend(mesh.vertex(mesh.faces[3 * f + k]));
            int lo[3], hi[3];
            for (int a = 0; a < 3; ++a) {
                lo[a] = cellOf(box.min[a] - reach, a);
                hi[a] = cellOf(box.max[a] + reach, a);
            }
            for (int z = lo[2]; z <= hi[2]; ++z)
                for (int y = lo[1]; y <= hi[1]; ++y)
                    for (int x = lo[0]; x <= hi[0]; ++x) entries.push_back({index(x, y, z), static_cast<uint32_t>(f)});
        }
        std::sort(entries.begin(), entries.end());
        start_.assign(static_cast<size_t>(dims_[0]) * dims_[1] * dims_[2] + 1, 0);
        for (const auto& e : entries) ++start_[e.first + 1];
        for (size_t i = 1; i < start_.size(); ++i) start_[i] += start_[i - 1];
        faces_.reserve(entries.size());
        for (const auto& e : entries) faces_.push_back(e.second);
    }

    // Distance to the nearest triangle listed in p's cell (= the true distance when it is <= reach).
    double distance(const Vec3& p) const {
        int c[3];
        for (int a = 0; a < 3; ++a) {
            c[a] = static_cast<int>(std::floor((p[a] - bounds_.min[a]) / cell_));
            if (c[a] < 0 || c[a] >= dims_[a]) return INFINITY;
        }
        const size_t i = index(c[0], c[1], c[2]);
        double best = INFINITY;
        for (size_t k = start_[i]; k < start_[i + 1]; ++k) {
            const size_t f = faces_[k];
            const Vec3 q = closestOnTriangle(p, mesh_.vertex(mesh_.faces[3 * f]), mesh_.vertex(mesh_.faces[3 * f + 1]),
                                             mesh_.vertex(mesh_.faces[3 * f + 2]));
            best = std::min(best, norm(q - p));
        }
        return best;
    }

private:
    int cellOf(double v, int axis) const {
        int c = static_cast<int>(std::floor((v - bounds_.min[axis]) / cell_));
        return std::clamp(c, 0, dims_[axis] - 1);
    }
    size_t index(int x, int y, int z) const {
        return (static_cast<size_t>(z) * dims_[1] + static_cast<size_t>(y)) * dims_[0] + static_cast<size_t>(x);
    }

    const Mesh& mesh_;
    double cell_;
    AABB bounds_;
    int dims_[3];
    std::vector<size_t> start_;
    std::vector<uint32_t> faces_;
};

// ---- helpers ---------------------------------------------------------------------------------------------

double seconds(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

SynthOptions smallOptions(uint64_t seed) {
    SynthOptions o;
    o.numScenes = 2;
    o.seed = seed;
    o.numFrames = 8;
    o.writeLanguage = false;
    return o;
}

bool near(double a, double b, double tol) { return std::fabs(a - b) <= tol; }

std::string describe(const SynthObject& o) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "#%d %s [%.3f %.3f %.3f]-[%.3f %.3f %.3f]", o.objectId, o.category.c_str(), o.box.min.x,
                  o.box.min.y, o.box.min.z, o.box.max.x, o.box.max.y, o.box.max.z);
    return buf;
}

// Aligned vertex positions and the object of each vertex (through segments and the aggregation).
struct AlignedScene {
    std::vector<Vec3> points;
    std::vector<int> objectOf;
};

AlignedScene alignScene(const SynthScene& s) {
    std::map<int, int> objectOfSegment;
    for (const SegGroup& g : s.aggregation.segGroups)
        for (int seg : g.segments) objectOfSegment[seg] = g.objectId;
    AlignedScene a;
    for (size_t v = 0; v < s.mesh.numVertices(); ++v) {
        a.points.push_back(s.axisAlignment.transformPoint(s.mesh.vertex(v)));
        auto it = objectOfSegment.find(s.segIndices[v]);
        a.objectOf.push_back(it == objectOfSegment.end() ? -1 : it->second);
    }
    return a;
}

std::vector<SynthScene> sampleScenes(uint64_t seed, int count, double roomScale = 1.0, int extraObjects = 0) {
    SynthOptions o;
    o.seed = seed;
    o.numFrames = 0;
    o.roomScale = roomScale;
    o.extraObjects = extraObjects;
    std::vector<SynthScene> scenes;
    for (int i = 0; i < count; ++i) scenes.push_back(generateSynthScene(i, o));
    return scenes;
}

std::vector<std::string> filesUnder(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

class TestSynthWorld : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void filesReadBackAsGenerated();
    void labelTableAndSplits();
    void depthLiesOnTheMesh();
    void sensMatchesExportedFrames();
    void sameSeedSameBytes();
    void coversManyCategories();
    void layoutIsPhysical();
    void heldOutLayoutsAreLargerAndFuller();
    void meshIsWellFormed();
    void axisAlignmentIsRealistic();
    void rasterizerClipsAtNearPlane();

private:
    QTemporaryDir dir_;
    std::string out_;
    SynthOptions options_;
    std::vector<SynthScene> generated_;
};

void TestSynthWorld::initTestCase() {
    QVERIFY(dir_.isValid());
    out_ = dir_.path().toStdString() + "/world";
    options_ = smallOptions(11);
    auto t0 = std::chrono::steady_clock::now();
    int calls = 0;
    writeSynthWorld(out_, options_, [&](double, const std::string&) { ++calls; return true; });
    qInfo("writeSynthWorld: %d scenes x %d frames in %.2f s", options_.numScenes, options_.numFrames, seconds(t0));
    QVERIFY(calls >= 2);
    for (int i = 0; i < options_.numScenes; ++i) generated_.push_back(generateSynthScene(i, options_));
}

void TestSynthWorld::filesReadBackAsGenerated() {
    for (const SynthScene& g : generated_) {
        const std::string sceneDir = out_ + "/scans/" + g.id;
        QCOMPARE(QString::fromStdString(g.id), QString("scene%1_00").arg(&g - generated_.data(), 4, 10, QChar('0')));
        Scene s = loadScene(sceneDir);
        QCOMPARE(s.id, g.id);
        QCOMPARE(s.mesh.xyz, g.mesh.xyz);
        QCOMPARE(s.mesh.rgba, g.mesh.rgba);
        QCOMPARE(s.mesh.faces, g.mesh.faces);
        QCOMPARE(s.segIndices, g.segIndices);
        QCOMPARE(s.semanticLabel, g.nyu40Labels);
        for (int i = 0; i < 16; ++i) QVERIFY(near(s.axisAlignment.m[i], g.axisAlignment.m[i], 1e-9));

        // Ground-truth instances: objectId == index, raw category, aligned boxes as generated.
        QCOMPARE(s.instances.size(), g.objects.size());
        for (size_t i = 0; i < g.objects.size(); ++i) {
            const SynthObject& o = g.objects[i];
            const Instance& inst = s.instances[i];
            QCOMPARE(o.objectId, static_cast<int>(i));
            QCOMPARE(inst.id, o.objectId);
            QCOMPARE(inst.label, o.category);
            QVERIFY2(!inst.vertices.empty(), describe(o).c_str());
            const AABB box = s.alignedBox(inst);
            for (int a = 0; a < 3; ++a) {
                QVERIFY2(near(box.min[a], o.box.min[a], 1e-4), describe(o).c_str());
                QVERIFY2(near(box.max[a], o.box.max[a], 1e-4), describe(o).c_str());
            }
        }
        Aggregation agg = readAggregation(sceneDir + "/" + g.id + ".aggregation.json");
        QCOMPARE(agg.sceneId, "scannet." + g.id);
        QCOMPARE(agg.segmentsFile, "scannet." + g.id + "_vh_clean_2.0.010000.segs.json");

        // Metadata and frames.
        const std::string* type = s.meta.find("sceneType");
        QVERIFY(type && !type->empty());
        QCOMPARE(*s.meta.find("numColorFrames"), std::to_string(options_.numFrames));
        QCOMPARE(*s.meta.find("numIMUmeasurements"), std::string("0"));
        Intrinsics kc, kd;
        QVERIFY(colorIntrinsicsOf(s.meta, "", kc));
        QVERIFY(depthIntrinsicsOf(s.meta, "", kd));
        QCOMPARE(kc.width, options_.colorWidth);
        QCOMPARE(kd.height, options_.depthHeight);
        QVERIFY(kc.fx > kd.fx * 1.5);  // color and depth differ by resolution
        QVERIFY(s.frames);
        QCOMPARE(s.frames->numFrames(), static_cast<size_t>(options_.numFrames));
        QCOMPARE(g.cameraToWorld.size(), static_cast<size_t>(options_.numFrames));
        for (size_t f = 0; f < g.cameraToWorld.size(); ++f) {
            FramePose p = s.frames->pose(f);
            QVERIFY(p.valid);
            for (int i = 0; i < 16; ++i) QVERIFY(near(p.cameraToWorld.m[i], g.cameraToWorld[f].m[i], 1e-5));
        }
        QVERIFY(near(s.frames->depthIntrinsics().fx, kd.fx, 1e-6));
    }
}

void TestSynthWorld::labelTableAndSplits() {
    LabelMap map = LabelMap::read(out_ + "/scannetv2-labels.combined.tsv");
    QCOMPARE(LabelMap::header().size(), size_t(17));
    const std::map<std::string, int> scannet200 = {
        {"wall", 1},      {"chair", 2},  {"floor", 3},     {"table", 4},     {"door", 5},    {"couch", 6},
        {"cabinet", 7},   {"desk", 9},   {"bed", 11},      {"pillow", 13},   {"sink", 14},   {"window", 16},
        {"toilet", 17},   {"bookshelf", 18}, {"monitor", 19}, {"box", 26},   {"lamp", 28},   {"nightstand", 34},
        {"plant", 40},    {"trash can", 56}};
    for (const auto& kv : scannet200) QCOMPARE(map.scannet200Id(kv.first), kv.second);
    for (const SynthScene& g : generated_) {
        std::map<int, int> objectOfSegment;
        for (const SegGroup& grp : g.aggregation.segGroups)
            for (int seg : grp.segments) objectOfSegment[seg] = grp.objectId;
        for (size_t v = 0; v < g.mesh.numVertices(); ++v) {
            const SynthObject& o = g.objects[static_cast<size_t>(objectOfSegment.at(g.segIndices[v]))];
            QVERIFY(map.byRaw(o.category) != nullptr);
            if (g.nyu40Labels[v] != map.nyu40Id(o.category))
                QFAIL(("vertex label differs from the tsv's nyu40 id for " + o.category).c_str());
        }
    }
    // Splits: every scene exactly once; with two scenes one train and one val.
    std::map<std::string, std::string> splitOf;
    for (const char* name : {"train", "val", "test"})
        for (const std::string& id : splitWhitespace(readTextFile(out_ + "/splits/scannetv2_" + name + ".txt"))) {
            QVERIFY2(!splitOf.count(id), id.c_str());
            splitOf[id] = name;
        }
    QCOMPARE(splitOf.size(), generated_.size());
    std::set<std::string> used;
    for (const auto& kv : splitOf) used.insert(kv.second);
    QVERIFY(used.count("train") && used.count("val"));
}

void TestSynthWorld::depthLiesOnTheMesh() {
    auto t0 = std::chrono::steady_clock::now();
    size_t valid = 0, total = 0, close = 0;
    double worst = 0;
    for (const SynthScene& g : generated_) {
        Scene s = loadScene(out_ + "/scans/" + g.id);
        SurfaceGrid grid(s.mesh, 0.05, 0.011);
        const Intrinsics k = s.frames->depthIntrinsics();
        const double shift = s.frames->depthShift();
        for (size_t f = 0; f < s.frames->numFrames(); ++f) {
            const ImageDepth16 depth = s.frames->depth(f);
            const Mat4 pose = s.frames->pose(f).cameraToWorld;
            QCOMPARE(depth.width, k.width);
            size_t frameValid = 0;
            for (int y = 0; y < depth.height; ++y)
                for (int x = 0; x < depth.width; ++x) {
                    ++total;
                    const uint16_t d = depth.at(x, y);
                    if (d == 0) continue;
                    ++valid;
                    ++frameValid;
                    const double z = d / shift;
                    const Vec3 cam{(x - k.cx) * z / k.fx, (y - k.cy) * z / k.fy, z};
                    const double dist = grid.distance(pose.transformPoint(cam));
                    if (dist <= 0.01) ++close;
                    worst = std::max(worst, std::isfinite(dist) ? dist : 1e9);
                }
            QVERIFY2(frameValid > static_cast<size_t>(depth.width * depth.height) / 2, "frame mostly without depth");
        }
    }
    const double fraction = static_cast<double>(close) / static_cast<double>(valid);
    qInfo("depth: %zu of %zu pixels valid, %.5f within 1 cm of the mesh (worst %.4f m), %.1f s", valid, total, fraction,
          worst, seconds(t0));
    QVERIFY(valid > total * 0.8);
    QVERIFY(fraction >= 0.99);
}

void TestSynthWorld::sensMatchesExportedFrames() {
    const SynthScene& g = generated_.front();
    const std::string sceneDir = out_ + "/scans/" + g.id;
    SensFrameSource sens(sceneDir + "/" + g.id + ".sens");
    Scene s = loadScene(sceneDir);  // prefers the exported folder
    QCOMPARE(sens.numFrames(), s.frames->numFrames());
    QCOMPARE(sens.colorIntrinsics().width, options_.colorWidth);
    const MeshRasterizer raster(g.mesh);
    for (size_t f = 0; f < sens.numFrames(); f += 3) {
        const ImageDepth16 a = sens.depth(f), b = s.frames->depth(f);
        QCOMPARE(a.pixels, b.pixels);
        // Lossless depth: exactly what the rasterizer produces for that pose.
        QCOMPARE(raster.depth(g.cameraToWorld[f], sens.depthIntrinsics()).pixels, a.pixels);
        const ImageRGB8 color = sens.color(f);
        QCOMPARE(color.width, options_.colorWidth);
        double mean = 0;
        for (uint8_t v : color.pixels) mean += v;
        mean /= static_cast<double>(color.pixels.size());
        QVERIFY2(mean > 40, "color frame is (nearly) black");
        for (int i = 0; i < 16; ++i) QVERIFY(near(sens.pose(f).cameraToWorld.m[i], g.cameraToWorld[f].m[i], 1e-5));
    }
}

void TestSynthWorld::sameSeedSameBytes() {
    QTemporaryDir tmp;
    SynthOptions o = smallOptions(5);
    o.numFrames = 2;
    const std::string a = tmp.path().toStdString() + "/a", b = tmp.path().toStdString() + "/b",
                      c = tmp.path().toStdString() + "/c";
    writeSynthWorld(a, o);
    writeSynthWorld(b, o);
    o.seed = 6;
    writeSynthWorld(c, o);
    const std::vector<std::string> files = filesUnder(a);
    QCOMPARE(files, filesUnder(b));
    QVERIFY(files.size() > 20);
    for (const std::string& f : files)
        QVERIFY2(readBinaryFile(a + "/" + f) == readBinaryFile(b + "/" + f), f.c_str());
    const std::string mesh = "scans/scene0000_00/scene0000_00_vh_clean_2.ply";
    QVERIFY(readBinaryFile(a + "/" + mesh) != readBinaryFile(c + "/" + mesh));
}

void TestSynthWorld::coversManyCategories() {
    std::set<std::string> furniture;
    const std::vector<SynthScene> scenes = sampleScenes(0, 6);
    for (const SynthScene& s : scenes) {
        std::map<std::string, int> count;
        int nonStructural = 0;
        for (const SynthObject& o : s.objects) {
            if (o.structural) continue;
            furniture.insert(o.category);
            ++count[o.category];
            ++nonStructural;
        }
        int repeated = 0;
        for (const auto& kv : count) repeated += kv.second > 1;
        qInfo("%s: %zu objects, %d repeated categories, %zu vertices", s.id.c_str(), s.objects.size(), repeated,
              s.mesh.numVertices());
        QVERIFY2(s.objects.size() >= 12 && s.objects.size() <= 30, s.id.c_str());
        QVERIFY2(nonStructural >= 5, s.id.c_str());
        QVERIFY2(repeated >= 1, s.id.c_str());
    }
    std::string list;
    for (const auto& c : furniture) list += c + ", ";
    qInfo("furniture categories (%zu): %s", furniture.size(), list.c_str());
    QVERIFY(furniture.size() >= 15);
}

// synth.room_scale and synth.extra_objects: rooms larger and fuller than a training world's, while the
// defaults still draw the very same scenes.
void TestSynthWorld::heldOutLayoutsAreLargerAndFuller() {
    const int n = 6;
    const std::vector<SynthScene> usual = sampleScenes(3, n), again = sampleScenes(3, n, 1.0, 0), bigger = sampleScenes(3, n, 1.5, 15);
    double usualArea = 0, biggerArea = 0, usualObjects = 0, biggerObjects = 0;
    for (int i = 0; i < n; ++i) {
        QCOMPARE(again[i].mesh.xyz, usual[i].mesh.xyz);
        usualArea += usual[i].room.width * usual[i].room.depth;
        biggerArea += bigger[i].room.width * bigger[i].room.depth;
        usualObjects += double(usual[i].objects.size());
        biggerObjects += double(bigger[i].objects.size());
    }
    qInfo("room area %.1f -> %.1f m2, objects %.1f -> %.1f per scene", usualArea / n, biggerArea / n, usualObjects / n,
          biggerObjects / n);
    QVERIFY(biggerArea > 2.0 * usualArea);  // 1.5^2 = 2.25
    QVERIFY(biggerObjects > usualObjects + 8 * n);
}

void TestSynthWorld::layoutIsPhysical() {
    std::vector<SynthScene> scenes = sampleScenes(0, 5), more = sampleScenes(1, 5), heldOut = sampleScenes(2, 4, 1.4, 12);
    scenes.insert(scenes.end(), more.begin(), more.end());
    scenes.insert(scenes.end(), heldOut.begin(), heldOut.end());  // the held-out layouts are as physical
    {
        for (const SynthScene& s : scenes) {
            const SynthRoom& room = s.room;
            const AlignedScene aligned = alignScene(s);
            for (const SynthObject& o : s.objects) {
                const std::string what = s.id + " " + describe(o);
                const double yaw = o.yawDegrees;
                QVERIFY2(yaw == 0 || yaw == 90 || yaw == 180 || yaw == 270, what.c_str());
                QVERIFY2(!o.colorName.empty(), what.c_str());
                // Inside the room (structure may reach into the wall thickness).
                const double slack = o.structural ? 0.2 : 1e-6;
                QVERIFY2(o.box.min.x >= -slack && o.box.min.y >= -slack && o.box.min.z >= -0.03, what.c_str());
                QVERIFY2(o.box.max.x <= room.width + slack && o.box.max.y <= room.depth + slack &&
                             o.box.max.z <= room.height + 1e-6,
                         what.c_str());
                if (o.structural) continue;
                if (o.supportId < 0) {
                    QVERIFY2(near(o.box.min.z, 0, 1e-6), what.c_str());  // stands on the floor
                    continue;
                }
                // Rests on its support: footprint inside the support's, bottom on the support's surface.
                const SynthObject& sup = s.objects[static_cast<size_t>(o.supportId)];
                QVERIFY2(o.box.min.x >= sup.box.min.x - 1e-6 && o.box.max.x <= sup.box.max.x + 1e-6 &&
                             o.box.min.y >= sup.box.min.y - 1e-6 && o.box.max.y <= sup.box.max.y + 1e-6,
                         (what + " overhangs " + describe(sup)).c_str());
                // A couch holds its cushions on the seat, below its back: everything else on its top.
                if (sup.category != "couch")
                    QVERIFY2(near(o.box.min.z, sup.box.max.z, 0.01), (what + " not on " + describe(sup)).c_str());
                double highest = -INFINITY;
                for (size_t v = 0; v < aligned.points.size(); ++v) {
                    const Vec3& p = aligned.points[v];
                    if (aligned.objectOf[v] != sup.objectId) continue;
                    if (p.x > o.box.min.x + 1e-3 && p.x < o.box.max.x - 1e-3 && p.y > o.box.min.y + 1e-3 &&
                        p.y < o.box.max.y - 1e-3)
                        highest = std::max(highest, p.z);
                }
                QVERIFY2(near(highest, o.box.min.z, 0.01), (what + " floats above / sinks into " + describe(sup)).c_str());
            }
            // No interpenetration between furniture, except an object with its support.
            for (const SynthObject& a : s.objects)
                for (const SynthObject& b : s.objects) {
                    if (a.objectId >= b.objectId || a.structural || b.structural) continue;
                    if (a.supportId == b.objectId || b.supportId == a.objectId) continue;
                    bool overlap = true;
                    for (int ax = 0; ax < 3; ++ax)
                        overlap &= std::min(a.box.max[ax], b.box.max[ax]) - std::max(a.box.min[ax], b.box.min[ax]) > 1e-4;
                    QVERIFY2(!overlap, (s.id + " " + describe(a) + " intersects " + describe(b)).c_str());
                }
        }
    }
}

void TestSynthWorld::meshIsWellFormed() {
    const std::vector<SynthScene> scenes = sampleScenes(3, 4);
    const double spacing = SynthOptions().vertexSpacing;
    for (const SynthScene& s : scenes) {
        const size_t nv = s.mesh.numVertices();
        QVERIFY2(nv >= 20000 && nv <= 150000, (s.id + ": " + std::to_string(nv) + " vertices").c_str());
        QCOMPARE(s.mesh.rgba.size(), nv * 4);
        QCOMPARE(s.segIndices.size(), nv);
        QCOMPARE(s.nyu40Labels.size(), nv);
        double longest = 0;
        for (size_t f = 0; f < s.mesh.numFaces(); ++f)
            for (int k = 0; k < 3; ++k) {
                const uint32_t i = s.mesh.faces[3 * f + k], j = s.mesh.faces[3 * f + (k + 1) % 3];
                QVERIFY(i < nv && j < nv);
                longest = std::max(longest, norm(s.mesh.vertex(i) - s.mesh.vertex(j)));
            }
        QVERIFY2(longest <= spacing + 1e-5, (s.id + ": edge " + std::to_string(longest)).c_str());

        // Aggregation: id == objectId == index; every segment belongs to exactly one object.
        std::map<int, int> objectOfSegment;
        QCOMPARE(s.aggregation.segGroups.size(), s.objects.size());
        for (size_t i = 0; i < s.aggregation.segGroups.size(); ++i) {
            const SegGroup& g = s.aggregation.segGroups[i];
            QCOMPARE(g.id, static_cast<int>(i));
            QCOMPARE(g.objectId, static_cast<int>(i));
            QCOMPARE(g.label, s.objects[i].category);
            for (int seg : g.segments) {
                QVERIFY(seg >= 0);
                QVERIFY2(objectOfSegment.emplace(seg, g.objectId).second, "segment in two objects");
            }
        }
        // Colors: alpha 255; the main palette color holds most vertices and the mean maps back to it.
        std::vector<std::map<std::string, int>> votes(s.objects.size());
        std::vector<std::array<double, 4>> sums(s.objects.size(), {0, 0, 0, 0});
        for (size_t v = 0; v < nv; ++v) {
            QVERIFY(objectOfSegment.count(s.segIndices[v]));
            const size_t o = static_cast<size_t>(objectOfSegment[s.segIndices[v]]);
            const uint8_t* c = &s.mesh.rgba[4 * v];
            QCOMPARE(c[3], uint8_t(255));
            ++votes[o][nearestPaletteColor(c[0], c[1], c[2]).name];
            for (int k = 0; k < 3; ++k) sums[o][k] += c[k];
            sums[o][3] += 1;
        }
        for (size_t o = 0; o < s.objects.size(); ++o) {
            const std::string what = s.id + " " + describe(s.objects[o]) + " " + s.objects[o].colorName;
            QVERIFY2(votes[o][s.objects[o].colorName] * 2 > sums[o][3], what.c_str());
            const PaletteColor& mean = nearestPaletteColor(sums[o][0] / sums[o][3], sums[o][1] / sums[o][3], sums[o][2] / sums[o][3]);
            QVERIFY2(mean.name == s.objects[o].colorName, (what + " mean is " + mean.name).c_str());
        }
    }
}

void TestSynthWorld::axisAlignmentIsRealistic() {
    for (const SynthScene& s : sampleScenes(2, 4)) {
        const Mat4& a = s.axisAlignment;
        QVERIFY(!a.isIdentity(1e-3));
        const double theta = std::atan2(a(1, 0), a(0, 0));
        QVERIFY2(std::fabs(std::sin(2 * theta)) > 0.1, "rotation is a multiple of 90 degrees");
        QVERIFY(std::hypot(a(0, 3), a(1, 3)) > 0.5);
        // Walls: thin along one horizontal axis in aligned coordinates, not in raw coordinates.
        const AlignedScene aligned = alignScene(s);
        int walls = 0;
        for (const SynthObject& o : s.objects) {
            if (o.category != "wall") continue;
            ++walls;
            const Vec3 size = o.box.size();
            QVERIFY(std::min(size.x, size.y) <= 0.2);
            QVERIFY(std::max(size.x, size.y) >= 2.5);
            AABB raw;
            for (size_t v = 0; v < aligned.points.size(); ++v)
                if (aligned.objectOf[v] == o.objectId) raw.extend(s.mesh.vertex(v));
            QVERIFY2(std::min(raw.size().x, raw.size().y) > 0.3, "raw coordinates look axis-aligned");
        }
        QCOMPARE(walls, 4);
        // The floor is at z = 0 in aligned coordinates.
        for (const SynthObject& o : s.objects)
            if (o.category == "floor") QVERIFY(near(o.box.max.z, 0, 1e-9));
    }
}

// A floor quad 1 m below the camera reaching 10 m behind and ahead: its triangles cross the near
// plane, and every pixel's depth must still be exactly the analytic ray-plane intersection.
void TestSynthWorld::rasterizerClipsAtNearPlane() {
    Mesh quad;
    quad.xyz = {-10, 1, -10, 10, 1, -10, 10, 1, 10, -10, 1, 10};
    quad.rgba = {200, 30, 30, 255, 200, 30, 30, 255, 200, 30, 30, 255, 200, 30, 30, 255};
    quad.faces = {0, 1, 2, 0, 2, 3};  // normals toward the camera (-y in OpenCV camera coordinates)
    Intrinsics k;
    k.width = 160;
    k.height = 120;
    k.fx = k.fy = 144;
    k.cx = 79.5;
    k.cy = 59.5;
    const MeshRasterizer raster(quad);
    const ImageDepth16 depth = raster.depth(Mat4::identity(), k);
    const ImageRGB8 color = raster.color(Mat4::identity(), k);
    int hits = 0;
    for (int y = 0; y < k.height; ++y)
        for (int x = 0; x < k.width; ++x) {
            const double dy = (y - k.cy) / k.fy, dx = (x - k.cx) / k.fx;
            // Ray (dx, dy, 1) * z meets y = 1 at z = 1 / dy, inside the quad while |x| and z <= 10.
            const bool hit = dy > 0 && 1 / dy <= 10 && std::fabs(dx / dy) <= 10;
            const double expected = hit ? 1000.0 / dy : 0;
            if (std::fabs(1 / std::max(dy, 1e-9) - 10) < 0.05) continue;  // the far edge itself
            QVERIFY2(std::fabs(depth.at(x, y) - expected) <= 0.5 + 1e-6,
                     (std::to_string(x) + "," + std::to_string(y) + ": " + std::to_string(depth.at(x, y)) + " vs " +
                      std::to_string(expected))
                         .c_str());
            QCOMPARE(color.at(x, y)[0] > 100, hit);
            hits += hit;
        }
    QVERIFY(hits > k.width * k.height / 3);
}

QTEST_GUILESS_MAIN(TestSynthWorld)
#include "test_synth_world.moc"
