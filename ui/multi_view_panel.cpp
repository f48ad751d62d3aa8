#include "ui/multi_view_panel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
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
      list_(new QListWidget(this)),
      topK_(new QSpinBox(this)),
      stride_(new QSpinBox(this)) {
    status_->setWordWrap(true);
    status_->setMinimumHeight(2 * status_->fontMetrics().lineSpacing() + 4);  // two lines, never clipped
    progress_->setRange(0, 100);
    progress_->hide();
    list_->setIconSize(QSize(560, kRowHeight));
    list_->setSelectionMode(QAbstractItemView::SingleSelection);
    list_->setUniformItemSizes(true);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(makeOptionsRow());
    layout->addWidget(status_);
    layout->addWidget(progress_);
    layout->addWidget(list_, 1);
    connect(views_, &InstanceViewsModel::computationStarted, this, &MultiViewPanel::onStarted);
    connect(views_, &InstanceViewsModel::progress, this, [this](double f) { progress_->setValue(int(f * 100)); });
    connect(views_, &InstanceViewsModel::viewsReady, this, &MultiViewPanel::onReady);
    connect(views_, &InstanceViewsModel::cleared, this, &MultiViewPanel::onCleared);
    connect(list_, &QListWidget::itemClicked, this, &MultiViewPanel::onRowClicked);
    connect(document_, &SceneDocument::activeViewChanged, this, &MultiViewPanel::onActiveViewChanged);
    connect(views_, &InstanceViewsModel::effectiveOptionsChanged, this, &MultiViewPanel::showOptions);
    onCleared();
}

// "Top [5] views, every [10]th frame": the two view-selection knobs a sparse capture needs changed
// (OpenMask3D's stride of 10 suits ScanNet's ~30 Hz exports, not a 12-frame capture).
QWidget* MultiViewPanel::makeOptionsRow() {
    auto* row = new QWidget(this);
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    topK_->setRange(1, 50);
    topK_->setToolTip(tr("How many views to keep per instance (OpenMask3D top_k)"));
    stride_->setRange(1, 1000);
    stride_->setToolTip(tr("Look at every N-th frame (OpenMask3D frequency); 1 looks at all"));
    layout->addWidget(new QLabel(tr("Top"), row));
    layout->addWidget(topK_);
    layout->addWidget(new QLabel(tr("views, every"), row));
    layout->addWidget(stride_);
    layout->addWidget(new QLabel(tr("th frame"), row));
    layout->addStretch(1);
    showOptions();
    // editingFinished, not valueChanged: typing "25" must not start a computation for "2".
    connect(topK_, &QSpinBox::editingFinished, this, &MultiViewPanel::applyOptions);
    connect(stride_, &QSpinBox::editingFinished, this, &MultiViewPanel::applyOptions);
    return row;
}

void MultiViewPanel::showOptions() {
    QSignalBlocker blockK(topK_), blockStride(stride_);
    topK_->setValue(views_->effectiveOptions().topK);
    stride_->setValue(views_->effectiveOptions().frameStride);
}

void MultiViewPanel::applyOptions() {
    ViewSelectionOptions o = views_->effectiveOptions();
    if (o.topK == topK_->value() && o.frameStride == stride_->value()) return;
    o.topK = topK_->value();
    o.frameStride = stride_->value();
    views_->setOptions(o);
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
                         ? tr("Instance %1 is visible in none of the %2 frames looked at (of %3).")
                               .arg(views->instanceId).arg(views->sampledFrames).arg(views->totalFrames)
                         : tr("Instance %1: %2 best views\n(%3 of %4 frames looked at, depth test %5 m)")
                               .arg(views->instanceId).arg(views->images.size()).arg(views->sampledFrames)
                               .arg(views->totalFrames).arg(o.depthThreshold));
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
