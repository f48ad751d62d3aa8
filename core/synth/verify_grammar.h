// Internal to the verifier (verify.cpp, verify_qa.cpp): the template grammar parsed back into
// predicates over SceneFacts, and their evaluation. Shares nothing with the generator.
#pragma once
#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include "core/synth/verify.h"

namespace inst3d::verifier {

inline double dxy(const Vec3& a, const Vec3& b) { return std::hypot(a.x - b.x, a.y - b.y); }
bool isUnnamed(const std::string& label);  // wall, floor, ceiling: never named in the annotations
std::string describe(const FactObject& o);  // "object 12 (chair)"
bool onRel(const FactObject& o, const FactObject& a);

enum class P { Color, On, Near, Between, Closest, Farthest, Largest, Smallest, Leftmost, Rightmost, Only, OnlyColor, Count };
const char* kindName(P k);  // statement kind for the report ("color", "closest", ...)

struct Pred {
    P kind = P::Color;
    std::string text;      // the sentence or phrase it came from, for messages
    std::string np1, np2;  // anchor phrases (without "the")
    std::string color;
    int n = 0;
    int a = -1, b = -1;    // resolved anchors
};
Pred pred(P kind, const std::string& text, const std::string& np1 = "", const std::string& np2 = "");

// A referring expression: objects of `cat` for which every predicate holds.
struct Ref {
    std::string cat;
    std::vector<Pred> preds;
};

struct NP {
    std::string cat, color;
};
NP parseNP(const SceneFacts& f, const std::string& text);        // "[color ]category"
NP parsePluralNP(const SceneFacts& f, const std::string& text);  // cat = "" when no label pluralizes to it

bool matchRe(const std::string& s, const char* pattern, std::smatch& m);  // whole-string match, cached regex
bool parseDescription(const SceneFacts& f, const std::string& text, Ref& ref, std::string& why);
bool parseRefPhrase(const SceneFacts& f, const std::string& phrase, Ref& ref, std::string& why);
bool parseUtterance(const SceneFacts& f, const std::string& text, Ref& ref, std::string& why);

// The one object an anchor phrase names; false (with why) when it names none or several.
bool resolveAnchor(const SceneFacts& f, const std::string& phrase, int& id, std::string& why);
bool resolveAnchors(const SceneFacts& f, Ref& ref, std::string& why);
bool holds(const SceneFacts& f, const Pred& p, const FactObject& o, std::string& why);
std::vector<int> candidates(const SceneFacts& f, const Ref& ref);  // anchors must be resolved

std::string idList(const std::vector<int>& ids);  // "[1, 4]"
inline CheckResult failure(const std::string& why) { return {false, why, {}}; }

}  // namespace inst3d::verifier
