// scannetv2-labels.combined.tsv: raw category -> ScanNet200 id (column `id`), nyu40 id and class.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace inst3d {

struct LabelRow {
    int id = 0;                  // raw category id: the ScanNet200 class id
    std::string rawCategory;     // "office chair"
    std::string category;
    int count = 0;
    int nyu40id = 0;
    std::string nyu40class;      // "chair"
    std::vector<std::string> columns;  // the whole row, for writing back
};

class LabelMap {
public:
    static LabelMap read(const std::string& path);
    void write(const std::string& path) const;
    static std::vector<std::string> header();  // the 17 column names of the ScanNet release

    const LabelRow* byRaw(const std::string& rawCategory) const;
    int nyu40Id(const std::string& rawCategory) const;           // 0 when unknown
    std::string nyu40Class(const std::string& rawCategory) const; // "" when unknown
    int scannet200Id(const std::string& rawCategory) const;       // 0 when unknown
    const std::vector<LabelRow>& rows() const { return rows_; }
    void add(const LabelRow& row);

private:
    std::vector<LabelRow> rows_;
    std::map<std::string, size_t> byRaw_;
};

// The 40 NYU class names, index = nyu40 id (0 = "unannotated").
const std::vector<std::string>& nyu40ClassNames();

}  // namespace inst3d
