#include "core/eval/box_json.h"

#include <cstdio>

#include "core/common/error.h"

namespace inst3d {

EvalBox readJsonBox(const std::string& path, const nlohmann::ordered_json& v, const std::string& where) {
    if (!v.is_object()) fail(path, where + ": expected an object");
    EvalBox b;
    for (const char* key : {"center", "size"}) {
        auto it = v.find(key);
        if (it == v.end()) fail(path, where + ": missing \"" + key + "\"");
        const nlohmann::ordered_json& a = *it;
        if (!a.is_array() || a.size() != 3) fail(path, where + "." + key + ": expected 3 numbers");
        for (int k = 0; k < 3; ++k) {
            if (!a[k].is_number()) fail(path, where + "." + key + ": expected 3 numbers");
            (key[0] == 'c' ? b.center : b.size)[k] = a[k].get<double>();
        }
    }
    if (const char* why = invalidBoxReason(b)) fail(path, where + ": the box has " + why);
    return b;
}

nlohmann::ordered_json boxJson(const AABB& box) {
    const Vec3 c = box.center(), s = box.size();
    return {{"center", {c.x, c.y, c.z}}, {"size", {s.x, s.y, s.z}}};
}

std::string boxText(const AABB& box) {
    if (box.empty()) return "";
    const Vec3 c = box.center(), s = box.size();
    char text[160];
    std::snprintf(text, sizeof text, "centre (%.2f, %.2f, %.2f) m, size %.2f x %.2f x %.2f m", c.x, c.y, c.z, s.x, s.y, s.z);
    return text;
}

}  // namespace inst3d
