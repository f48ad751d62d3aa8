// Writes the language annotations of the synthetic world in the real dataset layouts. Sentences come
// from claims that are robustly true of the SynthScene geometry (lang_model.h); the templates are
// listed in lang_gen.h and parsed back by verify.cpp.
#include "core/synth/language.h"

#include <map>
#include <set>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/synth/lang_gen.h"
#include "core/synth/lang_text.h"

namespace inst3d {
namespace {

using langgen::LangScene;
using langgen::ojson;
using langgen::Rng;

// Independent random streams per (scene, dataset): adding a dataset never changes another's text.
enum Stream : uint64_t { kReferStream = 1, kMulti3dStream, kScanQaStream, kSqaStream, kNr3dStream };

const std::vector<std::string>& nr3dHeader() {
    static const std::vector<std::string> h = {
        "assignmentid",       "stimulus_id",      "utterance",         "correct_guess",  "speaker_id", "listener_id",
        "scan_id",            "instance_type",    "target_id",         "tokens",         "mentions_target_class",
        "uses_object_lang",   "uses_spatial_lang", "uses_color_lang",  "uses_shape_lang", "dataset"};
    return h;
}

void writeJson(const std::string& dir, const std::string& name, const ojson& j) {
    makeDirectories(dir);
    writeFileAtomic(joinPath(dir, name), j.dump(1) + "\n");
}

struct World {
    std::vector<LangScene> scenes;
    std::vector<std::string> colors, categories;  // every colour / described category of the world
};

World buildWorld(const std::vector<SynthScene>& scenes) {
    World w;
    std::set<std::string> colors, cats;
    for (const SynthScene& s : scenes) {
        w.scenes.emplace_back(s);
        for (const auto& o : w.scenes.back().objects()) {
            if (!o.color.empty()) colors.insert(o.color);
            if (o.target) cats.insert(o.cat);
        }
    }
    w.colors.assign(colors.begin(), colors.end());
    w.categories.assign(cats.begin(), cats.end());
    return w;
}

// ScanRefer rows of one scene; ann_id counts the descriptions of each object from "0".
void scanReferEntries(const LangScene& s, const std::vector<langgen::Described>& described, ojson& out) {
    std::map<int, int> nextAnn;
    for (const auto& d : described) {
        const auto& t = s.obj(d.target);
        ojson tokens = ojson::array();
        for (const std::string& tok : lang::tokenize(d.text)) tokens.push_back(tok);
        out.push_back({{"scene_id", s.id()},
                       {"object_id", std::to_string(t.id)},
                       {"object_name", lang::underscored(t.cat)},
                       {"ann_id", std::to_string(nextAnn[t.id]++)},
                       {"description", d.text},
                       {"token", tokens}});
    }
}

// Scan2Cap corpus as Chat-Scene's prepare_scan2cap_annos.py builds it from ScanRefer, with our fixed
// tokenization: "sos " + the lang::tokenize() tokens of the description joined by single spaces +
// " eos" (so "This is a chair. It is ..." -> "sos this is a chair . it is ... eos").
void scan2CapCorpus(const ojson& scanRefer, ojson& corpus) {
    for (const auto& e : scanRefer) {
        std::string key = e["scene_id"].get<std::string>() + "|" + e["object_id"].get<std::string>();
        std::string caption = "sos " + lang::joinTokens(lang::tokenize(e["description"].get<std::string>())) + " eos";
        if (!corpus.contains(key)) corpus[key] = ojson::array();
        corpus[key].push_back(caption);
    }
}

void writeSplit(const std::string& outDir, const World& w, const std::vector<std::string>& splits,
                const std::string& split, uint64_t seed, const SynthLanguageSizes& sizes) {
    ojson refer = ojson::array(), multi = ojson::array(), qa = ojson::array(), corpus = ojson::object();
    ojson sqaQ = ojson::array(), sqaA = ojson::array();
    long long sqaId = split == "train" ? 1000000 : 2000000;
    for (size_t i = 0; i < w.scenes.size(); ++i) {
        if (splits[i] != split) continue;
        const LangScene& s = w.scenes[i];
        Rng referRng(langgen::mixSeed(seed, i, kReferStream));
        auto described = langgen::describeTargets(s, referRng, static_cast<size_t>(sizes.descriptionsPerTarget),
                                                  static_cast<size_t>(sizes.descriptionsPerScene));
        scanReferEntries(s, described, refer);
        Rng multiRng(langgen::mixSeed(seed, i, kMulti3dStream));
        langgen::multi3dReferEntries(s, described, w.colors, w.categories, multiRng, multi);
        Rng qaRng(langgen::mixSeed(seed, i, kScanQaStream));
        langgen::scanQaEntries(s, split, qaRng, qa);
        Rng sqaRng(langgen::mixSeed(seed, i, kSqaStream));
        langgen::sqa3dEntries(s, sqaRng, sqaId, sqaQ, sqaA);
    }
    scan2CapCorpus(refer, corpus);
    writeJson(joinPath(outDir, "ScanRefer"), "ScanRefer_filtered_" + split + ".json", refer);
    writeJson(joinPath(outDir, "Multi3DRefer"), "multi3drefer_" + split + ".json", multi);
    writeJson(joinPath(outDir, "ScanQA"), "ScanQA_v1.0_" + split + ".json", qa);
    writeJson(joinPath(outDir, "Scan2Cap"), "scan2cap_" + split + "_corpus.json", corpus);
    writeJson(joinPath(outDir, "SQA3D"), "v1_balanced_questions_" + split + "_scannetv2.json", ojson{{"questions", sqaQ}});
    writeJson(joinPath(outDir, "SQA3D"), "v1_balanced_sqa_annotations_" + split + "_scannetv2.json",
              ojson{{"annotations", sqaA}});
}

void writeNr3d(const std::string& outDir, const World& w, const std::vector<std::string>& splits, uint64_t seed) {
    std::string csv = lang::csvRow(nr3dHeader());
    for (size_t i = 0; i < w.scenes.size(); ++i) {
        if (splits[i] != "train" && splits[i] != "val") continue;
        Rng rng(langgen::mixSeed(seed, i, kNr3dStream));
        std::vector<std::vector<std::string>> rows;
        langgen::nr3dRows(w.scenes[i], rng, rows);
        for (const auto& r : rows) csv += lang::csvRow(r);
    }
    std::string dir = joinPath(outDir, "ReferIt3D");
    makeDirectories(dir);
    writeFileAtomic(joinPath(dir, "nr3d.csv"), csv);
}

}  // namespace

void writeSynthLanguage(const std::string& outDir, const std::vector<SynthScene>& scenes,
                        const std::vector<std::string>& splits, uint64_t seed, const SynthLanguageSizes& sizes) {
    if (scenes.size() != splits.size())
        fail(outDir, "writeSynthLanguage: " + std::to_string(scenes.size()) + " scenes but " +
                         std::to_string(splits.size()) + " split names");
    World world = buildWorld(scenes);
    for (const char* split : {"train", "val"}) writeSplit(outDir, world, splits, split, seed, sizes);
    writeNr3d(outDir, world, splits, seed);
}

}  // namespace inst3d
