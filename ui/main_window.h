// The viewer's main window: the 3D view in the middle, the instance list (left), the selected
// instance's views and the chat with the scene (right) as docks, File and View menus, and a status bar with scene counts, frame
// rate and load progress. It observes a SceneDocument and forwards user actions
// to it; loading runs on the document's worker thread.
#pragma once
#include <memory>

#include <QMainWindow>

#include "render/color_mode.h"

class QActionGroup;
class QDockWidget;
class QListWidget;
class QMenu;
class QLabel;
class QProgressBar;
class QSlider;

namespace inst3d {

class ChatPanel;
class ChatSession;
class InstancePanel;
class InstanceViewsModel;
class MultiViewPanel;
class SceneDocument;
class SceneView;
class ViewerSettings;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    // What a drop of these local paths opens: the one path; the shared folder of several files in
    // one folder (a scene's files); else the first.
    static QString pathToOpen(const QStringList& dropped);
    explicit MainWindow(SceneDocument* document, QWidget* parent = nullptr);
    ~MainWindow() override;

    SceneView* sceneView() const { return view_; }
    SceneDocument* document() const { return document_; }
    InstancePanel* instancePanel() const { return instancePanel_; }
    MultiViewPanel* multiViewPanel() const { return multiViewPanel_; }
    InstanceViewsModel* instanceViews() const { return instanceViews_; }
    ChatSession* chatSession() const { return chatSession_; }
    ChatPanel* chatPanel() const { return chatPanel_; }
    // Loads an inst3d checkpoint folder into the chat panel (on its worker; progress in the panel).
    void openModel(const QString& checkpointDir);
    // The conversation as BASE.md and BASE.json and the 3D view as BASE.png; false (status message) on failure.
    bool exportConversation(const QString& basePath);
    QSlider* scoreSlider() const { return scoreSlider_; }     // Proposals: minimum score, in percent
    QListWidget* legend() const { return legend_; }           // Semantic: the classes shown and their colors
    // false turns load errors into a status-bar message instead of a modal box (tests, scripted runs).
    void setShowErrorDialogs(bool show) { showErrorDialogs_ = show; }
    // F1: every menu shortcut and the mouse controls, generated from the menus so it never goes stale.
    void showShortcuts();
    // The 3D view's pixels as shown, to a .png/.jpg; false (and a status message) when it cannot be written.
    bool saveScreenshot(const QString& path);
    void copyViewpoint();   // the camera as text on the clipboard (render/camera_text.h)
    bool pasteViewpoint();  // from the clipboard; false (status message) when it holds no viewpoint

protected:
    void closeEvent(QCloseEvent* event) override;
    // Dropping a scene folder or a mesh file on the window opens it.
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildMenus();
    void buildEditMenu();
    void buildInstanceActions(QMenu* viewMenu);
    void saveScreenshotDialog();
    void buildDocks();
    void buildChatDock();
    void openModelDialog();
    void exportConversationDialog();
    void findSceneFeatures();  // the open scene's feature cache for the chat, or a hint how to make one
    void buildHelpMenu();
    void buildDisplayToolBar();
    void buildLegendDock();
    void updateLegend();
    void fillRecentMenu(QMenu* menu);
    void setTheme(bool dark);
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
    InstanceViewsModel* instanceViews_ = nullptr;
    InstancePanel* instancePanel_ = nullptr;
    MultiViewPanel* multiViewPanel_ = nullptr;
    ChatSession* chatSession_ = nullptr;
    ChatPanel* chatPanel_ = nullptr;
    QActionGroup* colorModes_ = nullptr;
    QSlider* scoreSlider_ = nullptr;
    QLabel* scoreLabel_ = nullptr;
    QListWidget* legend_ = nullptr;
    QDockWidget* legendDock_ = nullptr;
    QLabel* sceneLabel_ = nullptr;
    QLabel* countsLabel_ = nullptr;
    QLabel* fpsLabel_ = nullptr;
    QProgressBar* progress_ = nullptr;
    double frameSeconds_ = 0;  // smoothed render time
    bool showErrorDialogs_ = true;
    std::unique_ptr<ViewerSettings> settings_;
};

}  // namespace inst3d
