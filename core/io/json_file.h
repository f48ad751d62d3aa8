// JSON parsing whose errors name the file: "<path>: malformed JSON: <parser message>". Every JSON
// reader goes through these, so the wording and the file name are never forgotten.
#pragma once
#include <charconv>
#include <climits>
#include <cstdint>
#include <optional>
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

// An id as a 32-bit int: a JSON integer in range, or a string of its decimal digits (ScanRefer writes
// "34"). Anything else is nullopt, 4294967303 included: get<int>() would narrow it silently to 7, and a
// ScanRefer gt_id 4294967297 would then score as object 1.
template <typename Json>
std::optional<int> jsonInt32(const Json& v) {
    if (v.is_number_unsigned()) {
        const uint64_t u = v.template get<uint64_t>();
        return u <= uint64_t(INT_MAX) ? std::optional<int>(int(u)) : std::nullopt;
    }
    if (v.is_number_integer()) {
        const int64_t i = v.template get<int64_t>();
        return i >= INT_MIN && i <= INT_MAX ? std::optional<int>(int(i)) : std::nullopt;
    }
    if (v.is_string()) {
        const std::string& s = v.template get_ref<const std::string&>();
        int out = 0;
        const auto r = std::from_chars(s.data(), s.data() + s.size(), out);  // refuses overflow
        if (!s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size()) return out;
    }
    return std::nullopt;
}

}  // namespace inst3d
