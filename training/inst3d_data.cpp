#include "training/inst3d_data.h"

#include <algorithm>
#include <set>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/data/datasets.h"
#include "core/data/proposal_matching.h"
#include "core/features/feature_cache.h"
#include "core/io/label_map.h"
#include "core/io/scene_loader.h"

namespace inst3d {

namespace {

const std::vector<std::string> kTasks = {"scanrefer", "multi3dref", "scan2cap", "scanqa", "sqa3d", "nr3d"};
const std::vector<std::string> kHiddenWords = {"wall", "ceiling", "floor", "object", "item"};
const std::vector<std::string> kProvenanceKeys = {"encoder_3d", "encoder_3d_checkpoint", "encoder_2d",
                                                  "encoder_2d_checkpoint"};

void checkSameEncoders(const SceneObjects& a, const SceneObjects& b, const std::string& path) {
    for (const std::string& k : kProvenanceKeys) {
        auto x = a.provenance.find(k), y = b.provenance.find(k);
        const std::string va = x == a.provenance.end() ? "" : x->second, vb = y == b.provenance.end() ? "" : y->second;
        if (va != vb) fail(path, k + " is '" + vb + "' but scene " + a.sceneId + " has '" + va + "' (mixed feature caches)");
    }
    if (a.dim3d != b.dim3d || a.dim2d != b.dim2d) fail(path, "feature widths differ from scene " + a.sceneId + "'s");
}

std::string datasetPath(const DataOptions& o, const std::string& rel) {
    const std::string p = joinPath(o.root, rel);
    if (!fileExists(p)) fail(p, "dataset file missing (needed by the tasks " + rel.substr(0, rel.find('/')) + ")");
    return p;
}

// ScanRefer's entries, or its unique / multiple subset by ScanRefer's own rule (the labels tsv at the
// data root maps names to its 18 classes).
std::vector<ScanReferEntry> scanReferEntries(const DataOptions& o) {
    std::vector<ScanReferEntry> entries = readScanRefer(datasetPath(o, "ScanRefer/ScanRefer_filtered_" + o.split + ".json"));
    if (o.scanReferSubset == "all") return entries;
    if (o.scanReferSubset != "unique" && o.scanReferSubset != "multiple")
        fail("", "the ScanRefer subset must be all, unique or multiple, got '" + o.scanReferSubset + "'");
    const UniqueMultipleLookup kind = scanReferUniqueMultiple(entries, LabelMap::read(datasetPath(o, "scannetv2-labels.combined.tsv")));
    const int wanted = o.scanReferSubset == "unique" ? 0 : 1;
    entries.erase(std::remove_if(entries.begin(), entries.end(),
                                 [&](const ScanReferEntry& e) { return kind.at(e.sceneId).at(e.objectId) != wanted; }),
                  entries.end());
    return entries;
}

// One task's samples, restricted to the loaded scenes.
std::vector<InstructionSample> taskSamples(const std::string& task, const DataOptions& o, const SceneBoxes& proposals,
                                           const SceneBoxes& gt, const std::vector<std::string>& sceneIds) {
    const PromptTemplates t = PromptTemplates::loadDefault();
    SampleOptions so;
    so.train = o.split == "train";
    so.trainIouThreshold = o.trainIouThreshold;
    so.maxObjNum = o.maxObjects;
    so.seed = o.seed;
    so.namedGrounding = o.namedGrounding;
    const std::string s = o.split;
    if (task == "scanrefer") return scanReferSamples(scanReferEntries(o), proposals, gt, t, so);
    if (task == "multi3dref") return multi3dReferSamples(readMulti3DRefer(datasetPath(o, "Multi3DRefer/multi3drefer_" + s + ".json")), proposals, gt, t, so);
    if (task == "scan2cap") return scan2CapSamples(readScan2CapCorpus(datasetPath(o, "Scan2Cap/scan2cap_" + s + "_corpus.json")), proposals, gt, t, so);
    if (task == "scanqa") return scanQaSamples(readScanQa(datasetPath(o, "ScanQA/ScanQA_v1.0_" + s + ".json")), t, so);
    if (task == "sqa3d")
        return sqa3dSamples(readSqa3d(datasetPath(o, "SQA3D/v1_balanced_questions_" + s + "_scannetv2.json"),
                                      datasetPath(o, "SQA3D/v1_balanced_sqa_annotations_" + s + "_scannetv2.json")), t, so);
    return referIt3DSamples(readReferIt3D(datasetPath(o, "ReferIt3D/nr3d.csv")), sceneIds, t, so);
}

// The highest <OBJ###> a sample's prompt or answer names, -1 if none.
int highestObjectId(const InstructionSample& s) {
    const std::set<int> ids = objectIdsNamed(s);
    return ids.empty() ? -1 : *ids.rbegin();
}

}  // namespace

std::set<int> objectIdsNamed(const InstructionSample& s) {
    std::set<int> ids;
    for (const std::string* text : {&s.prompt, s.caption ? &*s.caption : nullptr}) {
        if (!text) continue;
        for (size_t p = text->find("<OBJ"); p != std::string::npos; p = text->find("<OBJ", p + 1))
            if (p + 7 < text->size() + 1 && std::isdigit((unsigned char)(*text)[p + 4])) ids.insert(std::atoi(text->c_str() + p + 4));
    }
    return ids;
}

namespace {

// Every crop's 2D feature of the first s.count proposals, valid where its view exists.
void loadCrops(const SceneFeatures& f, SceneObjects& s) {
    const size_t levels = size_t(f.levels), crops = size_t(f.views) * levels, d = size_t(f.dim2d);
    s.crops = int(crops);
    s.clipCrops.assign(f.cropFeatures.begin(), f.cropFeatures.begin() + size_t(s.count) * crops * d);
    s.cropValid.resize(size_t(s.count) * crops);
    for (size_t k = 0; k < size_t(s.count); ++k)
        for (size_t c = 0; c < crops; ++c) s.cropValid[k * crops + c] = f.viewFrames[k * size_t(f.views) + c / levels] >= 0;
}

}  // namespace

std::vector<std::string> splitScenes(const std::string& root, const std::string& split) {
    requireComplete(root);  // a world whose inst3d synth was killed
    const std::string path = joinPath(root, "splits/scannetv2_" + split + ".txt");
    std::istringstream in(readTextFile(path));
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);)
        if (!line.empty() && line[0] != '#') out.push_back(line.substr(0, line.find_last_not_of(" \r\t") + 1));
    if (out.empty()) fail(path, "no scenes in the split file");
    return out;
}

SceneObjects sceneObjects(const SceneFeatures& f, int maxObjects, const std::string& path, bool withCrops) {
    if (f.dim3d == 0) fail(path, "the cache has no 3D features (run inst3d extract with --uni3d)");
    if (f.dim2d == 0) fail(path, "the cache has no 2D features (run inst3d extract with --clip)");
    SceneObjects s;
    s.sceneId = f.sceneId;
    s.count = std::min<int>(int(f.numProposals()), maxObjects);
    s.dim3d = f.dim3d;
    s.dim2d = f.dim2d;
    s.uni3d.assign(f.feat3d.begin(), f.feat3d.begin() + size_t(s.count) * size_t(f.dim3d));
    s.clip.assign(f.feat2d.begin(), f.feat2d.begin() + size_t(s.count) * size_t(f.dim2d));
    for (int k = 0; k < s.count; ++k) {
        const AABB& b = f.boxes[size_t(k)];
        const Vec3 c = (b.min + b.max) * 0.5, size = b.max - b.min;
        s.centers.insert(s.centers.end(), {float(c.x), float(c.y), float(c.z)});
        s.boxes.push_back({{c.x, c.y, c.z}, {size.x, size.y, size.z}});
        s.labels.push_back(f.proposals[size_t(k)].label);
        s.objectIds.push_back(f.proposals[size_t(k)].source == InstanceSource::GroundTruth ? f.proposals[size_t(k)].id : -1);
        s.valid.push_back(hiddenByLabelFilter(s.labels.back()) ? 0 : 1);
    }
    for (const std::string& k : kProvenanceKeys)
        if (f.provenance.count(k)) s.provenance[k] = f.provenance.at(k);
    if (withCrops) {
        if (f.views == 0 || f.levels == 0 || f.cropFeatures.empty())
            fail(path, "the cache has no per-crop 2D features (feat_2d_crops), which view_fusion: views needs");
        loadCrops(f, s);
    }
    return s;
}

std::vector<std::string> parseTaskTags(const std::string& tags) {
    std::vector<std::string> out;
    std::istringstream in(tags);
    for (std::string tag; std::getline(in, tag, '#');) {
        if (tag.empty()) continue;
        if (std::find(kTasks.begin(), kTasks.end(), tag) == kTasks.end())
            fail("", "unknown task tag '" + tag + "' (scanrefer, multi3dref, scan2cap, scanqa, sqa3d, nr3d)");
        if (std::find(out.begin(), out.end(), tag) == out.end()) out.push_back(tag);
    }
    if (out.empty()) fail("", "no task tags in '" + tags + "'");
    return out;
}

bool hiddenByLabelFilter(const std::string& label) {
    for (const std::string& w : kHiddenWords)
        if (label.find(w) != std::string::npos) return true;
    return false;
}

std::string describedPhrase(const std::string& description, const std::string& objectName) {
    std::string name = objectName;
    std::replace(name.begin(), name.end(), '_', ' ');
    std::string first = description.substr(0, description.find('.'));
    std::transform(first.begin(), first.end(), first.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    const std::string padded = " " + first + " ";
    const size_t at = padded.find(" " + name + " ");
    if (at == std::string::npos) return name;
    // Back over the words before the name, to the article (or the sentence's verb) that opens its phrase.
    std::istringstream words(padded.substr(0, at));
    std::vector<std::string> before;
    for (std::string w; words >> w;) before.push_back(w);
    static const std::set<std::string> kOpeners = {"a", "an", "the", "is", "this", "it", "of"};
    std::string phrase = name;
    for (auto w = before.rbegin(); w != before.rend() && !kOpeners.count(*w); ++w) phrase = *w + " " + phrase;
    return phrase;
}

// Each GT object's phrase: the one its descriptions give most often among those that say more than the
// name (a tie goes to the first in sorted order), else its label.
void fillLabelPhrases(const DataOptions& o, Inst3dData& d) {
    std::map<std::pair<std::string, int>, std::map<std::string, int>> counts;
    for (const ScanReferEntry& e : readScanRefer(datasetPath(o, "ScanRefer/ScanRefer_filtered_" + o.split + ".json"))) {
        std::string name = e.objectName;
        std::replace(name.begin(), name.end(), '_', ' ');
        const std::string phrase = describedPhrase(e.description, e.objectName);
        if (phrase != name) ++counts[{e.sceneId, e.objectId}][phrase];
    }
    for (auto& [id, s] : d.scenes) {
        s.labelPhrases = s.labels;
        for (int k = 0; k < s.count; ++k) {
            auto c = counts.find({id, s.objectIds[size_t(k)]});
            if (s.objectIds[size_t(k)] < 0 || c == counts.end()) continue;
            s.labelPhrases[size_t(k)] = std::max_element(c->second.begin(), c->second.end(),
                                                         [](const auto& a, const auto& b) { return a.second < b.second; })->first;
        }
    }
}

Inst3dData loadInst3dData(const DataOptions& o) {
    Inst3dData d;
    std::vector<std::string> ids = splitScenes(o.root, o.split);
    if (o.limitScenes > 0 && int(ids.size()) > o.limitScenes) ids.resize(size_t(o.limitScenes));
    SceneBoxes proposals, gt;
    for (const std::string& id : ids) {
        const std::string path = featureCachePath(o.featuresDir, id);
        if (!fileExists(path)) fail(path, "no feature cache for scene " + id + " of split " + o.split + " (run inst3d extract)");
        SceneObjects s = sceneObjects(readSceneFeatures(path), o.maxObjects, path, o.withCrops);
        if (!d.scenes.empty()) checkSameEncoders(d.scenes.begin()->second, s, path);
        proposals[id] = s.boxes;
        LoadOptions lo;
        lo.loadFrames = false;
        gt[id] = sceneBoxes(loadScene(joinPath(o.root, "scans/" + id), lo));
        d.gtBoxes[id] = gt[id];
        d.scenes.emplace(id, std::move(s));
    }
    if (o.descriptionLabels) fillLabelPhrases(o, d);
    for (const std::string& task : o.tasks) {
        for (InstructionSample& s : taskSamples(task, o, proposals, gt, ids)) {
            auto scene = d.scenes.find(s.sceneId);
            if (scene == d.scenes.end()) continue;  // another split's scene
            if (highestObjectId(s) >= scene->second.count) {
                ++d.skipped[task + ": names an object beyond the scene's " + std::to_string(o.maxObjects) + " slots"];
                continue;
            }
            d.samples.push_back({task, std::move(s)});
            ++d.samplesPerTask[task];
        }
    }
    return d;
}

}  // namespace inst3d
