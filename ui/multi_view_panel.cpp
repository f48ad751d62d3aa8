#include "ui/multi_view_panel.h"

#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QProgressBar>
#include <QVBoxLayout>

#include "ui/instance_views.h"
#include "ui/scene_document.h"

namespace inst3d {
namespace {

constexpr int kRowHeight = 96;
constexpr int kFrameFieldRole = Qt::UserRole + 1;

// The frame and its crops side by side at one height, as a single icon.
QImage rowImage(const InstanceViewImages& v) {
    QVector<QImage> parts{v.overlay};
    parts += v.crops;
    int width = 0;
    QVector<QImage> scaled;
    for (const QImage& p : parts) {
        if (p.isNull()) continue;
        scaled.push_back(p.scaledToHeight(kRowHeight, Qt::SmoothTransformation));
        width += scaled.back().width() + 4;
    }
    QImage out(std::max(1, width), kRowHeight, QImage::Format_ARGB32_Premultiplied);
    out.fill(Qt::transparent);
    QPainter painter(&out);
    int x = 0;
    for (const QImage& p : scaled) {
        painter.drawImage(x, 0, p);
        x += p.width() + 4;
    }
    return out;
}

}  // namespace

MultiViewPanel::MultiViewPanel(SceneDocument* document, InstanceViewsModel* views, QWidget* parent)
    : QWidget(parent),
      document_(document),
      views_(views),
      status_(new QLabel(this)),
      progress_(new QProgressBar(this)),
      list_(new QListWidget(this)) {
    status_->setWordWrap(true);
    status_->setMinimumHeight(2 * status_->fontMetrics().lineSpacing() + 4);  // two lines, never clipped
    progress_->setRange(0, 100);
    progress_->hide();
    list_->setIconSize(QSize(560, kRowHeight));
    list_->setSelectionMode(QAbstractItemView::SingleSelection);
    list_->setUniformItemSizes(true);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(status_);
    layout->addWidget(progress_);
    layout->addWidget(list_, 1);
    connect(views_, &InstanceViewsModel::computationStarted, this, &MultiViewPanel::onStarted);
    connect(views_, &InstanceViewsModel::progress, this, [this](double f) { progress_->setValue(int(f * 100)); });
    connect(views_, &InstanceViewsModel::viewsReady, this, &MultiViewPanel::onReady);
    connect(views_, &InstanceViewsModel::cleared, this, &MultiViewPanel::onCleared);
    connect(list_, &QListWidget::itemClicked, this, &MultiViewPanel::onRowClicked);
    connect(document_, &SceneDocument::activeViewChanged, this, &MultiViewPanel::onActiveViewChanged);
    onCleared();
}

void MultiViewPanel::onStarted(int instanceId) {
    list_->clear();
    status_->setText(tr("Selecting views of instance %1...").arg(instanceId));
    progress_->setValue(0);
    progress_->show();
}

void MultiViewPanel::onCleared() {
    list_->clear();
    progress_->hide();
    status_->setText(tr("Select an instance to see the frames that show it best."));
}

void MultiViewPanel::onReady() {
    progress_->hide();
    list_->clear();
    auto views = views_->current();
    if (!views) return;
    if (!views->error.isEmpty()) {
        status_->setText(tr("No views: %1").arg(views->error));
        return;
    }
    const ViewSelectionOptions& o = views_->options();
    status_->setText(views->images.isEmpty()
                         ? tr("Instance %1 is visible in none of the sampled frames.").arg(views->instanceId)
                         : tr("Instance %1: %2 best views\n(every %3th frame, depth test %4 m)")
                               .arg(views->instanceId).arg(views->images.size()).arg(o.frameStride).arg(o.depthThreshold));
    for (const InstanceViewImages& v : views->images) {
        auto* item = new QListWidgetItem(QIcon(QPixmap::fromImage(rowImage(v))),
                                         tr("frame %1\n%2 px").arg(v.frame).arg(v.score), list_);
        item->setData(kFrameFieldRole, static_cast<qulonglong>(v.frame));
    }
    onActiveViewChanged(document_->activeViewFrame());
}

void MultiViewPanel::onRowClicked() {
    QListWidgetItem* item = list_->currentItem();
    if (item) document_->setActiveView(item->data(kFrameFieldRole).toInt());
}

void MultiViewPanel::onActiveViewChanged(int frame) {
    for (int i = 0; i < list_->count(); ++i) {
        QListWidgetItem* item = list_->item(i);
        if (item->data(kFrameFieldRole).toInt() == frame) list_->setCurrentItem(item);
    }
}

}  // namespace inst3d
