// The 3D camera as one line of text, for Edit > Copy/Paste Viewpoint and `inst3d view --camera`:
//   position=X,Y,Z focal=X,Y,Z up=X,Y,Z angle=DEG
// in the displayed (aligned) frame. Plain text so it can be pasted into a shell, a note or a paper's
// script and read back exactly (17 significant digits).
#pragma once
#include <string>

class vtkCamera;

namespace inst3d {

std::string cameraToText(vtkCamera* camera);
// Throws Error naming the problem when `text` is not a camera line; `camera` is left unchanged then.
// `angle` may be omitted (the camera keeps its view angle).
void applyCameraText(const std::string& text, vtkCamera* camera);

}  // namespace inst3d
