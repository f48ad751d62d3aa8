// The one parser of object identifiers in model text: "<OBJ013>" tokens (exactly three digits, the
// Chat-Scene/Inst3D ID_format "<OBJ{:03}>"), shared by chat highlighting, the evaluators and the
// instruction builder's id remapping. Nothing else in the code base scans for "<OBJ".
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace inst3d {

// "<OBJ013>" for 13. Ids outside 0..999 are formatted as Python's f"{id:03}" would ("<OBJ-01>").
std::string objectToken(int id);

struct ObjectMention {
    size_t pos = 0;  // byte offset of '<' in the text
    size_t len = 8;  // always 8: "<OBJddd>"
    int id = 0;      // the three digits as written (a sequence slot, before recovery)
};

// Every "<OBJddd>" in order of appearance, duplicates kept (re.finditer("<OBJ\d{3}>")).
std::vector<ObjectMention> findObjectMentions(const std::string& text);
std::vector<int> parseObjectIds(const std::string& text);

// Inst3D's post-processing of a generated answer (brief §1.9): double spaces and " ." tidied, stripped.
std::string tidyAnswer(std::string text);

// ScanRefer / Nr3D evaluators: the first id below numProposals, else 0 (the evaluator's default).
int groundingPrediction(const std::string& text, int numProposals);
// Multi3DRefer evaluator: every id below numProposals, in order, duplicates kept.
std::vector<int> multiGroundingPrediction(const std::string& text, int numProposals);

// What a chat answer refers to: the mentions and, for each, the instance it names.
// slotToInstance[k] is the instance id shown to the model as <OBJ k> (identity when empty);
// a slot out of range maps to -1 (the model named an object that was not in the scene).
struct ParsedAnswer {
    std::vector<ObjectMention> mentions;
    std::vector<int> instanceIds;  // per mention
};
ParsedAnswer parseAnswer(const std::string& text, const std::vector<int>& slotToInstance = {});

// Chat-Scene's id remapping for shuffled object order: assignedIds[k] is the object placed in slot k.
// updateCaption rewrites object ids to slots (training answers); an id that no slot holds is an
// Error naming `where`. recoverCaption rewrites generated slots back to object ids; a slot out of
// range stays as written (Chat-Scene substitutes a random id there; a fixed rule keeps runs
// reproducible, and the evaluators then skip ids beyond the proposals).
std::string updateCaption(const std::string& text, const std::vector<int>& assignedIds, const std::string& where = "");
std::string recoverCaption(const std::string& text, const std::vector<int>& assignedIds);

}  // namespace inst3d
