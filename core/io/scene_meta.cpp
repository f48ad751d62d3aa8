#include "core/io/scene_meta.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {

SceneMeta readSceneMeta(const std::string& path) {
    std::istringstream in(readTextFile(path));
    SceneMeta meta;
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (trim(line).empty()) continue;
        size_t eq = line.find('=');
        if (eq == std::string::npos) fail(path, "line " + std::to_string(lineNo) + ": expected 'key = value'");
        meta.entries.emplace_back(trim(line.substr(0, eq)), trim(line.substr(eq + 1)));
    }
    return meta;
}

void writeSceneMeta(const std::string& path, const SceneMeta& meta) {
    std::string out;
    for (const auto& kv : meta.entries) out += kv.first + " = " + kv.second + "\n";
    writeFileAtomic(path, out);
}

// Parses exactly `count` finite-or-inf numbers from `text`.
static std::vector<double> parseNumbers(const std::string& text, const std::string& path, const std::string& what) {
    std::vector<double> values;
    for (const std::string& tok : splitWhitespace(text)) {
        char* end = nullptr;
        double v = std::strtod(tok.c_str(), &end);
        if (end == tok.c_str() || *end != '\0') fail(path, what + ": '" + tok + "' is not a number");
        values.push_back(v);
    }
    return values;
}

Mat4 parseMatrix4(const std::string& text, const std::string& path) {
    std::vector<double> v = parseNumbers(text, path, "4x4 matrix");
    if (v.size() != 16) fail(path, "expected 16 numbers for a 4x4 matrix, found " + std::to_string(v.size()));
    Mat4 m;
    for (int i = 0; i < 16; ++i) m.m[i] = v[i];
    return m;
}

static std::string formatNumber(double v) {
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", v);
    return buf;
}

std::string formatMatrix4(const Mat4& m) {
    std::string out;
    for (int r = 0; r < 4; ++r) {
        for (int c = 0; c < 4; ++c) out += formatNumber(m(r, c)) + (c < 3 ? " " : "\n");
    }
    return out;
}

Mat4 readMatrix4File(const std::string& path) { return parseMatrix4(readTextFile(path), path); }
void writeMatrix4File(const std::string& path, const Mat4& m) { writeFileAtomic(path, formatMatrix4(m)); }

Mat4 axisAlignmentOf(const SceneMeta& meta, const std::string& path) {
    const std::string* v = meta.find("axisAlignment");
    if (!v) return Mat4::identity();
    Mat4 m = parseMatrix4(*v, path + " (axisAlignment)");
    if (!m.isFinite()) fail(path, "axisAlignment contains NaN or infinite values");
    return m;
}

void setAxisAlignment(SceneMeta& meta, const Mat4& m) {
    std::string s;
    for (int i = 0; i < 16; ++i) s += formatNumber(m.m[i]) + " ";
    meta.set("axisAlignment", s);
}

// The largest image side a <scene>.txt may state: far above any RGB-D sensor (ScanNet's colour is 1296).
constexpr int kMaxImageSidePx = 1 << 16;

static bool intrinsicsOf(const SceneMeta& meta, const std::string& path, const std::string& kind, Intrinsics& out) {
    const std::string* fx = meta.find("fx_" + kind);
    const std::string* fy = meta.find("fy_" + kind);
    const std::string* mx = meta.find("mx_" + kind);
    const std::string* my = meta.find("my_" + kind);
    const std::string* w = meta.find(kind + "Width");
    const std::string* h = meta.find(kind + "Height");
    if (!fx || !fy || !mx || !my || !w || !h) return false;
    auto number = [&](const std::string& key, const std::string& s) {
        std::vector<double> v = parseNumbers(s, path, key);
        if (v.size() != 1 || !std::isfinite(v[0])) fail(path, key + ": expected one finite number, got '" + s + "'");
        return v[0];
    };
    out.fx = number("fx_" + kind, *fx);
    out.fy = number("fy_" + kind, *fy);
    out.cx = number("mx_" + kind, *mx);
    out.cy = number("my_" + kind, *my);
    // Image sides: whole pixels in [1, kMaxImageSidePx]; a cast of 6.4e15 to int is undefined (tools/fuzz.sh).
    auto pixels = [&](const std::string& key, const std::string& s) {
        const double v = number(key, s);
        if (!(v >= 1 && v <= kMaxImageSidePx) || v != std::floor(v))
            fail(path, key + ": expected a whole number of pixels in 1.." + std::to_string(kMaxImageSidePx) + ", got '" + s + "'");
        return static_cast<int>(v);
    };
    out.width = pixels(kind + "Width", *w);
    out.height = pixels(kind + "Height", *h);
    return true;
}

bool colorIntrinsicsOf(const SceneMeta& meta, const std::string& path, Intrinsics& out) {
    return intrinsicsOf(meta, path, "color", out);
}
bool depthIntrinsicsOf(const SceneMeta& meta, const std::string& path, Intrinsics& out) {
    return intrinsicsOf(meta, path, "depth", out);
}

void setIntrinsics(SceneMeta& meta, const Intrinsics& color, const Intrinsics& depth) {
    meta.set("colorHeight", std::to_string(color.height));
    meta.set("colorWidth", std::to_string(color.width));
    meta.set("depthHeight", std::to_string(depth.height));
    meta.set("depthWidth", std::to_string(depth.width));
    meta.set("fx_color", formatNumber(color.fx));
    meta.set("fx_depth", formatNumber(depth.fx));
    meta.set("fy_color", formatNumber(color.fy));
    meta.set("fy_depth", formatNumber(depth.fy));
    meta.set("mx_color", formatNumber(color.cx));
    meta.set("mx_depth", formatNumber(depth.cx));
    meta.set("my_color", formatNumber(color.cy));
    meta.set("my_depth", formatNumber(depth.cy));
}

}  // namespace inst3d
