#include "ui/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDialog>
#include <QVBoxLayout>
#include <QDockWidget>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QStatusBar>

#include "core/config/config.h"
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
    buildDocks();
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
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

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
    viewMenu->addAction(tr("Clear Se&lection"), QKeySequence(Qt::Key_Escape), this, [this] {
        document_->setSelectedInstance(-1);
        document_->setActiveView(-1);
    });
    QAction* dark = viewMenu->addAction(tr("&Dark Theme"), QKeySequence(tr("Ctrl+T")), this, &MainWindow::setTheme);
    dark->setCheckable(true);
    dark->setChecked(settings_->theme() == Theme::Dark);
    viewMenu->addAction(tr("&Search Instances"), QKeySequence::Find, this, [this] { instancePanel_->searchBox()->setFocus(); });
}

void MainWindow::buildDocks() {
    instanceViews_ = new InstanceViewsModel(document_, viewOptions(), this);
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
        return;
    }
    QString name = scene->id.empty() ? QFileInfo(document_->path()).fileName() : QString::fromStdString(scene->id);
    sceneLabel_->setText(name);
    if (QFileInfo::exists(document_->path())) settings_->addRecentScene(document_->path());
    countsLabel_->setText(countsText(*scene));
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
}

void MainWindow::onFrameRendered(double seconds) {
    // Rendering is on demand, so "fps" is what the renderer could sustain: 1 / smoothed frame time.
    frameSeconds_ = frameSeconds_ <= 0 ? seconds : 0.7 * frameSeconds_ + 0.3 * seconds;
    double fps = frameSeconds_ > 0 ? 1.0 / frameSeconds_ : 0;
    fpsLabel_->setText(tr("%1 ms/frame (%2 fps)").arg(frameSeconds_ * 1000, 0, 'f', 1).arg(fps, 0, 'f', fps < 10 ? 1 : 0));
    fpsLabel_->setToolTip(tr("Render time of the last frames on %1").arg(view_->glRenderer()));
}

}  // namespace inst3d
