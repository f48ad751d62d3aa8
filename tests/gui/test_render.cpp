// render/ without widgets (colors, poly data, offscreen screenshots) and the `view` verb as a user
// runs it: screenshot, bad flags, and the headless fallback when there is no display.
#include <QImage>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <algorithm>
#include <set>

#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkPolyData.h>

#include "core/common/error.h"
#include "core/io/ply.h"
#include "gui_scenes.h"
#include "render/camera_text.h"
#include "render/color_mode.h"
#include "render/scene_colors.h"
#include "render/lod_budget.h"
#include "render/scene_lod.h"
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
    void lodSampleIsEvenAndDeterministic();
    void lodBudgetFollowsFrameTimes();
    void screenshotShowsTheBoxes();
    void proposalsAndSemanticColors();
    void everyColorModeDrawsItsOwnImage();
    void cameraTextRoundTrips();
    void groundingTintsNamedObjectsAndDimsTheRest();
    void viewVerbSelectAndCameraChangePixels();
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

void TestRender::lodSampleIsEvenAndDeterministic() {
    std::vector<uint32_t> ids = lodSample(1000000, 40000);
    QCOMPARE(ids.size(), size_t(40000));
    QVERIFY(std::is_sorted(ids.begin(), ids.end()));
    QVERIFY(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
    QVERIFY(ids.front() < 25 && ids.back() >= 1000000 - 25 && ids.back() < 1000000);  // one per run of 25
    QCOMPARE(lodSample(1000000, 40000), ids);
    // Not a plain stride: offsets inside the runs vary.
    std::set<uint32_t> offsets;
    for (size_t k = 0; k < 100; ++k) offsets.insert(ids[k] - uint32_t(k * 25));
    QVERIFY(offsets.size() > 10);
    QCOMPARE(lodSample(10, 40000).size(), size_t(10));
    QVERIFY(lodSample(10, 0).empty());
    // The sample's poly data: the chosen points, one vertex cell each, their colors.
    auto scene = makePointCloudScene();
    auto full = makeScenePolyData(*scene, vertexColors(*scene, ColorMode::Rgb));
    std::vector<uint32_t> few = lodSample(scene->mesh.numVertices(), 100);
    auto lod = makeLodPolyData(full, few);
    QCOMPARE(lod->GetNumberOfPoints(), vtkIdType(100));
    QCOMPARE(lod->GetNumberOfVerts(), vtkIdType(100));
    double a[3], b[3];
    lod->GetPoint(7, a);
    full->GetPoint(few[7], b);
    QCOMPARE(a[0], b[0]);
    double c[3];
    lod->GetPointData()->GetScalars()->GetTuple(7, c);
    QCOMPARE(c[0], 240.0);
}

void TestRender::lodBudgetFollowsFrameTimes() {
    LodBudgetController c(40000);  // target 1/24 s; decisions on the median of 5 intervals
    for (int i = 0; i < 4; ++i) QVERIFY(!c.addFrameInterval(0.080));
    QVERIFY(c.addFrameInterval(0.010));  // median 80 ms: too slow, a quarter fewer points
    QCOMPARE(c.budget(), size_t(30000));
    for (double t : {0.050, 0.049, 0.051, 0.047, 0.060}) c.addFrameInterval(t);  // 50 ms > 1.15 x 41.7
    QCOMPARE(c.budget(), size_t(22500));
    for (double t : {0.040, 0.042, 0.038, 0.041, 0.043}) c.addFrameInterval(t);  // on target: unchanged
    QCOMPARE(c.budget(), size_t(22500));
    for (int i = 0; i < 5; ++i) c.addFrameInterval(0.015);  // fast (a GPU): more points
    QCOMPARE(c.budget(), size_t(28125));
    // Pauses in the drag are not frame times; a new drag drops a half-filled window.
    for (int i = 0; i < 20; ++i) QVERIFY(!c.addFrameInterval(1.5));
    for (int i = 0; i < 4; ++i) c.addFrameInterval(0.200);
    c.startNewDrag();
    c.addFrameInterval(0.200);
    QCOMPARE(c.budget(), size_t(28125));
    // Clamped to the settings' range.
    LodBudgetController::Settings s;
    s.minPoints = 1000, s.maxPoints = 1100;
    LodBudgetController low(1200, s);
    for (int i = 0; i < 50; ++i) low.addFrameInterval(0.5 * s.pauseSeconds + 0.1);
    QCOMPARE(low.budget(), size_t(1000));
    for (int i = 0; i < 50; ++i) low.addFrameInterval(0.001);
    QCOMPARE(low.budget(), size_t(1100));
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

namespace {

// The boxes with NYU40 labels per vertex (floor, chair, table, cabinet) and two imported proposals:
// id 10 (score 0.9) on the red box, id 11 (score 0.2) on the blue one.
std::shared_ptr<Scene> labelledBoxes() {
    auto scene = makeBoxesScene();
    scene->semanticLabel.assign(scene->mesh.numVertices(), 2);
    const uint16_t classes[3] = {5, 7, 3};
    for (int i = 0; i < 3; ++i)
        for (uint32_t v : scene->instances[size_t(i)].vertices) scene->semanticLabel[v] = classes[i];
    Instance a = scene->instances[0], b = scene->instances[2];
    a.id = 10, a.score = 0.9f, a.source = InstanceSource::Imported;
    b.id = 11, b.score = 0.2f, b.source = InstanceSource::Imported;
    scene->instances.push_back(a);
    scene->instances.push_back(b);
    return scene;
}

QImage toQImage(const ImageRGB8& image) {
    return QImage(image.pixels.data(), image.width, image.height, image.width * 3, QImage::Format_RGB888).copy();
}

}  // namespace

void TestRender::proposalsAndSemanticColors() {
    auto scene = labelledBoxes();
    const uint32_t red = scene->instances[0].vertices[0], green = scene->instances[1].vertices[0],
                   blue = scene->instances[2].vertices[0];
    auto at = [](const std::vector<uint8_t>& c, uint32_t v) { return Rgb8{c[3 * v], c[3 * v + 1], c[3 * v + 2]}; };
    std::vector<uint8_t> p = vertexColors(*scene, ColorMode::Proposals);
    QCOMPARE(at(p, red), instanceColor(10));
    QCOMPARE(at(p, green), kUnassignedColor);  // ground truth is not a proposal
    QCOMPARE(at(p, blue), instanceColor(11));
    ColorOptions strict;
    strict.scoreThreshold = 0.5;
    QCOMPARE(at(vertexColors(*scene, ColorMode::Proposals, strict), blue), kUnassignedColor);
    QCOMPARE(int(shownProposals(*scene, 0.5).size()), 1);
    // Without proposals the mode shows the ground truth instead of an all-gray scene.
    auto gtOnly = makeBoxesScene();
    QVERIFY(!hasProposals(*gtOnly));
    QCOMPARE(at(vertexColors(*gtOnly, ColorMode::Proposals), green), instanceColor(2));
    // Semantic: per-vertex labels first, inst3d's NYU40 palette, legend by vertex count.
    std::vector<uint8_t> sem = vertexColors(*scene, ColorMode::Semantic);
    QCOMPARE(at(sem, 0), nyu40Color(2));
    QCOMPARE(at(sem, red), nyu40Color(5));
    // The 40 class colors are distinct from each other and from the unassigned gray.
    std::set<Rgb8> classColors;
    for (int id = 1; id <= 40; ++id) classColors.insert(nyu40Color(id));
    QCOMPARE(int(classColors.size()), 40);
    QVERIFY(!classColors.count(kUnassignedColor));
    QCOMPARE(nyu40Color(0), kUnassignedColor);
    std::vector<LegendEntry> legend = semanticLegend(*scene);
    QCOMPARE(int(legend.size()), 4);
    QCOMPARE(legend[0].name, std::string("cabinet"));  // 8 vertices each (ties by id); floor has 4
    QCOMPARE(legend.back().name, std::string("floor"));
    // No .labels.ply: instance labels go through the bundled tsv (armchair -> chair), or are NYU40 names.
    auto byLabel = makeBoxesScene();
    byLabel->instances[0].label = "armchair";
    byLabel->instances[1].label = "no such thing";
    byLabel->instances[2].label = "otherfurniture";
    QCOMPARE(semanticLabels(*byLabel)[red], 5);
    QCOMPARE(semanticLabels(*byLabel)[green], 0);
    QCOMPARE(semanticLabels(*byLabel)[blue], 39);
}

void TestRender::everyColorModeDrawsItsOwnImage() {
    ScreenshotOptions options;
    options.width = 480;
    options.height = 320;
    options.multiSamples = 0;
    std::vector<QImage> images;
    const QImage background = toQImage(renderSceneImage(nullptr, options));
    for (ColorMode mode : allColorModes()) {
        options.colorMode = mode;
        images.push_back(toQImage(renderSceneImage(labelledBoxes(), options)));
        QVERIFY2(differingFraction(images.back(), background) > 0.05, toString(mode));
    }
    for (size_t i = 0; i < images.size(); ++i)
        for (size_t j = i + 1; j < images.size(); ++j)
            QVERIFY2(differingFraction(images[i], images[j]) > 0.002,
                     qPrintable(QString("%1 vs %2").arg(toString(allColorModes()[i])).arg(toString(allColorModes()[j]))));
}

void TestRender::cameraTextRoundTrips() {
    vtkNew<vtkCamera> a, b;
    a->SetPosition(1.25, -3.5, 2.0);
    a->SetFocalPoint(0.1, 0.2, 0.3);
    a->SetViewUp(0, 0, 1);
    a->OrthogonalizeViewUp();
    a->SetViewAngle(42.5);
    const std::string text = cameraToText(a);
    applyCameraText(text, b);
    QCOMPARE(cameraToText(b), text);
    QVERIFY_THROWS_EXCEPTION(Error, applyCameraText("position=1,2 focal=0,0,0 up=0,0,1", b));
    QVERIFY_THROWS_EXCEPTION(Error, applyCameraText("hello", b));
    QVERIFY_THROWS_EXCEPTION(Error, applyCameraText("position=0,0,0 focal=0,0,0 up=0,0,1", b));
    QCOMPARE(cameraToText(b), text);  // unchanged by the failures
}

void TestRender::viewVerbSelectAndCameraChangePixels() {
    auto shoot = [&](const QString& name, std::vector<std::string> extra) {
        QString png = tmp_.filePath(name);
        std::vector<std::string> args{"view", plyPath_.toStdString(), "--screenshot", png.toStdString(), "--size", "480x320"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::string err;
        int rc = runInst3d(args, nullptr, &err);
        return rc == 0 ? QImage(png) : QImage();
    };
    // A plain PLY has no instances: the CLI checks --camera and the --select error, the in-process
    // renderer (the same code path behind --screenshot) the highlight of a selected instance.
    const QImage plain = shoot("plain.png", {});
    QVERIFY(!plain.isNull());
    const QImage top = shoot("top.png", {"--camera", "position=0,0,9 focal=0,0,0 up=0,1,0 angle=30"});
    QVERIFY(!top.isNull());
    QVERIFY(differingFraction(plain, top) > 0.05);
    // Seen from above, x runs left to right: red box left of blue.
    ColorHits red = findColor(top, kRed), blue = findColor(top, kBlue);
    QVERIFY2(red.count > 100 && blue.count > 100, qPrintable(QString("%1 %2").arg(red.count).arg(blue.count)));
    QVERIFY(red.centroid.x() < top.width() / 2.0 && blue.centroid.x() > top.width() / 2.0);
    std::string err;
    QCOMPARE(runInst3d({"view", plyPath_.toStdString(), "--camera", "position=1,2"}, nullptr, &err), 2);
    QVERIFY2(QString::fromStdString(err).contains("--camera"), err.c_str());
    QCOMPARE(runInst3d({"view", plyPath_.toStdString(), "--screenshot", tmp_.filePath("s.png").toStdString(), "--select", "3"},
                       nullptr, &err), 1);
    QVERIFY2(QString::fromStdString(err).contains("no instance with id 3"), err.c_str());
    // --select highlights the instance (amber) and frames it.
    ScreenshotOptions options;
    options.width = 480;
    options.height = 320;
    const QImage none = toQImage(renderSceneImage(makeBoxesScene(), options));
    options.selectId = 2;
    const QImage selected = toQImage(renderSceneImage(makeBoxesScene(), options));
    const QColor amber(kHighlightColor[0], kHighlightColor[1], kHighlightColor[2]);
    QCOMPARE(findColor(none, amber, 0.03).count, 0);
    ColorHits hit = findColor(selected, amber, 0.03);
    QVERIFY2(hit.count > 1000, qPrintable(QString::number(hit.count)));  // framed: big on screen
    QVERIFY(std::abs(hit.centroid.x() - 240) < 60);
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

// applyGroundingTint on numbers, then a screenshot grounding the blue box (instance 3): the blue box turns
// green, the red one is dimmed, and the camera frames the grounded box in the middle of the image.
void TestRender::groundingTintsNamedObjectsAndDimsTheRest() {
    std::vector<uint8_t> rgb = {200, 0, 0, 0, 0, 200}, mask = {0, 1};
    applyGroundingTint(rgb, mask);
    QCOMPARE(int(rgb[0]), int(std::lround(kDimmedBrightness * 200)));
    QCOMPARE(int(rgb[4]), int(std::lround(kGroundedTint * kGroundedColor[1])));
    QCOMPARE(int(rgb[5]), int(std::lround((1 - kGroundedTint) * 200 + kGroundedTint * kGroundedColor[2])));
    std::vector<uint8_t> untouched = {10, 20, 30};
    applyGroundingTint(untouched, {0});  // nothing grounded: nothing dimmed
    QCOMPARE(untouched, (std::vector<uint8_t>{10, 20, 30}));

    auto scene = makeBoxesScene();
    const Instance& blue = scene->instances[2];
    ScreenshotOptions options;
    options.width = 640;
    options.height = 400;
    const QImage plain = toQImage(renderSceneImage(scene, options));
    options.grounded = {{3, blue.vertices, scene->alignedBox(blue)}};
    std::string camera;
    options.usedCamera = &camera;
    const QImage grounded = toQImage(renderSceneImage(scene, options));
    QVERIFY(!camera.empty());
    const ColorHits bluePlain = findColor(plain, kBlue), blueNow = findColor(grounded, kBlue);
    const ColorHits tinted = findColor(grounded, QColor(kGroundedColor[0], kGroundedColor[1], kGroundedColor[2]), 0.15);
    auto brightRed = [](const QImage& image) {  // the red box as drawn undimmed
        const QImage img = image.convertToFormat(QImage::Format_RGB32);
        int n = 0;
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x) n += qRed(img.pixel(x, y)) > 150 && qRed(img.pixel(x, y)) > 2 * qGreen(img.pixel(x, y));
        return n;
    };
    QVERIFY2(bluePlain.count > 200 && blueNow.count < bluePlain.count / 20, qPrintable(QString("%1 -> %2").arg(bluePlain.count).arg(blueNow.count)));
    QVERIFY2(tinted.count > 1000, qPrintable(QString::number(tinted.count)));
    QVERIFY(brightRed(plain) > 200);
    QCOMPARE(brightRed(grounded), 0);  // the red box is dimmed
    QVERIFY(std::abs(tinted.centroid.x() - 320) < 100 && std::abs(tinted.centroid.y() - 200) < 80);
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
