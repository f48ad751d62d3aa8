// Readers for the 3D language datasets in their released formats (field lists: the Inst3D-LMM brief
// §3.2): ScanRefer, Multi3DRefer, ScanQA, the Scan2Cap corpus (Chat-Scene's {"scene|obj": [...]}),
// Nr3D / Sr3D (ReferIt3D CSV) and SQA3D (questions + annotations joined by question_id). Every
// error is an inst3d::Error naming the file and the entry ("ScanRefer_filtered_val.json: [12].object_id:
// expected an integer or a string of digits").
#pragma once
#include <array>
#include <map>
#include <string>
#include <vector>

namespace inst3d {

class LabelMap;

struct ScanReferEntry {
    std::string sceneId;
    int objectId = 0;         // stored as a string in the file ("34")
    std::string objectName;   // "coffee_table"
    int annId = 0;
    std::string description;
    std::vector<std::string> tokens;
};
std::vector<ScanReferEntry> readScanRefer(const std::string& path);

struct Multi3DReferEntry {
    std::string sceneId;
    std::string objectName;
    int annId = 0;
    std::string description;
    std::vector<int> objectIds;  // empty for the zero-target types
    std::string evalType;        // zt_w_d, zt_wo_d, st_w_d, st_wo_d, mt
};
std::vector<Multi3DReferEntry> readMulti3DRefer(const std::string& path);

struct ScanQaEntry {
    std::string sceneId;
    std::string questionId;
    std::string question;
    std::vector<std::string> answers;      // absent in the test files: empty
    std::vector<int> objectIds;            // absent in test_wo_obj: empty
    std::vector<std::string> objectNames;
};
std::vector<ScanQaEntry> readScanQa(const std::string& path);

// One key of the Scan2Cap corpus, in file order.
struct Scan2CapCorpusEntry {
    std::string key;  // "scene0011_00|4"
    std::string sceneId;
    int objectId = 0;
    std::vector<std::string> captions;  // "sos ... eos"
};
std::vector<Scan2CapCorpusEntry> readScan2CapCorpus(const std::string& path);

struct Sqa3dEntry {
    std::string sceneId;
    long long questionId = 0;
    std::string situation;
    std::vector<std::string> alternativeSituations;
    std::string question;
    std::string questionType, answerType;  // annotation fields, kept verbatim
    std::vector<std::string> answers;
    std::array<double, 3> position{};      // agent position x, y, z
    std::array<double, 4> rotation{};      // quaternion _x, _y, _z, _w
};
// Joined by question_id, in the annotations file's order; an annotation whose question is missing
// (or a duplicated question id) is an error naming the file and the question id.
std::vector<Sqa3dEntry> readSqa3d(const std::string& questionsPath, const std::string& annotationsPath);

// SQA3D sqa_type from the question's first letters: what 0, is 1, how 2, can 3, which 4, other 5
// (get_sqa_question_type of the evaluators; the instruction samples carry it too, hence here).
int sqa3dQuestionType(const std::string& question);

// A row of nr3d.csv or sr3d.csv (the columns one file lacks stay empty).
struct ReferIt3DEntry {
    std::string sceneId;  // scan_id
    int targetId = 0;
    std::string utterance;
    std::string stimulusId;  // "<scene>-<label>-<n_objects>-<target_id>[-<distractor ids>]"
    std::string instanceType;
    std::vector<std::string> tokens;
    std::vector<int> distractorIds, anchorIds;  // Sr3D
    std::vector<std::string> anchorTypes;       // Sr3D
    std::string coarseReferenceType, referenceType, dataset;
    bool mentionsTargetClass = false, correctGuess = false;
    int line = 0;  // line in the CSV file
};
std::vector<ReferIt3DEntry> readReferIt3D(const std::string& path);

// ReferIt3D's evaluation labels: easy iff the stimulus has at most 2 objects of the target's class
// (n_objects, third '-' field of stimulus_id); view-dependent iff the tokens contain one of front,
// behind, back, right, left, facing, leftmost, rightmost, looking, across.
int referIt3DObjectCount(const std::string& stimulusId, const std::string& where = "");
bool isReferIt3DEasy(const ReferIt3DEntry& e);
bool isViewDependent(const std::vector<std::string>& tokens);
std::string referIt3DTypeInfo(const ReferIt3DEntry& e);  // "easy_dep" | "easy_indep" | "hard_dep" | "hard_indep"
// The inverse of referIt3DTypeInfo (the `type_info` of Nr3D/Sr3D val samples and prediction rows);
// false when `typeInfo` is none of the four strings.
bool parseReferIt3DTypeInfo(const std::string& typeInfo, bool& easy, bool& viewDependent);

// ScanRefer's unique/multiple rule (daveredrum/ScanRefer lib/dataset.py, repeated in Chat-Scene
// utils/helper.py): an annotation's object_name (underscores -> spaces) is mapped through the labels
// tsv (raw_category -> nyu40class) onto ScanRefer's 18 classes (17 named + "others"; a name missing
// from the tsv is "others"); the object is unique (0) iff no other ANNOTATED object of its scene
// (distinct object_id among `entries`) has the same class, else multiple (1).
// Result: scene -> object_id -> 0/1.
using UniqueMultipleLookup = std::map<std::string, std::map<int, int>>;
int scanReferClass(const std::string& objectName, const LabelMap& labels);
UniqueMultipleLookup scanReferUniqueMultiple(const std::vector<ScanReferEntry>& entries, const LabelMap& labels);

}  // namespace inst3d
