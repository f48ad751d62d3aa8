#include "ui/viewer_settings.h"

#include <algorithm>
#include <QApplication>
#include <QFileInfo>
#include <QMainWindow>
#include <QPalette>
#include <QSettings>
#include <QStyle>
#include <QStyleFactory>

namespace inst3d {
namespace {

constexpr int kMaxRecent = 10;

QPalette darkPalette() {
    QPalette p;
    const QColor window(45, 47, 52), base(30, 32, 36), text(225, 227, 230), accent(230, 160, 20);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::Highlight, accent);
    p.setColor(QPalette::HighlightedText, Qt::black);
    p.setColor(QPalette::PlaceholderText, QColor(140, 142, 146));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(120, 120, 120));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(120, 120, 120));
    return p;
}

}  // namespace

void applyTheme(Theme theme) {
    QApplication::setStyle(QStyleFactory::create("Fusion"));
    QApplication::setPalette(theme == Theme::Dark ? darkPalette() : QApplication::style()->standardPalette());
}

ViewerSettings::ViewerSettings() {
    const QString file = qEnvironmentVariable("INST3D_SETTINGS");
    settings_ = file.isEmpty() ? std::make_unique<QSettings>("inst3d", "inst3d")
                               : std::make_unique<QSettings>(file, QSettings::IniFormat);
}

ViewerSettings::~ViewerSettings() = default;

Theme ViewerSettings::theme() const {
    return settings_->value("theme", "dark").toString() == "light" ? Theme::Light : Theme::Dark;
}

void ViewerSettings::setTheme(Theme theme) { settings_->setValue("theme", theme == Theme::Light ? "light" : "dark"); }

QStringList ViewerSettings::recentScenes() const {
    QStringList out;
    for (const QString& p : settings_->value("recentScenes").toStringList())
        if (QFileInfo::exists(p)) out << p;
    return out;
}

void ViewerSettings::addRecentScene(const QString& path) {
    const QString abs = QFileInfo(path).absoluteFilePath();
    QStringList list = settings_->value("recentScenes").toStringList();
    list.removeAll(abs);
    list.prepend(abs);
    while (list.size() > kMaxRecent) list.removeLast();
    settings_->setValue("recentScenes", list);
}

bool ViewerSettings::restoreLastScene() const { return settings_->value("restoreLastScene", false).toBool(); }

void ViewerSettings::setRestoreLastScene(bool restore) { settings_->setValue("restoreLastScene", restore); }

ViewSelectionOptions ViewerSettings::viewOptions(ViewSelectionOptions defaults) const {
    defaults.topK = std::max(1, settings_->value("views/topK", defaults.topK).toInt());
    defaults.frameStride = std::max(1, settings_->value("views/frameStride", defaults.frameStride).toInt());
    return defaults;
}

bool ViewerSettings::hasFrameStride() const { return settings_->contains("views/frameStride"); }

void ViewerSettings::setViewOptions(const ViewSelectionOptions& options) {
    settings_->setValue("views/topK", options.topK);
    settings_->setValue("views/frameStride", options.frameStride);
}

void ViewerSettings::saveWindow(const QMainWindow& window) {
    settings_->setValue("window/geometry", window.saveGeometry());
    settings_->setValue("window/state", window.saveState());
}

void ViewerSettings::restoreWindow(QMainWindow& window) const {
    window.restoreGeometry(settings_->value("window/geometry").toByteArray());
    window.restoreState(settings_->value("window/state").toByteArray());
}

}  // namespace inst3d
