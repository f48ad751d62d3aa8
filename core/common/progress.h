// The one progress callback of long jobs: fraction done (0..1) and what is being done; returning false
// asks the job to stop (each job says how it stops). ProgressBar::update (core/cli) has this shape.
#pragma once
#include <functional>
#include <string>

namespace inst3d {

using Progress = std::function<bool(double fraction, const std::string& message)>;

}  // namespace inst3d
