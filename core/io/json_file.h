// JSON parsing whose errors name the file: "<path>: malformed JSON: <parser message>". Every JSON
// reader goes through these, so the wording and the file name are never forgotten.
#pragma once
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {

// `what` names the text when it is part of a file rather than the whole of it ("malformed
// safetensors header: ..."); a view, so that a header inside a mapped file is parsed without a copy.
template <typename Json = nlohmann::json>
Json parseJsonText(std::string_view text, const std::string& path, const std::string& what = "JSON") {
    try {
        return Json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        fail(path, "malformed " + what + ": " + e.what());
    }
}

template <typename Json = nlohmann::json>
Json parseJsonFile(const std::string& path) {
    return parseJsonText<Json>(readTextFile(path), path);
}

// The text as a JSON object; anything else: "<path>: <what> is not a JSON object".
template <typename Json = nlohmann::json>
Json parseJsonObject(std::string_view text, const std::string& path, const std::string& what) {
    Json j = parseJsonText<Json>(text, path);
    if (!j.is_object()) fail(path, what + " is not a JSON object");
    return j;
}

}  // namespace inst3d
