#include "core/data/csv.h"

#include <cctype>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {
namespace {

struct CsvScanner {
    const std::string& text;
    const std::string& path;
    size_t i = 0;
    int line = 1;

    // One record starting at i; returns false at the end of the text.
    bool record(std::vector<std::string>& fields) {
        fields.clear();
        if (i >= text.size()) return false;
        std::string field;
        bool quoted = false;
        int startLine = line;
        for (; i < text.size(); ++i) {
            char c = text[i];
            if (quoted) {
                if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
                else if (c == '"') quoted = false;
                else field += c, line += c == '\n';
                continue;
            }
            if (c == '"') quoted = true;
            else if (c == ',') fields.push_back(field), field.clear();
            else if (c == '\n') { ++i, ++line; break; }
            else if (c != '\r') field += c;
        }
        if (quoted) fail(path, "quoted field opened on line " + std::to_string(startLine) + " is never closed");
        fields.push_back(field);
        return true;
    }
};

bool blank(const std::vector<std::string>& fields) { return fields.size() == 1 && fields[0].empty(); }

}  // namespace

size_t CsvTable::column(const std::string& name) const {
    for (size_t c = 0; c < header.size(); ++c)
        if (header[c] == name) return c;
    fail(path, "missing column \"" + name + "\"");
}

bool CsvTable::hasColumn(const std::string& name) const {
    for (const auto& h : header)
        if (h == name) return true;
    return false;
}

std::string CsvTable::where(size_t row) const { return "row at line " + std::to_string(lines.at(row)); }

CsvTable parseCsv(const std::string& text, const std::string& path) {
    CsvTable t;
    t.path = path;
    CsvScanner s{text, path};
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) s.i = 3;
    std::vector<std::string> fields;
    while (true) {
        int line = s.line;
        if (!s.record(fields)) break;
        if (blank(fields)) continue;
        if (t.header.empty()) {
            t.header = fields;
            continue;
        }
        if (fields.size() != t.header.size())
            fail(path, "row at line " + std::to_string(line) + " has " + std::to_string(fields.size()) +
                           " fields, the header has " + std::to_string(t.header.size()));
        t.rows.push_back(fields);
        t.lines.push_back(line);
    }
    if (t.header.empty()) fail(path, "empty CSV file (no header)");
    return t;
}

CsvTable readCsv(const std::string& path) { return parseCsv(readTextFile(path), path); }

std::vector<std::string> parsePythonList(const std::string& s, const std::string& path, const std::string& where) {
    auto bad = [&](const std::string& why) { fail(path, where + ": " + why + " in list " + s); };
    std::string t = trim(s);
    if (t.size() < 2 || t.front() != '[' || t.back() != ']') bad("expected [ ... ]");
    std::vector<std::string> items;
    size_t i = 1, end = t.size() - 1;
    auto skipSpace = [&] { while (i < end && std::isspace(static_cast<unsigned char>(t[i]))) ++i; };
    skipSpace();
    while (i < end) {
        std::string item;
        if (t[i] == '\'' || t[i] == '"') {
            char q = t[i++];
            while (i < end && t[i] != q) {
                if (t[i] == '\\' && i + 1 < end) ++i;
                item += t[i++];
            }
            if (i >= end) bad("unclosed quote");
            ++i;
        } else {
            while (i < end && t[i] != ',') item += t[i++];
            item = trim(item);
            if (item.empty()) bad("empty item");
        }
        items.push_back(item);
        skipSpace();
        if (i < end && t[i] != ',') bad("expected a comma");
        if (i < end) ++i, skipSpace();
    }
    return items;
}

std::vector<int> parsePythonIntList(const std::string& s, const std::string& path, const std::string& where) {
    std::vector<int> out;
    for (const std::string& item : parsePythonList(s, path, where)) {
        size_t used = 0;
        int v = 0;
        try {
            v = std::stoi(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != item.size()) fail(path, where + ": \"" + item + "\" is not an integer");
        out.push_back(v);
    }
    return out;
}

}  // namespace inst3d
