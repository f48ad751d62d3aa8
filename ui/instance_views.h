// The multi-view data of the selected instance: OpenMask3D's top-k views (core ViewSelector, the
// one feature extraction uses) with their images, computed on a worker thread and cached per scene.
// The first request of a scene projects every vertex into every sampled frame (the slow part); later
// instances only intersect vertex lists and decode k color frames.
#pragma once
#include <functional>
#include <map>
#include <memory>

#include <QImage>
#include <QObject>
#include <QString>
#include <QVector>

#include "core/geometry/view_selection.h"

namespace inst3d {

class SceneDocument;

struct InstanceViewImages {
    size_t frame = 0;
    int score = 0;
    QImage overlay;         // the color frame with the projected mask tinted
    QVector<QImage> crops;  // the crop levels, cut from the full-resolution color frame
};

struct InstanceViews {
    int instanceId = -1;
    ViewSelection selection;  // pixels and boxes at depth resolution, as the reference computes them
    size_t sampledFrames = 0; // frames the selection looked at (every frameStride-th with a valid pose)
    size_t totalFrames = 0;   // frames in the scene
    QVector<InstanceViewImages> images;  // one per selected view, best first
    QString error;            // set when the views could not be computed (no frames, unreadable files)
};

class InstanceViewsModel : public QObject {
    Q_OBJECT

public:
    InstanceViewsModel(SceneDocument* document, ViewSelectionOptions options, QObject* parent = nullptr);
    ~InstanceViewsModel() override;  // cancels and waits for the worker

    // The views of the document's selected instance once computed; null while computing or with no selection.
    std::shared_ptr<const InstanceViews> current() const;
    bool isComputing() const { return pending_ >= 0; }
    const ViewSelectionOptions& options() const { return options_; }
    // New top-k / stride / threshold: drops the scene's cache and recomputes the selected instance. It also
    // ends the adaptive stride: the user's stride holds for every scene.
    void setOptions(const ViewSelectionOptions& options);
    // On: each scene is looked at with strideForFrames(its frames, options().frameStride), so a sparse
    // capture shows all its views (the default until the user sets a stride).
    void setAdaptiveStride(bool on);
    bool adaptiveStride() const { return adaptiveStride_; }
    // What the current scene is computed with (options() with the adaptive stride applied).
    const ViewSelectionOptions& effectiveOptions() const;

Q_SIGNALS:
    void computationStarted(int instanceId);
    void progress(double fraction);
    void viewsReady(int instanceId);  // current() now holds them (or their error)
    void cleared();                   // no selection, or a new scene
    void optionsChanged();            // setOptions() took new values
    void effectiveOptionsChanged();   // a new scene or options: effectiveOptions() may differ

private:
    struct SceneState;
    void onSceneChanged();
    void onSelectionChanged(int id);
    void start(int id);
    void finish(const std::shared_ptr<SceneState>& state, std::shared_ptr<InstanceViews> result);
    void cancelWorkers();
    static std::shared_ptr<InstanceViews> compute(SceneState& state, int id, const std::function<bool(double)>& progress);

    SceneDocument* document_;
    ViewSelectionOptions options_;
    bool adaptiveStride_ = false;
    std::shared_ptr<SceneState> state_;  // per scene: selector, cache
    int pending_ = -1;                   // instance being computed
};

}  // namespace inst3d
