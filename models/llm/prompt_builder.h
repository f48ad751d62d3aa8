// Prompt text for the LLM, torch-free: the Vicuna v1.1 conversation (FastChat's `vicuna_v1.1`,
// ADD_COLON_TWO separators) that `inst3d chat-llm` keeps, and Inst3D-LMM's prompt around the object
// embeddings (brief §1.6, §2.3). The wording lives in editable files under resources/prompts/.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace inst3d {

// A prompt text file read as Chat-Scene reads system.txt / instruction.txt: every line stripped and the
// lines joined with "\n". Lines starting with '#' are comments, blank lines at either end are dropped.
// Error naming the file when it is missing or holds no text.
std::string readPromptText(const std::string& path);

// Vicuna v1.1 turns: system + sep + "USER: " + message + sep + "ASSISTANT: " + reply + sep2 + "USER: " ...
// An open assistant turn ends with "ASSISTANT:" (no space): the model's first token brings its own.
struct ConversationTemplate {
    std::string name;
    std::string system;
    std::string userRole = "USER";
    std::string assistantRole = "ASSISTANT";
    std::string sep = " ";
    std::string sep2 = "</s>";

    // `key = value` lines (system, user, assistant, sep, sep2); a value in double quotes keeps its
    // spaces and understands \n, \" and \\. '#' lines are comments. Unknown keys: Error naming the file.
    static ConversationTemplate load(const std::string& path);
    static ConversationTemplate loadDefault(const std::string& name = "vicuna_v1.1");  // resourceDir()/prompts/<name>.txt
};

class Conversation {
public:
    explicit Conversation(ConversationTemplate tmpl);
    void addUser(const std::string& text);
    void addAssistant(const std::string& text);
    void reset();  // forget every message, keep the template
    void dropOldestExchange();  // the first user message and the reply after it (context overflow)
    size_t messages() const { return messages_.size(); }
    const ConversationTemplate& tmpl() const { return t_; }
    // Every message in turn, then an open assistant turn when the last message is the user's.
    std::string prompt() const;

private:
    ConversationTemplate t_;
    std::vector<std::pair<bool, std::string>> messages_;  // (from the user, text)
};

// Inst3D-LMM's object prompt: (system + " " + instruction + " USER: ") split at each `<REPLACE>`.
// segments[0] is Chat-Scene's p_0 (tokenized with BOS), the last one p_1 (without); the object
// embeddings go in between. The question follows as question(q) = " " + q + " ASSISTANT: " (Inst3D's
// form, with the leading and trailing spaces), then the answer and `</s>` when training.
// The bundled instruction has one slot, as the released code needs (Inst3D's own file has two, which
// its split cannot unpack); a two-slot file gives three segments (instance tokens, scene tokens).
struct ObjectPrompt {
    std::vector<std::string> segments;
    std::string assistantRole = "ASSISTANT";

    static ObjectPrompt build(const std::string& system, const std::string& instruction,
                              const std::string& userRole = "USER", const std::string& assistantRole = "ASSISTANT");
    static ObjectPrompt load(const std::string& systemPath, const std::string& instructionPath);
    static ObjectPrompt loadDefault();  // resourceDir()/prompts/inst3d_system.txt + inst3d_instruction.txt

    int slotCount() const { return int(segments.size()) - 1; }
    std::string question(const std::string& q) const;
    // The whole text with `objects` in every slot (logs, previews).
    std::string text(const std::string& question, const std::string& objects) const;
};

}  // namespace inst3d
