// Python 3 string semantics the evaluators rely on, for UTF-8 text: which code points str.split()
// and the re module's \s treat as whitespace (the same set in both).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace inst3d::pytext {

// Decodes the UTF-8 code point at s[i]; sets `len` to its byte length. An invalid byte gives
// U+FFFD with length 1, so that malformed input never loops and is never taken for whitespace.
inline uint32_t decodeAt(std::string_view s, size_t i, size_t& len) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : -1;
    len = 1;
    if (extra == 0) return c;
    if (extra < 0 || i + static_cast<size_t>(extra) >= s.size()) return 0xfffd;
    uint32_t cp = c & (0x3f >> extra);
    for (int k = 1; k <= extra; ++k) {
        if ((b(i + k) & 0xc0) != 0x80) return 0xfffd;
        cp = (cp << 6) | (b(i + k) & 0x3f);
    }
    len = static_cast<size_t>(extra) + 1;
    return cp;
}

// Py_UNICODE_ISSPACE: ASCII \t\n\v\f\r, space, \x1c-\x1f, and the Unicode spaces.
inline bool isSpace(uint32_t cp) {
    if (cp < 0x80) return cp == ' ' || (cp >= '\t' && cp <= '\r') || (cp >= 0x1c && cp <= 0x1f);
    return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

// Byte length of the whitespace code point at s[i], 0 when s[i] starts no whitespace.
inline size_t spaceLength(std::string_view s, size_t i) {
    size_t len = 1;
    uint32_t cp = decodeAt(s, i, len);
    return isSpace(cp) ? len : 0;
}

// Python's str.split(" "): every single space separates, so "" gives [""] and "a  b" gives an empty token.
inline std::vector<std::string_view> splitOnSpace(std::string_view s) {
    std::vector<std::string_view> out;
    size_t start = 0;
    for (size_t i = 0; i <= s.size(); ++i)
        if (i == s.size() || s[i] == ' ') {
            out.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    return out;
}

// Python's str.replace: every non-overlapping occurrence, left to right, in one pass (so three spaces
// become two, as meteor.py's replace('  ', ' ') does, not one).
inline std::string replaceAll(std::string_view s, std::string_view from, std::string_view to) {
    std::string out;
    size_t i = 0;
    for (size_t p; (p = s.find(from, i)) != std::string_view::npos; i = p + from.size()) out.append(s.substr(i, p - i)).append(to);
    return out.append(s.substr(i));
}

}  // namespace inst3d::pytext
