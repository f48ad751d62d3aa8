#include "core/data/datasets.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "core/common/error.h"
#include "core/common/py_text.h"
#include "core/data/csv.h"
#include "core/data/json_fields.h"
#include "core/io/label_map.h"

namespace inst3d {
namespace {

using datajson::Fields;
using datajson::json;

std::string at(size_t i) { return "[" + std::to_string(i) + "]"; }

}  // namespace

std::vector<ScanReferEntry> readScanRefer(const std::string& path) {
    Fields f(path);
    json doc = f.parseFile();
    std::vector<ScanReferEntry> out;
    for (size_t i = 0; i < f.array(doc, "").size(); ++i) {
        const json& e = doc[i];
        ScanReferEntry r;
        r.sceneId = f.str(e, "scene_id", at(i));
        r.objectId = f.integer(e, "object_id", at(i));
        r.objectName = f.str(e, "object_name", at(i));
        r.annId = f.integer(e, "ann_id", at(i));
        r.description = f.str(e, "description", at(i));
        if (f.find(e, "token", at(i))) r.tokens = f.strings(e, "token", at(i));
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<Multi3DReferEntry> readMulti3DRefer(const std::string& path) {
    static const std::set<std::string> kTypes = {"zt_w_d", "zt_wo_d", "st_w_d", "st_wo_d", "mt"};
    Fields f(path);
    json doc = f.parseFile();
    std::vector<Multi3DReferEntry> out;
    for (size_t i = 0; i < f.array(doc, "").size(); ++i) {
        const json& e = doc[i];
        Multi3DReferEntry r;
        r.sceneId = f.str(e, "scene_id", at(i));
        r.objectName = f.str(e, "object_name", at(i));
        r.annId = f.integer(e, "ann_id", at(i));
        r.description = f.str(e, "description", at(i));
        r.objectIds = f.integers(e, "object_ids", at(i));
        r.evalType = f.str(e, "eval_type", at(i));
        if (!kTypes.count(r.evalType)) f.bad(at(i) + ".eval_type", "unknown eval type \"" + r.evalType + "\"");
        bool zero = r.evalType.compare(0, 3, "zt_") == 0;
        if (zero != r.objectIds.empty())
            f.bad(at(i), "eval_type " + r.evalType + " with " + std::to_string(r.objectIds.size()) + " object ids");
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<ScanQaEntry> readScanQa(const std::string& path) {
    Fields f(path);
    json doc = f.parseFile();
    std::vector<ScanQaEntry> out;
    for (size_t i = 0; i < f.array(doc, "").size(); ++i) {
        const json& e = doc[i];
        ScanQaEntry r;
        r.sceneId = f.str(e, "scene_id", at(i));
        r.questionId = f.str(e, "question_id", at(i));
        r.question = f.str(e, "question", at(i));
        if (f.find(e, "answers", at(i))) r.answers = f.strings(e, "answers", at(i));
        if (f.find(e, "object_ids", at(i))) r.objectIds = f.integers(e, "object_ids", at(i));
        if (f.find(e, "object_names", at(i))) r.objectNames = f.strings(e, "object_names", at(i));
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<Scan2CapCorpusEntry> readScan2CapCorpus(const std::string& path) {
    Fields f(path);
    json doc = f.parseFile();
    if (!doc.is_object()) f.bad("top level", "expected an object {\"scene|object_id\": [captions]}");
    std::vector<Scan2CapCorpusEntry> out;
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        Scan2CapCorpusEntry r;
        r.key = it.key();
        size_t bar = r.key.find('|');
        std::string id = bar == std::string::npos ? "" : r.key.substr(bar + 1);
        if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
            f.bad("\"" + r.key + "\"", "key is not \"<scene_id>|<object_id>\"");
        r.sceneId = r.key.substr(0, bar);
        r.objectId = std::stoi(id);
        json holder = {{"captions", it.value()}};
        r.captions = f.strings(holder, "captions", "\"" + r.key + "\"");
        out.push_back(std::move(r));
    }
    return out;
}

// ---- SQA3D ---------------------------------------------------------------------------------------

namespace {

struct SqaQuestion {
    std::string sceneId, situation, question;
    std::vector<std::string> alternatives;
};

std::map<long long, SqaQuestion> readSqaQuestions(const std::string& path) {
    Fields f(path);
    json doc = f.parseFile();
    const json& qs = f.array(f.get(doc, "questions", "top level"), "questions");
    std::map<long long, SqaQuestion> out;
    for (size_t i = 0; i < qs.size(); ++i) {
        std::string w = "questions" + at(i);
        SqaQuestion q{f.str(qs[i], "scene_id", w), f.str(qs[i], "situation", w), f.str(qs[i], "question", w), {}};
        if (f.find(qs[i], "alternative_situation", w)) q.alternatives = f.strings(qs[i], "alternative_situation", w);
        long long id = f.integer64(f.get(qs[i], "question_id", w), w + ".question_id");
        if (!out.emplace(id, std::move(q)).second) f.bad(w, "duplicate question_id " + std::to_string(id));
    }
    return out;
}

void readSqaPose(const Fields& f, const json& a, const std::string& w, Sqa3dEntry& r) {
    const json& pos = f.get(a, "position", w);
    const char* pk[] = {"x", "y", "z"};
    for (int k = 0; k < 3; ++k) r.position[k] = f.number(f.get(pos, pk[k], w + ".position"), w + ".position." + pk[k]);
    const json& rot = f.get(a, "rotation", w);
    const char* rk[] = {"_x", "_y", "_z", "_w"};
    for (int k = 0; k < 4; ++k) r.rotation[k] = f.number(f.get(rot, rk[k], w + ".rotation"), w + ".rotation." + rk[k]);
}

}  // namespace

int sqa3dQuestionType(const std::string& question) {
    // get_sqa_question_type(): prefix tests on the left-stripped question (so "island..." is "is").
    size_t i = 0;
    while (i < question.size()) {
        size_t w = pytext::spaceLength(question, i);
        if (!w) break;
        i += w;
    }
    std::string q;
    for (size_t k = i; k < question.size() && q.size() < 5; ++k)
        q += static_cast<char>(std::tolower(static_cast<unsigned char>(question[k])));
    auto starts = [&](const char* p) { return q.rfind(p, 0) == 0; };
    if (starts("what")) return 0;
    if (starts("is")) return 1;
    if (starts("how")) return 2;
    if (starts("can")) return 3;
    if (starts("which")) return 4;
    return 5;
}

std::vector<Sqa3dEntry> readSqa3d(const std::string& questionsPath, const std::string& annotationsPath) {
    std::map<long long, SqaQuestion> questions = readSqaQuestions(questionsPath);
    Fields f(annotationsPath);
    json doc = f.parseFile();
    const json& as = f.array(f.get(doc, "annotations", "top level"), "annotations");
    std::vector<Sqa3dEntry> out;
    for (size_t i = 0; i < as.size(); ++i) {
        std::string w = "annotations" + at(i);
        const json& a = as[i];
        Sqa3dEntry r;
        r.questionId = f.integer64(f.get(a, "question_id", w), w + ".question_id");
        auto q = questions.find(r.questionId);
        if (q == questions.end())
            f.bad(w, "question_id " + std::to_string(r.questionId) + " is not in " + questionsPath);
        r.sceneId = f.str(a, "scene_id", w);
        if (r.sceneId != q->second.sceneId)
            f.bad(w, "scene_id " + r.sceneId + " differs from its question's " + q->second.sceneId);
        r.situation = q->second.situation;
        r.alternativeSituations = q->second.alternatives;
        r.question = q->second.question;
        if (f.find(a, "question_type", w)) r.questionType = f.str(a, "question_type", w);
        if (f.find(a, "answer_type", w)) r.answerType = f.str(a, "answer_type", w);
        const json& answers = f.get(a, "answers", w);
        if (!answers.is_array()) f.bad(w + ".answers", "expected an array");
        for (size_t k = 0; k < answers.size(); ++k) r.answers.push_back(f.str(answers[k], "answer", w + ".answers" + at(k)));
        readSqaPose(f, a, w, r);
        out.push_back(std::move(r));
    }
    return out;
}

// ---- ReferIt3D -----------------------------------------------------------------------------------

namespace {

bool pyBool(const CsvTable& t, size_t row, size_t col) {
    const std::string& v = t.rows[row][col];
    if (v == "True" || v == "true" || v == "1") return true;
    if (v == "False" || v == "false" || v == "0" || v.empty()) return false;
    fail(t.path, t.where(row) + ": column " + t.header[col] + ": \"" + v + "\" is not a boolean");
}

int csvInt(const CsvTable& t, size_t row, size_t col) {
    const std::string& v = t.rows[row][col];
    size_t used = 0;
    int n = 0;
    try {
        n = std::stoi(v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != v.size()) fail(t.path, t.where(row) + ": column " + t.header[col] + ": \"" + v + "\" is not an integer");
    return n;
}

// Optional columns: the value when the file has the column, else "".
std::string optional(const CsvTable& t, size_t row, const char* name) {
    return t.hasColumn(name) ? t.rows[row][t.column(name)] : std::string();
}

}  // namespace

std::vector<ReferIt3DEntry> readReferIt3D(const std::string& path) {
    CsvTable t = readCsv(path);
    size_t scan = t.column("scan_id"), target = t.column("target_id"), utt = t.column("utterance"),
           stim = t.column("stimulus_id"), tokens = t.column("tokens");
    std::vector<ReferIt3DEntry> out;
    for (size_t i = 0; i < t.rows.size(); ++i) {
        const auto& row = t.rows[i];
        std::string w = t.where(i);
        ReferIt3DEntry e;
        e.line = t.lines[i];
        e.sceneId = row[scan];
        e.targetId = csvInt(t, i, target);
        e.utterance = row[utt];
        e.stimulusId = row[stim];
        referIt3DObjectCount(e.stimulusId, t.path + ": " + w);  // validates
        e.tokens = parsePythonList(row[tokens], t.path, w + ": tokens");
        e.instanceType = optional(t, i, "instance_type");
        e.dataset = optional(t, i, "dataset");
        e.coarseReferenceType = optional(t, i, "coarse_reference_type");
        e.referenceType = optional(t, i, "reference_type");
        if (t.hasColumn("distractor_ids")) e.distractorIds = parsePythonIntList(row[t.column("distractor_ids")], t.path, w + ": distractor_ids");
        if (t.hasColumn("anchor_ids")) e.anchorIds = parsePythonIntList(row[t.column("anchor_ids")], t.path, w + ": anchor_ids");
        if (t.hasColumn("anchors_types")) e.anchorTypes = parsePythonList(row[t.column("anchors_types")], t.path, w + ": anchors_types");
        if (t.hasColumn("mentions_target_class")) e.mentionsTargetClass = pyBool(t, i, t.column("mentions_target_class"));
        if (t.hasColumn("correct_guess")) e.correctGuess = pyBool(t, i, t.column("correct_guess"));
        out.push_back(std::move(e));
    }
    return out;
}

int referIt3DObjectCount(const std::string& stimulusId, const std::string& where) {
    // Split on '-' as the evaluators do: field 2 is n_objects.
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t p = stimulusId.find('-'); ; p = stimulusId.find('-', start)) {
        parts.push_back(stimulusId.substr(start, p == std::string::npos ? std::string::npos : p - start));
        if (p == std::string::npos) break;
        start = p + 1;
    }
    const std::string n = parts.size() >= 4 ? parts[2] : "";
    if (n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos)
        fail(where, "stimulus_id \"" + stimulusId + "\" is not <scene>-<label>-<n_objects>-<target_id>[-...]");
    return std::stoi(n);
}

bool isReferIt3DEasy(const ReferIt3DEntry& e) { return referIt3DObjectCount(e.stimulusId) <= 2; }

bool isViewDependent(const std::vector<std::string>& tokens) {
    static const std::set<std::string> kWords = {"front",    "behind",    "back",    "right",  "left",
                                                 "facing",   "leftmost",  "rightmost", "looking", "across"};
    return std::any_of(tokens.begin(), tokens.end(), [](const std::string& t) { return kWords.count(t) > 0; });
}

std::string referIt3DTypeInfo(const ReferIt3DEntry& e) {
    return std::string(isReferIt3DEasy(e) ? "easy" : "hard") + (isViewDependent(e.tokens) ? "_dep" : "_indep");
}

bool parseReferIt3DTypeInfo(const std::string& typeInfo, bool& easy, bool& viewDependent) {
    size_t bar = typeInfo.find('_');
    if (bar == std::string::npos) return false;
    std::string difficulty = typeInfo.substr(0, bar), view = typeInfo.substr(bar + 1);
    if ((difficulty != "easy" && difficulty != "hard") || (view != "dep" && view != "indep")) return false;
    easy = difficulty == "easy";
    viewDependent = view == "dep";
    return true;
}

// ---- ScanRefer unique / multiple -----------------------------------------------------------------

int scanReferClass(const std::string& objectName, const LabelMap& labels) {
    // ScanRefer's DC.type2class order; index 17 = "others".
    static const char* const kClasses[] = {"cabinet", "bed",     "chair",  "sofa",         "table",          "door",
                                           "window",  "bookshelf", "picture", "counter",    "desk",           "curtain",
                                           "refrigerator", "shower curtain", "toilet", "sink", "bathtub"};
    std::string raw = objectName;
    std::replace(raw.begin(), raw.end(), '_', ' ');
    const LabelRow* row = labels.byRaw(raw);
    if (!row) return 17;
    for (int c = 0; c < 17; ++c)
        if (row->nyu40class == kClasses[c]) return c;
    return 17;
}

UniqueMultipleLookup scanReferUniqueMultiple(const std::vector<ScanReferEntry>& entries, const LabelMap& labels) {
    // Class of each annotated object, counted once per (scene, object_id) from its first annotation.
    std::map<std::string, std::map<int, int>> classOf;
    for (const auto& e : entries) classOf[e.sceneId].emplace(e.objectId, scanReferClass(e.objectName, labels));
    UniqueMultipleLookup out;
    for (const auto& e : entries) {
        int cls = scanReferClass(e.objectName, labels);
        int same = 0;
        for (const auto& [id, c] : classOf[e.sceneId]) same += c == cls;
        out[e.sceneId][e.objectId] = same == 1 ? 0 : 1;
    }
    return out;
}

}  // namespace inst3d
