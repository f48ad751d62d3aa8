#include "core/synth/lang_text.h"

#include "core/common/error.h"
#include "core/data/csv.h"

#include <cctype>
#include <cmath>
#include <charconv>

namespace inst3d::lang {
namespace {

bool isAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool isDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool isAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

const char* const kNumberWords[] = {"zero",    "one",     "two",       "three",    "four",     "five",    "six",
                                    "seven",   "eight",   "nine",      "ten",      "eleven",   "twelve",  "thirteen",
                                    "fourteen", "fifteen", "sixteen",  "seventeen", "eighteen", "nineteen", "twenty"};

// Whether s[i] (an apostrophe or period) joins the alphanumeric run around it into one token.
bool joinsRun(const std::string& s, size_t i) {
    if (i == 0 || i + 1 >= s.size()) return false;
    char prev = s[i - 1], next = s[i + 1];
    if (s[i] == '\'') return isAlpha(prev) && isAlpha(next);
    if (s[i] == '.') return isDigit(prev) && isDigit(next);
    return false;
}

}  // namespace

std::string toLower(const std::string& s) {
    std::string out = s;
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<std::string> tokenize(const std::string& textIn) {
    std::string text = toLower(textIn);
    std::vector<std::string> tokens;
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (isAlnum(c)) {
            size_t j = i;
            while (j < text.size() && (isAlnum(text[j]) || joinsRun(text, j))) ++j;
            tokens.push_back(text.substr(i, j - i));
            i = j;
        } else {
            tokens.emplace_back(1, c);
            ++i;
        }
    }
    return tokens;
}

std::string joinTokens(const std::vector<std::string>& tokens) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return out;
}

std::string capitalizeFirst(const std::string& s) {
    std::string out = s;
    if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    return out;
}

std::string underscored(const std::string& category) {
    std::string out = category;
    for (char& c : out)
        if (c == ' ') c = '_';
    return out;
}

std::string indefiniteArticle(const std::string& nextWord) {
    if (nextWord.empty()) return "a";
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(nextWord[0])));
    return (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u') ? "an" : "a";
}

std::string pluralize(const std::string& noun) {
    auto ends = [&](const std::string& suffix) {
        return noun.size() >= suffix.size() && noun.compare(noun.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (noun.empty()) return noun;
    if (ends("shelf")) return noun.substr(0, noun.size() - 1) + "ves";  // shelf, bookshelf
    if (ends("s") || ends("x") || ends("ch") || ends("sh")) return noun + "es";
    if (ends("y") && noun.size() > 1) {
        char before = noun[noun.size() - 2];
        bool vowel = before == 'a' || before == 'e' || before == 'i' || before == 'o' || before == 'u';
        if (!vowel) return noun.substr(0, noun.size() - 1) + "ies";
    }
    return noun + "s";
}

std::string numberWord(int n) {
    if (n >= 0 && n <= 20) return kNumberWords[n];
    return std::to_string(n);
}

int parseNumber(const std::string& s) {
    for (int n = 0; n <= 20; ++n)
        if (s == kNumberWords[n]) return n;
    if (s.empty() || s.size() > 6) return -1;
    for (char c : s)
        if (!isDigit(c)) return -1;
    return std::stoi(s);
}

std::string pythonStringList(const std::vector<std::string>& items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) {
        // Python picks double quotes for a str holding a single quote and no double quote.
        const std::string& s = items[i];
        bool dq = s.find('\'') != std::string::npos && s.find('"') == std::string::npos;
        char q = dq ? '"' : '\'';
        if (i) out += ", ";
        out += q;
        for (char c : s) {
            if (c == '\\' || c == q) out += '\\';
            out += c;
        }
        out += q;
    }
    return out + "]";
}

std::vector<std::string> parsePythonStringList(const std::string& s, bool& ok) {
    ok = false;
    std::vector<std::string> items;
    if (s.size() < 2 || s.front() != '[' || s.back() != ']') return items;
    size_t i = 1, end = s.size() - 1;
    while (i < end) {
        char q = s[i];
        if (q != '\'' && q != '"') return items;
        std::string item;
        ++i;
        while (i < end && s[i] != q) {
            if (s[i] == '\\' && i + 1 < end) ++i;
            item += s[i++];
        }
        if (i >= end) return items;
        items.push_back(item);
        ++i;  // closing quote
        if (i == end) break;
        if (s.compare(i, 2, ", ") != 0) return items;
        i += 2;
    }
    ok = true;
    return items;
}

std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string csvRow(const std::vector<std::string>& fields) {
    std::string out;
    for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + csvField(fields[i]);
    return out + "\n";
}

// Header row first, then the data rows; ok = false when the text is not valid CSV. The parsing is
// core/data's (the one CSV reader of the project); this adapter keeps the verifier's row-list view.
std::vector<std::vector<std::string>> parseCsv(const std::string& text, bool& ok) {
    try {
        CsvTable table = inst3d::parseCsv(text, "csv");
        std::vector<std::vector<std::string>> rows{table.header};
        rows.insert(rows.end(), table.rows.begin(), table.rows.end());
        ok = true;
        return rows;
    } catch (const Error&) {
        ok = false;
        return {};
    }
}

std::string formatDecimal(double v, int digits) {
    // to_chars, not printf: Qt applications set the C locale from the environment, and a German
    // locale would turn "1.5" into "1,5" in the annotations.
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, digits);
    std::string s(buf, res.ptr);
    if (!s.empty() && s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s = s.substr(1);  // no "-0.0"
    return s;
}

}  // namespace inst3d::lang
