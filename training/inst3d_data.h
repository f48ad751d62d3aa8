// What Inst3D instruction tuning and evaluation read (brief §1.6, §1.8, §2.4): the instruction samples of
// the tasks named by a tag string (`scanrefer#multi3dref#scan2cap#scanqa#sqa3d#nr3d`, Inst3D's
// train_tag), built by core/data from the dataset files of a ScanNet-layout folder, and each scene's
// object inputs from its feature cache. Torch-free: plain vectors, turned into tensors by the trainer.
//
// Folder layout (what `inst3d synth` writes; ScanNet + the benchmarks' own file names):
//   ROOT/scans/<scene>/...                         (GT boxes for the sample builders)
//   ROOT/splits/scannetv2_<split>.txt
//   ROOT/ScanRefer/ScanRefer_filtered_<split>.json  ROOT/Multi3DRefer/multi3drefer_<split>.json
//   ROOT/Scan2Cap/scan2cap_<split>_corpus.json      ROOT/ScanQA/ScanQA_v1.0_<split>.json
//   ROOT/SQA3D/v1_balanced_{questions,sqa_annotations}_<split>_scannetv2.json   ROOT/ReferIt3D/nr3d.csv
//   FEATURES/<scene>.features.safetensors           (inst3d extract)
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/data/instructions.h"
#include "core/features/feature_cache.h"

namespace inst3d {

// The scene ids of ROOT/splits/scannetv2_<split>.txt. Error naming the file when it is missing or empty.
std::vector<std::string> splitScenes(const std::string& root, const std::string& split);

// The tasks Inst3D's tags name, in tag order. Error naming the tag when one is unknown.
std::vector<std::string> parseTaskTags(const std::string& tags);

struct SceneObjects {
    std::string sceneId;
    int count = 0, dim3d = 0, dim2d = 0;
    std::vector<float> uni3d;            // [count, dim3d]
    std::vector<float> clip;             // [count, dim2d]
    int crops = 0;                       // C = V x L per object; 0: not loaded (view_fusion: mean)
    std::vector<float> clipCrops;        // [count, crops, dim2d]
    std::vector<uint8_t> cropValid;      // [count, crops]: the crop's view exists
    std::vector<float> centers;          // [count, 3]
    std::vector<uint8_t> valid;          // [count]: shown to the LLM
    std::vector<std::string> labels;
    std::vector<int> objectIds;          // [count]: the instance id a GT proposal carries (-1: not GT)
    // [count] or empty: the words the label curriculum gives each object ("white couch"), from its
    // referring expressions (data.label_words: description); empty: its label.
    std::vector<std::string> labelPhrases;
    std::vector<EvalBox> boxes;          // aligned boxes of the proposals (ranks)
    std::map<std::string, std::string> provenance;  // encoders and their fingerprints
};

struct TaskSample {
    std::string task;  // "scanrefer", ...
    InstructionSample sample;
};

// Every <OBJ###> number a sample's prompt or answer names.
std::set<int> objectIdsNamed(const InstructionSample& s);

struct DataOptions {
    std::string root, featuresDir, split = "train";
    std::vector<std::string> tasks;
    int maxObjects = 100;              // object slots per scene (proposal ranks beyond are dropped)
    bool withCrops = false;            // also every crop's 2D feature (view_fusion: views)
    double trainIouThreshold = 0.75;   // Inst3D's preprocess_dataset.sh
    uint64_t seed = 0;                 // prompt choice
    int limitScenes = 0;               // > 0: only the first N scenes of the split
    bool namedGrounding = false;       // ScanRefer answers "desk<OBJ013>." (SampleOptions::namedGrounding)
    std::string scanReferSubset = "all";  // all, unique or multiple: ScanRefer's rule (scanReferUniqueMultiple)
    bool descriptionLabels = false;    // fill SceneObjects::labelPhrases from the split's ScanRefer descriptions
};

struct Inst3dData {
    std::map<std::string, SceneObjects> scenes;
    std::map<std::string, std::vector<EvalBox>> gtBoxes;  // scene -> GT boxes by object id (aligned)
    std::vector<TaskSample> samples;
    std::map<std::string, int> samplesPerTask;
    std::map<std::string, int> skipped;  // reason -> count (reported, as the reference skips silently)
};

// The words a ScanRefer description's first sentence puts before and on its object's name: "this is a
// white couch." with name couch gives "white couch"; the name alone when nothing precedes it or the name is
// not in the sentence.
std::string describedPhrase(const std::string& description, const std::string& objectName);

// True when Inst3D's label filter hides the object: the label contains wall, ceiling, floor, object or
// item (substring match, so "floor lamp" is hidden too).
bool hiddenByLabelFilter(const std::string& label);

// A scene's object inputs from its feature cache: the first `maxObjects` proposal ranks, valid unless
// the label filter hides them, and with `withCrops` every crop's feature. Error naming `path` when the
// cache lacks 3D or 2D features.
SceneObjects sceneObjects(const SceneFeatures& features, int maxObjects, const std::string& path, bool withCrops = false);

// Reads everything for one split. Errors name the file: a missing dataset file for a requested task,
// a scene of the split without a feature cache, caches whose encoders differ between scenes.
Inst3dData loadInst3dData(const DataOptions& options);

}  // namespace inst3d
