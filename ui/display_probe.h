// Can this process show windows or render with VTK? Debian's VTK renders only through X (no OSMesa,
// no EGL), and QOpenGLWidget crashes on Qt's offscreen platform, so `inst3d view` asks first and
// falls back to a text summary instead of aborting inside Qt or VTK.
#pragma once
#include <string>

namespace inst3d {

struct DisplayStatus {
    bool canShowWindows = false;  // an interactive Qt window with OpenGL can be opened
    bool canRenderVtk = false;    // VTK can create a (hidden) X window: screenshots
    std::string reason;           // why not, when either is false
};

DisplayStatus probeDisplay();

}  // namespace inst3d
