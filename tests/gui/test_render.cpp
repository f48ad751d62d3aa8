// render/ without widgets (colors, poly data, offscreen screenshots) and the `view` verb as a user
// runs it: screenshot, bad flags, and the headless fallback when there is no display.
#include <QImage>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <set>

#include <vtkCellArray.h>
#include <vtkPointData.h>
#include <vtkPolyData.h>

#include "core/common/error.h"
#include "core/io/ply.h"
#include "gui_scenes.h"
#include "render/color_mode.h"
#include "render/scene_colors.h"
#include "render/scene_polydata.h"
#include "render/screenshot.h"
#include "support/test_support.h"

using namespace inst3d;
using namespace inst3d::test;

namespace {

// Unsets DISPLAY/WAYLAND_DISPLAY for one scope; child processes inherit the change.
class NoDisplay {
public:
    NoDisplay() : x_(qgetenv("DISPLAY")), w_(qgetenv("WAYLAND_DISPLAY")) {
        qunsetenv("DISPLAY");
        qunsetenv("WAYLAND_DISPLAY");
    }
    ~NoDisplay() {
        if (!x_.isEmpty()) qputenv("DISPLAY", x_);
        if (!w_.isEmpty()) qputenv("WAYLAND_DISPLAY", w_);
    }

private:
    QByteArray x_, w_;
};

}  // namespace

class TestRender : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void colorModeNames();
    void instanceColorsAreDistinctAndStable();
    void vertexColorsByMode();
    void polyDataUsesAlignedCoordinates();
    void pointCloudPolyDataHasVertexCells();
    void screenshotShowsTheBoxes();
    void viewVerbWritesScreenshot();
    void viewVerbRejectsBadFlags();
    void viewVerbWithoutDisplayPrintsSummary();

private:
    QTemporaryDir tmp_;
    QString plyPath_;
};

void TestRender::initTestCase() {
    QVERIFY(tmp_.isValid());
    plyPath_ = tmp_.filePath("boxes.ply");
    writePly(plyPath_.toStdString(), makeBoxesScene()->mesh);
}

void TestRender::colorModeNames() {
    for (ColorMode m : allColorModes()) QCOMPARE(colorModeFromString(toString(m)), m);
    QCOMPARE(colorModeFromString("instances"), ColorMode::Instances);
    try {
        colorModeFromString("semantic-ish");
        QFAIL("expected an error");
    } catch (const Error& e) {
        QVERIFY2(QString(e.what()).contains("rgb, instances"), e.what());
    }
}

void TestRender::instanceColorsAreDistinctAndStable() {
    std::set<std::array<uint8_t, 3>> seen;
    for (int id = 0; id < 64; ++id) {
        Rgb8 c = instanceColor(id);
        QCOMPARE(instanceColor(id), c);  // deterministic
        seen.insert(c);
        int hi = std::max({c[0], c[1], c[2]}), lo = std::min({c[0], c[1], c[2]});
        QVERIFY2(hi - lo > 60, "instance colors must not look gray (unassigned)");
    }
    QCOMPARE(int(seen.size()), 64);
    // Neighbouring ids, the common case in one scene, are far apart.
    for (int id = 0; id < 40; ++id) {
        Rgb8 a = instanceColor(id), b = instanceColor(id + 1);
        int d = std::abs(a[0] - b[0]) + std::abs(a[1] - b[1]) + std::abs(a[2] - b[2]);
        QVERIFY2(d > 120, qPrintable(QString("ids %1 and %2 too close").arg(id).arg(id + 1)));
    }
}

void TestRender::vertexColorsByMode() {
    auto scene = makeBoxesScene();
    std::vector<uint8_t> rgb = vertexColors(*scene, ColorMode::Rgb);
    QCOMPARE(rgb.size(), scene->mesh.numVertices() * 3);
    QCOMPARE(int(rgb[0]), kFloor.red());       // floor vertex 0
    QCOMPARE(int(rgb[3 * 4]), kRed.red());     // first vertex of box 1
    scene->instances[1].vertices.push_back(9999);  // stale index: ignored, not a crash
    std::vector<uint8_t> inst = vertexColors(*scene, ColorMode::Instances);
    for (int c = 0; c < 3; ++c) QCOMPARE(inst[c], kUnassignedColor[c]);
    for (int c = 0; c < 3; ++c) QCOMPARE(inst[3 * 12 + c], instanceColor(2)[c]);  // box 2 starts at vertex 12
    scene->mesh.rgba.clear();
    std::vector<uint8_t> none = vertexColors(*scene, ColorMode::Rgb);
    QCOMPARE(none[0], kNoColorGray[0]);
}

void TestRender::polyDataUsesAlignedCoordinates() {
    auto scene = makeBoxesScene();
    scene->axisAlignment = rotationZ(M_PI / 2, {10, 20, 30});
    auto poly = makeScenePolyData(*scene, vertexColors(*scene, ColorMode::Rgb));
    QCOMPARE(poly->GetNumberOfPoints(), vtkIdType(scene->mesh.numVertices()));
    QCOMPARE(poly->GetNumberOfPolys(), vtkIdType(scene->mesh.numFaces()));
    QCOMPARE(poly->GetNumberOfVerts(), vtkIdType(0));
    for (size_t v : {size_t(0), size_t(7), size_t(27)}) {
        double p[3];
        poly->GetPoint(vtkIdType(v), p);
        Vec3 want = scene->alignedVertex(v);
        QVERIFY(std::abs(p[0] - want.x) < 1e-4 && std::abs(p[1] - want.y) < 1e-4 && std::abs(p[2] - want.z) < 1e-4);
    }
    QVERIFY(poly->GetPointData()->GetNormals());
    QVERIFY(poly->GetPointData()->GetScalars());
    QCOMPARE(poly->GetPointData()->GetScalars()->GetNumberOfComponents(), 3);
    // The floor faces up: its normal must be +Z after alignment too.
    double n[3];
    poly->GetPointData()->GetNormals()->GetTuple(0, n);
    QVERIFY(std::abs(n[2] - 1.0) < 1e-5);
}

void TestRender::pointCloudPolyDataHasVertexCells() {
    auto scene = makePointCloudScene();
    auto poly = makeScenePolyData(*scene, vertexColors(*scene, ColorMode::Rgb));
    QCOMPARE(poly->GetNumberOfVerts(), vtkIdType(scene->mesh.numVertices()));
    QCOMPARE(poly->GetNumberOfPolys(), vtkIdType(0));
    std::vector<uint8_t> gray(scene->mesh.numVertices() * 3, 7);
    setDisplayColors(poly, gray);
    double c[3];
    poly->GetPointData()->GetScalars()->GetTuple(5, c);
    QCOMPARE(c[0], 7.0);
    QVERIFY_THROWS_EXCEPTION(Error, setDisplayColors(poly, std::vector<uint8_t>(3)));
}

void TestRender::screenshotShowsTheBoxes() {
    QString png = tmp_.filePath("shot.png");
    ScreenshotOptions options;
    options.width = 640;
    options.height = 400;
    renderScreenshot(makeBoxesScene(), options, png.toStdString());
    QImage img(png);
    QCOMPARE(img.size(), QSize(640, 400));
    ColorHits red = findColor(img, kRed), green = findColor(img, kGreen), blue = findColor(img, kBlue);
    QVERIFY2(red.count > 200 && green.count > 200 && blue.count > 200,
             qPrintable(QString("%1 %2 %3").arg(red.count).arg(green.count).arg(blue.count)));
    QVERIFY(red.centroid.x() < green.centroid.x() && green.centroid.x() < blue.centroid.x());
    // Parent "folder" is a file: cannot be written. (std::exception: core's writeFileAtomic currently
    // lets std::filesystem_error through instead of inst3d::Error.)
    QVERIFY_THROWS_EXCEPTION(std::exception, renderScreenshot(makeBoxesScene(), options, (plyPath_ + "/x.png").toStdString()));
    QVERIFY_THROWS_EXCEPTION(Error, renderScreenshot(makeBoxesScene(), options, tmp_.filePath("x.bmp").toStdString()));
    // An empty scene still renders: background only.
    ImageRGB8 empty = renderSceneImage(nullptr, options);
    QCOMPARE(empty.width, 640);
    QVERIFY(empty.at(0, 0)[2] > empty.at(0, 399)[2]);  // gradient: lighter at the top
}

void TestRender::viewVerbWritesScreenshot() {
    QString png = tmp_.filePath("cli.png");
    std::string out, err;
    int rc = runInst3d({"view", plyPath_.toStdString(), "--screenshot", png.toStdString(), "--color-mode", "instances",
                        "--size", "480x320"},
                       &out, &err);
    QVERIFY2(rc == 0, err.c_str());
    QImage img(png);
    QCOMPARE(img.size(), QSize(480, 320));
    // A PLY file has no instances: everything is "unassigned" gray, no box colors.
    QCOMPARE(findColor(img, kRed).count, 0);
    QVERIFY(findColor(img, QColor(kUnassignedColor[0], kUnassignedColor[1], kUnassignedColor[2]), 0.02).count > 1000);
}

void TestRender::viewVerbRejectsBadFlags() {
    std::string err;
    QCOMPARE(runInst3d({"view", plyPath_.toStdString(), "--color-mode", "rainbow"}, nullptr, &err), 2);
    QVERIFY2(QString::fromStdString(err).contains("rgb, instances"), err.c_str());
    QCOMPARE(runInst3d({"view", plyPath_.toStdString(), "--size", "big"}, nullptr, &err), 2);
    QVERIFY2(QString::fromStdString(err).contains("WIDTHxHEIGHT"), err.c_str());
    QCOMPARE(runInst3d({"view", tmp_.filePath("missing.ply").toStdString(), "--screenshot", "x.png"}, nullptr, &err), 1);
    QVERIFY2(QString::fromStdString(err).contains("missing.ply"), err.c_str());
}

void TestRender::viewVerbWithoutDisplayPrintsSummary() {
    NoDisplay noDisplay;
    std::string out, err;
    int rc = runInst3d({"view", plyPath_.toStdString()}, &out, &err);
    QVERIFY2(rc == 0, err.c_str());
    QVERIFY2(QString::fromStdString(out).contains("vertices    28"), out.c_str());  // describeScene, as `info` prints
    QVERIFY2(QString::fromStdString(err).contains("needs a display"), err.c_str());
    rc = runInst3d({"view", plyPath_.toStdString(), "--screenshot", tmp_.filePath("no.png").toStdString()}, &out, &err);
    QCOMPARE(rc, 1);
    QVERIFY2(QString::fromStdString(err).contains("xvfb-run"), err.c_str());
    QVERIFY(!QFile::exists(tmp_.filePath("no.png")));
}

QTEST_MAIN(TestRender)
#include "test_render.moc"
