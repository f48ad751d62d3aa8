// The viewer's model: the open scene and how it is shown (color mode, point size), plus background
// loading. Widgets observe its signals and call its setters; they hold no scene state of their own,
// so the later panels (instances, frames, queries) can all share one document.
#pragma once
#include <atomic>
#include <memory>
#include <set>

#include <QFutureWatcher>
#include <QList>
#include <QObject>
#include <QString>

#include "core/scene/scene.h"
#include "render/color_mode.h"
#include "render/scene_colors.h"

namespace inst3d {

class SceneDocument : public QObject {
    Q_OBJECT

public:
    explicit SceneDocument(QObject* parent = nullptr);
    ~SceneDocument() override;  // cancels a running load and waits for its thread

    std::shared_ptr<const Scene> scene() const { return scene_; }
    QString path() const { return path_; }
    bool isLoading() const { return loading_ != nullptr; }
    ColorMode colorMode() const { return colorMode_; }
    double pointSize() const { return pointSize_; }
    // Proposals color mode: proposals scoring below are not colored (0..1).
    double scoreThreshold() const { return scoreThreshold_; }
    // Instances (Instance::id) the user hid; cleared when the scene changes.
    const std::set<int>& hiddenInstances() const { return hidden_; }
    bool isInstanceVisible(int id) const { return !hidden_.count(id); }
    bool showAllBoxes() const { return showAllBoxes_; }
    // The instance the user is looking at (Instance::id), -1 for none. Reset when the scene changes.
    int selectedInstance() const { return selectedInstance_; }
    // The RGB-D frame whose camera the 3D view shows (FrameSource index), -1 for none.
    int activeViewFrame() const { return activeViewFrame_; }
    // The objects the chat's current answer (or a clicked chip) names; empty for none. Cleared with the scene.
    const std::vector<GroundedObject>& groundedObjects() const { return grounded_; }

    // Loads a ScanNet scene folder or a PLY/OBJ file on a worker thread (loadScene). Emits
    // loadingStarted, loadingProgress..., loadingFinished, then sceneChanged or loadFailed. Opening
    // again cancels the previous load; its result is dropped.
    void open(const QString& path);
    void cancelLoading();
    // Shows a scene that is already in memory (tests, scenes made by other tools).
    void setScene(std::shared_ptr<const Scene> scene, const QString& path = {});

    void setColorMode(ColorMode mode);
    void setPointSize(double pixels);
    void setScoreThreshold(double threshold);  // clamped to [0, 1]
    void setInstanceVisible(int id, bool visible);
    void setAllInstancesVisible(bool visible);
    void setShowAllBoxes(bool show);
    void setSelectedInstance(int id);  // ids the scene does not have select nothing
    void setActiveView(int frame);
    // Tints these objects, dims the rest and frames them in the 3D view; an empty list clears.
    void setGroundedObjects(std::vector<GroundedObject> objects);

Q_SIGNALS:
    void loadingStarted(const QString& path);
    void loadingProgress(double fraction, const QString& step);
    void loadingFinished();  // load over (before sceneChanged/loadFailed, or on cancel): hide progress UI
    void sceneChanged();
    // `message` is the loader's inst3d::Error::what(): "<file>: <problem>".
    void loadFailed(const QString& path, const QString& message);
    void colorModeChanged(inst3d::ColorMode mode);
    void pointSizeChanged(double pixels);
    void scoreThresholdChanged(double threshold);
    void hiddenInstancesChanged();
    void showAllBoxesChanged(bool show);
    void selectedInstanceChanged(int id);
    void activeViewChanged(int frame);
    void groundedObjectsChanged();

private:
    struct LoadJob;
    struct LoadResult {
        std::shared_ptr<const Scene> scene;
        QString error;     // empty on success
        bool cancelled = false;
    };
    LoadResult runLoad(const std::shared_ptr<LoadJob>& job);  // on the worker thread
    void finishLoad(const std::shared_ptr<LoadJob>& job, const LoadResult& result);
    void postProgress(const std::shared_ptr<LoadJob>& job, double fraction, const std::string& step);
    void replaceScene(std::shared_ptr<const Scene> scene, const QString& path);

    std::shared_ptr<const Scene> scene_;
    QString path_;
    ColorMode colorMode_ = ColorMode::Rgb;
    double pointSize_ = 3.0;
    double scoreThreshold_ = 0.0;
    std::set<int> hidden_;
    bool showAllBoxes_ = false;
    int selectedInstance_ = -1;
    int activeViewFrame_ = -1;
    std::vector<GroundedObject> grounded_;
    std::shared_ptr<LoadJob> loading_;  // the job whose result we still want; null when idle
};

}  // namespace inst3d
