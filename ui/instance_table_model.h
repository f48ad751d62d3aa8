// The document's instances as a Qt table (id, label, point count, score, source): one row per
// Scene::instances entry, reset when the scene changes. Display values are typed (ints, doubles) so
// a QSortFilterProxyModel sorts numbers as numbers.
#pragma once
#include <memory>

#include <QAbstractTableModel>

#include "core/scene/scene.h"

namespace inst3d {

class SceneDocument;

class InstanceTableModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { IdColumn, LabelColumn, PointsColumn, ScoreColumn, SourceColumn, ColumnCount };
    static constexpr int InstanceIdRole = Qt::UserRole + 1;  // Instance::id of a row, in any column

    explicit InstanceTableModel(SceneDocument* document, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    // The ID column's check box shows and hides the instance in 3D (SceneDocument::setInstanceVisible).
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

    int rowOfInstance(int id) const;  // -1 when absent

private:
    void onSceneChanged();
    QVariant displayValue(const Instance& inst, int column) const;

    SceneDocument* document_;
    std::shared_ptr<const Scene> scene_;  // the scene the rows describe
};

}  // namespace inst3d
