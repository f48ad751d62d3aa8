// The one {"center": [x, y, z], "size": [x, y, z]} box layout of inst3d's JSON files: benchmark
// prediction and proposal files, `inst3d score` cases, the chat's answers. One reader (every complaint
// names the file and where in it), one writer, one line of text for terminals and transcripts.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "core/common/math.h"
#include "core/geometry/boxes.h"

namespace inst3d {

// A box of a JSON file at `where` ("scene0000_00.3", "items[2].pred"); a missing or malformed field, a
// negative size or a non-finite number is an inst3d::Error naming `path` and `where`.
EvalBox readJsonBox(const std::string& path, const nlohmann::ordered_json& v, const std::string& where);

// {"center": [...], "size": [...]} of an axis-aligned box, metres.
nlohmann::ordered_json boxJson(const AABB& box);

// "centre (0.10, 2.00, 0.45) m, size 0.50 x 0.50 x 0.90 m"; "" for an empty box.
std::string boxText(const AABB& box);

}  // namespace inst3d
