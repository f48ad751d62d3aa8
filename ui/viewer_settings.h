// What the viewer remembers between runs (QSettings): window geometry and dock layout, theme, recent
// scenes (the first is the last one opened). $INST3D_SETTINGS names an INI file to use instead of the
// user's ~/.config/inst3d/inst3d.conf, so tests and scripted runs never touch the user's settings.
#pragma once
#include <memory>

#include <QStringList>

#include "core/geometry/view_selection.h"

class QMainWindow;
class QSettings;

namespace inst3d {

enum class Theme { Dark, Light };

// Fusion style with a dark or light palette for the whole application.
void applyTheme(Theme theme);

class ViewerSettings {
public:
    ViewerSettings();
    ~ViewerSettings();

    Theme theme() const;
    void setTheme(Theme theme);
    QStringList recentScenes() const;      // most recent first, only paths that still exist
    void addRecentScene(const QString& path);
    // `inst3d` with no PATH opens the demo scene unless the user chose to reopen the last scene.
    bool restoreLastScene() const;
    void setRestoreLastScene(bool restore);
    // The multi-view panel's top-k and frame stride, when the user changed them (else `defaults`).
    ViewSelectionOptions viewOptions(ViewSelectionOptions defaults) const;
    void setViewOptions(const ViewSelectionOptions& options);
    bool hasFrameStride() const;  // the user set a stride in an earlier session
    void saveWindow(const QMainWindow& window);
    void restoreWindow(QMainWindow& window) const;

private:
    std::unique_ptr<QSettings> settings_;
};

}  // namespace inst3d
