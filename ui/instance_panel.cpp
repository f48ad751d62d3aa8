#include "ui/instance_panel.h"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

#include "ui/instance_table_model.h"
#include "ui/scene_document.h"

namespace inst3d {

InstancePanel::InstancePanel(SceneDocument* document, QWidget* parent)
    : QWidget(parent),
      document_(document),
      model_(new InstanceTableModel(document, this)),
      proxy_(new QSortFilterProxyModel(this)),
      search_(new QLineEdit(this)),
      table_(new QTableView(this)),
      count_(new QLabel(this)) {
    proxy_->setSourceModel(model_);
    proxy_->setFilterKeyColumn(-1);  // the search matches id, label, source... any column
    proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
    proxy_->setSortRole(Qt::DisplayRole);
    search_->setPlaceholderText(tr("Search instances (label, id, source)"));
    search_->setClearButtonEnabled(true);
    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(InstanceTableModel::IdColumn, Qt::AscendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->hide();
    // Numbers take what they need; the label gets the rest of a narrow dock.
    QHeaderView* header = table_->horizontalHeader();
    const QFontMetrics fm = fontMetrics();
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->resizeSection(InstanceTableModel::IdColumn, fm.horizontalAdvance("0000") + 58);  // + show box, color swatch
    header->resizeSection(InstanceTableModel::PointsColumn, fm.horizontalAdvance("Points") + 22);
    header->resizeSection(InstanceTableModel::ScoreColumn, fm.horizontalAdvance("Score") + 22);
    header->resizeSection(InstanceTableModel::SourceColumn, fm.horizontalAdvance("Source") + 16);
    header->setSectionResizeMode(InstanceTableModel::LabelColumn, QHeaderView::Stretch);
    table_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    table_->setAlternatingRowColors(true);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(search_);
    layout->addWidget(table_, 1);
    layout->addWidget(count_);

    connect(search_, &QLineEdit::textChanged, proxy_, &QSortFilterProxyModel::setFilterFixedString);
    connect(search_, &QLineEdit::textChanged, this, &InstancePanel::updateCount);
    connect(model_, &QAbstractItemModel::modelReset, this, &InstancePanel::updateCount);
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, &InstancePanel::onRowActivated);
    connect(document_, &SceneDocument::selectedInstanceChanged, this, &InstancePanel::onDocumentSelection);
    updateCount();
}

void InstancePanel::onRowActivated() {
    if (syncing_) return;
    QModelIndexList rows = table_->selectionModel()->selectedRows();
    // Clearing the table's selection (e.g. filtering the row away) keeps the 3D selection.
    if (rows.isEmpty()) return;
    document_->setSelectedInstance(rows.first().data(InstanceTableModel::InstanceIdRole).toInt());
}

void InstancePanel::onDocumentSelection(int id) {
    syncing_ = true;
    int row = model_->rowOfInstance(id);
    QModelIndex index = row >= 0 ? proxy_->mapFromSource(model_->index(row, 0)) : QModelIndex();
    if (index.isValid()) {
        table_->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        table_->setCurrentIndex(index);
        table_->scrollTo(index);
    } else {
        table_->clearSelection();
    }
    syncing_ = false;
}

void InstancePanel::updateCount() {
    int total = model_->rowCount(), shown = proxy_->rowCount();
    count_->setText(shown == total ? tr("%n instance(s)", nullptr, total)
                                   : tr("%1 of %2 instances").arg(shown).arg(total));
}

}  // namespace inst3d
