#include "ui/instance_views.h"

#include <atomic>
#include <exception>
#include <mutex>

#include <QFutureWatcher>
#include <QMetaObject>
#include <QPainter>
#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

#include "core/geometry/image_crops.h"
#include "ui/scene_document.h"

namespace inst3d {

// Shared with the workers. `mutex` serializes them: the selector's visibility is built once.
struct InstanceViewsModel::SceneState {
    std::shared_ptr<const Scene> scene;
    ViewSelectionOptions options;
    std::mutex mutex;
    std::unique_ptr<ViewSelector> selector;
    std::atomic<bool> cancel{false};
    std::atomic<int> wanted{-1};
    std::map<int, std::shared_ptr<InstanceViews>> cache;  // UI thread only
};

namespace {

QImage toQImage(const ImageRGB8& img) {
    QImage out(img.width, img.height, QImage::Format_RGB888);
    for (int y = 0; y < img.height; ++y)
        std::copy_n(&img.pixels[static_cast<size_t>(y) * img.width * 3], img.width * 3, out.scanLine(y));
    return out;
}

// Mask pixels are at depth resolution; the color frame may be larger: scale each pixel to a rect.
QImage overlayMask(const QImage& color, const InstanceView& view, int width, int height) {
    QImage out = color.convertToFormat(QImage::Format_RGB32);
    QPainter painter(&out);
    const double sx = double(out.width()) / width, sy = double(out.height()) / height;
    painter.setPen(Qt::NoPen);
    painter.setBrush(QColor(255, 196, 0, 140));
    for (uint32_t p : view.pixels) {
        const int x = static_cast<int>(p % static_cast<uint32_t>(width)), y = static_cast<int>(p / static_cast<uint32_t>(width));
        painter.drawRect(QRectF(x * sx, y * sy, sx, sy));
    }
    if (!view.crops.empty()) {
        const PixelBox& b = view.crops.front();
        painter.setBrush(Qt::NoBrush);
        painter.setPen(QPen(QColor(255, 196, 0), 2));
        painter.drawRect(QRectF(b.x1 * sx, b.y1 * sy, b.width() * sx, b.height() * sy));
    }
    return out;
}

// The same crops feature extraction cuts (core/geometry/image_crops.h).
QVector<QImage> cropImages(const ImageRGB8& color, const InstanceView& view, int width, int height) {
    QVector<QImage> crops;
    for (const PixelBox& b : view.crops)
        crops.push_back(toQImage(cropImage(color, scaleBoxToImage(b, width, height, color.width, color.height))));
    return crops;
}

}  // namespace

InstanceViewsModel::InstanceViewsModel(SceneDocument* document, ViewSelectionOptions options, QObject* parent)
    : QObject(parent), document_(document), options_(options) {
    connect(document_, &SceneDocument::sceneChanged, this, &InstanceViewsModel::onSceneChanged);
    connect(document_, &SceneDocument::selectedInstanceChanged, this, &InstanceViewsModel::onSelectionChanged);
    onSceneChanged();
}

InstanceViewsModel::~InstanceViewsModel() { cancelWorkers(); }

void InstanceViewsModel::cancelWorkers() {
    if (state_) state_->cancel = true;
    for (auto* watcher : findChildren<QFutureWatcherBase*>()) watcher->waitForFinished();
}

void InstanceViewsModel::onSceneChanged() {
    if (state_) state_->cancel = true;  // its workers stop at the next frame; results are dropped
    state_ = std::make_shared<SceneState>();
    state_->scene = document_->scene();
    state_->options = options_;
    if (adaptiveStride_ && state_->scene && state_->scene->frames)
        state_->options.frameStride = strideForFrames(state_->scene->frames->numFrames(), options_.frameStride);
    pending_ = -1;
    Q_EMIT cleared();
    Q_EMIT effectiveOptionsChanged();
}

const ViewSelectionOptions& InstanceViewsModel::effectiveOptions() const { return state_->options; }

void InstanceViewsModel::setAdaptiveStride(bool on) {
    if (on == adaptiveStride_) return;
    adaptiveStride_ = on;
    onSceneChanged();
    onSelectionChanged(document_->selectedInstance());
}

void InstanceViewsModel::setOptions(const ViewSelectionOptions& options) {
    adaptiveStride_ = false;
    options_ = options;
    Q_EMIT optionsChanged();
    onSceneChanged();
    onSelectionChanged(document_->selectedInstance());
}

std::shared_ptr<const InstanceViews> InstanceViewsModel::current() const {
    auto it = state_->cache.find(document_->selectedInstance());
    return it == state_->cache.end() ? nullptr : it->second;
}

void InstanceViewsModel::onSelectionChanged(int id) {
    state_->wanted = id;
    if (id < 0) {
        pending_ = -1;
        Q_EMIT cleared();
    } else if (state_->cache.count(id)) {
        pending_ = -1;
        Q_EMIT viewsReady(id);
    } else {
        start(id);
    }
}

void InstanceViewsModel::start(int id) {
    pending_ = id;
    Q_EMIT computationStarted(id);
    auto state = state_;
    auto* watcher = new QFutureWatcher<std::shared_ptr<InstanceViews>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, state] {
        watcher->deleteLater();
        finish(state, watcher->result());
    });
    QPointer<InstanceViewsModel> self(this);
    auto report = [self, state](double f) {
        if (state->cancel) return false;
        QMetaObject::invokeMethod(self, [self, f] { if (self) Q_EMIT self->progress(f); }, Qt::QueuedConnection);
        return true;
    };
    watcher->setFuture(QtConcurrent::run([state, id, report] { return compute(*state, id, report); }));
}

// On a worker: visibility (first time per scene), selection, then the images of the selected views.
std::shared_ptr<InstanceViews> InstanceViewsModel::compute(SceneState& state, int id,
                                                           const std::function<bool(double)>& progress) {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (state.cancel || state.wanted != id) return nullptr;  // superseded while queued
    const Instance* inst = state.scene ? state.scene->findInstance(id) : nullptr;
    if (!inst) return nullptr;
    auto result = std::make_shared<InstanceViews>();
    result->instanceId = id;
    try {
        if (!state.selector) state.selector = std::make_unique<ViewSelector>(*state.scene, state.options);
        if (!state.selector->computeVisibility(progress)) return nullptr;
        result->selection = state.selector->select(*inst);
        result->sampledFrames = state.selector->sampledFrames().size();
        result->totalFrames = state.scene->frames->numFrames();
        const ViewSelection& sel = result->selection;
        for (const InstanceView& view : sel.views) {
            if (state.cancel) return nullptr;
            const ImageRGB8 color = state.scene->frames->color(view.frame);
            result->images.push_back({view.frame, view.score, overlayMask(toQImage(color), view, sel.width, sel.height),
                                      cropImages(color, view, sel.width, sel.height)});
        }
    } catch (const std::exception& e) {
        result->error = QString::fromStdString(e.what());
    }
    return result;
}

void InstanceViewsModel::finish(const std::shared_ptr<SceneState>& state, std::shared_ptr<InstanceViews> result) {
    if (state != state_ || !result) return;  // old scene, cancelled or superseded
    state_->cache[result->instanceId] = result;
    if (result->instanceId != document_->selectedInstance()) return;
    pending_ = -1;
    Q_EMIT viewsReady(result->instanceId);
}

}  // namespace inst3d
