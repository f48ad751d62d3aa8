// RFC 4180 CSV as the ReferIt3D files (nr3d.csv, sr3d.csv) are written by pandas, and the Python list
// literals pandas stores in their list columns ("['the', 'chair']", "[3, 7]").
#pragma once
#include <string>
#include <vector>

namespace inst3d {

struct CsvTable {
    std::string path;
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::vector<int> lines;  // 1-based line on which each row starts (for error messages)

    // Index of a header column; throws Error(path, "missing column ...") when absent.
    size_t column(const std::string& name) const;
    bool hasColumn(const std::string& name) const;
    // "<path>: row at line 12 ..." prefix for complaints about one row.
    std::string where(size_t row) const;
};

// Quoted fields may hold commas, doubled quotes and newlines; CRLF is accepted; blank lines are
// skipped (as csv.DictReader does); a UTF-8 BOM is dropped. An unclosed quote or a row whose field
// count differs from the header's is an error naming the file and the line.
CsvTable parseCsv(const std::string& text, const std::string& path);
CsvTable readCsv(const std::string& path);

// Items of a Python list literal: quoted strings (single or double quotes, backslash escapes) and bare
// items such as numbers. "[]" gives no item. Throws Error(path, where + ...) when malformed.
std::vector<std::string> parsePythonList(const std::string& s, const std::string& path, const std::string& where);
std::vector<int> parsePythonIntList(const std::string& s, const std::string& path, const std::string& where);

}  // namespace inst3d
