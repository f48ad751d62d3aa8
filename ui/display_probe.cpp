// Kept free of Qt headers: Xlib.h defines macros (None, Bool, Status) that break Qt code.
#include "ui/display_probe.h"

#include <cstdlib>

#include <X11/Xlib.h>

namespace inst3d {
namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// DISPLAY can name a server that is gone (a stale ssh -X session, a finished xvfb-run); Qt and VTK
// both abort on that, so try the connection once.
bool x11Reachable(const std::string& display) {
    Display* d = XOpenDisplay(display.c_str());
    if (!d) return false;
    XCloseDisplay(d);
    return true;
}

}  // namespace

DisplayStatus probeDisplay() {
    DisplayStatus s;
    std::string x = env("DISPLAY"), wayland = env("WAYLAND_DISPLAY"), qpa = env("QT_QPA_PLATFORM");
    bool xOk = !x.empty() && x11Reachable(x);
    s.canRenderVtk = xOk;
    bool qpaHeadless = qpa == "offscreen" || qpa == "minimal";
    s.canShowWindows = (xOk || !wayland.empty()) && !qpaHeadless;
    if (x.empty() && wayland.empty())
        s.reason = "no display: DISPLAY and WAYLAND_DISPLAY are unset";
    else if (!x.empty() && !xOk && wayland.empty())
        s.reason = "cannot connect to the X display '" + x + "'";
    else if (!xOk)
        s.reason = "VTK renders through X only and DISPLAY is " + (x.empty() ? std::string("unset") : "unreachable");
    else if (qpaHeadless)
        s.reason = "QT_QPA_PLATFORM=" + qpa + " cannot show OpenGL widgets";
    return s;
}

}  // namespace inst3d
