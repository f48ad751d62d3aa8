#include "ui/scene_document.h"

#include <algorithm>
#include <exception>

#include <QMetaObject>
#include <QtConcurrent/QtConcurrentRun>

#include "core/common/error.h"
#include "core/io/scene_loader.h"

namespace inst3d {

// Shared by the UI thread and one worker. The worker reads `path` and polls `cancel`; nothing else.
struct SceneDocument::LoadJob {
    QString path;
    std::atomic<bool> cancel{false};
    std::atomic<int> lastPercent{-1};
};

SceneDocument::SceneDocument(QObject* parent) : QObject(parent) {}

SceneDocument::~SceneDocument() {
    cancelLoading();
    // Workers post progress to `this`; let them finish (they stop at the next progress call) so none
    // outlives the document. Events still queued for `this` are dropped by ~QObject.
    for (auto* watcher : findChildren<QFutureWatcher<LoadResult>*>()) watcher->waitForFinished();
}

void SceneDocument::open(const QString& path) {
    cancelLoading();
    auto job = std::make_shared<LoadJob>();
    job->path = path;
    loading_ = job;
    auto* watcher = new QFutureWatcher<LoadResult>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, job] {
        watcher->deleteLater();
        finishLoad(job, watcher->result());
    });
    Q_EMIT loadingStarted(path);
    watcher->setFuture(QtConcurrent::run([this, job] { return runLoad(job); }));
}

SceneDocument::LoadResult SceneDocument::runLoad(const std::shared_ptr<LoadJob>& job) {
    LoadResult result;
    LoadOptions options;
    options.progress = [this, job](double fraction, const std::string& step) {
        if (job->cancel) return false;
        postProgress(job, fraction, step);
        return true;
    };
    try {
        auto scene = std::make_shared<Scene>(loadScene(job->path.toStdString(), options));
        result.scene = std::move(scene);
    } catch (const Cancelled&) {
        result.cancelled = true;
    } catch (const std::bad_alloc&) {
        result.error = job->path + ": not enough memory to load this scene";
    } catch (const std::exception& e) {
        // inst3d::Error already reads "<file>: <problem>"; anything else gets the path prepended.
        bool named = dynamic_cast<const Error*>(&e) != nullptr;
        result.error = named ? QString::fromStdString(e.what()) : job->path + ": " + QString::fromStdString(e.what());
    }
    return result;
}

void SceneDocument::postProgress(const std::shared_ptr<LoadJob>& job, double fraction, const std::string& step) {
    // Whole percents only: loaders may report per chunk, and every post is an event on the UI thread.
    int percent = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 100);
    if (job->lastPercent.exchange(percent) == percent) return;
    QString text = QString::fromStdString(step);
    QMetaObject::invokeMethod(
        this,
        [this, job, fraction, text] {
            if (loading_ == job) Q_EMIT loadingProgress(fraction, text);
        },
        Qt::QueuedConnection);
}

void SceneDocument::finishLoad(const std::shared_ptr<LoadJob>& job, const LoadResult& result) {
    if (loading_ != job) return;  // cancelled or superseded: whoever replaced it owns the UI now
    loading_.reset();
    // Finished first: progress UI goes away before an error box blocks in a loadFailed slot.
    Q_EMIT loadingFinished();
    if (result.cancelled) return;  // the loader gave up on its own; nothing to show
    if (!result.error.isEmpty()) {
        Q_EMIT loadFailed(job->path, result.error);
        return;
    }
    replaceScene(result.scene, job->path);
}

void SceneDocument::replaceScene(std::shared_ptr<const Scene> scene, const QString& path) {
    scene_ = std::move(scene);
    path_ = path;
    // Selection and view refer to the old scene's ids and frames: clear them before anyone redraws.
    selectedInstance_ = -1;
    activeViewFrame_ = -1;
    hidden_.clear();
    grounded_.clear();
    Q_EMIT sceneChanged();
}

void SceneDocument::cancelLoading() {
    if (!loading_) return;
    loading_->cancel = true;
    loading_.reset();
    Q_EMIT loadingFinished();
}

void SceneDocument::setScene(std::shared_ptr<const Scene> scene, const QString& path) {
    cancelLoading();
    QString where = path.isEmpty() && scene ? QString::fromStdString(scene->sourcePath) : path;
    replaceScene(std::move(scene), where);
}

void SceneDocument::setColorMode(ColorMode mode) {
    if (mode == colorMode_) return;
    colorMode_ = mode;
    Q_EMIT colorModeChanged(mode);
}

void SceneDocument::setScoreThreshold(double threshold) {
    threshold = std::clamp(threshold, 0.0, 1.0);
    if (threshold == scoreThreshold_) return;
    scoreThreshold_ = threshold;
    Q_EMIT scoreThresholdChanged(threshold);
}

void SceneDocument::setInstanceVisible(int id, bool visible) {
    if (!scene_ || !scene_->findInstance(id) || isInstanceVisible(id) == visible) return;
    if (visible) hidden_.erase(id);
    else hidden_.insert(id);
    Q_EMIT hiddenInstancesChanged();
}

void SceneDocument::setAllInstancesVisible(bool visible) {
    std::set<int> wanted;
    if (!visible && scene_)
        for (const Instance& inst : scene_->instances) wanted.insert(inst.id);
    if (wanted == hidden_) return;
    hidden_ = std::move(wanted);
    Q_EMIT hiddenInstancesChanged();
}

void SceneDocument::setShowAllBoxes(bool show) {
    if (show == showAllBoxes_) return;
    showAllBoxes_ = show;
    Q_EMIT showAllBoxesChanged(show);
}

void SceneDocument::setPointSize(double pixels) {
    pixels = std::clamp(pixels, 1.0, 20.0);
    if (pixels == pointSize_) return;
    pointSize_ = pixels;
    Q_EMIT pointSizeChanged(pixels);
}

}  // namespace inst3d

namespace inst3d {

void SceneDocument::setSelectedInstance(int id) {
    if (id >= 0 && (!scene_ || !scene_->findInstance(id))) id = -1;
    if (id < 0) id = -1;
    if (id == selectedInstance_) return;
    selectedInstance_ = id;
    Q_EMIT selectedInstanceChanged(id);
}

void SceneDocument::setGroundedObjects(std::vector<GroundedObject> objects) {
    if (!scene_) objects.clear();
    if (objects.empty() && grounded_.empty()) return;
    grounded_ = std::move(objects);
    Q_EMIT groundedObjectsChanged();
}

void SceneDocument::setActiveView(int frame) {
    bool valid = frame >= 0 && scene_ && scene_->frames && static_cast<size_t>(frame) < scene_->frames->numFrames();
    if (!valid) frame = -1;
    if (frame == activeViewFrame_) return;
    activeViewFrame_ = frame;
    Q_EMIT activeViewChanged(frame);
}

}  // namespace inst3d
