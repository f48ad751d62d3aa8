// The viewer's main window: the 3D view in the middle, File and View menus, and a status bar with
// scene counts, frame rate and load progress. It observes a SceneDocument and forwards user actions
// to it; loading runs on the document's worker thread.
#pragma once
#include <QMainWindow>

#include "render/color_mode.h"

class QActionGroup;
class QLabel;
class QProgressBar;

namespace inst3d {

class SceneDocument;
class SceneView;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(SceneDocument* document, QWidget* parent = nullptr);

    SceneView* sceneView() const { return view_; }
    SceneDocument* document() const { return document_; }
    // false turns load errors into a status-bar message instead of a modal box (tests, scripted runs).
    void setShowErrorDialogs(bool show) { showErrorDialogs_ = show; }

private:
    void buildMenus();
    void buildStatusBar();
    void connectDocument();
    void openFolderDialog();
    void openFileDialog();
    void onLoadingStarted(const QString& path);
    void onLoadingProgress(double fraction, const QString& step);
    void onLoadingFinished();
    void onSceneChanged();
    void onLoadFailed(const QString& path, const QString& message);
    void onColorModeChanged(ColorMode mode);
    void onFrameRendered(double seconds);

    SceneDocument* document_;
    SceneView* view_;
    QActionGroup* colorModes_ = nullptr;
    QLabel* sceneLabel_ = nullptr;
    QLabel* countsLabel_ = nullptr;
    QLabel* fpsLabel_ = nullptr;
    QProgressBar* progress_ = nullptr;
    double frameSeconds_ = 0;  // smoothed render time
    bool showErrorDialogs_ = true;
};

}  // namespace inst3d
