// The instance list: a search box over a sortable QTableView of InstanceTableModel. The row
// selection mirrors SceneDocument::selectedInstance both ways: clicking a row selects the instance
// (the 3D view then highlights and frames it), selecting in 3D selects and reveals the row.
#pragma once
#include <QWidget>

class QLineEdit;
class QLabel;
class QSortFilterProxyModel;
class QTableView;

namespace inst3d {

class InstanceTableModel;
class SceneDocument;

class InstancePanel : public QWidget {
    Q_OBJECT

public:
    explicit InstancePanel(SceneDocument* document, QWidget* parent = nullptr);

    QTableView* table() const { return table_; }
    QLineEdit* searchBox() const { return search_; }
    InstanceTableModel* model() const { return model_; }
    QSortFilterProxyModel* proxy() const { return proxy_; }

private:
    void onRowActivated();
    void onDocumentSelection(int id);
    void updateCount();

    SceneDocument* document_;
    InstanceTableModel* model_;
    QSortFilterProxyModel* proxy_;
    QLineEdit* search_;
    QTableView* table_;
    QLabel* count_;
    bool syncing_ = false;  // set while the document's selection is copied into the view
};

}  // namespace inst3d
