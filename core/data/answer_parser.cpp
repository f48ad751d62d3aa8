#include "core/data/answer_parser.h"

#include <cstdio>
#include <map>

#include "core/common/error.h"

namespace inst3d {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Replaces each mention's digits by map(id), keeping the rest of the text.
template <class F>
std::string rewriteIds(const std::string& text, F&& map) {
    std::string out;
    size_t at = 0;
    for (const ObjectMention& m : findObjectMentions(text)) {
        out.append(text, at, m.pos - at);
        out += objectToken(map(m.id));
        at = m.pos + m.len;
    }
    out.append(text, at, std::string::npos);
    return out;
}

}  // namespace

std::string objectToken(int id) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "<OBJ%03d>", id);
    return buf;
}

std::vector<ObjectMention> findObjectMentions(const std::string& text) {
    std::vector<ObjectMention> out;
    for (size_t p = text.find("<OBJ"); p != std::string::npos; p = text.find("<OBJ", p + 1)) {
        if (p + 8 > text.size()) break;
        if (!isDigit(text[p + 4]) || !isDigit(text[p + 5]) || !isDigit(text[p + 6]) || text[p + 7] != '>') continue;
        int id = (text[p + 4] - '0') * 100 + (text[p + 5] - '0') * 10 + (text[p + 6] - '0');
        out.push_back({p, 8, id});
    }
    return out;
}

std::vector<int> parseObjectIds(const std::string& text) {
    std::vector<int> ids;
    for (const auto& m : findObjectMentions(text)) ids.push_back(m.id);
    return ids;
}

int groundingPrediction(const std::string& text, int numProposals) {
    for (int id : parseObjectIds(text))
        if (id < numProposals) return id;
    return 0;
}

std::vector<int> multiGroundingPrediction(const std::string& text, int numProposals) {
    std::vector<int> ids;
    for (int id : parseObjectIds(text))
        if (id < numProposals) ids.push_back(id);
    return ids;
}

ParsedAnswer parseAnswer(const std::string& text, const std::vector<int>& slotToInstance) {
    ParsedAnswer a;
    a.mentions = findObjectMentions(text);
    for (const auto& m : a.mentions) {
        if (slotToInstance.empty()) a.instanceIds.push_back(m.id);
        else a.instanceIds.push_back(m.id < static_cast<int>(slotToInstance.size()) ? slotToInstance[m.id] : -1);
    }
    return a;
}

std::string updateCaption(const std::string& text, const std::vector<int>& assignedIds, const std::string& where) {
    std::map<int, int> slotOf;
    for (size_t k = 0; k < assignedIds.size(); ++k) slotOf[assignedIds[k]] = static_cast<int>(k);
    return rewriteIds(text, [&](int id) {
        auto it = slotOf.find(id);
        if (it == slotOf.end()) fail(where, "object " + objectToken(id) + " is in no slot of the object sequence");
        return it->second;
    });
}

std::string recoverCaption(const std::string& text, const std::vector<int>& assignedIds) {
    return rewriteIds(text, [&](int slot) {
        return slot < static_cast<int>(assignedIds.size()) ? assignedIds[slot] : slot;
    });
}

std::string tidyAnswer(std::string s) {
    for (size_t p; (p = s.find("  ")) != std::string::npos;) s.replace(p, 2, " ");
    for (size_t p; (p = s.find(" .")) != std::string::npos;) s.replace(p, 2, ".");
    const size_t a = s.find_first_not_of(' '), b = s.find_last_not_of(' ');
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

}  // namespace inst3d
