#include "core/io/label_map.h"

#include <charconv>
#include <sstream>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {
namespace {

std::vector<std::string> splitTabs(const std::string& line) {
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        size_t tab = line.find('\t', start);
        out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
        if (tab == std::string::npos) break;
        start = tab + 1;
    }
    if (!out.empty() && !out.back().empty() && out.back().back() == '\r') out.back().pop_back();
    return out;
}

int toInt(const std::string& s, const std::string& path, int line, const std::string& column) {
    if (s.empty()) return 0;  // the release leaves some ids blank
    int v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size())
        fail(path, "line " + std::to_string(line) + ": column '" + column + "' is not an integer: '" + s + "'");
    return v;
}

}  // namespace

std::vector<std::string> LabelMap::header() {
    return {"id", "raw_category", "category", "count", "nyu40id", "eigen13id", "nyuClass", "nyu40class",
            "eigen13class", "ModelNet40", "ModelNet10", "ShapeNetCore55", "synsetoffset", "wnsynsetid",
            "wnsynsetkey", "mpcat40", "mpcat40index"};
}

LabelMap LabelMap::read(const std::string& path) {
    std::istringstream in(readTextFile(path));
    std::string line;
    if (!std::getline(in, line)) fail(path, "empty file");
    std::vector<std::string> cols = splitTabs(line);
    auto col = [&](const std::string& name) {
        for (size_t i = 0; i < cols.size(); ++i)
            if (cols[i] == name) return static_cast<int>(i);
        fail(path, "header has no column '" + name + "' (is this scannetv2-labels.combined.tsv?)");
    };
    const int cId = col("id"), cRaw = col("raw_category"), cCat = col("category"), cCount = col("count"),
              cNyu = col("nyu40id"), cNyuClass = col("nyu40class");
    LabelMap map;
    int lineNo = 1;
    while (std::getline(in, line)) {
        ++lineNo;
        if (trim(line).empty()) continue;
        std::vector<std::string> f = splitTabs(line);
        if (f.size() < cols.size())
            fail(path, "line " + std::to_string(lineNo) + " has " + std::to_string(f.size()) + " columns, expected " +
                           std::to_string(cols.size()));
        LabelRow row;
        row.id = toInt(f[cId], path, lineNo, "id");
        row.rawCategory = f[cRaw];
        row.category = f[cCat];
        row.count = toInt(f[cCount], path, lineNo, "count");
        row.nyu40id = toInt(f[cNyu], path, lineNo, "nyu40id");
        row.nyu40class = f[cNyuClass];
        row.columns = f;
        map.add(row);
    }
    return map;
}

void LabelMap::write(const std::string& path) const {
    std::string out;
    auto join = [&](const std::vector<std::string>& v) {
        for (size_t i = 0; i < v.size(); ++i) out += (i ? "\t" : "") + v[i];
        out += "\n";
    };
    join(header());
    for (const LabelRow& r : rows_) {
        std::vector<std::string> c = r.columns;
        c.resize(header().size());
        c[0] = std::to_string(r.id);
        c[1] = r.rawCategory;
        c[2] = r.category;
        c[3] = std::to_string(r.count);
        c[4] = std::to_string(r.nyu40id);
        c[7] = r.nyu40class;
        join(c);
    }
    writeFileAtomic(path, out);
}

void LabelMap::add(const LabelRow& row) {
    auto it = byRaw_.find(row.rawCategory);
    if (it != byRaw_.end()) {
        rows_[it->second] = row;
        return;
    }
    byRaw_[row.rawCategory] = rows_.size();
    rows_.push_back(row);
}

const LabelRow* LabelMap::byRaw(const std::string& raw) const {
    auto it = byRaw_.find(raw);
    return it == byRaw_.end() ? nullptr : &rows_[it->second];
}
int LabelMap::nyu40Id(const std::string& raw) const {
    const LabelRow* r = byRaw(raw);
    return r ? r->nyu40id : 0;
}
std::string LabelMap::nyu40Class(const std::string& raw) const {
    const LabelRow* r = byRaw(raw);
    return r ? r->nyu40class : "";
}
int LabelMap::scannet200Id(const std::string& raw) const {
    const LabelRow* r = byRaw(raw);
    return r ? r->id : 0;
}

const std::vector<std::string>& nyu40ClassNames() {
    static const std::vector<std::string> names = {
        "unannotated", "wall", "floor", "cabinet", "bed", "chair", "sofa", "table", "door", "window",
        "bookshelf", "picture", "counter", "blinds", "desk", "shelves", "curtain", "dresser", "pillow",
        "mirror", "floor mat", "clothes", "ceiling", "books", "refridgerator", "television", "paper", "towel",
        "shower curtain", "box", "whiteboard", "person", "night stand", "toilet", "sink", "lamp", "bathtub",
        "bag", "otherstructure", "otherfurniture", "otherprop"};
    return names;
}

}  // namespace inst3d
