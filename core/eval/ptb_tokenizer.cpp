// A maximal-munch lexer over code points with the token rules of Stanford's PTBLexer (CoreNLP 3.4.1) that
// captions and answers meet, each one observed on the jar (tests/data/eval/inst3d/ptb.json). The rules are
// tried in the order of ptbLexToken; a word is grown piece by piece (growWord) the way the lexer's
// longest match over its WORD / NUMBER / HTHING / slash patterns ends up.
#include "core/eval/ptb_tokenizer.h"

#include <cstring>
#include <string_view>
#include <vector>

#include "core/common/py_text.h"

namespace inst3d {
namespace {

using CodePoints = std::vector<uint32_t>;

// pycocoevalcap's PUNCTUATIONS, as written there (brackets in upper case, so never matched: the jar's
// -lowerCase output is "-lrb-").
const char* const kPtbPunctuations[] = {"''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".",
                                        "?", "!", ",", ":", "-", "--", "...", ";"};

constexpr uint32_t kRightSingleQuote = 0x2019, kLeftSingleQuote = 0x2018;
constexpr uint32_t kLeftDoubleQuote = 0x201c, kRightDoubleQuote = 0x201d, kEllipsis = 0x2026;

bool isPtbPunctuation(std::string_view t) {
    for (const char* p : kPtbPunctuations)
        if (t == p) return true;
    return false;
}

CodePoints decode(std::string_view s) {
    CodePoints cps;
    for (size_t i = 0; i < s.size();) {
        size_t len = 1;
        cps.push_back(pytext::decodeAt(s, i, len));
        i += len;
    }
    return cps;
}

void appendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

bool isDigit(uint32_t c) { return c >= '0' && c <= '9'; }
bool isAsciiLetter(uint32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Java's Character.isLetter, approximated by blocks: Latin-1 letters, then everything from Latin
// Extended-A on except the punctuation and symbol blocks (U+2000-U+2BFF, U+2E00-U+303F, U+FE10-U+FE6F,
// U+FF00-U+FF20). Combining marks count as letters, as in the lexer's LETTER.
bool isLetter(uint32_t c) {
    if (c < 0x80) return isAsciiLetter(c);
    if (c < 0x100) return c == 0xaa || c == 0xb5 || c == 0xba || (c >= 0xc0 && c != 0xd7 && c != 0xf7);
    if (c >= 0x2000 && c <= 0x2bff) return false;
    if (c >= 0x2e00 && c <= 0x303f) return false;
    if ((c >= 0xfe10 && c <= 0xfe6f) || (c >= 0xff00 && c <= 0xff20)) return false;
    return c != 0xfffd;
}
bool isAlnum(uint32_t c) { return isDigit(c) || isLetter(c); }
bool isApostrophe(uint32_t c) { return c == '\'' || c == kRightSingleQuote; }

// The jar's SPACE and NEWLINE classes are all separators here (see ptb_tokenizer.h).
bool isSeparator(uint32_t c) { return pytext::isSpace(c); }

// String.toLowerCase for the scripts captions use: ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic.
uint32_t lowerCp(uint32_t c) {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c < 0xc0) return c;
    if (c <= 0xde) return c == 0xd7 ? c : c + 32;
    if (c >= 0x100 && c <= 0x137) return c | 1u;  // pairs: even upper, odd lower (U+0130 aside: kept)
    if (c >= 0x139 && c <= 0x148) return (c & 1u) ? c + 1 : c;
    if (c >= 0x14a && c <= 0x177) return c | 1u;
    if (c == 0x178) return 0xff;
    if (c >= 0x179 && c <= 0x17e) return (c & 1u) ? c + 1 : c;
    if (c >= 0x391 && c <= 0x3ab && c != 0x3a2) return c + 32;
    if (c >= 0x410 && c <= 0x42f) return c + 32;
    if (c >= 0x400 && c <= 0x40f) return c + 80;
    return c;
}

// Splits the lexer makes inside single words (its list of fused forms).
struct FusedWord {
    const char* word;
    size_t head;  // length of the first token
};
const FusedWord kFusedWords[] = {{"cannot", 3}, {"gonna", 3}, {"gotta", 3}, {"wanna", 3}, {"gimme", 3}, {"lemme", 3}};

class PtbLexer {
public:
    explicit PtbLexer(const CodePoints& s) : s_(s) {}

    std::vector<std::string> run() {
        while (i_ < s_.size()) {
            if (isSeparator(s_[i_])) {
                ++i_;
                continue;
            }
            lexToken();
        }
        return tokens_;
    }

private:
    uint32_t at(size_t k) const { return k < s_.size() ? s_[k] : 0; }

    void emit(size_t from, size_t to) {  // s_[from, to), lowercased
        std::string t;
        for (size_t k = from; k < to; ++k) appendUtf8(t, lowerCp(s_[k]));
        tokens_.push_back(std::move(t));
    }
    void emit(const char* literal, size_t consumed) {
        tokens_.emplace_back(literal);
        i_ += consumed;
    }

    // Whether a quote at i_ opens: at the line start or after a space, an opening bracket or quote.
    bool opensAt(size_t k) const {
        if (k == 0) return true;
        uint32_t p = s_[k - 1];
        return isSeparator(p) || p == '(' || p == '[' || p == '{' || p == '`' || p == kLeftDoubleQuote ||
               p == kLeftSingleQuote;
    }

    // 's 'm 'd 're 've 'll (any case) starting with the apostrophe at k, when no ASCII letter follows (the
    // lexer's trailing context is [^A-Za-z]).
    size_t cliticLength(size_t k) const {
        if (!isApostrophe(at(k))) return 0;
        uint32_t a = lowerCp(at(k + 1)), b = lowerCp(at(k + 2));
        if ((a == 's' || a == 'm' || a == 'd') && !isAsciiLetter(at(k + 2))) return 2;
        bool two = (a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l');
        return two && !isAsciiLetter(at(k + 3)) ? 3 : 0;
    }

    void lexToken() {
        uint32_t c = s_[i_];
        if (c == '.') return lexDots();
        if (c == kEllipsis) return emit("...", 1);
        if (lexBracket(c) || lexQuote(c) || lexDash(c)) return;
        // NUMBER = [-+]?NUM and NUM may start with its separator: "-5", ",000" (so "one,000" is "one ,000").
        bool numberStart = (c == '+' || c == '-' || c == ',' || c == ':') && isDigit(at(i_ + 1));
        if (isAlnum(c) || numberStart) return lexWord();
        if (lexFraction(c)) return;
        if (c == '?' || c == '!') {  // "?!", "!!!" are one token (and not in pycocoevalcap's list)
            size_t j = i_;
            while (at(j) == '?' || at(j) == '!') ++j;
            emit(i_, j);
            i_ = j;
            return;
        }
        emit(i_, i_ + 1);  // any other symbol alone: , ; : % $ # / * × ° ...
        ++i_;
    }

    void lexDots() {
        if (at(i_ + 1) == ' ' && at(i_ + 2) == '.' && at(i_ + 3) == ' ' && at(i_ + 4) == '.') return emit("...", 5);
        size_t j = i_;
        while (at(j) == '.') ++j;
        if (j - i_ >= 3) return emit("...", j - i_);  // "...." is one "..." too
        if (isDigit(at(i_ + 1))) return lexWord();    // ".5"
        emit(".", 1);
    }

    bool lexBracket(uint32_t c) {
        static const std::pair<uint32_t, const char*> kBrackets[] = {{'(', "-lrb-"}, {')', "-rrb-"}, {'[', "-lsb-"},
                                                                     {']', "-rsb-"}, {'{', "-lcb-"}, {'}', "-rcb-"}};
        for (const auto& [b, name] : kBrackets)
            if (c == b) {
                emit(name, 1);
                return true;
            }
        return false;
    }

    bool lexQuote(uint32_t c) {
        if (c == '`') {
            at(i_ + 1) == '`' ? emit("``", 2) : emit("`", 1);
            return true;
        }
        if (c == '"') {
            opensAt(i_) ? emit("``", 1) : emit("''", 1);
            return true;
        }
        if (c == kLeftDoubleQuote || c == kRightDoubleQuote || c == kLeftSingleQuote) {
            emit(c == kLeftDoubleQuote ? "``" : c == kRightDoubleQuote ? "''" : "`", 1);
            return true;
        }
        if (!isApostrophe(c)) return false;
        if (c == '\'' && at(i_ + 1) == '\'') {
            emit("''", 2);
        } else if (size_t n = cliticLength(i_)) {  // "'s" even after a space; written with '
            tokens_.push_back("'");
            for (size_t k = i_ + 1; k < i_ + n; ++k) appendUtf8(tokens_.back(), lowerCp(s_[k]));
            i_ += n;
        } else if (at(i_ + 1) >= '2' && at(i_ + 1) <= '9' && at(i_ + 2) == '0' && at(i_ + 3) == 's' &&
                   !isAlnum(at(i_ + 4))) {  // decades: '90s
            emit(i_, i_ + 4);
            i_ += 4;
        } else {
            // An apostrophe opens before a word of two letters or more ("'hello"), else it closes.
            bool opens = opensAt(i_) && isLetter(at(i_ + 1)) && isLetter(at(i_ + 2));
            emit(opens ? "`" : "'", 1);
        }
        return true;
    }

    bool lexDash(uint32_t c) {
        if (c == 0x2013 || c == 0x2014 || c == 0x2015) {  // en, em and horizontal bar dashes
            emit("--", 1);
            return true;
        }
        if (c != '-' || isDigit(at(i_ + 1))) return false;
        size_t j = i_;
        while (at(j) == '-') ++j;
        emit(j - i_ >= 2 ? "--" : "-", j - i_);
        return true;
    }

    bool lexFraction(uint32_t c) {  // the lexer writes the vulgar fractions out
        const char* text = c == 0xbc ? "1/4" : c == 0xbd ? "1/2" : c == 0xbe ? "3/4" : nullptr;
        if (text) emit(text, 1);
        return text != nullptr;
    }

    // An apostrophe inside a word that the lexer keeps: o'clock..., d'/l'/j' + letters, an initial capital
    // (or n) + ' + two letters or more (O'Neil), two letters or more ending in a vowel + ' + a vowel or a
    // capital (ma'am, rightO'Neil). Returns the end of the word part after it, 0 when it is not one.
    size_t apostropheWordEnd(size_t start, size_t apos) const {
        size_t k = apos + 1;
        while (isLetter(at(k))) ++k;
        size_t before = apos - start, after = k - apos - 1;
        for (size_t q = start; q < apos; ++q)
            if (!isLetter(s_[q])) return 0;
        auto lowerAt = [&](size_t q) { return lowerCp(at(q)); };
        bool oclock = before == 1 && lowerAt(start) == 'o' && lowerAt(apos + 1) == 'c' && lowerAt(apos + 2) == 'l' &&
                      lowerAt(apos + 3) == 'o' && lowerAt(apos + 4) == 'c' && lowerAt(apos + 5) == 'k';
        uint32_t first = s_[start], last = s_[apos - 1], next = at(apos + 1);
        bool dlj = first == 'd' || first == 'D' || first == 'l' || first == 'L' || first == 'j' || first == 'J';
        bool capital = (first >= 'A' && first <= 'Z' && first != 'I' && first != 'Y') || first == 'n';
        auto vowel = [](uint32_t c, const char* set) { return c < 0x80 && c && std::strchr(set, static_cast<char>(c)); };
        bool vowels = before >= 2 && vowel(last, "aeiouyAEIOUY") && (vowel(next, "aeiou") || (next >= 'A' && next <= 'Z'));
        if (oclock || vowels || (before == 1 && ((dlj && after >= 1) || (capital && after >= 2)))) return k;
        return 0;
    }

    // Grows a word or number from i_: runs of letters and digits; a number (digits only so far) goes on
    // over . , : before a digit (3.5, 1,000, 12:30) and then takes no letters ("3.5m" is "3.5 m"); . ! ?
    // between letters (hello.world), - before an ASCII letter or digit (well-known, 10-20), / before a
    // letter or digit (and/or, 1/2), and the apostrophe words above. A single letter keeps a following
    // period (the lexer's initials, "x."). A trailing n't or clitic is left for the next token.
    void lexWord() {
        size_t start = i_, j = i_;
        bool signed_ = s_[j] == '+' || s_[j] == '-';  // "-10-20" is "-10 -20": a hyphenated word starts alnum
        if (signed_) ++j;
        bool separated = false;  // a number that went over . , or :
        if (s_[j] == '.' || s_[j] == ',' || s_[j] == ':') ++j, separated = true;
        bool startsWithLetter = isLetter(s_[start]), digitsOnly = true;
        for (;;) {
            while (separated ? isDigit(at(j)) : isAlnum(at(j))) digitsOnly &= isDigit(at(j++));
            uint32_t c = at(j), next = at(j + 1), prev = j > start ? s_[j - 1] : 0;
            bool asciiAlnum = isDigit(next) || isAsciiLetter(next);
            if ((c == '.' || c == ',' || c == ':') && isDigit(next) && isDigit(prev) && digitsOnly) {
                ++j;
                separated = true;
                continue;
            }
            if (separated) break;
            bool wordPunct = c == '.' || c == '?' || c == '!';  // WORD: letters ([.!?] letters)*
            if (wordPunct && startsWithLetter && isLetter(next) && isLetter(prev)) { ++j; digitsOnly = false; continue; }
            if (c == '-' && asciiAlnum && !signed_) { ++j; digitsOnly = false; continue; }
            if (c == '/' && isAlnum(next)) { ++j; digitsOnly = false; continue; }
            if (isApostrophe(c) && isLetter(next) && !cliticLength(j) && !isNotAt(start, j)) {
                if (size_t end = apostropheWordEnd(start, j)) {
                    for (j = end; isAlnum(at(j));) ++j;
                    break;
                }
            }
            break;
        }
        if (j == start + 1 && isAsciiLetter(s_[start]) && at(j) == '.') ++j;  // a single letter keeps its "." ("x.")
        if (isNotAt(start, j)) {  // do|n't, ca|n't: the n goes with the clitic, and so do letters after it
            emitWord(start, j - 1);
            size_t end = j + 2;
            while (isLetter(at(end))) ++end;
            tokens_.push_back("n");
            tokens_.back() += '\'';
            for (size_t k = j + 1; k < end; ++k) appendUtf8(tokens_.back(), lowerCp(s_[k]));
            i_ = end;
            return;
        }
        emitWord(start, j);
        i_ = j;
    }

    // n't at j - 1 (the word's last letter is the n) after a word of ASCII letters not ending in n.
    bool isNotAt(size_t start, size_t j) const {
        if (j < start + 2 || lowerCp(s_[j - 1]) != 'n' || !isApostrophe(at(j)) || lowerCp(at(j + 1)) != 't') return false;
        for (size_t q = start; q < j; ++q)
            if (!isAsciiLetter(s_[q])) return false;
        return lowerCp(s_[j - 2]) != 'n';
    }

    void emitWord(size_t from, size_t to) {
        if (to <= from) return;
        emit(from, to);
        for (const auto& f : kFusedWords)
            if (tokens_.back() == f.word) {
                std::string w = tokens_.back();
                tokens_.back() = w.substr(0, f.head);
                tokens_.push_back(w.substr(f.head));
                break;
            }
    }

    const CodePoints& s_;
    size_t i_ = 0;
    std::vector<std::string> tokens_;
};


}  // namespace

std::string ptbNormalize(const std::string& tokenized) {
    std::string out;
    bool first = true;
    for (std::string_view t : pytext::splitOnSpace(tokenized)) {
        std::string lowered;
        CodePoints cps = decode(t);
        for (uint32_t c : cps) appendUtf8(lowered, lowerCp(c));
        if (isPtbPunctuation(lowered)) continue;
        if (!first) out += ' ';
        out += lowered;
        first = false;
    }
    return out;
}

std::string ptbTokenize(const std::string& raw) {
    CodePoints cps = decode(raw);
    std::string joined;
    for (const std::string& t : PtbLexer(cps).run()) {
        if (!joined.empty()) joined += ' ';
        joined += t;
    }
    return ptbNormalize(joined);
}

}  // namespace inst3d
