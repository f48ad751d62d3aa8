#include "ui/instance_table_model.h"

#include <QBrush>
#include <QColor>

#include "render/scene_colors.h"
#include "ui/scene_document.h"

namespace inst3d {

InstanceTableModel::InstanceTableModel(SceneDocument* document, QObject* parent)
    : QAbstractTableModel(parent), document_(document), scene_(document->scene()) {
    connect(document_, &SceneDocument::sceneChanged, this, &InstanceTableModel::onSceneChanged);
    connect(document_, &SceneDocument::hiddenInstancesChanged, this, [this] {
        if (rowCount() > 0) Q_EMIT dataChanged(index(0, IdColumn), index(rowCount() - 1, IdColumn), {Qt::CheckStateRole});
    });
}

Qt::ItemFlags InstanceTableModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    return index.isValid() && index.column() == IdColumn ? f | Qt::ItemIsUserCheckable : f;
}

bool InstanceTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (!scene_ || !index.isValid() || index.column() != IdColumn || role != Qt::CheckStateRole) return false;
    const Instance& inst = scene_->instances[static_cast<size_t>(index.row())];
    document_->setInstanceVisible(inst.id, value.toInt() == Qt::Checked);
    return true;  // dataChanged follows from the document's hiddenInstancesChanged
}

void InstanceTableModel::onSceneChanged() {
    beginResetModel();
    scene_ = document_->scene();
    endResetModel();
}

int InstanceTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() || !scene_ ? 0 : static_cast<int>(scene_->instances.size());
}

int InstanceTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant InstanceTableModel::displayValue(const Instance& inst, int column) const {
    switch (column) {
        case IdColumn: return inst.id;
        case LabelColumn: return inst.label.empty() ? tr("(unlabeled)") : QString::fromStdString(inst.label);
        case PointsColumn: return static_cast<qulonglong>(inst.vertices.size());
        case ScoreColumn: return static_cast<double>(inst.score);
        case SourceColumn: return QString::fromLatin1(toString(inst.source));
    }
    return {};
}

QVariant InstanceTableModel::data(const QModelIndex& index, int role) const {
    if (!scene_ || !index.isValid() || index.row() >= rowCount()) return {};
    const Instance& inst = scene_->instances[static_cast<size_t>(index.row())];
    switch (role) {
        case Qt::DisplayRole: return displayValue(inst, index.column());
        case InstanceIdRole: return inst.id;
        case Qt::CheckStateRole:
            if (index.column() != IdColumn) return {};
            return document_->isInstanceVisible(inst.id) ? Qt::Checked : Qt::Unchecked;
        case Qt::DecorationRole: {
            if (index.column() != IdColumn) return {};
            Rgb8 c = instanceColor(inst.id);  // the swatch matches the Instances color mode
            return QColor(c[0], c[1], c[2]);
        }
        case Qt::TextAlignmentRole:
            return index.column() == LabelColumn || index.column() == SourceColumn
                       ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                       : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    }
    return {};
}

QVariant InstanceTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
        case IdColumn: return tr("ID");
        case LabelColumn: return tr("Label");
        case PointsColumn: return tr("Points");
        case ScoreColumn: return tr("Score");
        case SourceColumn: return tr("Source");
    }
    return {};
}

int InstanceTableModel::rowOfInstance(int id) const {
    if (!scene_) return -1;
    for (size_t i = 0; i < scene_->instances.size(); ++i)
        if (scene_->instances[i].id == id) return static_cast<int>(i);
    return -1;
}

}  // namespace inst3d
