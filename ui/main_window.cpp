#include "ui/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QStatusBar>

#include "ui/scene_document.h"
#include "ui/scene_view.h"

namespace inst3d {
namespace {

QString countsText(const Scene& scene) {
    QLocale locale = QLocale::system();
    QString text = QObject::tr("%1 vertices").arg(locale.toString(qulonglong(scene.mesh.numVertices())));
    if (!scene.mesh.isPointCloud()) text += QObject::tr(", %1 faces").arg(locale.toString(qulonglong(scene.mesh.numFaces())));
    return text + QObject::tr(", %1 instances").arg(scene.instances.size());
}

}  // namespace

MainWindow::MainWindow(SceneDocument* document, QWidget* parent)
    : QMainWindow(parent), document_(document), view_(new SceneView(document, this)) {
    setWindowTitle(tr("Inst3D"));
    setCentralWidget(view_);
    buildMenus();
    buildStatusBar();
    connectDocument();
    connect(view_, &VtkView::frameRendered, this, &MainWindow::onFrameRendered);
    onSceneChanged();
    resize(1200, 800);
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* openFolder = file->addAction(tr("Open Scene &Folder..."), this, &MainWindow::openFolderDialog);
    openFolder->setShortcut(QKeySequence::Open);
    QAction* openFile = file->addAction(tr("Open Mesh &File (PLY/OBJ)..."), this, &MainWindow::openFileDialog);
    openFile->setShortcut(QKeySequence(tr("Ctrl+Shift+O")));
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
