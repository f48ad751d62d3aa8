// ScanQA / SQA3D answer matching. cleanAnswer reproduces the regular expressions of LEO's
// clean_answer (used by Chat-Scene utils/helper.py) one by one, in their order, with Python's
// semantics for \b, \s and $ on the text that each step leaves.
#include "core/eval/answer_metrics.h"

#include <cctype>
#include <utility>

#include "core/common/error.h"
#include "core/common/py_text.h"

namespace inst3d {
namespace {

// After the character filter only ASCII letters/digits are \w (the underscore is filtered out).
bool isWord(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool isLetter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

// str.lower(), keeping only what can survive the filter: ASCII letters lowered; the two non-ASCII
// code points whose lowercase contains ASCII (U+0130 -> "i" + U+0307, U+212A KELVIN -> "k").
std::string pyLower(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        size_t len = 1;
        uint32_t cp = pytext::decodeAt(s, i, len);
        if (cp < 0x80)
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(cp)));
        else if (cp == 0x130)
            out += "i\xcc\x87";
        else if (cp == 0x212a)
            out += 'k';
        else
            out.append(s, i, len);
        i += len;
    }
    return out;
}

// re.sub('[ ]+$', '', s): `$` also matches before a final newline, so the spaces there go too.
std::string stripTrailingSpaces(std::string s) {
    size_t end = (!s.empty() && s.back() == '\n') ? s.size() - 1 : s.size();
    size_t start = end;
    while (start > 0 && s[start - 1] == ' ') --start;
    s.erase(start, end - start);
    return s;
}

std::string stripLeadingSpaces(const std::string& s) {
    size_t i = 0;
    while (i < s.size() && s[i] == ' ') ++i;
    return s.substr(i);
}

std::string collapseSpaces(const std::string& s) {  // re.sub(' {2,}', ' ', s)
    std::string out;
    for (size_t i = 0; i < s.size(); ++i)
        if (!(s[i] == ' ' && i > 0 && s[i - 1] == ' ')) out += s[i];
    return out;
}

// re.sub("[^a-zA-Z0-9,'\s\-:]+", '', s): Unicode whitespace is \s and stays.
std::string keepAllowed(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        size_t len = 1;
        uint32_t cp = pytext::decodeAt(s, i, len);
        bool keep = cp < 0x80 ? (std::isalnum(static_cast<int>(cp)) || cp == ',' || cp == '\'' || cp == '-' ||
                                 cp == ':' || pytext::isSpace(cp))
                              : pytext::isSpace(cp);
        if (keep) out.append(s, i, len);
        i += len;
    }
    return out;
}

bool wordAt(const std::string& s, size_t i, const std::string& w) {
    return s.compare(i, w.size(), w) == 0 && (i == 0 || !isWord(s[i - 1])) &&
           (i + w.size() == s.size() || !isWord(s[i + w.size()]));
}

// re.sub(r'\bWORD\b', repl, s) for a WORD made of word characters.
std::string replaceWord(const std::string& s, const std::string& word, const std::string& repl) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        if (wordAt(s, i, word)) {
            out += repl;
            i += word.size();
        } else {
            out += s[i++];
        }
    }
    return out;
}

// re.sub(r"\bo'[ ]+clock\b", "o'clock", s)
std::string joinOClock(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        size_t j = i + 2;
        bool head = s.compare(i, 2, "o'") == 0 && (i == 0 || !isWord(s[i - 1]));
        if (head && j < s.size() && s[j] == ' ') {
            while (j < s.size() && s[j] == ' ') ++j;
            if (s.compare(j, 5, "clock") == 0 && (j + 5 == s.size() || !isWord(s[j + 5]))) {
                out += "o'clock";
                i = j + 5;
                continue;
            }
        }
        out += s[i++];
    }
    return out;
}

// re.sub(r'\b([a-zA-Z]+)([0-9])\b', r'\g<1>', s): both \b pin the match to a whole run of word
// characters, so a run of letters followed by exactly one digit loses the digit.
std::string dropLetterDigitSuffix(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        if (!isWord(s[i])) {
            out += s[i++];
            continue;
        }
        size_t j = i;
        while (j < s.size() && isWord(s[j])) ++j;
        size_t letters = i;
        while (letters < j && isLetter(s[letters])) ++letters;
        bool match = letters > i && letters + 1 == j;  // letters then one digit (isWord && !isLetter)
        out.append(s, i, (match ? j - 1 : j) - i);
        i = j;
    }
    return out;
}

// re.sub(r'\bARTICLE\b ([a-zA-Z]+)', r'\g<1>', s): the article and one space go before a letter run.
std::string dropArticle(const std::string& s, const std::string& article) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        size_t k = i + article.size();
        if (wordAt(s, i, article) && k + 1 < s.size() && s[k] == ' ' && isLetter(s[k + 1])) {
            size_t j = k + 1;
            while (j < s.size() && isLetter(s[j])) ++j;
            out.append(s, k + 1, j - k - 1);
            i = j;
        } else {
            out += s[i++];
        }
    }
    return out;
}

const std::pair<const char*, const char*> kTypos[] = {
    {"letf", "left"},   {"let", "left"},      {"tehre", "there"}, {"rigth", "right"},  {"rght", "right"},
    {"behine", "behind"}, {"tv", "TV"},       {"chai", "chair"},  {"wasing", "washing"}, {"waslked", "walked"},
    {"oclock", "o'clock"}};

const std::pair<const char*, const char*> kNumbers[] = {
    {"0", "zero"},     {"none", "zero"},      {"1", "one"},        {"2", "two"},          {"3", "three"},
    {"4", "four"},     {"5", "five"},         {"6", "six"},        {"7", "seven"},        {"8", "eight"},
    {"9", "nine"},     {"10", "ten"},         {"11", "eleven"},    {"12", "twelve"},      {"13", "thirteen"},
    {"14", "fourteen"}, {"15", "fifteen"},    {"16", "sixteen"},   {"17", "seventeen"},   {"18", "eighteen"},
    {"19", "nineteen"}, {"20", "twenty"},     {"23", "twenty-three"}};

std::string removeWhitespace(const std::string& s) {  // ''.join(s.split())
    std::string out;
    for (size_t i = 0; i < s.size();) {
        size_t w = pytext::spaceLength(s, i);
        if (w) {
            i += w;
        } else {
            out += s[i++];
        }
    }
    return out;
}

// p.replace("\n", " ").strip(): str.strip() removes Unicode whitespace at both ends.
std::string captionReference(std::string s) {
    for (char& c : s)
        if (c == '\n') c = ' ';
    size_t b = 0, e = s.size();
    while (b < e && pytext::spaceLength(s, b)) b += pytext::spaceLength(s, b);
    for (bool trimmed = true; trimmed && e > b;) {
        trimmed = false;
        for (size_t len = 1; len <= 3 && len <= e - b; ++len)  // the last code point, 1-3 bytes
            if (pytext::spaceLength(s, e - len) == len) {
                e -= len;
                trimmed = true;
                break;
            }
    }
    return s.substr(b, e - b);
}

size_t codePoints(const std::string& s) {
    size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
    return n;
}

}  // namespace

std::string cleanAnswer(const std::string& text) {
    std::string s = collapseSpaces(stripLeadingSpaces(stripTrailingSpaces(pyLower(text))));
    // '\.[ ]{2,}' -> '. ' cannot match after the collapse above; 'ç' -> 'c' and '’' -> "'" cannot
    // match after the filter below (both are already removed): the original order makes them no-ops.
    s = keepAllowed(s);
    for (const auto& [from, to] : kTypos) s = replaceWord(s, from, to);
    s = joinOClock(s);
    for (const auto& [from, to] : kNumbers) s = replaceWord(s, from, to);
    s = dropLetterDigitSuffix(s);
    for (const char* article : {"a", "an", "the"}) s = dropArticle(s, article);
    return replaceWord(s, "backwards", "backward");
}

std::string preparePrediction(const std::string& generated) {
    std::string pred = generated;
    if (codePoints(pred) > 1) {
        if (pred.back() == '.') pred.pop_back();
        if (!pred.empty()) pred[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(pred[0])));
    }
    return pred;
}

QaEvaluator parseQaEvaluator(const std::string& name, const std::string& option) {
    if (name == "inst3d") return QaEvaluator::Inst3D;
    if (name == "chat-scene") return QaEvaluator::ChatScene;
    throw UsageError(option + " must be inst3d or chat-scene (got \"" + name + "\")");
}

const char* qaEvaluatorName(QaEvaluator evaluator) {
    return evaluator == QaEvaluator::Inst3D ? "inst3d" : "chat-scene";
}

std::array<int, 2> answerMatch(const std::string& pred, const std::vector<std::string>& references,
                               QaEvaluator evaluator) {
    if (pred.empty() && evaluator == QaEvaluator::ChatScene) return {0, 0};  // Chat-Scene's guard
    for (const auto& r : references)
        if (pred == r) return {1, 1};
    std::string p = removeWhitespace(pred);
    for (const auto& r : references) {
        std::string g = removeWhitespace(r);
        if (g.find(p) != std::string::npos || p.find(g) != std::string::npos) return {0, 1};
    }
    return {0, 0};
}

namespace {

QaItemScore scoreQaItem(const std::string& prediction, const std::vector<std::string>& references,
                        bool cleanReferences, QaEvaluator evaluator) {
    QaItemScore s;
    s.predClean = cleanAnswer(preparePrediction(prediction));
    std::vector<std::string> refs = references;
    if (cleanReferences)
        for (auto& r : refs) r = cleanAnswer(r);
    auto [em, refined] = answerMatch(s.predClean, refs, evaluator);
    s.em = em;
    s.emRefined = refined;
    for (const auto& r : refs) s.captionReferences.push_back(captionReference(r));
    return s;
}

}  // namespace

QaItemScore scoreScanQaItem(const std::string& prediction, const std::vector<std::string>& references,
                            QaEvaluator evaluator) {
    return scoreQaItem(prediction, references, evaluator == QaEvaluator::Inst3D, evaluator);
}

QaItemScore scoreSqa3dItem(const std::string& prediction, const std::vector<std::string>& references,
                           QaEvaluator evaluator) {
    return scoreQaItem(prediction, references, true, evaluator);
}

Sqa3dSummary summarizeSqa3d(const std::vector<QaItemScore>& items, const std::vector<int>& types) {
    Sqa3dSummary out;
    std::array<double, 6> count;
    count.fill(1e-10);  // the evaluator's counts start at 1e-10 so that an empty type divides to 0
    std::array<int, 6> em{}, refined{};
    int emAll = 0, refinedAll = 0;
    for (size_t i = 0; i < items.size() && i < types.size(); ++i) {
        int t = types[i] >= 0 && types[i] < 6 ? types[i] : 5;
        emAll += items[i].em;
        refinedAll += items[i].emRefined;
        em[t] += items[i].em;
        refined[t] += items[i].emRefined;
        count[t] += 1;
    }
    double n = static_cast<double>(items.size());
    out.em = emAll / n;
    out.emRefined = refinedAll / n;
    for (int t = 0; t < 6; ++t) {
        out.emType[t] = em[t] / count[t];
        out.emRefinedType[t] = refined[t] / count[t];
    }
    return out;
}

}  // namespace inst3d
