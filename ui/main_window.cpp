#include "ui/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QMimeData>
#include <QDialog>
#include <QVBoxLayout>
#include <QDockWidget>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPainter>
#include <QSlider>
#include <QToolBar>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QStatusBar>

#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/config/config.h"
#include "core/common/file_util.h"
#include "core/features/feature_cache.h"
#include "render/scene_colors.h"
#include "ui/chat_panel.h"
#include "ui/chat_session.h"
#include "ui/instance_panel.h"
#include "ui/instance_views.h"
#include "ui/multi_view_panel.h"
#include "ui/scene_document.h"
#include "ui/scene_view.h"
#include "ui/viewer_settings.h"

namespace inst3d {
namespace {

QString countsText(const Scene& scene) {
    QLocale locale = QLocale::system();
    QString text = QObject::tr("%1 vertices").arg(locale.toString(qulonglong(scene.mesh.numVertices())));
    if (!scene.mesh.isPointCloud()) text += QObject::tr(", %1 faces").arg(locale.toString(qulonglong(scene.mesh.numFaces())));
    return text + QObject::tr(", %1 instances").arg(scene.instances.size());
}

// The `views:` section of the configuration; a broken config must not keep the viewer from opening.
ViewSelectionOptions viewOptions() {
    try {
        return ViewSelectionOptions::fromConfig(Config::defaults());
    } catch (const std::exception&) {
        return {};
    }
}

}  // namespace

MainWindow::MainWindow(SceneDocument* document, QWidget* parent)
    : QMainWindow(parent),
      document_(document),
      view_(new SceneView(document, this)),
      settings_(std::make_unique<ViewerSettings>()) {
    setWindowTitle(tr("Inst3D"));
    setCentralWidget(view_);
    setAcceptDrops(true);
    buildDocks();
    buildChatDock();
    buildLegendDock();
    buildDisplayToolBar();
    buildMenus();
    buildHelpMenu();
    buildStatusBar();
    connectDocument();
    connect(view_, &VtkView::frameRendered, this, &MainWindow::onFrameRendered);
    onSceneChanged();
    resize(1200, 800);
    applyTheme(settings_->theme());
    settings_->restoreWindow(*this);
}

MainWindow::~MainWindow() = default;

void MainWindow::closeEvent(QCloseEvent* event) {
    settings_->saveWindow(*this);
    QMainWindow::closeEvent(event);
}

void MainWindow::setTheme(bool dark) {
    settings_->setTheme(dark ? Theme::Dark : Theme::Light);
    applyTheme(dark ? Theme::Dark : Theme::Light);
}

void MainWindow::fillRecentMenu(QMenu* menu) {
    menu->clear();
    const QStringList recent = settings_->recentScenes();
    for (const QString& path : recent)
        menu->addAction(QDir::toNativeSeparators(path), this, [this, path] { document_->open(path); });
    if (recent.isEmpty()) menu->addAction(tr("(none)"))->setEnabled(false);
}

void MainWindow::buildHelpMenu() {
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard Shortcuts"), QKeySequence(Qt::Key_F1), this, &MainWindow::showShortcuts);
}

void MainWindow::showShortcuts() {
    QString rows;
    for (QAction* menuAction : menuBar()->actions())
        for (QAction* a : menuAction->menu()->actions()) {
            QList<QAction*> items = a->menu() ? a->menu()->actions() : QList<QAction*>{a};
            for (QAction* item : items)
                if (!item->shortcut().isEmpty())
                    rows += QString("<tr><td><b>%1</b></td><td>%2</td></tr>")
                                .arg(item->shortcut().toString(QKeySequence::NativeText).toHtmlEscaped(),
                                     item->text().remove('&').toHtmlEscaped());
        }
    rows += tr("<tr><td><b>Left drag</b></td><td>Rotate</td></tr><tr><td><b>Middle / Shift+left drag</b></td>"
               "<td>Pan</td></tr><tr><td><b>Wheel / right drag</b></td><td>Zoom</td></tr>"
               "<tr><td><b>Click</b></td><td>Select the instance under the cursor</td></tr>");
    auto* dialog = new QDialog(this);
    dialog->setObjectName("ShortcutsDialog");
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Keyboard Shortcuts"));
    auto* label = new QLabel("<table cellspacing=6>" + rows + "</table>", dialog);
    (new QVBoxLayout(dialog))->addWidget(label);
    dialog->show();
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* openFolder = file->addAction(tr("Open Scene &Folder..."), this, &MainWindow::openFolderDialog);
    openFolder->setShortcut(QKeySequence::Open);
    QAction* openFile = file->addAction(tr("Open Mesh &File (PLY/OBJ)..."), this, &MainWindow::openFileDialog);
    openFile->setShortcut(QKeySequence(tr("Ctrl+Shift+O")));
    QMenu* recent = file->addMenu(tr("Open &Recent"));
    connect(recent, &QMenu::aboutToShow, this, [this, recent] { fillRecentMenu(recent); });
    QAction* restore = file->addAction(tr("Reopen &Last Scene on Start"));
    restore->setCheckable(true);
    restore->setChecked(settings_->restoreLastScene());
    restore->setToolTip(tr("Without it, inst3d started with no scene opens the bundled demo"));
    connect(restore, &QAction::toggled, this, [this](bool on) { settings_->setRestoreLastScene(on); });
    file->addAction(tr("Open &Model..."), QKeySequence(tr("Ctrl+M")), this, &MainWindow::openModelDialog)
        ->setToolTip(tr("An inst3d checkpoint folder (inst3d train's RUN/checkpoint) for the chat panel"));
    file->addAction(tr("&Export Conversation..."), QKeySequence(tr("Ctrl+E")), this, &MainWindow::exportConversationDialog)
        ->setToolTip(tr("The chat as Markdown and JSON (questions, answers, objects with boxes, camera) and the view as PNG"));
    file->addSeparator();
    file->addAction(tr("Save &Screenshot..."), QKeySequence::Save, this, &MainWindow::saveScreenshotDialog);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    buildEditMenu();
    QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
    QMenu* colorMenu = viewMenu->addMenu(tr("&Color By"));
    colorModes_ = new QActionGroup(this);
    int shortcut = 1;
    for (ColorMode mode : allColorModes()) {
        QAction* a = colorMenu->addAction(QString::fromStdString(displayName(mode)));
        a->setCheckable(true);
        a->setData(static_cast<int>(mode));
        a->setChecked(mode == document_->colorMode());
        a->setShortcut(QKeySequence(QString("Ctrl+%1").arg(shortcut++)));
        colorModes_->addAction(a);
    }
    connect(colorModes_, &QActionGroup::triggered, this,
            [this](QAction* a) { document_->setColorMode(static_cast<ColorMode>(a->data().toInt())); });
    viewMenu->addAction(tr("&Bigger Points"), QKeySequence(tr("Ctrl+=")), this,
                        [this] { document_->setPointSize(document_->pointSize() + 1); });
    viewMenu->addAction(tr("&Smaller Points"), QKeySequence(tr("Ctrl+-")), this,
                        [this] { document_->setPointSize(document_->pointSize() - 1); });
    viewMenu->addSeparator();
    viewMenu->addAction(tr("&Reset Camera"), QKeySequence(tr("R")), view_, &SceneView::resetCamera);
    viewMenu->addAction(tr("&Fly to Selection"), QKeySequence(tr("F")), view_, &SceneView::focusSelection);
    viewMenu->addAction(tr("&Previous Viewpoint"), QKeySequence(tr("Alt+Left")), this, [this] {
        if (!view_->previousViewpoint()) statusBar()->showMessage(tr("No earlier viewpoint: selections and answers fly the camera and remember it"), 5000);
    });
    QMenu* standard = viewMenu->addMenu(tr("Standard &Views"));
    standard->addAction(tr("&Top"), QKeySequence(tr("1")), this, [this] { view_->setStandardView(SceneRenderer::StandardView::Top); });
    standard->addAction(tr("&Front"), QKeySequence(tr("2")), this, [this] { view_->setStandardView(SceneRenderer::StandardView::Front); });
    standard->addAction(tr("&Side"), QKeySequence(tr("3")), this, [this] { view_->setStandardView(SceneRenderer::StandardView::Side); });
    buildInstanceActions(viewMenu);
    viewMenu->addAction(tr("Clear Se&lection"), QKeySequence(Qt::Key_Escape), this, [this] {
        document_->setSelectedInstance(-1);
        document_->setActiveView(-1);
    });
    QAction* dark = viewMenu->addAction(tr("&Dark Theme"), QKeySequence(tr("Ctrl+T")), this, &MainWindow::setTheme);
    dark->setCheckable(true);
    dark->setChecked(settings_->theme() == Theme::Dark);
    viewMenu->addAction(tr("&Search Instances"), QKeySequence::Find, this, [this] { instancePanel_->searchBox()->setFocus(); });
}

void MainWindow::buildEditMenu() {
    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(tr("&Copy Viewpoint"), QKeySequence(tr("Ctrl+Shift+C")), this, &MainWindow::copyViewpoint);
    edit->addAction(tr("&Paste Viewpoint"), QKeySequence(tr("Ctrl+Shift+V")), this, &MainWindow::pasteViewpoint);
}

void MainWindow::buildInstanceActions(QMenu* viewMenu) {
    viewMenu->addSeparator();
    QAction* boxes = viewMenu->addAction(tr("Show All &Boxes"), QKeySequence(tr("B")), document_, &SceneDocument::setShowAllBoxes);
    boxes->setCheckable(true);
    boxes->setChecked(document_->showAllBoxes());
    connect(document_, &SceneDocument::showAllBoxesChanged, boxes, &QAction::setChecked);
    viewMenu->addAction(tr("&Hide/Show Selected Instance"), QKeySequence(tr("H")), this, [this] {
        const int id = document_->selectedInstance();
        if (id >= 0) document_->setInstanceVisible(id, !document_->isInstanceVisible(id));
    });
    viewMenu->addAction(tr("Show &All Instances"), QKeySequence(tr("Shift+H")), this, [this] { document_->setAllInstancesVisible(true); });
    viewMenu->addAction(tr("Hide All &Instances"), QKeySequence(tr("Ctrl+Shift+H")), this,
                        [this] { document_->setAllInstancesVisible(false); });
}

void MainWindow::copyViewpoint() {
    QApplication::clipboard()->setText(view_->cameraText());
    statusBar()->showMessage(tr("Viewpoint copied: %1").arg(view_->cameraText()), 5000);
}

bool MainWindow::pasteViewpoint() {
    try {
        view_->setCameraText(QApplication::clipboard()->text().trimmed().toStdString());
        return true;
    } catch (const Error& e) {
        statusBar()->showMessage(tr("The clipboard holds no viewpoint (%1)").arg(QString::fromStdString(e.problem())), 8000);
        return false;
    }
}

bool MainWindow::saveScreenshot(const QString& path) {
    const bool ok = view_->grabFramebuffer().save(path);
    statusBar()->showMessage(ok ? tr("Saved %1").arg(QDir::toNativeSeparators(path))
                                : tr("Could not write %1").arg(QDir::toNativeSeparators(path)),
                             8000);
    return ok;
}

void MainWindow::saveScreenshotDialog() {
    QString path = QFileDialog::getSaveFileName(this, tr("Save Screenshot"), QDir::current().filePath("inst3d.png"),
                                                tr("Images (*.png *.jpg)"));
    if (!path.isEmpty()) saveScreenshot(path);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    const QList<QUrl> urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile()) event->acceptProposedAction();
}

// One scene is open at a time. Several files from one folder (the .ply, segs and aggregation a file
// manager selection gives) mean that folder's scene; anything else opens the first and says so.
QString MainWindow::pathToOpen(const QStringList& paths) {
    if (paths.size() == 1) return paths.first();
    const QString folder = QFileInfo(paths.first()).absolutePath();
    for (const QString& p : paths)
        if (QFileInfo(p).isDir() || QFileInfo(p).absolutePath() != folder) return paths.first();
    return folder;
}

void MainWindow::dropEvent(QDropEvent* event) {
    QStringList paths;
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) paths << url.toLocalFile();
    if (paths.isEmpty()) return;
    event->acceptProposedAction();
    const QString path = pathToOpen(paths);
    if (paths.size() > 1 && path == paths.first())
        statusBar()->showMessage(tr("%1 items dropped: opening the first, %2").arg(paths.size()).arg(path), 8000);
    document_->open(path);  // errors surface through loadFailed like File > Open
}

void MainWindow::buildDocks() {
    instanceViews_ = new InstanceViewsModel(document_, settings_->viewOptions(viewOptions()), this);
    instanceViews_->setAdaptiveStride(!settings_->hasFrameStride());
    connect(instanceViews_, &InstanceViewsModel::optionsChanged, this,
            [this] { settings_->setViewOptions(instanceViews_->options()); });
    instancePanel_ = new InstancePanel(document_, this);
    multiViewPanel_ = new MultiViewPanel(document_, instanceViews_, this);
    auto* left = new QDockWidget(tr("Instances"), this);
    left->setObjectName("InstancesDock");  // QMainWindow::saveState keys docks by object name
    left->setWidget(instancePanel_);
    addDockWidget(Qt::LeftDockWidgetArea, left);
    auto* right = new QDockWidget(tr("Views"), this);
    right->setObjectName("ViewsDock");
    right->setWidget(multiViewPanel_);
    addDockWidget(Qt::RightDockWidgetArea, right);
    resizeDocks({left, right}, {360, 300}, Qt::Horizontal);  // room for labels like "coffee table"
}

void MainWindow::buildChatDock() {
    chatSession_ = new ChatSession(this);
    chatPanel_ = new ChatPanel(document_, chatSession_, this);
    auto* dock = new QDockWidget(tr("Chat"), this);
    dock->setObjectName("ChatDock");
    dock->setWidget(chatPanel_);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    connect(chatSession_, &ChatSession::modelChanged, this, [this] {
        chatPanel_->setStatus(tr("Model %1").arg(QDir::toNativeSeparators(chatSession_->modelPath())));
        if (chatSession_->featuresPath().isEmpty()) findSceneFeatures();
    });
    connect(chatPanel_, &ChatPanel::makeFeaturesRequested, this, [this] {
        if (auto scene = document_->scene()) chatSession_->makeFeatures(document_->path(), scene->mesh.numVertices());
    });
    const std::string demo = bundledModelPath();
    if (!demo.empty()) openModel(QString::fromStdString(demo));
}

void MainWindow::openModel(const QString& checkpointDir) {
    chatPanel_->setStatus(tr("Loading model %1...").arg(QDir::toNativeSeparators(checkpointDir)));
    chatSession_->openModel(checkpointDir);
}

void MainWindow::openModelDialog() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Inst3D Checkpoint Folder"), QDir::currentPath());
    if (!dir.isEmpty()) openModel(dir);
}

bool MainWindow::exportConversation(const QString& basePath) {
    auto scene = document_->scene();
    const std::string base = basePath.toStdString(), sceneId = scene ? scene->id : "", camera = view_->cameraText().toStdString();
    try {
        writeFileAtomic(base + ".md", conversationMarkdown(*chatSession_, sceneId, camera));
        writeFileAtomic(base + ".json", conversationJson(*chatSession_, sceneId, camera).dump(2) + "\n");
    } catch (const std::exception& e) {
        statusBar()->showMessage(QString::fromStdString(e.what()), 15000);
        return false;
    }
    if (!saveScreenshot(basePath + ".png")) return false;
    statusBar()->showMessage(tr("Exported %1.md, .json and .png").arg(QDir::toNativeSeparators(basePath)), 8000);
    return true;
}

void MainWindow::exportConversationDialog() {
    QString path = QFileDialog::getSaveFileName(this, tr("Export Conversation"), QDir::current().filePath("chat.md"), tr("Markdown (*.md)"));
    if (path.isEmpty()) return;
    if (path.endsWith(".md")) path.chop(3);
    exportConversation(path);
}

void MainWindow::findSceneFeatures() {
    auto scene = document_->scene();
    if (!scene) {
        chatSession_->setScene({}, 0);
        return;
    }
    const std::string path = document_->path().toStdString();
    const std::string cache = findFeatureCache(path, scene->id);
    chatSession_->setScene(QString::fromStdString(cache), scene->mesh.numVertices());
    if (cache.empty() && chatSession_->canMakeFeatures()) {
        chatPanel_->offerFeatures(tr("No feature cache for %1 made with this model's encoders. Make one now (%2 proposals; "
                                     "the built-in segmenter's for a capture without ground truth)?")
                                      .arg(QString::fromStdString(scene->id), chatSession_->featureProposals()));
    } else if (cache.empty() && chatSession_->hasModel()) {
        const std::vector<std::string> looked = featureCacheCandidates(path, scene->id);
        chatPanel_->setStatus(tr("No feature cache for %1 (looked for %2). Make one with: inst3d extract --scenes %3 --out %4")
                                  .arg(QString::fromStdString(scene->id), QString::fromStdString(looked.front()),
                                       QString::fromStdString(parentPath(path)), QString::fromStdString(parentPath(looked.back()))));
    }
}

void MainWindow::buildDisplayToolBar() {
    QToolBar* bar = addToolBar(tr("Display"));
    bar->setObjectName("DisplayToolBar");
    scoreLabel_ = new QLabel(this);
    scoreSlider_ = new QSlider(Qt::Horizontal, this);
    scoreSlider_->setObjectName("ScoreThreshold");
    scoreSlider_->setRange(0, 100);
    scoreSlider_->setMaximumWidth(160);
    scoreSlider_->setToolTip(tr("Proposals color mode: hide proposals scoring below this"));
    bar->addWidget(scoreLabel_);
    bar->addWidget(scoreSlider_);
    auto show = [this](double t) {
        scoreLabel_->setText(tr(" Min score %1 ").arg(t, 0, 'f', 2));
        if (scoreSlider_->value() != qRound(t * 100)) scoreSlider_->setValue(qRound(t * 100));
    };
    show(document_->scoreThreshold());
    connect(scoreSlider_, &QSlider::valueChanged, this, [this](int v) { document_->setScoreThreshold(v / 100.0); });
    connect(document_, &SceneDocument::scoreThresholdChanged, this, show);
}

void MainWindow::buildLegendDock() {
    legend_ = new QListWidget(this);
    legend_->setObjectName("SemanticLegend");
    legendDock_ = new QDockWidget(tr("Legend"), this);
    legendDock_->setObjectName("LegendDock");
    legendDock_->setWidget(legend_);
    addDockWidget(Qt::LeftDockWidgetArea, legendDock_);
    legendDock_->hide();  // shown with the Semantic color mode
}

void MainWindow::updateLegend() {
    legend_->clear();
    auto scene = document_->scene();
    const bool semantic = document_->colorMode() == ColorMode::Semantic;
    if (scene && semantic)
        for (const LegendEntry& e : semanticLegend(*scene)) {
            QPixmap swatch(14, 14);
            swatch.fill(QColor(e.color[0], e.color[1], e.color[2]));
            legend_->addItem(new QListWidgetItem(QIcon(swatch), tr("%1  (%2 vertices)")
                                                                    .arg(QString::fromStdString(e.name))
                                                                    .arg(QLocale::system().toString(qulonglong(e.vertices)))));
        }
    legendDock_->setVisible(semantic);
    scoreSlider_->setEnabled(document_->colorMode() == ColorMode::Proposals);
}

void MainWindow::buildStatusBar() {
    sceneLabel_ = new QLabel(this);
    countsLabel_ = new QLabel(this);
    fpsLabel_ = new QLabel(this);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 100);
    progress_->setMaximumWidth(220);
    progress_->setTextVisible(true);
    progress_->hide();
    statusBar()->addWidget(sceneLabel_);
    statusBar()->addWidget(countsLabel_);
    statusBar()->addPermanentWidget(progress_);
    statusBar()->addPermanentWidget(fpsLabel_);
}

void MainWindow::connectDocument() {
    connect(document_, &SceneDocument::loadingStarted, this, &MainWindow::onLoadingStarted);
    connect(document_, &SceneDocument::loadingProgress, this, &MainWindow::onLoadingProgress);
    connect(document_, &SceneDocument::loadingFinished, this, &MainWindow::onLoadingFinished);
    connect(document_, &SceneDocument::sceneChanged, this, &MainWindow::onSceneChanged);
    connect(document_, &SceneDocument::loadFailed, this, &MainWindow::onLoadFailed);
    connect(document_, &SceneDocument::colorModeChanged, this, &MainWindow::onColorModeChanged);
}

void MainWindow::openFolderDialog() {
    QString dir = QFileDialog::getExistingDirectory(this, tr("Open ScanNet Scene Folder"), QDir::currentPath());
    if (!dir.isEmpty()) document_->open(dir);
}

void MainWindow::openFileDialog() {
    QString file = QFileDialog::getOpenFileName(this, tr("Open Mesh or Point Cloud"), QDir::currentPath(),
                                                tr("Meshes and point clouds (*.ply *.obj);;All files (*)"));
    if (!file.isEmpty()) document_->open(file);
}

void MainWindow::onLoadingStarted(const QString& path) {
    progress_->setValue(0);
    progress_->setFormat(tr("Loading %p%"));
    progress_->show();
    statusBar()->showMessage(tr("Loading %1...").arg(QDir::toNativeSeparators(path)));
}

void MainWindow::onLoadingProgress(double fraction, const QString& step) {
    progress_->setValue(static_cast<int>(fraction * 100));
    if (!step.isEmpty()) progress_->setFormat(step + " %p%");
}

void MainWindow::onLoadingFinished() {
    progress_->hide();
    statusBar()->clearMessage();
}

void MainWindow::onSceneChanged() {
    auto scene = document_->scene();
    if (!scene) {
        sceneLabel_->setText(tr("No scene (File > Open)"));
        countsLabel_->clear();
        setWindowTitle(tr("Inst3D"));
        updateLegend();
        return;
    }
    QString name = scene->id.empty() ? QFileInfo(document_->path()).fileName() : QString::fromStdString(scene->id);
    sceneLabel_->setText(name);
    if (QFileInfo::exists(document_->path())) settings_->addRecentScene(document_->path());
    countsLabel_->setText(countsText(*scene));
    findSceneFeatures();
    updateLegend();
    setWindowTitle(tr("%1 - Inst3D").arg(name));
}

void MainWindow::onLoadFailed(const QString& path, const QString& message) {
    statusBar()->showMessage(message, 15000);
    if (!showErrorDialogs_) return;
    QMessageBox box(QMessageBox::Critical, tr("Cannot open scene"),
                    tr("Could not open %1").arg(QDir::toNativeSeparators(path)), QMessageBox::Ok, this);
    box.setInformativeText(message);
    box.exec();
}

void MainWindow::onColorModeChanged(ColorMode mode) {
    for (QAction* a : colorModes_->actions()) a->setChecked(a->data().toInt() == static_cast<int>(mode));
    updateLegend();
}

void MainWindow::onFrameRendered(double seconds) {
    // Rendering is on demand, so "fps" is what the renderer could sustain: 1 / smoothed frame time.
    frameSeconds_ = frameSeconds_ <= 0 ? seconds : 0.7 * frameSeconds_ + 0.3 * seconds;
    double fps = frameSeconds_ > 0 ? 1.0 / frameSeconds_ : 0;
    fpsLabel_->setText(tr("%1 ms/frame (%2 fps)").arg(frameSeconds_ * 1000, 0, 'f', 1).arg(fps, 0, 'f', fps < 10 ? 1 : 0));
    fpsLabel_->setToolTip(tr("Render time of the last frames on %1").arg(view_->glRenderer()));
}

}  // namespace inst3d
