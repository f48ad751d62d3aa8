// Mask3D export reader/writer; format and sources in mask3d_export.h.
#include "core/proposals/mask3d_export.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/label_map.h"

namespace inst3d {
namespace {

std::string lineRef(int line) { return "line " + std::to_string(line) + ": "; }

int parseClassId(const std::string& s, const std::string& path, int line) {
    int v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) fail(path, lineRef(line) + "class id is not an integer: '" + s + "'");
    return v;
}

float parseScore(const std::string& s, const std::string& path, int line) {
    double v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v))
        fail(path, lineRef(line) + "score is not a finite number: '" + s + "'");
    return static_cast<float>(v);
}

// Chat-Scene's layout: "pred_mask/scene0000_00_3.txt" lives at "pred_mask/scene0000_00/3.txt".
std::string chatSceneMaskPath(const std::string& rel) {
    size_t slash = rel.rfind('/');
    size_t us = rel.rfind('_');
    if (us == std::string::npos || (slash != std::string::npos && us < slash)) return "";
    return rel.substr(0, us) + "/" + rel.substr(us + 1);
}

std::string resolveMaskFile(const std::string& dir, const std::string& rel, const std::string& txtPath, int line) {
    std::string direct = joinPath(dir, rel);
    if (fileExists(direct)) return direct;
    std::string moved = chatSceneMaskPath(rel);
    if (!moved.empty() && fileExists(joinPath(dir, moved))) return joinPath(dir, moved);
    fail(txtPath, lineRef(line) + "mask file '" + rel + "' not found (looked for " + direct +
                      (moved.empty() ? "" : " and " + joinPath(dir, moved)) + ")");
}

// One "0"/"1" per line (np.savetxt fmt="%d"); "0.0"/"1.0" style numbers are accepted too.
std::vector<uint32_t> readMaskFile(const std::string& path, size_t numVertices) {
    MappedFile file(path);
    const char* p = reinterpret_cast<const char*>(file.data());
    const char* end = p + file.size();
    std::vector<uint32_t> vertices;
    size_t line = 0;
    while (p < end) {
        const char* eol = p;
        while (eol < end && *eol != '\n') ++eol;
        const char* stop = eol;
        while (stop > p && (stop[-1] == '\r' || stop[-1] == ' ' || stop[-1] == '\t')) --stop;
        ++line;
        double v = -1;
        if (stop - p == 1 && (*p == '0' || *p == '1')) v = *p - '0';
        else if (auto r = std::from_chars(p, stop, v); r.ec != std::errc() || r.ptr != stop) v = -1;
        if (v != 0 && v != 1)
            fail(path, lineRef(static_cast<int>(line)) + "expected 0 or 1, found '" + std::string(p, stop) + "'");
        if (v == 1 && line <= numVertices) vertices.push_back(static_cast<uint32_t>(line - 1));
        p = eol < end ? eol + 1 : end;
    }
    if (line != numVertices)
        fail(path, "has " + std::to_string(line) + " mask lines but the mesh has " + std::to_string(numVertices) + " vertices");
    return vertices;
}

std::map<int, std::string> categoriesById(const LabelMap& labels) {
    std::map<int, std::string> out;
    for (const LabelRow& row : labels.rows()) out.emplace(row.id, row.category);
    return out;
}

int classIdOf(const std::string& label, const LabelMap* labels) {
    if (!labels || label.empty()) return 0;
    for (const LabelRow& row : labels->rows())
        if (row.category == label) return row.id;
    const LabelRow* raw = labels->byRaw(label);
    return raw ? raw->id : 0;
}

std::string sceneIdOfTxt(const std::string& txtPath) {
    std::string name = baseName(txtPath);
    return endsWith(name, ".txt") ? name.substr(0, name.size() - 4) : name;
}

}  // namespace

std::string mask3DExportPath(const std::string& dir, const std::string& sceneId) {
    if (endsWith(dir, ".txt") && !isDirectory(dir)) return dir;
    return joinPath(dir, sceneId + ".txt");
}

ProposalSet readMask3DExport(const std::string& txtPath, size_t numVertices, const Mask3DReadOptions& options) {
    const std::string text = readTextFile(txtPath);
    const std::string dir = parentPath(txtPath);
    std::map<int, std::string> categories;
    if (options.labels) categories = categoriesById(*options.labels);
    ProposalSet set;
    set.sceneId = sceneIdOfTxt(txtPath);
    set.origin = ProposalOrigin::Mask3DExport;
    set.path = txtPath;
    int lineNo = 0;
    size_t start = 0;
    while (start < text.size()) {
        size_t eol = text.find('\n', start);
        if (eol == std::string::npos) eol = text.size();
        std::vector<std::string> f = splitWhitespace(text.substr(start, eol - start));
        start = eol + 1;
        ++lineNo;
        if (f.empty()) continue;
        if (f.size() != 3)
            fail(txtPath, lineRef(lineNo) + "expected '<mask file> <class id> <score>', found " + std::to_string(f.size()) + " fields");
        const int classId = parseClassId(f[1], txtPath, lineNo);
        const float score = parseScore(f[2], txtPath, lineNo);
        auto cat = categories.find(classId);
        if (options.labels && options.dropUnknownClassIds && cat == categories.end()) continue;
        Instance inst;
        inst.id = static_cast<int>(set.instances.size());
        inst.label = cat == categories.end() ? "" : cat->second;
        inst.score = score;
        inst.source = InstanceSource::Imported;
        inst.vertices = readMaskFile(resolveMaskFile(dir, f[0], txtPath, lineNo), numVertices);
        set.instances.push_back(std::move(inst));
    }
    return set;
}

void writeMask3DExport(const std::string& dir, const ProposalSet& set, size_t numVertices, const LabelMap* labels) {
    if (set.sceneId.empty()) fail(dir, "cannot write a Mask3D export without a scene id");
    checkProposals(set, numVertices, dir);
    makeDirectories(joinPath(dir, "pred_mask"));
    std::string index;
    for (size_t k = 0; k < set.instances.size(); ++k) {
        const Instance& inst = set.instances[k];
        const std::string rel = "pred_mask/" + set.sceneId + "_" + std::to_string(k) + ".txt";
        std::string mask(2 * numVertices, '\n');
        for (size_t v = 0; v < numVertices; ++v) mask[2 * v] = '0';
        for (uint32_t v : inst.vertices) mask[2 * size_t(v)] = '1';
        writeFileAtomic(joinPath(dir, rel), mask);
        char score[32];
        std::snprintf(score, sizeof score, "%.9g", static_cast<double>(inst.score));
        index += rel + " " + std::to_string(classIdOf(inst.label, labels)) + " " + score + "\n";
    }
    writeFileAtomic(joinPath(dir, set.sceneId + ".txt"), index);
}

}  // namespace inst3d
