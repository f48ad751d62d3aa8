#include "models/llm/prompt_builder.h"

#include <algorithm>
#include <sstream>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/config/config.h"

namespace inst3d {

namespace {

const char kSlot[] = "<REPLACE>";

std::string strip(const std::string& s) {
    const char* ws = " \t\r\n";
    size_t b = s.find_first_not_of(ws);
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// A quoted value keeps its spaces and knows \n, \" and \\; an unquoted one is taken as is.
std::string unquote(const std::string& v, const std::string& path, size_t lineNo) {
    if (v.size() < 2 || v.front() != '"') return v;
    if (v.back() != '"') fail(path, "line " + std::to_string(lineNo) + ": unterminated quoted value");
    std::string out;
    for (size_t i = 1; i + 1 < v.size(); ++i) {
        if (v[i] != '\\' || i + 2 >= v.size()) {
            out += v[i];
            continue;
        }
        char e = v[++i];
        out += e == 'n' ? '\n' : e;
    }
    return out;
}

}  // namespace

std::string readPromptText(const std::string& path) {
    if (!fileExists(path)) fail(path, "prompt file not found");
    std::vector<std::string> kept;
    for (const std::string& line : lines(readTextFile(path)))
        if (line.rfind('#', 0) != 0) kept.push_back(strip(line));
    while (!kept.empty() && kept.back().empty()) kept.pop_back();
    size_t first = 0;
    while (first < kept.size() && kept[first].empty()) ++first;
    if (first == kept.size()) fail(path, "prompt file holds no text");
    std::string out;
    for (size_t i = first; i < kept.size(); ++i) out += (i > first ? "\n" : "") + kept[i];
    return out;
}

// ---- Vicuna conversation -----------------------------------------------------------------------------

ConversationTemplate ConversationTemplate::load(const std::string& path) {
    if (!fileExists(path)) fail(path, "conversation template not found");
    ConversationTemplate t;
    t.name = path;
    bool hasSystem = false;
    size_t lineNo = 0;
    for (const std::string& raw : lines(readTextFile(path))) {
        ++lineNo;
        std::string line = strip(raw);
        if (line.empty() || line[0] == '#') continue;
        size_t eq = line.find('=');
        if (eq == std::string::npos) fail(path, "line " + std::to_string(lineNo) + ": expected key = value");
        std::string key = strip(line.substr(0, eq)), value = unquote(strip(line.substr(eq + 1)), path, lineNo);
        if (key == "system") {
            t.system = value;
            hasSystem = true;
        } else if (key == "user") {
            t.userRole = value;
        } else if (key == "assistant") {
            t.assistantRole = value;
        } else if (key == "sep") {
            t.sep = value;
        } else if (key == "sep2") {
            t.sep2 = value;
        } else {
            fail(path, "line " + std::to_string(lineNo) + ": unknown key '" + key + "' (system, user, assistant, sep, sep2)");
        }
    }
    if (!hasSystem) fail(path, "no 'system' line");
    return t;
}

ConversationTemplate ConversationTemplate::loadDefault(const std::string& name) {
    ConversationTemplate t = load(joinPath(joinPath(resourceDir(), "prompts"), name + ".txt"));
    t.name = name;
    return t;
}

Conversation::Conversation(ConversationTemplate tmpl) : t_(std::move(tmpl)) {}

void Conversation::addUser(const std::string& text) { messages_.push_back({true, text}); }
void Conversation::addAssistant(const std::string& text) { messages_.push_back({false, text}); }
void Conversation::reset() { messages_.clear(); }

void Conversation::dropOldestExchange() {
    size_t n = std::min<size_t>(messages_.size(), messages_.size() > 1 && !messages_[1].first ? 2 : 1);
    messages_.erase(messages_.begin(), messages_.begin() + n);
}

std::string Conversation::prompt() const {
    // FastChat's ADD_COLON_TWO: a user message ends with sep, an assistant reply with sep2.
    std::string out = t_.system + t_.sep;
    for (const auto& [fromUser, text] : messages_)
        out += (fromUser ? t_.userRole : t_.assistantRole) + ": " + text + (fromUser ? t_.sep : t_.sep2);
    if (messages_.empty() || messages_.back().first) out += t_.assistantRole + ":";
    return out;
}

// ---- Inst3D object prompt ---------------------------------------------------------------------------

ObjectPrompt ObjectPrompt::build(const std::string& system, const std::string& instruction, const std::string& userRole,
                                 const std::string& assistantRole) {
    std::string whole = system + " " + instruction + " " + userRole + ": ";
    ObjectPrompt p;
    p.assistantRole = assistantRole;
    size_t start = 0;
    for (size_t at; (at = whole.find(kSlot, start)) != std::string::npos; start = at + sizeof kSlot - 1)
        p.segments.push_back(whole.substr(start, at - start));
    p.segments.push_back(whole.substr(start));
    if (p.segments.size() < 2) fail("", std::string("the instruction has no ") + kSlot + " slot for the objects");
    return p;
}

ObjectPrompt ObjectPrompt::load(const std::string& systemPath, const std::string& instructionPath) {
    std::string instruction = readPromptText(instructionPath);
    if (instruction.find(kSlot) == std::string::npos)
        fail(instructionPath, std::string("no ") + kSlot + " slot for the object embeddings");
    return build(readPromptText(systemPath), instruction);
}

ObjectPrompt ObjectPrompt::loadDefault() {
    std::string dir = joinPath(resourceDir(), "prompts");
    return load(joinPath(dir, "inst3d_system.txt"), joinPath(dir, "inst3d_instruction.txt"));
}

std::string ObjectPrompt::question(const std::string& q) const { return " " + q + " " + assistantRole + ": "; }

std::string ObjectPrompt::text(const std::string& q, const std::string& objects) const {
    std::string out = segments[0];
    for (size_t i = 1; i < segments.size(); ++i) out += objects + segments[i];
    return out + question(q);
}

}  // namespace inst3d
