#include "core/data/instructions.h"

#include <algorithm>
#include <cctype>
#include <random>
#include <set>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/common/py_text.h"
#include "core/config/config.h"
#include "core/data/answer_parser.h"
#include "core/data/datasets.h"  // sqa3dQuestionType
#include "core/data/json_fields.h"
#include "core/data/proposal_matching.h"

namespace inst3d {
namespace {

using datajson::Fields;
using datajson::json;

// Prompt choice. mt19937_64's output is fixed by the standard; a modulo keeps it distribution-free.
class Chooser {
public:
    explicit Chooser(uint64_t seed) : rng_(seed) {}
    const std::string& pick(const std::vector<std::string>& v) { return v[rng_() % v.size()]; }

private:
    std::mt19937_64 rng_;
};

std::vector<std::string> readTemplateLines(const std::string& path, const std::string& placeholder) {
    std::vector<std::string> out;
    std::string text = readTextFile(path);
    size_t start = 0, lineNo = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        std::string line = trim(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
        ++lineNo;
        if (!line.empty() && line[0] != '#') {
            if (!placeholder.empty() && line.find(placeholder) == std::string::npos)
                fail(path, "line " + std::to_string(lineNo) + " has no " + placeholder);
            out.push_back(line);
        }
        if (end == std::string::npos) break;
        start = end + 1;
    }
    if (out.empty()) fail(path, "no template");
    return out;
}

const std::vector<EvalBox>* boxesOf(const SceneBoxes& boxes, const std::string& scene) {
    auto it = boxes.find(scene);
    return it == boxes.end() ? nullptr : &it->second;
}

const EvalBox& gtBox(const SceneBoxes& gt, const std::string& scene, int objectId, const std::string& what) {
    const auto* b = boxesOf(gt, scene);
    if (!b || objectId < 0 || objectId >= static_cast<int>(b->size()))
        fail(what, "object " + std::to_string(objectId) + " of " + scene + " has no GT box");
    return (*b)[objectId];
}

InstructionSample makeSample(const std::string& scene, int obj, const std::string& prompt) {
    InstructionSample s;
    s.sceneId = scene;
    s.objId = obj;
    s.prompt = prompt;
    return s;
}

bool isPunctuation(char c) { return std::ispunct(static_cast<unsigned char>(c)) != 0; }

}  // namespace

// ---- templates and formats -----------------------------------------------------------------------

PromptTemplates PromptTemplates::load(const std::string& dir) {
    PromptTemplates t;
    t.grounding = readTemplateLines(joinPath(dir, "grounding.txt"), "<description>");
    t.multi3drefer = readTemplateLines(joinPath(dir, "multi3drefer.txt"), "<description>");
    t.scan2cap = readTemplateLines(joinPath(dir, "scan2cap.txt"), "<id>");
    t.nr3dCaption = readTemplateLines(joinPath(dir, "nr3d_caption.txt"), "<id>");
    t.objectCaption = readTemplateLines(joinPath(dir, "object_caption.txt"), "<id>");
    t.qaSuffix = readTemplateLines(joinPath(dir, "qa_suffix.txt"), "").front();
    return t;
}

PromptTemplates PromptTemplates::loadDefault() { return load(joinPath(resourceDir(), "prompts")); }

std::string groundingAnswer(int id) { return objectToken(id) + "."; }

std::string namedGroundingAnswer(int id, const std::string& objectName) {
    std::string name = objectName;
    std::replace(name.begin(), name.end(), '_', ' ');
    return name.empty() ? groundingAnswer(id) : name + groundingAnswer(id);  // no space: see the header
}

std::string multi3dReferAnswer(std::vector<int> ids, const std::string& objectName) {
    std::sort(ids.begin(), ids.end());
    std::string name = objectName;
    std::replace(name.begin(), name.end(), '_', ' ');
    auto token = [&](int id) { return name + objectToken(id); };  // glued as namedGroundingAnswer's
    if (ids.empty()) return "No.";
    if (ids.size() == 1) return "Yes. " + token(ids[0]) + ".";
    if (ids.size() == 2) return "Yes. " + token(ids[0]) + " and " + token(ids[1]) + ".";
    std::string s = "Yes. ";
    for (size_t i = 0; i + 1 < ids.size(); ++i) s += token(ids[i]) + ", ";
    return s + "and " + token(ids.back()) + ".";
}

std::string capitalizePython(const std::string& s) {
    std::string out = s;
    for (size_t i = 0; i < out.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(out[i]);
        out[i] = static_cast<char>(i == 0 ? std::toupper(c) : std::tolower(c));
    }
    return out;
}

std::string qaAnswer(const std::string& answer) {
    if (answer.empty()) throw Error("", "empty answer");
    std::string a = capitalizePython(answer);
    return a.back() == '.' ? a : a + ".";
}

std::string capitalizeSentences(const std::string& text) {
    std::vector<std::string> sentences;
    std::string cur;
    for (size_t i = 0; i < text.size(); ++i) {
        cur += text[i];
        bool end = (text[i] == '.' || text[i] == '!' || text[i] == '?') &&
                   (i + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 1])));
        if (end) sentences.push_back(trim(cur)), cur.clear();
    }
    if (!trim(cur).empty()) sentences.push_back(trim(cur));
    std::string out;
    for (const auto& s : sentences) out += (out.empty() ? "" : " ") + capitalizePython(s);
    return out;
}

std::string stripFinalPunctuation(const std::string& s) {
    return !s.empty() && isPunctuation(s.back()) ? s.substr(0, s.size() - 1) : s;
}

// ---- samples -------------------------------------------------------------------------------------

std::vector<InstructionSample> scanReferSamples(const std::vector<ScanReferEntry>& entries, const SceneBoxes& proposals,
                                                const SceneBoxes& gtBoxes, const PromptTemplates& t,
                                                const SampleOptions& o) {
    std::vector<ScanReferEntry> sorted = entries;
    std::stable_sort(sorted.begin(), sorted.end(), [](const ScanReferEntry& a, const ScanReferEntry& b) {
        return std::make_pair(a.sceneId, a.objectId) < std::make_pair(b.sceneId, b.objectId);
    });
    Chooser choose(o.seed);
    std::vector<InstructionSample> out;
    for (const auto& e : sorted) {
        std::string prompt = pytext::replaceAll(choose.pick(t.grounding), "<description>", stripFinalPunctuation(e.description));
        const auto* props = boxesOf(proposals, e.sceneId);
        if (!props) continue;
        ProposalMatch m = bestProposal(*props, gtBox(gtBoxes, e.sceneId, e.objectId, "ScanRefer"));
        InstructionSample s = makeSample(e.sceneId, e.objectId, prompt);
        if (o.train) {
            if (m.id < 0 || m.iou < o.trainIouThreshold) continue;
            s.objId = m.id;
            s.caption = o.namedGrounding ? namedGroundingAnswer(m.id, e.objectName) : groundingAnswer(m.id);
        } else {
            s.refCaptions = {o.namedGrounding ? namedGroundingAnswer(m.id, e.objectName) : groundingAnswer(m.id)};
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<InstructionSample> multi3dReferSamples(const std::vector<Multi3DReferEntry>& entries,
                                                   const SceneBoxes& proposals, const SceneBoxes& gtBoxes,
                                                   const PromptTemplates& t, const SampleOptions& o) {
    Chooser choose(o.seed);
    std::vector<InstructionSample> out;
    for (const auto& e : entries) {
        const auto* props = boxesOf(proposals, e.sceneId);
        if (!props) continue;
        std::string prompt = pytext::replaceAll(choose.pick(t.multi3drefer), "<description>", stripFinalPunctuation(e.description));
        std::vector<EvalBox> gts;
        for (int id : e.objectIds) gts.push_back(gtBox(gtBoxes, e.sceneId, id, "Multi3DRefer"));
        auto ids = multi3dReferLabels(*props, gts, o.train, o.trainIouThreshold);
        if (!ids) continue;
        InstructionSample s = makeSample(e.sceneId, 0, prompt);
        s.evalType = e.evalType;
        if (o.train) s.caption = multi3dReferAnswer(*ids, o.namedGrounding ? e.objectName : "");
        else s.refIds = e.objectIds;
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<Scan2CapCorpusEntry> scan2CapCorpusFromScanRefer(const std::vector<ScanReferEntry>& entries) {
    std::vector<Scan2CapCorpusEntry> corpus;
    std::map<std::string, size_t> index;
    for (const auto& e : entries) {
        std::string key = e.sceneId + "|" + std::to_string(e.objectId);
        auto [it, added] = index.emplace(key, corpus.size());
        if (added) corpus.push_back({key, e.sceneId, e.objectId, {}});
        corpus[it->second].captions.push_back("sos " + capitalizeSentences(e.description) + " eos");
    }
    return corpus;
}

std::vector<InstructionSample> scan2CapSamples(const std::vector<Scan2CapCorpusEntry>& corpus, const SceneBoxes& proposals,
                                               const SceneBoxes& gtBoxes, const PromptTemplates& t,
                                               const SampleOptions& o) {
    std::vector<std::string> scenes;
    std::map<std::string, std::map<int, const Scan2CapCorpusEntry*>> byScene;
    for (const auto& c : corpus) {
        if (!byScene.count(c.sceneId)) scenes.push_back(c.sceneId);
        byScene[c.sceneId][c.objectId] = &c;
    }
    Chooser choose(o.seed);
    std::vector<InstructionSample> out;
    for (const auto& scene : scenes) {
        const auto* props = boxesOf(proposals, scene);
        const auto* gts = boxesOf(gtBoxes, scene);
        if (!props || !gts) continue;
        std::vector<bool> captioned(gts->size());
        for (size_t g = 0; g < gts->size(); ++g) captioned[g] = byScene[scene].count(static_cast<int>(g)) > 0;
        Scan2CapAssignment a = assignScan2CapProposals(*props, *gts, captioned);
        for (size_t g = 0; g < gts->size(); ++g) {
            int pred = a.predId[g];
            if (pred < 0 || (o.train && a.iou[g] < o.trainIouThreshold)) continue;
            const Scan2CapCorpusEntry& c = *byScene[scene][static_cast<int>(g)];
            auto sample = [&] {
                InstructionSample s =
                    makeSample(scene, static_cast<int>(g), pytext::replaceAll(choose.pick(t.scan2cap), "<id>", objectToken(pred)));
                s.predId = pred;
                s.iou = a.iou[g];
                return s;
            };
            if (o.train) {
                for (const auto& caption : c.captions) out.push_back(sample()), out.back().caption = caption;
            } else {
                out.push_back(sample());
                out.back().refCaptions = c.captions;
            }
        }
    }
    return out;
}

std::vector<InstructionSample> scanQaSamples(const std::vector<ScanQaEntry>& entries, const PromptTemplates& t,
                                             const SampleOptions& o) {
    std::vector<InstructionSample> out;
    for (const auto& e : entries) {
        int obj = e.objectIds.empty() ? 0 : e.objectIds[0];
        InstructionSample s = makeSample(e.sceneId, obj, e.question + " " + t.qaSuffix);
        if (!o.train) {
            s.refCaptions = e.answers;
            out.push_back(std::move(s));
            continue;
        }
        // One sample per answer, skipping an answer equal to the one before it (the script's rule).
        for (size_t i = 0; i < e.answers.size(); ++i) {
            if (i > 0 && e.answers[i] == e.answers[i - 1]) continue;
            if (e.answers[i].empty()) fail("ScanQA", "question " + e.questionId + " has an empty answer");
            out.push_back(s);
            out.back().caption = qaAnswer(e.answers[i]);
        }
    }
    return out;
}

std::vector<InstructionSample> sqa3dSamples(const std::vector<Sqa3dEntry>& entries, const PromptTemplates& t,
                                            const SampleOptions& o) {
    std::mt19937_64 rng(o.seed);
    std::vector<InstructionSample> out;
    for (const auto& e : entries) {
        std::vector<std::string> situations = {e.situation};
        situations.insert(situations.end(), e.alternativeSituations.begin(), e.alternativeSituations.end());
        std::string situation = situations[rng() % situations.size()];
        InstructionSample s = makeSample(e.sceneId, 0, situation + " " + e.question + " " + t.qaSuffix);
        s.sqaType = sqa3dQuestionType(e.question);
        if (o.train) {
            if (e.answers.empty()) fail("SQA3D", "question " + std::to_string(e.questionId) + " has no answer");
            const std::string& a = e.answers[rng() % e.answers.size()];
            if (a.empty()) fail("SQA3D", "question " + std::to_string(e.questionId) + " has an empty answer");
            s.caption = qaAnswer(a);
        } else {
            s.refCaptions = e.answers;
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<InstructionSample> referIt3DSamples(const std::vector<ReferIt3DEntry>& entries,
                                                const std::vector<std::string>& sceneIds, const PromptTemplates& t,
                                                const SampleOptions& o) {
    std::set<std::string> keep(sceneIds.begin(), sceneIds.end());
    Chooser choose(o.seed);
    std::vector<InstructionSample> out;
    for (const auto& e : entries) {
        if (!keep.count(e.sceneId)) continue;
        int obj = e.targetId;
        // The scripts' fix for scene0217_00, whose ReferIt3D ids continue past its 31 GT objects.
        if (e.sceneId == "scene0217_00" && obj > 30) obj -= 31;
        std::string prompt = pytext::replaceAll(choose.pick(t.grounding), "<description>", stripFinalPunctuation(e.utterance));
        if (o.train && obj >= o.maxObjNum) continue;
        InstructionSample s = makeSample(e.sceneId, obj, prompt);
        const std::string answer = o.namedGrounding ? namedGroundingAnswer(obj, e.instanceType) : groundingAnswer(obj);
        if (o.train) {
            s.caption = answer;
        } else {
            s.refCaptions = {answer};
            s.typeInfo = referIt3DTypeInfo(e);
        }
        out.push_back(std::move(s));
    }
    return out;
}

InstructionSample remapToSlots(const InstructionSample& s, const std::vector<int>& assignedIds) {
    InstructionSample r = s;
    std::string where = s.sceneId + " sample";
    r.prompt = updateCaption(s.prompt, assignedIds, where);
    if (s.caption) r.caption = updateCaption(*s.caption, assignedIds, where);
    return r;
}

// ---- the annotation JSON -------------------------------------------------------------------------

std::vector<InstructionSample> readInstructionSamples(const std::string& path) {
    Fields f(path);
    json doc = f.parseFile();
    std::vector<InstructionSample> out;
    for (size_t i = 0; i < f.array(doc, "").size(); ++i) {
        const json& e = doc[i];
        std::string w = "[" + std::to_string(i) + "]";
        InstructionSample s;
        s.sceneId = f.str(e, "scene_id", w);
        s.objId = f.integer(e, "obj_id", w);
        if (f.find(e, "pred_id", w)) s.predId = f.integer(e, "pred_id", w);
        s.prompt = f.str(e, "prompt", w);
        if (f.find(e, "caption", w)) s.caption = f.str(e, "caption", w);
        if (const json* refs = f.find(e, "ref_captions", w)) {
            bool ints = refs->is_array() && !refs->empty() && (*refs)[0].is_number_integer();
            if (ints) s.refIds = f.integers(e, "ref_captions", w);
            else s.refCaptions = f.strings(e, "ref_captions", w);
        }
        if (!s.caption && !f.find(e, "ref_captions", w)) f.bad(w, "neither \"caption\" nor \"ref_captions\"");
        if (f.find(e, "eval_type", w)) s.evalType = f.str(e, "eval_type", w);
        if (f.find(e, "sqa_type", w)) s.sqaType = f.integer(e, "sqa_type", w);
        if (f.find(e, "type_info", w)) s.typeInfo = f.str(e, "type_info", w);
        if (const json* iou = f.find(e, "iou", w)) s.iou = f.number(*iou, w + ".iou");
        out.push_back(std::move(s));
    }
    return out;
}

void writeInstructionSamples(const std::string& path, const std::vector<InstructionSample>& samples) {
    json doc = json::array();
    for (const auto& s : samples) {
        json e = {{"scene_id", s.sceneId}, {"obj_id", s.objId}};
        if (s.predId) e["pred_id"] = *s.predId;
        e["prompt"] = s.prompt;
        if (s.caption) e["caption"] = *s.caption;
        else if (!s.refIds.empty() || !s.evalType.empty()) e["ref_captions"] = s.refIds;
        else e["ref_captions"] = s.refCaptions;
        if (!s.evalType.empty()) e["eval_type"] = s.evalType;
        if (s.sqaType >= 0) e["sqa_type"] = s.sqaType;
        if (!s.typeInfo.empty()) e["type_info"] = s.typeInfo;
        if (s.iou) e["iou"] = *s.iou;
        doc.push_back(std::move(e));
    }
    writeFileAtomic(path, doc.dump(4) + "\n");
}

}  // namespace inst3d
