#include "core/io/scannet_json.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/json_file.h"

namespace inst3d {
namespace {

using json = nlohmann::json;

// segs.json of a 1M-vertex scene is ~7 MB of integers; a generic DOM parse costs more than reading the
// whole PLY. This strict scanner reads the one array we need at memory speed and validates (skips) the rest.
class SegsScanner {
public:
    SegsScanner(const char* begin, const char* end, const std::string& path, MappedFile* file = nullptr)
        : p_(begin), end_(end), path_(path), file_(file) {}

    Segmentation parse() {
        Segmentation out;
        bool haveIndices = false;
        ws();
        expect('{');
        ws();
        if (peek() == '}') { ++p_; return finish(out, haveIndices); }
        while (true) {
            ws();
            std::string key = string();
            ws();
            expect(':');
            ws();
            if (key == "segIndices") {
                indices(out.segIndices);
                haveIndices = true;
            } else if (key == "sceneId") {
                out.sceneId = string();
            } else if (key == "params" && peek() == '{') {
                params(out.params);
            } else {
                skipValue(0);
            }
            ws();
            if (peek() == ',') { ++p_; continue; }
            expect('}');
            break;
        }
        ws();
        if (p_ != end_) error("unexpected data after the top-level object");
        return finish(out, haveIndices);
    }

private:
    Segmentation finish(Segmentation& out, bool haveIndices) {
        if (!haveIndices) fail(path_, "no \"segIndices\" array");
        return std::move(out);
    }
    [[noreturn]] void error(const std::string& what) const {
        fail(path_, "malformed JSON at byte " + std::to_string(offset()) + ": " + what);
    }
    size_t offset() const { return static_cast<size_t>(p_ - begin()); }
    const char* begin() const { return end_ - total_; }
    char peek() const {
        if (p_ >= end_) fail(path_, "malformed JSON: unexpected end of file (truncated?)");
        return *p_;
    }
    void ws() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
    }
    void expect(char c) {
        if (peek() != c) error(std::string("expected '") + c + "', found '" + *p_ + "'");
        ++p_;
    }
    std::string string() {
        expect('"');
        std::string s;
        while (true) {
            char c = peek();
            ++p_;
            if (c == '"') return s;
            if (c == '\\') {
                char e = peek();
                ++p_;
                switch (e) {
                    case '"': case '\\': case '/': s += e; break;
                    case 'b': s += '\b'; break;
                    case 'f': s += '\f'; break;
                    case 'n': s += '\n'; break;
                    case 'r': s += '\r'; break;
                    case 't': s += '\t'; break;
                    case 'u':
                        for (int i = 0; i < 4; ++i) {
                            if (!std::isxdigit(static_cast<unsigned char>(peek()))) error("bad \\u escape");
                            ++p_;
                        }
                        s += '?';
                        break;
                    default: error("bad escape");
                }
            } else if (static_cast<unsigned char>(c) < 0x20) {
                error("control character in string");
            } else {
                s += c;
            }
        }
    }
    void number() {
        double v;
        auto r = std::from_chars(p_, end_, v);
        if (r.ec != std::errc()) error("expected a number");
        p_ = r.ptr;
    }
    void literal(const char* word) {
        size_t n = std::strlen(word);
        if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) error("unexpected token");
        p_ += n;
    }
    void skipValue(int depth) {
        if (depth > 64) error("nesting too deep");
        char c = peek();
        if (c == '"') { string(); return; }
        if (c == '{' || c == '[') {
            char close = c == '{' ? '}' : ']';
            ++p_;
            ws();
            if (peek() == close) { ++p_; return; }
            while (true) {
                ws();
                if (c == '{') { string(); ws(); expect(':'); ws(); }
                skipValue(depth + 1);
                ws();
                if (peek() == ',') { ++p_; continue; }
                expect(close);
                return;
            }
        }
        if (c == 't') return literal("true");
        if (c == 'f') return literal("false");
        if (c == 'n') return literal("null");
        number();
    }
    void params(std::vector<std::pair<std::string, std::string>>& out) {
        expect('{');
        ws();
        if (peek() == '}') { ++p_; return; }
        while (true) {
            ws();
            std::string k = string();
            ws();
            expect(':');
            ws();
            const char* s = p_;
            if (peek() == '"') {
                out.emplace_back(k, string());
            } else {
                skipValue(1);
                out.emplace_back(k, std::string(s, p_));
            }
            ws();
            if (peek() == ',') { ++p_; continue; }
            expect('}');
            return;
        }
    }
    void indices(std::vector<int32_t>& out) {
        expect('[');
        // One pass of counting commas (memory speed) sizes the vector exactly, with no regrowth.
        const char* close = static_cast<const char*>(std::memchr(p_, ']', static_cast<size_t>(end_ - p_)));
        if (close) out.reserve(static_cast<size_t>(std::count(p_, close, ',')) + 1);
        ws();
        if (peek() == ']') { ++p_; return; }
        while (true) {
            ws();
            peek();  // a truncated file must say so, not "not an integer"
            int64_t v = 0;
            auto r = std::from_chars(p_, end_, v);
            if (r.ec != std::errc()) error("segIndices entry " + std::to_string(out.size()) + " is not an integer");
            if (r.ptr < end_ && (*r.ptr == '.' || *r.ptr == 'e' || *r.ptr == 'E'))
                error("segIndices entry " + std::to_string(out.size()) + " is not an integer");
            if (v < 0 || v > INT32_MAX) error("segIndices entry " + std::to_string(out.size()) + " is out of range");
            out.push_back(static_cast<int32_t>(v));
            if ((out.size() & 0xFFFF) == 0 && file_) file_->release(reinterpret_cast<const uint8_t*>(p_));
            p_ = r.ptr;
            ws();
            char c = peek();
            ++p_;
            if (c == ',') continue;
            if (c == ']') return;
            --p_;
            error("expected ',' or ']' in segIndices");
        }
    }

    const char* p_;
    const char* end_;
    const std::string& path_;
    MappedFile* file_;
    size_t total_ = static_cast<size_t>(end_ - p_);
};

template <typename T>
T field(const json& obj, const char* key, const std::string& path, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end()) fail(path, where + " has no \"" + key + "\"");
    try {
        return it->get<T>();
    } catch (const json::exception&) {
        fail(path, where + ": \"" + key + "\" has the wrong type (" + it->type_name() + ")");
    }
}

// Chat-Scene and the ScanNet tools read objectId/id as ints; some exports write them as strings.
int intField(const json& obj, const char* key, const std::string& path, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end()) fail(path, where + " has no \"" + key + "\"");
    if (auto i = jsonInt32(*it)) return *i;
    fail(path, where + ": \"" + key + "\" is not a 32-bit integer (" + it->dump() + ")");
}

// segGroups[i].segments: every entry a 32-bit integer. nlohmann's get<std::vector<int>>() would cast a
// 7.8e76 or a 4294967303 into an int (undefined behaviour; found by tools/fuzz.sh).
std::vector<int> intArrayField(const json& obj, const char* key, const std::string& path, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end()) fail(path, where + " has no \"" + key + "\"");
    if (!it->is_array()) fail(path, where + ": \"" + key + "\" has the wrong type (" + it->type_name() + ")");
    std::vector<int> out;
    out.reserve(it->size());
    for (size_t k = 0; k < it->size(); ++k) {
        std::optional<int> v;
        if (!(*it)[k].is_string()) v = jsonInt32((*it)[k]);  // segment ids are numbers in every export
        if (!v) fail(path, where + ": \"" + key + "\"[" + std::to_string(k) + "] is not a 32-bit integer (" + (*it)[k].dump() + ")");
        out.push_back(*v);
    }
    return out;
}

// An optional string field: "" when absent, an error naming it when it is another type (json::value()
// would throw nlohmann's type_error, which names neither the file nor the key).
std::string optionalString(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return "";
    if (!it->is_string()) fail(path, std::string("\"") + key + "\" is not a string (" + it->type_name() + ")");
    return it->get<std::string>();
}

}  // namespace

Segmentation readSegs(const std::string& path) {
    MappedFile file(path);
    const char* b = reinterpret_cast<const char*>(file.data());
    Segmentation segs = SegsScanner(b, b + file.size(), path, &file).parse();
    return segs;
}

void writeSegs(const std::string& path, const Segmentation& segs) {
    std::string out = "{\"params\": {";
    for (size_t i = 0; i < segs.params.size(); ++i)
        out += (i ? ", " : "") + json(segs.params[i].first).dump() + ": " + json(segs.params[i].second).dump();
    out += "}, \"sceneId\": " + json(segs.sceneId).dump() + ", \"segIndices\": [";
    out.reserve(out.size() + segs.segIndices.size() * 8);
    char buf[16];
    for (size_t i = 0; i < segs.segIndices.size(); ++i) {
        if (i) out += ", ";
        auto r = std::to_chars(buf, buf + sizeof buf, segs.segIndices[i]);
        out.append(buf, r.ptr);
    }
    out += "]}";
    writeFileAtomic(path, out);
}

Aggregation readAggregation(const std::string& path) {
    json j = parseJsonFile(path);
    if (!j.is_object()) fail(path, "top level is not a JSON object");
    Aggregation agg;
    agg.sceneId = optionalString(j, "sceneId", path);
    agg.appId = optionalString(j, "appId", path);
    // Some exports write a numeric annotationId; it is only carried along, so anything but a string is dropped.
    agg.annotationId = j.contains("annotationId") && j["annotationId"].is_string() ? j["annotationId"].get<std::string>() : "";
    agg.segmentsFile = optionalString(j, "segmentsFile", path);
    auto groups = j.find("segGroups");
    if (groups == j.end() || !groups->is_array()) fail(path, "no \"segGroups\" array");
    for (size_t i = 0; i < groups->size(); ++i) {
        const json& g = (*groups)[i];
        const std::string where = "segGroups[" + std::to_string(i) + "]";
        if (!g.is_object()) fail(path, where + " is not an object");
        SegGroup sg;
        sg.objectId = intField(g, "objectId", path, where);
        sg.id = g.contains("id") ? intField(g, "id", path, where) : sg.objectId;
        sg.label = field<std::string>(g, "label", path, where);
        sg.segments = intArrayField(g, "segments", path, where);
        agg.segGroups.push_back(std::move(sg));
    }
    return agg;
}

void writeAggregation(const std::string& path, const Aggregation& agg) {
    json j;
    j["sceneId"] = agg.sceneId;
    j["appId"] = agg.appId;
    j["annotationId"] = agg.annotationId;
    json groups = json::array();
    for (const auto& g : agg.segGroups)
        groups.push_back({{"id", g.id}, {"objectId", g.objectId}, {"segments", g.segments}, {"label", g.label}});
    j["segGroups"] = groups;
    j["segmentsFile"] = agg.segmentsFile;
    writeFileAtomic(path, j.dump());
}

}  // namespace inst3d
