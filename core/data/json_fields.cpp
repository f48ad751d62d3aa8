#include "core/data/json_fields.h"

#include "core/common/error.h"
#include "core/io/json_file.h"

namespace inst3d::datajson {
namespace {

bool digits(const std::string& s) {
    if (s.empty()) return false;  // the width is jsonInt32's to check
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

}  // namespace

void Fields::bad(const std::string& where, const std::string& problem) const { fail(path_, where + ": " + problem); }

json Fields::parseFile() const { return parseJsonFile<json>(path_); }

const json& Fields::array(const json& doc, const std::string& where) const {
    if (!doc.is_array()) bad(where.empty() ? "top level" : where, "expected an array");
    return doc;
}

const json* Fields::find(const json& obj, const char* key, const std::string& where) const {
    if (!obj.is_object()) bad(where, "expected an object");
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
}

const json& Fields::get(const json& obj, const char* key, const std::string& where) const {
    const json* v = find(obj, key, where);
    if (!v) bad(where, std::string("missing \"") + key + "\"");
    return *v;
}

std::string Fields::str(const json& obj, const char* key, const std::string& where) const {
    const json& v = get(obj, key, where);
    if (!v.is_string()) bad(where + "." + key, "expected a string");
    return v.get<std::string>();
}

int Fields::integer(const json& obj, const char* key, const std::string& where) const {
    const json& v = get(obj, key, where);
    if (v.is_string() && !digits(v.get<std::string>())) bad(where + "." + key, "expected an integer or a string of digits");
    if (auto i = jsonInt32(v)) return *i;
    bad(where + "." + key, "expected an integer or a string of digits within 32 bits, got " + v.dump());
}

long long Fields::integer64(const json& v, const std::string& where) const {
    if (!v.is_number_integer()) bad(where, "expected an integer");
    return v.get<long long>();
}

double Fields::number(const json& v, const std::string& where) const {
    if (!v.is_number()) bad(where, "expected a number");
    return v.get<double>();
}

std::vector<std::string> Fields::strings(const json& obj, const char* key, const std::string& where) const {
    const json& a = get(obj, key, where);
    if (!a.is_array()) bad(where + "." + key, "expected an array");
    std::vector<std::string> out;
    for (size_t i = 0; i < a.size(); ++i) {
        if (!a[i].is_string()) bad(where + "." + key + "[" + std::to_string(i) + "]", "expected a string");
        out.push_back(a[i].get<std::string>());
    }
    return out;
}

std::vector<int> Fields::integers(const json& obj, const char* key, const std::string& where) const {
    const json& a = get(obj, key, where);
    if (!a.is_array()) bad(where + "." + key, "expected an array");
    std::vector<int> out;
    for (size_t i = 0; i < a.size(); ++i)
        out.push_back(static_cast<int>(integer64(a[i], where + "." + key + "[" + std::to_string(i) + "]")));
    return out;
}

}  // namespace inst3d::datajson
