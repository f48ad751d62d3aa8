// The Qt viewer on a real GL context (xcb under Xvfb): renders scene colors where they belong,
// recolors by instance, reacts to real mouse input, loads files in the background and reports errors.
#include <QApplication>
#include <QClipboard>
#include <QMimeData>
#include <QDockWidget>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QWheelEvent>

#include <vtkCamera.h>
#include <vtkRenderer.h>

#include "core/io/ply.h"
#include "gui_scenes.h"
#include "render/scene_colors.h"
#include "render/scene_lod.h"
#include "ui/instance_panel.h"
#include "ui/instance_table_model.h"
#include "ui/main_window.h"
#include "ui/scene_document.h"
#include "ui/scene_view.h"

using namespace inst3d;
using namespace inst3d::test;

namespace {

struct CameraState {
    double position[3], focal[3];
};

CameraState cameraOf(SceneView* view) {
    CameraState s;
    vtkCamera* cam = view->sceneRenderer().renderer()->GetActiveCamera();
    cam->GetPosition(s.position);
    cam->GetFocalPoint(s.focal);
    return s;
}

double distance(const double a[3], const double b[3]) {
    return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}

QString statusText(MainWindow& w) {
    QString all;
    for (QLabel* l : w.statusBar()->findChildren<QLabel*>()) all += l->text() + " | ";
    return all;
}

}  // namespace

class TestViewer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void rendersSceneColorsInPlace();
    void instanceModeRecolorsBoxes();
    void leftDragRotatesCamera();
    void middleDragPansAndWheelZooms();
    void pointCloudGrowsWithPointSize();
    void dragDrawsReducedSampleThenFullScene();
    void hidingInstancesRemovesTheirPixels();
    void allBoxesToggle();
    void viewpointCopyPasteAndStandardViews();
    void screenshotAndDropOpen();
    void loadsPlyInBackground();
    void loadErrorIsShownWithFileName();
    void newerOpenSupersedesOlder();

private:
    QImage grab() { return window_->sceneView()->grabFramebuffer(); }

    std::unique_ptr<SceneDocument> document_;
    std::unique_ptr<MainWindow> window_;
    QTemporaryDir tmp_;
};

void TestViewer::initTestCase() {
    QVERIFY(tmp_.isValid());
    document_ = std::make_unique<SceneDocument>();
    window_ = std::make_unique<MainWindow>(document_.get());
    window_->resize(900, 700);
    // These tests are about the 3D view: the instance and views docks would leave it too narrow.
    for (QDockWidget* dock : window_->findChildren<QDockWidget*>()) dock->hide();
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
}

void TestViewer::cleanupTestCase() {
    window_.reset();
    document_.reset();
}

void TestViewer::init() {
    // Every test starts from the boxes in RGB with the default camera.
    document_->setColorMode(ColorMode::Rgb);
    document_->setScene(makeBoxesScene());
    QCOMPARE(window_->sceneView()->sceneRenderer().colorMode(), ColorMode::Rgb);
}

void TestViewer::rendersSceneColorsInPlace() {
    QImage img = grab();
    QVERIFY(!img.isNull());
    QVERIFY2(img.width() >= 600 && img.height() >= 400, qPrintable(QString("%1x%2").arg(img.width()).arg(img.height())));
    ColorHits red = findColor(img, kRed), green = findColor(img, kGreen), blue = findColor(img, kBlue);
    QVERIFY2(red.count > 300 && green.count > 300 && blue.count > 300,
             qPrintable(QString("red %1 green %2 blue %3").arg(red.count).arg(green.count).arg(blue.count)));
    // Boxes run along +X and the default camera looks from the -X/-Y corner: left to right on screen.
    QVERIFY(red.centroid.x() < green.centroid.x());
    QVERIFY(green.centroid.x() < blue.centroid.x());
    // The scene is framed: every box is well inside the image.
    for (const ColorHits& h : {red, green, blue}) {
        QVERIFY(h.centroid.x() > 0.1 * img.width() && h.centroid.x() < 0.9 * img.width());
        QVERIFY(h.centroid.y() > 0.1 * img.height() && h.centroid.y() < 0.9 * img.height());
    }
    // Background: the dark gradient in the corners, and not the whole picture.
    QRgb corner = img.pixel(2, img.height() - 3);
    QVERIFY2(qRed(corner) + qGreen(corner) + qBlue(corner) < 3 * 90, "background should be dark");
    QRgb top = img.pixel(2, 2);
    QVERIFY2(qBlue(top) > qBlue(corner), "background should brighten towards the top");
    QVERIFY(fractionLike(img, corner) < 0.5);
    // Status bar reports the counts.
    QString status = statusText(*window_);
    QVERIFY2(status.contains("28 vertices") && status.contains("38 faces") && status.contains("3 instances"),
             qPrintable(status));
}

void TestViewer::instanceModeRecolorsBoxes() {
    QImage rgb = grab();
    ColorHits redBefore = findColor(rgb, kRed);
    ColorHits blueBefore = findColor(rgb, kBlue);
    document_->setColorMode(ColorMode::Instances);
    QImage inst = grab();
    QVERIFY2(differingFraction(rgb, inst) > 0.02, "switching to instances should change the picture");
    QVERIFY(findColor(inst, kRed).count < redBefore.count / 10);
    // Each box now shows its instance color, where the box was.
    const QPointF before[3] = {redBefore.centroid, findColor(rgb, kGreen).centroid, blueBefore.centroid};
    for (int id = 1; id <= 3; ++id) {
        Rgb8 c = instanceColor(id);
        ColorHits hits = findColor(inst, QColor(c[0], c[1], c[2]), 0.04);
        QVERIFY2(hits.count > 300, qPrintable(QString("instance %1: %2 pixels").arg(id).arg(hits.count)));
        QPointF d = hits.centroid - before[id - 1];
        QVERIFY2(std::hypot(d.x(), d.y()) < 0.05 * inst.width(),
                 qPrintable(QString("instance %1 drawn at %2,%3").arg(id).arg(hits.centroid.x()).arg(hits.centroid.y())));
    }
    // And back.
    document_->setColorMode(ColorMode::Rgb);
    QVERIFY(differingFraction(rgb, grab()) < 0.001);
}

void TestViewer::leftDragRotatesCamera() {
    SceneView* view = window_->sceneView();
    QImage before = grab();
    CameraState cam0 = cameraOf(view);
    QSignalSpy frames(view, &VtkView::frameRendered);
    QPoint p = view->rect().center();
    QTest::mousePress(view, Qt::LeftButton, {}, p);
    for (int i = 1; i <= 10; ++i) QTest::mouseMove(view, p + QPoint(15 * i, 4 * i), 5);
    QTest::mouseRelease(view, Qt::LeftButton, {}, p + QPoint(150, 40));
    // The interactor asks Qt for a repaint (no explicit render call here).
    QVERIFY(frames.wait(5000));
    CameraState cam1 = cameraOf(view);
    QVERIFY2(distance(cam0.position, cam1.position) > 0.5, "a left drag should orbit the camera");
    QVERIFY2(distance(cam0.focal, cam1.focal) < 1e-6, "orbiting keeps the focal point");
    QVERIFY(differingFraction(before, grab()) > 0.02);
    // Reset Camera restores the default view.
    view->resetCamera();
    QVERIFY(distance(cameraOf(view).position, cam0.position) < 1e-6);
}

void TestViewer::middleDragPansAndWheelZooms() {
    SceneView* view = window_->sceneView();
    CameraState cam0 = cameraOf(view);
    QPoint p = view->rect().center();
    QTest::mousePress(view, Qt::MiddleButton, {}, p);
    for (int i = 1; i <= 5; ++i) QTest::mouseMove(view, p + QPoint(0, 12 * i), 5);
    QTest::mouseRelease(view, Qt::MiddleButton, {}, p + QPoint(0, 60));
    CameraState cam1 = cameraOf(view);
    QVERIFY2(distance(cam0.focal, cam1.focal) > 0.05, "a middle drag should pan");

    double before = distance(cam1.position, cam1.focal);
    QWheelEvent wheel(QPointF(p), QPointF(view->mapToGlobal(p)), QPoint(), QPoint(0, 240), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(view, &wheel);
    CameraState cam2 = cameraOf(view);
    QVERIFY2(distance(cam2.position, cam2.focal) < 0.95 * before, "wheel forward should zoom in");
}

void TestViewer::pointCloudGrowsWithPointSize() {
    document_->setScene(makePointCloudScene());
    document_->setPointSize(1);
    int small = findColor(grab(), QColor(240, 220, 20)).count;
    document_->setPointSize(6);
    int big = findColor(grab(), QColor(240, 220, 20)).count;
    QVERIFY2(small > 200, qPrintable(QString::number(small)));
    QVERIFY2(big > 2 * small, qPrintable(QString("%1 -> %2").arg(small).arg(big)));
    document_->setPointSize(3);
}

void TestViewer::dragDrawsReducedSampleThenFullScene() {
    SceneView* view = window_->sceneView();
    SceneRenderer& r = view->sceneRenderer();
    view->setAdaptiveLod(false);  // a fixed budget: the counts below are exact
    r.setLodPointBudget(500);
    document_->setScene(makePointCloudScene());  // 1600 points: over the budget
    QCOMPARE(r.drawnPoints(), 1600LL);
    QVERIFY(!r.lodActive());
    const QImage rest = grab();
    QPoint p = view->rect().center();
    QTest::mousePress(view, Qt::LeftButton, {}, p);
    QTest::mouseMove(view, p + QPoint(20, 5), 5);
    QVERIFY(r.interacting());
    QVERIFY(r.lodActive());
    QCOMPARE(r.drawnPoints(), 500LL);
    // The motion frame renders at reduced resolution and is scaled up to the whole widget.
    const QSize full(qRound(view->width() * view->devicePixelRatioF()), qRound(view->height() * view->devicePixelRatioF()));
    const QSize reduced(qRound(full.width() * VtkView::kMotionResolutionScale),
                        qRound(full.height() * VtkView::kMotionResolutionScale));
    QVERIFY(view->reducedResolution());
    const QImage moving = grab();
    QCOMPARE(view->lastFrameRenderSize(), reduced);
    QCOMPARE(moving.size(), full);
    const int yellowMoving = findColor(moving, QColor(240, 220, 20)).count;
    QTest::mouseMove(view, p + QPoint(40, 10), 5);
    QTest::mouseRelease(view, Qt::LeftButton, {}, p + QPoint(40, 10));
    QVERIFY(!r.interacting());
    QCOMPARE(r.drawnPoints(), 1600LL);
    // At rest: full resolution again, at once (a click's pick right after the release needs it).
    QVERIFY(!view->reducedResolution());
    QCOMPARE(view->renderSize(), full);
    grab();
    QCOMPARE(view->lastFrameRenderSize(), full);
    QVERIFY(yellowMoving > 100);  // the sample is drawn, not an empty frame
    // Back at rest, from where the drag started: the full scene again, pixel for pixel.
    view->resetCamera();
    QVERIFY(differingFraction(rest, grab()) < 0.001);
    // The half-size motion image is scaled up over the whole widget: from the same viewpoint the
    // sample's yellow sits where the full scene's does (not squeezed into a corner).
    const ColorHits restYellow = findColor(rest, QColor(240, 220, 20));
    view->setInteracting(true);
    const ColorHits movingYellow = findColor(grab(), QColor(240, 220, 20));
    QCOMPARE(view->lastFrameRenderSize(), reduced);
    view->setInteracting(false);
    QVERIFY(movingYellow.count > 100);
    const QPointF shift = movingYellow.centroid - restYellow.centroid;
    QVERIFY2(shift.manhattanLength() < 0.05 * full.width(),
             qPrintable(QString("centroid shift %1, %2").arg(shift.x()).arg(shift.y())));
    // Scenes within the budget never switch; budget 0 turns LOD off.
    r.setLodPointBudget(0);
    r.setInteracting(true);
    QCOMPARE(r.drawnPoints(), 1600LL);
    r.setInteracting(false);
    r.setLodPointBudget(kDefaultLodPoints);
    view->setAdaptiveLod(true);
}

void TestViewer::hidingInstancesRemovesTheirPixels() {
    QVERIFY(findColor(grab(), kGreen).count > 300);
    document_->setInstanceVisible(2, false);
    QCOMPARE(findColor(grab(), kGreen).count, 0);
    QVERIFY(findColor(grab(), kRed).count > 300);
    document_->setAllInstancesVisible(false);
    QImage none = grab();
    QCOMPARE(findColor(none, kRed).count + findColor(none, kBlue).count, 0);
    QVERIFY(findColor(none, kFloor).count > 1000);  // the floor belongs to no instance
    document_->setAllInstancesVisible(true);
    QVERIFY(findColor(grab(), kGreen).count > 300);
    // The table's check box is the same switch.
    InstanceTableModel* model = window_->instancePanel()->model();
    QModelIndex id2 = model->index(model->rowOfInstance(2), InstanceTableModel::IdColumn);
    QCOMPARE(model->data(id2, Qt::CheckStateRole).toInt(), int(Qt::Checked));
    QVERIFY(model->setData(id2, Qt::Unchecked, Qt::CheckStateRole));
    QVERIFY(!document_->isInstanceVisible(2));
    QCOMPARE(findColor(grab(), kGreen).count, 0);
    document_->setScene(makeBoxesScene());  // a new scene shows everything
    QVERIFY(document_->hiddenInstances().empty());
}

void TestViewer::allBoxesToggle() {
    SceneRenderer& r = window_->sceneView()->sceneRenderer();
    const QImage before = grab();
    document_->setShowAllBoxes(true);
    QCOMPARE(r.drawnBoxes(), 3);
    // Thin outlines along the boxes' visible edges: a small but clear change.
    const QImage boxes = grab();
    QVERIFY2(differingFraction(before, boxes) > 0.0005, qPrintable(QString::number(differingFraction(before, boxes))));
    document_->setInstanceVisible(1, false);
    QCOMPARE(r.drawnBoxes(), 2);
    document_->setShowAllBoxes(false);
    QCOMPARE(r.drawnBoxes(), 0);
    document_->setAllInstancesVisible(true);
    QVERIFY(differingFraction(before, grab()) < 0.001);
}

void TestViewer::viewpointCopyPasteAndStandardViews() {
    SceneView* view = window_->sceneView();
    const QImage start = grab();
    window_->copyViewpoint();
    const QString text = QApplication::clipboard()->text();
    QVERIFY2(text.startsWith("position="), qPrintable(text));
    view->setStandardView(SceneRenderer::StandardView::Top);
    const QImage top = grab();
    QVERIFY(differingFraction(start, top) > 0.05);
    // From the top, +X runs to the right: red, green, blue left to right and level.
    ColorHits red = findColor(top, kRed), blue = findColor(top, kBlue);
    QVERIFY(red.centroid.x() < blue.centroid.x() && std::abs(red.centroid.y() - blue.centroid.y()) < 10);
    QVERIFY(window_->pasteViewpoint());
    QVERIFY(differingFraction(start, grab()) < 0.001);
    QApplication::clipboard()->setText("not a camera");
    QVERIFY(!window_->pasteViewpoint());
    QVERIFY(differingFraction(start, grab()) < 0.001);
}

void TestViewer::screenshotAndDropOpen() {
    const QString png = tmp_.filePath("gui.png");
    QVERIFY(window_->saveScreenshot(png));
    QImage saved(png);
    QCOMPARE(saved.size(), grab().size());
    QVERIFY(findColor(saved, kRed).count > 300);
    QVERIFY(!window_->saveScreenshot(tmp_.filePath("no/such/dir/x.png")));
    // Dropping a file opens it.
    const QString ply = tmp_.filePath("dropped.ply");
    writePly(ply.toStdString(), makePointCloudScene()->mesh);
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(ply)});
    QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(window_.get(), &enter);
    QVERIFY(enter.isAccepted());
    QSignalSpy changed(document_.get(), &SceneDocument::sceneChanged);
    QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(window_.get(), &drop);
    QVERIFY(changed.wait(20000));
    QCOMPARE(document_->path(), ply);
    // Several files of one folder: that folder (a ScanNet scene dropped as its files); mixed: the first.
    const QString a = tmp_.filePath("s/a.ply"), b = tmp_.filePath("s/b.json"), c = tmp_.filePath("other.ply");
    QCOMPARE(MainWindow::pathToOpen({a, b}), QFileInfo(a).absolutePath());
    QCOMPARE(MainWindow::pathToOpen({a, c}), a);
    QCOMPARE(MainWindow::pathToOpen({tmp_.path(), a}), tmp_.path());
}

void TestViewer::loadsPlyInBackground() {
    auto scene = makeBoxesScene();
    QString path = tmp_.filePath("boxes.ply");
    writePly(path.toStdString(), scene->mesh);
    document_->setScene(nullptr);
    QSignalSpy changed(document_.get(), &SceneDocument::sceneChanged);
    QSignalSpy started(document_.get(), &SceneDocument::loadingStarted);
    QSignalSpy finished(document_.get(), &SceneDocument::loadingFinished);
    document_->open(path);
    QCOMPARE(started.count(), 1);
    QVERIFY(document_->isLoading());
    QVERIFY(changed.wait(20000));
    QVERIFY(!document_->isLoading());
    QCOMPARE(finished.count(), 1);
    QVERIFY(document_->scene());
    QCOMPARE(document_->scene()->mesh.numVertices(), scene->mesh.numVertices());
    QCOMPARE(document_->path(), path);
    QVERIFY(findColor(grab(), kGreen).count > 300);
    QVERIFY2(statusText(*window_).contains("28 vertices"), qPrintable(statusText(*window_)));
}

void TestViewer::loadErrorIsShownWithFileName() {
    QString path = tmp_.filePath("broken.ply");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nend_header\n1\n");  // truncated
    f.close();
    ModalBoxReader errorBox;
    QSignalSpy failed(document_.get(), &SceneDocument::loadFailed);
    document_->open(path);
    QVERIFY(failed.wait(20000));
    QTRY_VERIFY_WITH_TIMEOUT(!errorBox.text.isEmpty(), 10000);
    QVERIFY2(errorBox.text.contains("broken.ply"), qPrintable(errorBox.text));
    QVERIFY(!document_->isLoading());
    // The previous scene stays on screen.
    QCOMPARE(document_->scene()->id, std::string("boxes"));
}

void TestViewer::newerOpenSupersedesOlder() {
    QString bad = tmp_.filePath("missing.ply");
    QString good = tmp_.filePath("points.ply");
    writePly(good.toStdString(), makePointCloudScene()->mesh);
    QSignalSpy failed(document_.get(), &SceneDocument::loadFailed);
    QSignalSpy changed(document_.get(), &SceneDocument::sceneChanged);
    QSignalSpy finished(document_.get(), &SceneDocument::loadingFinished);
    document_->open(bad);
    document_->open(good);  // the first load's result (an error) must never reach the UI
    QVERIFY(changed.wait(20000));
    QTest::qWait(200);  // let the first worker's result arrive too
    QCOMPARE(failed.count(), 0);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(finished.count(), 2);  // one for the cancelled load, one for the real one
    QCOMPARE(document_->path(), good);
    QVERIFY(document_->scene()->mesh.isPointCloud());
    // Cancelling leaves the current scene alone.
    document_->open(bad);
    document_->cancelLoading();
    QTest::qWait(200);
    QVERIFY(!document_->isLoading());
    QCOMPARE(failed.count(), 0);
    QCOMPARE(document_->path(), good);
}

QTEST_MAIN(TestViewer)
#include "test_viewer.moc"
