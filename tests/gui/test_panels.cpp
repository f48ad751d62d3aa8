// The instance and multi-view panels on a synthetic ScanNet scene, on a real GL context (xcb under
// Xvfb): the table lists the instances, selecting one highlights it where it is drawn, clicking in 3D
// selects the instance under the cursor, the views panel shows the selector's views and moves the
// camera to them, and a corrupt scene leaves the window working.
#include <QApplication>
#include <QAction>
#include <QDialog>
#include <QDockWidget>
#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QFile>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <filesystem>

#include <vtkCamera.h>
#include <vtkRenderer.h>

#include "core/geometry/view_selection.h"
#include "core/io/scene_loader.h"
#include "core/synth/synth.h"
#include "gui_scenes.h"
#include "render/scene_colors.h"
#include "ui/instance_panel.h"
#include "ui/instance_table_model.h"
#include "ui/instance_views.h"
#include "ui/main_window.h"
#include "ui/multi_view_panel.h"
#include "ui/scene_document.h"
#include "ui/scene_view.h"
#include "ui/viewer_settings.h"

using namespace inst3d;
using namespace inst3d::test;

namespace {

// Where the renderer draws an instance: centroid of its vertices in image coordinates (top-left origin).
QPointF projectedCentroid(SceneView* view, const Scene& scene, const Instance& inst) {
    vtkRenderer* r = view->sceneRenderer().renderer();
    const int h = r->GetSize()[1];
    double sx = 0, sy = 0;
    for (uint32_t v : inst.vertices) {
        Vec3 p = scene.alignedVertex(v);
        r->SetWorldPoint(p.x, p.y, p.z, 1.0);
        r->WorldToDisplay();
        double d[3];
        r->GetDisplayPoint(d);
        sx += d[0];
        sy += h - 1 - d[1];
    }
    return {sx / inst.vertices.size(), sy / inst.vertices.size()};
}

// Centroid and count of pixels that differ between two same-size images.
ColorHits differingPixels(const QImage& a, const QImage& b, int threshold = 30) {
    QImage ia = a.convertToFormat(QImage::Format_RGB32), ib = b.convertToFormat(QImage::Format_RGB32);
    ColorHits hits;
    double sx = 0, sy = 0;
    for (int y = 0; y < ia.height(); ++y)
        for (int x = 0; x < ia.width(); ++x) {
            QRgb p = ia.pixel(x, y), q = ib.pixel(x, y);
            if (std::abs(qRed(p) - qRed(q)) + std::abs(qGreen(p) - qGreen(q)) + std::abs(qBlue(p) - qBlue(q)) <= threshold)
                continue;
            ++hits.count;
            sx += x;
            sy += y;
        }
    if (hits.count) hits.centroid = {sx / hits.count, sy / hits.count};
    return hits;
}

void saveShot(const QImage& img, const QString& name) {
    QByteArray dir = qgetenv("INST3D_TEST_SHOTS");
    if (!dir.isEmpty()) img.save(QDir(QString::fromLocal8Bit(dir)).filePath(name));
}

}  // namespace

class TestPanels : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void panelListsInstances();
    void searchAndSortFilterTheTable();
    void selectingRowHighlightsInstance();
    void clickInViewSelectsInstance();
    void viewsPanelShowsSelectedViews();
    void viewOptionsRecomputeAndPersist();
    void corruptSceneShowsErrorAndWindowStaysUsable();
    void settingsAndShortcutSheet();

private:
    SceneView* view() { return window_->sceneView(); }
    QImage grab() { return view()->grabFramebuffer(); }
    const Instance* largestObject() const;  // a piece of furniture, not structure
    void selectRowOf(int id);

    QTemporaryDir tmp_;
    QString scenePath_;
    std::unique_ptr<SceneDocument> document_;
    std::unique_ptr<MainWindow> window_;
};

void TestPanels::initTestCase() {
    QVERIFY(tmp_.isValid());
    qputenv("INST3D_SETTINGS", tmp_.filePath("settings.ini").toLocal8Bit());
    SynthOptions o;
    o.seed = 5;
    o.numFrames = 30;
    o.colorWidth = 320;
    o.colorHeight = 240;
    o.depthWidth = 160;
    o.depthHeight = 120;
    o.vertexSpacing = 0.08;
    o.writeSens = false;
    o.writeLanguage = false;
    writeSynthWorld(tmp_.path().toStdString(), o);
    scenePath_ = tmp_.filePath("scans/scene0000_00");
    document_ = std::make_unique<SceneDocument>();
    window_ = std::make_unique<MainWindow>(document_.get());
    window_->resize(1280, 800);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
}

void TestPanels::cleanupTestCase() {
    window_.reset();
    document_.reset();
}

void TestPanels::init() {
    if (document_->path() != scenePath_) {
        QSignalSpy changed(document_.get(), &SceneDocument::sceneChanged);
        document_->open(scenePath_);
        QVERIFY(changed.wait(30000));
    }
    document_->setColorMode(ColorMode::Rgb);
    document_->setSelectedInstance(-1);
    document_->setActiveView(-1);
    window_->instancePanel()->searchBox()->clear();
    view()->resetCamera();
}

const Instance* TestPanels::largestObject() const {
    const Instance* best = nullptr;
    for (const Instance& inst : document_->scene()->instances) {
        if (inst.label == "wall" || inst.label == "floor" || inst.label == "ceiling" || inst.label == "door" ||
            inst.label == "window")
            continue;
        if (!best || inst.vertices.size() > best->vertices.size()) best = &inst;
    }
    return best;
}

void TestPanels::selectRowOf(int id) {
    InstancePanel* panel = window_->instancePanel();
    int row = panel->model()->rowOfInstance(id);
    QVERIFY(row >= 0);
    QModelIndex index = panel->proxy()->mapFromSource(panel->model()->index(row, InstanceTableModel::LabelColumn));
    QVERIFY(index.isValid());
    panel->table()->scrollTo(index);
    QRect rect = panel->table()->visualRect(index);
    QTest::mouseClick(panel->table()->viewport(), Qt::LeftButton, {}, rect.center());
    QTRY_VERIFY(!view()->isFlying());  // the camera has arrived at the selection
}

void TestPanels::panelListsInstances() {
    auto scene = document_->scene();
    QVERIFY(scene && scene->instances.size() > 5);
    InstancePanel* panel = window_->instancePanel();
    QCOMPARE(panel->proxy()->rowCount(), int(scene->instances.size()));
    // Every instance is listed once, with its label and point count.
    for (const Instance& inst : scene->instances) {
        int row = panel->model()->rowOfInstance(inst.id);
        QVERIFY(row >= 0);
        QCOMPARE(panel->model()->index(row, InstanceTableModel::LabelColumn).data().toString(),
                 QString::fromStdString(inst.label));
        QCOMPARE(panel->model()->index(row, InstanceTableModel::PointsColumn).data().toULongLong(),
                 qulonglong(inst.vertices.size()));
        QCOMPARE(panel->model()->index(row, InstanceTableModel::SourceColumn).data().toString(), QString("gt"));
    }
    saveShot(window_->grab().toImage(), "panels_window.png");
}

void TestPanels::searchAndSortFilterTheTable() {
    InstancePanel* panel = window_->instancePanel();
    auto scene = document_->scene();
    const QString label = QString::fromStdString(largestObject()->label);
    int expected = 0;
    for (const Instance& inst : scene->instances) expected += QString::fromStdString(inst.label).contains(label, Qt::CaseInsensitive);
    QTest::keyClicks(panel->searchBox(), label.toUpper());
    QCOMPARE(panel->proxy()->rowCount(), expected);
    panel->searchBox()->clear();
    QCOMPARE(panel->proxy()->rowCount(), int(scene->instances.size()));
    // Sorting by point count, largest first, is numeric.
    panel->table()->sortByColumn(InstanceTableModel::PointsColumn, Qt::DescendingOrder);
    qulonglong prev = ~0ull;
    for (int r = 0; r < panel->proxy()->rowCount(); ++r) {
        qulonglong n = panel->proxy()->index(r, InstanceTableModel::PointsColumn).data().toULongLong();
        QVERIFY(n <= prev);
        prev = n;
    }
    panel->table()->sortByColumn(InstanceTableModel::IdColumn, Qt::AscendingOrder);
}

void TestPanels::selectingRowHighlightsInstance() {
    const Instance* inst = largestObject();
    QVERIFY(inst);
    selectRowOf(inst->id);
    QCOMPARE(document_->selectedInstance(), inst->id);
    QCOMPARE(view()->sceneRenderer().highlightedInstance(), inst->id);
    QImage selected = grab();
    saveShot(selected, "panels_selected.png");
    // Same camera without the highlight: the difference is the highlight, where the instance is drawn.
    document_->setSelectedInstance(-1);
    QImage plain = grab();
    ColorHits diff = differingPixels(selected, plain);
    QPointF where = projectedCentroid(view(), *document_->scene(), *inst);
    QVERIFY2(diff.count > 500, qPrintable(QString::number(diff.count)));
    QPointF d = diff.centroid - where;
    QVERIFY2(std::hypot(d.x(), d.y()) < 0.08 * selected.width(),
             qPrintable(QString("highlight at %1,%2, instance projects to %3,%4")
                            .arg(diff.centroid.x()).arg(diff.centroid.y()).arg(where.x()).arg(where.y())));
    // Flying to it put the instance near the middle of the view.
    QVERIFY(std::abs(where.x() - selected.width() / 2.0) < 0.15 * selected.width());
    // Selecting in the document selects the table row.
    document_->setSelectedInstance(inst->id);
    QModelIndexList rows = window_->instancePanel()->table()->selectionModel()->selectedRows();
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.first().data(InstanceTableModel::InstanceIdRole).toInt(), inst->id);
}

void TestPanels::clickInViewSelectsInstance() {
    document_->setColorMode(ColorMode::Instances);
    QImage img = grab();
    // The instance with the most pixels of its own color in this view, and a pixel of it.
    int bestId = -1, bestCount = 0;
    for (const Instance& inst : document_->scene()->instances) {
        Rgb8 c = instanceColor(inst.id);
        ColorHits hits = findColor(img, QColor(c[0], c[1], c[2]), 0.02);
        if (hits.count > bestCount) bestCount = hits.count, bestId = inst.id;
    }
    QVERIFY(bestCount > 200);
    Rgb8 c = instanceColor(bestId);
    QPoint target;
    QImage rgb = img.convertToFormat(QImage::Format_RGB32);
    // A pixel whose 5x5 block is all that instance's color, so the click cannot land on an edge.
    for (int y = 2; y < rgb.height() - 2 && target.isNull(); ++y)
        for (int x = 2; x < rgb.width() - 2 && target.isNull(); ++x) {
            bool all = true;
            for (int dy = -2; dy <= 2 && all; ++dy)
                for (int dx = -2; dx <= 2 && all; ++dx) {
                    QColor p = QColor(rgb.pixel(x + dx, y + dy));
                    QColor want(c[0], c[1], c[2]);
                    double s = p.red() + p.green() + p.blue(), sw = want.red() + want.green() + want.blue();
                    all = s > 60 && std::abs(p.red() / s - want.red() / sw) < 0.02 && std::abs(p.green() / s - want.green() / sw) < 0.02;
                }
            if (all) target = QPoint(x, y);
        }
    QVERIFY(!target.isNull());
    QCOMPARE(view()->instanceAt(target), bestId);
    QTest::mouseClick(view(), Qt::LeftButton, {}, target);
    QCOMPARE(document_->selectedInstance(), bestId);
    QModelIndexList rows = window_->instancePanel()->table()->selectionModel()->selectedRows();
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.first().data(InstanceTableModel::InstanceIdRole).toInt(), bestId);
    // A hidden instance is not drawn, so a click goes through it to whatever is behind.
    document_->setInstanceVisible(bestId, false);
    QVERIFY(view()->instanceAt(target) != bestId);
    document_->setInstanceVisible(bestId, true);
    QCOMPARE(view()->instanceAt(target), bestId);
    // On the background, nothing: the selection clears.
    view()->resetCamera();
    QCOMPARE(view()->instanceAt(QPoint(3, 3)), -1);
    QTest::mouseClick(view(), Qt::LeftButton, {}, QPoint(3, 3));
    QCOMPARE(document_->selectedInstance(), -1);
}

void TestPanels::viewsPanelShowsSelectedViews() {
    const Instance* inst = largestObject();
    InstanceViewsModel* views = window_->instanceViews();
    QSignalSpy ready(views, &InstanceViewsModel::viewsReady);
    selectRowOf(inst->id);  // waits for the camera, so the views may be ready already
    QVERIFY(!ready.isEmpty() || ready.wait(30000));
    auto result = views->current();
    QVERIFY(result && result->error.isEmpty());
    // The panel shows exactly what the shared ViewSelector picks for this instance.
    ViewSelector selector(*document_->scene(), views->effectiveOptions());
    ViewSelection expected = selector.select(*inst);
    QVERIFY(!expected.views.empty());
    QListWidget* list = window_->multiViewPanel()->list();
    QCOMPARE(list->count(), int(expected.views.size()));
    QCOMPARE(result->images.size(), qsizetype(expected.views.size()));
    for (size_t i = 0; i < expected.views.size(); ++i) {
        QCOMPARE(result->images[int(i)].frame, expected.views[i].frame);
        QCOMPARE(result->images[int(i)].crops.size(), qsizetype(3));
        QVERIFY(!result->images[int(i)].overlay.isNull());
    }
    saveShot(window_->grab().toImage(), "panels_views.png");
    // Clicking a view moves the camera to that frame's pose, converted to the aligned frame.
    list->scrollToItem(list->item(0));
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(list->item(0)).center());
    const size_t frame = expected.views[0].frame;
    QCOMPARE(document_->activeViewFrame(), int(frame));
    QVERIFY(view()->sceneRenderer().frustumVisible());
    const auto scene = document_->scene();
    Vec3 eye = (scene->axisAlignment * scene->frames->pose(frame).cameraToWorld).transformPoint({0, 0, 0});
    double pos[3];
    view()->sceneRenderer().renderer()->GetActiveCamera()->GetPosition(pos);
    QVERIFY(norm(Vec3(pos[0], pos[1], pos[2]) - eye) < 1e-6);
    saveShot(grab(), "panels_camera_at_view.png");
    // A second request for the same instance comes from the cache, at once.
    document_->setSelectedInstance(-1);
    ready.clear();
    document_->setSelectedInstance(inst->id);
    QCOMPARE(ready.count(), 1);
}

void TestPanels::viewOptionsRecomputeAndPersist() {
    const Instance* inst = largestObject();
    InstanceViewsModel* views = window_->instanceViews();
    QSignalSpy ready(views, &InstanceViewsModel::viewsReady);
    selectRowOf(inst->id);
    if (!views->current()) QVERIFY(ready.wait(30000));
    const size_t frames = document_->scene()->frames->numFrames();
    // Until the user sets a stride, a sparse capture is looked at whole: 30 frames leave stride 1, while
    // OpenMask3D's 10 stays for ScanNet-sized exports.
    QCOMPARE(strideForFrames(12, 10), 1);
    QCOMPARE(strideForFrames(100, 10), 3);
    QCOMPARE(strideForFrames(3000, 10), 10);
    QCOMPARE(strideForFrames(0, 10), 1);
    QVERIFY(views->adaptiveStride());
    QCOMPARE(views->current()->sampledFrames, frames);
    QCOMPARE(views->current()->totalFrames, frames);
    MultiViewPanel* panel = window_->multiViewPanel();
    QCOMPARE(panel->strideBox()->value(), strideForFrames(frames, 10));
    // Typed into the panel's boxes: every 3rd frame, at most 2 views.
    for (auto [box, text] : {std::pair{panel->strideBox(), "3"}, std::pair{panel->topKBox(), "2"}}) {
        box->setFocus();
        box->selectAll();
        QTest::keyClicks(box, text);
        ready.clear();
        QTest::keyClick(box, Qt::Key_Return);
        QVERIFY(ready.count() == 1 || ready.wait(30000));
    }
    QVERIFY(!views->adaptiveStride());
    QCOMPARE(views->options().frameStride, 3);
    QCOMPARE(views->options().topK, 2);
    auto result = views->current();
    QCOMPARE(result->sampledFrames, (frames + 2) / 3);  // every synthetic pose is valid
    ViewSelector selector(*document_->scene(), views->options());
    ViewSelection expected = selector.select(*inst);
    QCOMPARE(int(expected.views.size()), 2);
    QCOMPARE(window_->multiViewPanel()->list()->count(), 2);
    for (size_t i = 0; i < expected.views.size(); ++i) QCOMPARE(result->images[int(i)].frame, expected.views[i].frame);
    QVERIFY(panel->statusLabel()->text().contains(QString("%1 of %2 frames").arg((frames + 2) / 3).arg(frames)));
    // Remembered for the next run, through the same settings file a new window reads.
    ViewerSettings settings;
    QVERIFY(settings.hasFrameStride());
    QCOMPARE(settings.viewOptions({}).frameStride, 3);
    QCOMPARE(settings.viewOptions({}).topK, 2);
    views->setOptions(ViewSelectionOptions{});  // back to OpenMask3D's defaults for the other tests
    QCOMPARE(panel->strideBox()->value(), 10);
}

void TestPanels::corruptSceneShowsErrorAndWindowStaysUsable() {
    // A copy of the scene whose aggregation file is cut in half.
    namespace fs = std::filesystem;
    const fs::path bad = fs::path(tmp_.path().toStdString()) / "corrupt" / "scene0000_00";
    fs::create_directories(bad.parent_path());
    fs::copy(scenePath_.toStdString(), bad, fs::copy_options::recursive);
    const fs::path agg = bad / "scene0000_00.aggregation.json";
    QFile f(QString::fromStdString(agg.string()));
    QVERIFY(f.open(QIODevice::ReadWrite));
    QByteArray bytes = f.readAll();
    f.resize(bytes.size() / 2);
    f.close();
    ModalBoxReader errorBox;
    QSignalSpy failed(document_.get(), &SceneDocument::loadFailed);
    document_->open(QString::fromStdString(bad.string()));
    QVERIFY(failed.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(!errorBox.text.isEmpty(), 10000);
    QVERIFY2(errorBox.text.contains("aggregation.json"), qPrintable(errorBox.text));
    // The window still works: the old scene is listed, and selecting from the table highlights.
    QCOMPARE(document_->path(), scenePath_);
    QCOMPARE(window_->instancePanel()->proxy()->rowCount(), int(document_->scene()->instances.size()));
    const Instance* inst = largestObject();
    selectRowOf(inst->id);
    QCOMPARE(document_->selectedInstance(), inst->id);
    QCOMPARE(view()->sceneRenderer().highlightedInstance(), inst->id);
    QImage img = grab();
    QVERIFY(fractionLike(img, img.pixel(2, img.height() - 3)) < 0.6);
}

void TestPanels::settingsAndShortcutSheet() {
    // The scene opened last is first in the recent list.
    QStringList recent = ViewerSettings().recentScenes();
    QVERIFY(!recent.isEmpty());
    QCOMPARE(recent.first(), QFileInfo(scenePath_).absoluteFilePath());
    // Theme: switching is remembered and changes the palette.
    QColor before = QApplication::palette().color(QPalette::Window);
    QAction* dark = nullptr;
    for (QAction* a : window_->findChildren<QAction*>())
        if (a->text().remove('&') == "Dark Theme") dark = a;
    QVERIFY(dark && dark->isChecked());
    dark->trigger();
    QCOMPARE(ViewerSettings().theme(), Theme::Light);
    QVERIFY(QApplication::palette().color(QPalette::Window) != before);
    dark->trigger();
    QCOMPARE(ViewerSettings().theme(), Theme::Dark);
    // Layout is saved on close and restored by the next window: a dock hidden here stays hidden there.
    auto viewsDock = [](MainWindow& w) { return w.findChild<QDockWidget*>("ViewsDock"); };
    QVERIFY(viewsDock(*window_) && viewsDock(*window_)->isVisible());
    viewsDock(*window_)->hide();
    window_->close();
    {
        MainWindow next(document_.get());
        next.show();
        QVERIFY(QTest::qWaitForWindowExposed(&next));
        QVERIFY(viewsDock(next) && !viewsDock(next)->isVisible());
        QVERIFY(next.findChild<QDockWidget*>("InstancesDock")->isVisible());
        viewsDock(next)->show();
        next.close();  // saves the dock shown again, for the windows of later tests
    }
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    viewsDock(*window_)->show();
    // F1 lists the menu shortcuts.
    QAction* help = nullptr;
    for (QAction* a : window_->findChildren<QAction*>())
        if (a->shortcut() == QKeySequence(Qt::Key_F1)) help = a;
    QVERIFY(help);
    help->trigger();
    QDialog* sheet = nullptr;
    QTRY_VERIFY((sheet = window_->findChild<QDialog*>("ShortcutsDialog")) != nullptr);
    QString text = sheet->findChild<QLabel*>()->text();
    QVERIFY2(text.contains("Fly to Selection") && text.contains("Reset Camera") && text.contains("Rotate"), qPrintable(text));
    saveShot(sheet->grab().toImage(), "panels_shortcuts.png");
    sheet->close();
}

QTEST_MAIN(TestPanels)
#include "test_panels.moc"
