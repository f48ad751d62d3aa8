// Field access for the dataset readers: every complaint names the file and the entry path
// ("<file>: [12].object_ids[0]: expected an integer"). Internal to core/data.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace inst3d::datajson {

using json = nlohmann::ordered_json;

class Fields {
public:
    explicit Fields(std::string path) : path_(std::move(path)) {}
    const std::string& path() const { return path_; }

    json parseFile() const;  // the whole file; malformed JSON names the file (core/io/json_file.h)
    const json& array(const json& doc, const std::string& where) const;
    const json* find(const json& obj, const char* key, const std::string& where) const;  // null when absent
    const json& get(const json& obj, const char* key, const std::string& where) const;

    std::string str(const json& obj, const char* key, const std::string& where) const;
    // An integer, or a string of digits (ScanRefer stores ids as strings).
    int integer(const json& obj, const char* key, const std::string& where) const;
    long long integer64(const json& v, const std::string& where) const;
    double number(const json& v, const std::string& where) const;
    std::vector<std::string> strings(const json& obj, const char* key, const std::string& where) const;
    std::vector<int> integers(const json& obj, const char* key, const std::string& where) const;

    [[noreturn]] void bad(const std::string& where, const std::string& problem) const;

private:
    std::string path_;
};

}  // namespace inst3d::datajson
