// Instruction samples per task, as Chat-Scene's preprocess/prepare_*_annos.py write them (the same
// scripts Inst3D-LMM runs): a prompt drawn from the editable templates in resources/prompts/ and the
// answer in the trained format ("<OBJ013>.", "Yes. <OBJ004> and <OBJ010>.", "Brown cabinet."). The
// records are the preprocessed annotation JSON rows that training and evaluation read
// (readInstructionSamples / writeInstructionSamples; brief §2.6).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/data/datasets.h"
#include "core/geometry/boxes.h"

namespace inst3d {

// One row of a Chat-Scene/Inst3D annotation file (scanrefer_mask3d_val.json, scanqa_train.json, ...).
// Train rows carry `caption` (the supervised answer), val rows `ref_captions` (strings) or, for
// Multi3DRefer, `refIds` (the GT object ids the file stores as integers in ref_captions).
struct InstructionSample {
    std::string sceneId;
    int objId = 0;
    std::optional<int> predId;               // Scan2Cap: the proposal described
    std::string prompt;
    std::optional<std::string> caption;      // train answer
    std::vector<std::string> refCaptions;    // val references
    std::vector<int> refIds;                 // Multi3DRefer val: GT object ids
    std::string evalType;                    // Multi3DRefer
    int sqaType = -1;                        // SQA3D 0..5
    std::string typeInfo;                    // Nr3D/Sr3D "easy_dep", ...
    std::optional<double> iou;               // Scan2Cap: IoU of pred_id with the GT
};

std::vector<InstructionSample> readInstructionSamples(const std::string& path);
void writeInstructionSamples(const std::string& path, const std::vector<InstructionSample>& samples);

// The prompt variants of every task, one per line of resources/prompts/<file>.txt.
struct PromptTemplates {
    std::vector<std::string> grounding, multi3drefer, scan2cap, nr3dCaption, objectCaption;
    std::string qaSuffix;  // "Answer the question using a single word or phrase."
    // Throws Error naming the file when it is missing, empty, or a line lacks its placeholder.
    static PromptTemplates load(const std::string& dir);
    static PromptTemplates loadDefault();  // resourceDir()/prompts
};

// ---- answer and text formats ---------------------------------------------------------------------

std::string groundingAnswer(int id);                  // "<OBJ013>."
// SampleOptions::namedGrounding's form: "desk<OBJ013>." (the name's underscores as spaces). No space before
// the identifier: SentencePiece would write it as a lone "▁" piece between the name and <OBJ013>, and that one
// token of gap stops a from-scratch LLM from learning the read-out (docs/performance.md, session 13).
std::string namedGroundingAnswer(int id, const std::string& objectName);
// "No." | "Yes. <OBJ004>." | "Yes. A and B." | "Yes. A, B, and C." (sorted); with a name every identifier is
// preceded by it as in namedGroundingAnswer ("Yes. chair<OBJ004> and chair<OBJ007>.").
std::string multi3dReferAnswer(std::vector<int> ids, const std::string& objectName = "");
std::string capitalizePython(const std::string& s);    // Python str.capitalize on ASCII: first upper, rest lower
std::string qaAnswer(const std::string& answer);       // capitalize + "." unless it ends with "."
// Each sentence capitalized as Python str.capitalize does, joined by single spaces. Sentences end at
// . ! ? followed by whitespace (nltk's punkt, which the script uses, also knows abbreviations such as
// "Mr."; ScanRefer descriptions rarely have any).
std::string capitalizeSentences(const std::string& text);
std::string stripFinalPunctuation(const std::string& s);  // drops one trailing string.punctuation char

// ---- samples per task ----------------------------------------------------------------------------

using SceneBoxes = std::map<std::string, std::vector<EvalBox>>;  // scene -> boxes (proposal rank / segGroup order)

struct SampleOptions {
    bool train = true;
    double trainIouThreshold = 0.75;  // Inst3D's preprocess_dataset.sh (Chat-Scene: 0.5)
    int maxObjNum = 100;              // Nr3D/Sr3D train: targets beyond it are dropped
    uint64_t seed = 0;                // prompt choice (std::mt19937_64, same numbers on every platform)
    // Grounding answers (ScanRefer, Multi3DRefer, Nr3D) name the target before its identifier, "desk<OBJ013>."
    // (not in the released recipe: a from-scratch LLM then reads the identifier out right after the word it
    // matches, docs/training.md).
    bool namedGrounding = false;
};

// ScanRefer: sorted by scene and object id as the script does; a scene without proposals is skipped.
std::vector<InstructionSample> scanReferSamples(const std::vector<ScanReferEntry>& entries, const SceneBoxes& proposals,
                                                const SceneBoxes& gtBoxes, const PromptTemplates& t,
                                                const SampleOptions& o);
std::vector<InstructionSample> multi3dReferSamples(const std::vector<Multi3DReferEntry>& entries,
                                                   const SceneBoxes& proposals, const SceneBoxes& gtBoxes,
                                                   const PromptTemplates& t, const SampleOptions& o);
// Scan2Cap corpus built from ScanRefer: "scene|obj" -> "sos " + capitalizeSentences(description) + " eos".
std::vector<Scan2CapCorpusEntry> scan2CapCorpusFromScanRefer(const std::vector<ScanReferEntry>& entries);
// One sample per GT with an assigned proposal (train: per caption and only when IoU >= threshold);
// the prompt names the proposal, <OBJ pred_id>. Scenes in corpus order.
std::vector<InstructionSample> scan2CapSamples(const std::vector<Scan2CapCorpusEntry>& corpus, const SceneBoxes& proposals,
                                               const SceneBoxes& gtBoxes, const PromptTemplates& t,
                                               const SampleOptions& o);
std::vector<InstructionSample> scanQaSamples(const std::vector<ScanQaEntry>& entries, const PromptTemplates& t,
                                             const SampleOptions& o);
std::vector<InstructionSample> sqa3dSamples(const std::vector<Sqa3dEntry>& entries, const PromptTemplates& t,
                                            const SampleOptions& o);
// Nr3D / Sr3D in the GT-object setting (ids are GT object ids); `sceneIds` keeps only the split's scenes.
std::vector<InstructionSample> referIt3DSamples(const std::vector<ReferIt3DEntry>& entries,
                                                const std::vector<std::string>& sceneIds, const PromptTemplates& t,
                                                const SampleOptions& o);

// The sample as the model sees it when objects are shown in the order assignedIds (slot k holds
// object assignedIds[k]): <OBJ###> ids in the prompt and caption rewritten to slots (updateCaption).
InstructionSample remapToSlots(const InstructionSample& s, const std::vector<int>& assignedIds);

}  // namespace inst3d
