#include "render/camera_text.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <vector>

#include <vtkCamera.h>

#include "core/common/error.h"

namespace inst3d {
namespace {

std::string triple(const double v[3]) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%.17g,%.17g,%.17g", v[0], v[1], v[2]);
    return buf;
}

std::vector<double> numbers(const std::string& key, const std::string& value, size_t count) {
    std::vector<double> out;
    std::stringstream in(value);
    std::string part;
    while (std::getline(in, part, ',')) {
        try {
            size_t used = 0;
            out.push_back(std::stod(part, &used));
            if (used != part.size() || !std::isfinite(out.back())) throw std::invalid_argument(part);
        } catch (const std::exception&) {
            fail("", "camera: '" + key + "' has a bad number '" + part + "'");
        }
    }
    if (out.size() != count) fail("", "camera: '" + key + "' needs " + std::to_string(count) + " numbers");
    return out;
}

}  // namespace

std::string cameraToText(vtkCamera* camera) {
    double position[3], focal[3], up[3];
    camera->GetPosition(position);
    camera->GetFocalPoint(focal);
    camera->GetViewUp(up);
    char angle[32];
    std::snprintf(angle, sizeof angle, "%.17g", camera->GetViewAngle());
    return "position=" + triple(position) + " focal=" + triple(focal) + " up=" + triple(up) + " angle=" + angle;
}

void applyCameraText(const std::string& text, vtkCamera* camera) {
    std::map<std::string, std::string> fields;
    std::stringstream in(text);
    std::string token;
    while (in >> token) {
        size_t eq = token.find('=');
        if (eq == std::string::npos) fail("", "camera: expected key=value, got '" + token + "'");
        fields[token.substr(0, eq)] = token.substr(eq + 1);
    }
    for (const char* key : {"position", "focal", "up"})
        if (!fields.count(key))
            fail("", std::string("camera: missing '") + key + "' (expected position=X,Y,Z focal=X,Y,Z up=X,Y,Z angle=DEG)");
    for (const auto& [key, value] : fields)
        if (key != "position" && key != "focal" && key != "up" && key != "angle") fail("", "camera: unknown key '" + key + "'");
    const auto p = numbers("position", fields["position"], 3), f = numbers("focal", fields["focal"], 3),
               u = numbers("up", fields["up"], 3);
    double angle = fields.count("angle") ? numbers("angle", fields["angle"], 1)[0] : camera->GetViewAngle();
    if (angle <= 0 || angle >= 180) fail("", "camera: angle must be between 0 and 180 degrees");
    if (p == f) fail("", "camera: position and focal point coincide");
    camera->SetPosition(p[0], p[1], p[2]);
    camera->SetFocalPoint(f[0], f[1], f[2]);
    camera->SetViewUp(u[0], u[1], u[2]);
    camera->SetViewAngle(angle);
    camera->OrthogonalizeViewUp();
}

}  // namespace inst3d
