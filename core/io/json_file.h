// JSON parsing whose errors name the file: "<path>: malformed JSON: <parser message>". Every JSON
// reader goes through these, so the wording and the file name are never forgotten.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {

template <typename Json = nlohmann::json>
Json parseJsonText(const std::string& text, const std::string& path) {
    try {
        return Json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        fail(path, std::string("malformed JSON: ") + e.what());
    }
}

template <typename Json = nlohmann::json>
Json parseJsonFile(const std::string& path) {
    return parseJsonText<Json>(readTextFile(path), path);
}

// The text as a JSON object; anything else: "<path>: <what> is not a JSON object".
template <typename Json = nlohmann::json>
Json parseJsonObject(const std::string& text, const std::string& path, const std::string& what) {
    Json j = parseJsonText<Json>(text, path);
    if (!j.is_object()) fail(path, what + " is not a JSON object");
    return j;
}

}  // namespace inst3d
