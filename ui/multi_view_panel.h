// The 2D views behind the selected instance: one row per top-k view (the frame with the projected
// mask tinted, then the crop levels), best first. Clicking a row makes it the document's active view
// (the 3D camera moves to that frame's pose and draws its frustum).
#pragma once
#include <QWidget>

class QLabel;
class QListWidget;
class QProgressBar;
class QSpinBox;

namespace inst3d {

class InstanceViewsModel;
class SceneDocument;

class MultiViewPanel : public QWidget {
    Q_OBJECT

public:
    MultiViewPanel(SceneDocument* document, InstanceViewsModel* views, QWidget* parent = nullptr);

    QListWidget* list() const { return list_; }
    QLabel* statusLabel() const { return status_; }
    QSpinBox* topKBox() const { return topK_; }
    QSpinBox* strideBox() const { return stride_; }

private:
    void onStarted(int instanceId);
    void onReady();
    void onCleared();
    void onActiveViewChanged(int frame);
    void onRowClicked();
    QWidget* makeOptionsRow();
    void showOptions();
    void applyOptions();

    SceneDocument* document_;
    InstanceViewsModel* views_;
    QLabel* status_;
    QProgressBar* progress_;
    QListWidget* list_;
    QSpinBox* topK_;    // views kept per instance
    QSpinBox* stride_;  // every N-th frame is looked at
};

}  // namespace inst3d
