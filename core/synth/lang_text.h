// Text helpers shared by the language generator (language.cpp) and its verifier (verify.cpp):
// tokenization, plurals, number words and the quoting rules of the real dataset files (Python list
// strings in nr3d.csv, RFC 4180 CSV). They define file formats, not claims, so sharing them does not
// weaken the verifier's independence.
#pragma once
#include <string>
#include <vector>

namespace inst3d::lang {

// ScanRefer-style tokens: the text is lowercased (ASCII); a token is a maximal run of letters and
// digits, where an apostrophe between letters ("don't") or a period between digits ("1.5") stays
// inside the token; every other non-space character (".", ",", "?", ...) is a token of its own.
// "This is a brown chair. It is next to the table." -> this is a brown chair . it is next to the table .
std::vector<std::string> tokenize(const std::string& text);
std::string joinTokens(const std::vector<std::string>& tokens);  // single spaces

std::string toLower(const std::string& s);
std::string capitalizeFirst(const std::string& s);
std::string underscored(const std::string& category);  // "trash can" -> "trash_can" (ScanRefer object_name)
std::string indefiniteArticle(const std::string& nextWord);  // "a" / "an"
std::string pluralize(const std::string& noun);  // last word: chair->chairs, shelf->shelves, box->boxes
std::string numberWord(int n);                     // 0..20 as words ("three"), digits above
int parseNumber(const std::string& s);             // "three" or "3" -> 3; -1 when not a number

// Python repr of a list of str, as pandas wrote nr3d.csv's `tokens`: ['the', 'chair'].
std::string pythonStringList(const std::vector<std::string>& items);
// Inverse of pythonStringList for lists of simple quoted strings; sets ok=false on malformed input.
std::vector<std::string> parsePythonStringList(const std::string& s, bool& ok);

// RFC 4180: a field holding a comma, quote, CR or LF is quoted and its quotes doubled.
std::string csvField(const std::string& s);
std::string csvRow(const std::vector<std::string>& fields);  // ends with "\n"
// Parses RFC 4180 text (quoted fields may hold commas, quotes and newlines). Sets ok=false when a
// quoted field is not closed.
std::vector<std::vector<std::string>> parseCsv(const std::string& text, bool& ok);

// Fixed-point decimal with `digits` digits, locale-independent ("1.5").
std::string formatDecimal(double v, int digits);

}  // namespace inst3d::lang
