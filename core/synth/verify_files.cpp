// File-level verification of the synthetic language annotations: every file parses, has exactly the
// field names and JSON types of the real release, is consistent with the other files (Scan2Cap corpus
// vs ScanRefer, SQA3D questions vs annotations, Nr3D stimulus ids vs the scene), and every statement
// passes the statement checks of verify.cpp.
#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "core/common/file_util.h"
#include "core/io/json_file.h"
#include "core/io/scene_loader.h"
#include "core/synth/lang_text.h"
#include "core/synth/verify.h"

namespace inst3d {
namespace {

using json = nlohmann::json;

const char* const kSplits[] = {"train", "val"};

enum class T { Str, Int, Num, StrArray, IntArray, Array, Object };

bool hasType(const json& v, T t) {
    auto all = [&](auto pred) { return v.is_array() && std::all_of(v.begin(), v.end(), pred); };
    switch (t) {
        case T::Str: return v.is_string();
        case T::Int: return v.is_number_integer();
        case T::Num: return v.is_number();
        case T::StrArray: return all([](const json& x) { return x.is_string(); });
        case T::IntArray: return all([](const json& x) { return x.is_number_integer(); });
        case T::Array: return v.is_array();
        case T::Object: return v.is_object();
    }
    return false;
}

const char* typeName(T t) {
    const char* names[] = {"string", "integer", "number", "list of strings", "list of integers", "list", "object"};
    return names[static_cast<int>(t)];
}

using Schema = std::vector<std::pair<std::string, T>>;

// Exactly these keys with these types: no missing, no extra.
bool checkSchema(const json& e, const Schema& schema, std::string& why) {
    if (!e.is_object()) return why = "entry is not an object", false;
    for (const auto& [key, type] : schema) {
        if (!e.contains(key)) return why = "missing field '" + key + "'", false;
        if (!hasType(e[key], type)) return why = "field '" + key + "' is not a " + typeName(type), false;
    }
    for (const auto& item : e.items()) {
        bool known = std::any_of(schema.begin(), schema.end(), [&](const auto& f) { return f.first == item.key(); });
        if (!known) return why = "unexpected field '" + item.key() + "'", false;
    }
    return true;
}

struct Checker {
    std::string outDir;
    const std::map<std::string, SceneFacts>& facts;
    LanguageReport& report;

    void fail(const std::string& file, const std::string& entry, const std::string& why) {
        report.failures.push_back(file + ": " + entry + ": " + why);
    }
    void pass(const std::vector<std::string>& kinds, const std::string& dataset) {
        report.statements++;
        report.kinds[dataset]++;
        for (const std::string& k : kinds) report.kinds[k]++;
    }
    const SceneFacts* scene(const std::string& file, const std::string& entry, const std::string& id) {
        auto it = facts.find(id);
        if (it == facts.end()) fail(file, entry, "scene " + id + " is not in " + outDir + "/scans");
        return it == facts.end() ? nullptr : &it->second;
    }
    bool load(const std::string& rel, json& out) {
        std::string path = joinPath(outDir, rel);
        if (!fileExists(path)) return fail(rel, "file", "missing"), false;
        try {
            out = parseJsonFile(path);
        } catch (const Error& e) {
            return fail(rel, "file", e.problem()), false;
        }
        return true;
    }
};

std::string sceneShort(const std::string& id) { return id.substr(0, id.find('_')); }
std::string spaced(std::string name) {
    std::replace(name.begin(), name.end(), '_', ' ');
    return name;
}
std::string scannetName(const SceneFacts& f, int id) {
    const FactObject* o = f.find(id);
    return o ? lang::underscored(o->label) : "?";
}

// ---- ScanRefer + Scan2Cap --------------------------------------------------------------------------

void checkScanRefer(Checker& c, const std::string& split, std::map<std::string, std::vector<std::string>>& corpus) {
    std::string file = "ScanRefer/ScanRefer_filtered_" + split + ".json";
    json j;
    if (!c.load(file, j)) return;
    if (!j.is_array()) return c.fail(file, "file", "top level is not a list");
    static const Schema schema = {{"scene_id", T::Str}, {"object_id", T::Str}, {"object_name", T::Str},
                                  {"ann_id", T::Str},   {"description", T::Str}, {"token", T::StrArray}};
    std::set<std::string> annIds;
    for (size_t i = 0; i < j.size(); ++i) {
        const json& e = j[i];
        std::string entry = "entry " + std::to_string(i), why;
        if (!checkSchema(e, schema, why)) { c.fail(file, entry, why); continue; }
        std::string sceneId = e["scene_id"], objectId = e["object_id"], desc = e["description"];
        entry += " (" + sceneId + " object " + objectId + " ann " + e["ann_id"].get<std::string>() + ")";
        const SceneFacts* f = c.scene(file, entry, sceneId);
        if (!f) continue;
        int id = lang::parseNumber(objectId);
        if (!f->find(id)) { c.fail(file, entry, "object_id " + objectId + " is not an object of the scene"); continue; }
        if (e["object_name"] != scannetName(*f, id)) c.fail(file, entry, "object_name is not " + scannetName(*f, id));
        if (e["token"].get<std::vector<std::string>>() != lang::tokenize(desc)) c.fail(file, entry, "token != tokenized description");
        if (!annIds.insert(sceneId + "|" + objectId + "|" + e["ann_id"].get<std::string>()).second)
            c.fail(file, entry, "duplicate ann_id");
        corpus[sceneId + "|" + objectId].push_back("sos " + lang::joinTokens(lang::tokenize(desc)) + " eos");
        CheckResult r = verifyDescription(*f, desc, {id});
        if (!r.ok) { c.fail(file, entry, r.reason + "  [\"" + desc + "\"]"); continue; }
        r.kinds.push_back(f->count(f->find(id)->label) == 1 ? "scanrefer_unique" : "scanrefer_multiple");
        c.pass(r.kinds, "scanrefer");
    }
}

void checkScan2Cap(Checker& c, const std::string& split, const std::map<std::string, std::vector<std::string>>& expected) {
    std::string file = "Scan2Cap/scan2cap_" + split + "_corpus.json";
    json j;
    if (!c.load(file, j)) return;
    if (!j.is_object()) return c.fail(file, "file", "top level is not an object");
    for (const auto& item : j.items()) {
        auto it = expected.find(item.key());
        if (!hasType(item.value(), T::StrArray)) c.fail(file, item.key(), "value is not a list of strings");
        else if (it == expected.end()) c.fail(file, item.key(), "no ScanRefer description for this object");
        else if (item.value().get<std::vector<std::string>>() != it->second)
            c.fail(file, item.key(), "captions differ from the tokenized ScanRefer descriptions");
        else c.pass({}, "scan2cap");
    }
    for (const auto& [key, caps] : expected)
        if (!j.contains(key)) c.fail(file, key, "object described in ScanRefer is missing from the corpus");
}

// ---- Multi3DRefer ----------------------------------------------------------------------------------

std::string expectedEvalType(const SceneFacts& f, const std::string& category, size_t targets) {
    int n = f.count(category);
    if (targets == 0) return n >= 1 ? "zt_w_d" : "zt_wo_d";
    if (targets == 1) return n >= 2 ? "st_w_d" : "st_wo_d";
    return "mt";
}

void checkMulti3DRefer(Checker& c, const std::string& split) {
    std::string file = "Multi3DRefer/multi3drefer_" + split + ".json";
    json j;
    if (!c.load(file, j)) return;
    if (!j.is_array()) return c.fail(file, "file", "top level is not a list");
    static const Schema schema = {{"scene_id", T::Str},    {"object_name", T::Str},    {"ann_id", T::Int},
                                  {"description", T::Str}, {"object_ids", T::IntArray}, {"eval_type", T::Str}};
    std::set<std::string> annIds;
    for (size_t i = 0; i < j.size(); ++i) {
        const json& e = j[i];
        std::string entry = "entry " + std::to_string(i), why;
        if (!checkSchema(e, schema, why)) { c.fail(file, entry, why); continue; }
        std::string sceneId = e["scene_id"], desc = e["description"], evalType = e["eval_type"];
        entry += " (" + sceneId + " ann " + std::to_string(e["ann_id"].get<int>()) + ")";
        const SceneFacts* f = c.scene(file, entry, sceneId);
        if (!f) continue;
        if (!annIds.insert(sceneId + "|" + std::to_string(e["ann_id"].get<int>())).second) c.fail(file, entry, "duplicate ann_id");
        auto ids = e["object_ids"].get<std::vector<int>>();
        std::string category = spaced(e["object_name"]);
        for (int id : ids)
            if (!f->find(id) || f->find(id)->label != category) c.fail(file, entry, "object " + std::to_string(id) + " is not a " + category);
        std::string expected = expectedEvalType(*f, category, ids.size());
        if (evalType != expected) c.fail(file, entry, "eval_type " + evalType + " should be " + expected);
        CheckResult r = verifyDescription(*f, desc, ids);
        if (!r.ok) { c.fail(file, entry, r.reason + "  [\"" + desc + "\"]"); continue; }
        if (evalType.rfind("zt", 0) == 0) r.kinds = {"zero_target"};  // its clauses describe nothing
        if (evalType == "mt") r.kinds.push_back("multi_target");
        r.kinds.push_back("m3dr_" + evalType);
        c.pass(r.kinds, "multi3drefer");
    }
}

// ---- ScanQA ------------------------------------------------------------------------------------------

void checkScanQa(Checker& c, const std::string& split) {
    std::string file = "ScanQA/ScanQA_v1.0_" + split + ".json";
    json j;
    if (!c.load(file, j)) return;
    if (!j.is_array()) return c.fail(file, "file", "top level is not a list");
    static const Schema schema = {{"scene_id", T::Str},    {"object_ids", T::IntArray}, {"object_names", T::StrArray},
                                  {"question_id", T::Str}, {"question", T::Str},        {"answers", T::StrArray}};
    std::set<std::string> qids;
    for (size_t i = 0; i < j.size(); ++i) {
        const json& e = j[i];
        std::string entry = "entry " + std::to_string(i), why;
        if (!checkSchema(e, schema, why)) { c.fail(file, entry, why); continue; }
        std::string sceneId = e["scene_id"], qid = e["question_id"], question = e["question"];
        entry += " (" + qid + ")";
        const SceneFacts* f = c.scene(file, entry, sceneId);
        if (!f) continue;
        std::string prefix = split + "-" + sceneShort(sceneId) + "-";
        if (qid.rfind(prefix, 0) != 0 || lang::parseNumber(qid.substr(prefix.size())) < 0)
            c.fail(file, entry, "question_id is not " + prefix + "<n>");
        if (!qids.insert(qid).second) c.fail(file, entry, "duplicate question_id");
        auto ids = e["object_ids"].get<std::vector<int>>();
        auto names = e["object_names"].get<std::vector<std::string>>();
        if (names.size() != ids.size()) c.fail(file, entry, "object_names and object_ids differ in length");
        for (size_t k = 0; k < ids.size() && k < names.size(); ++k)
            if (names[k] != scannetName(*f, ids[k])) c.fail(file, entry, "object_names[" + std::to_string(k) + "] is not " + scannetName(*f, ids[k]));
        if (e["answers"].empty()) c.fail(file, entry, "no answers");
        for (const auto& answer : e["answers"]) {
            CheckResult r = verifyScanQa(*f, question, answer, ids);
            if (!r.ok) c.fail(file, entry, r.reason + "  [\"" + question + "\" -> \"" + answer.get<std::string>() + "\"]");
            else c.pass(r.kinds, "scanqa");
        }
    }
}

// ---- SQA3D -------------------------------------------------------------------------------------------

std::string questionType(const std::string& question) {
    std::string first = lang::toLower(question.substr(0, question.find(' ')));
    for (const char* t : {"what", "is", "how", "can", "which"})
        if (first == t) return t;
    return "other";
}

std::string answerType(const std::string& answer) {
    if (answer == "yes" || answer == "no") return "yes/no";
    return lang::parseNumber(answer) >= 0 ? "number" : "other";
}

bool checkPoseSchema(const json& a, std::string& why) {
    static const Schema rotation = {{"_x", T::Num}, {"_y", T::Num}, {"_z", T::Num}, {"_w", T::Num}};
    static const Schema position = {{"x", T::Num}, {"y", T::Num}, {"z", T::Num}};
    static const Schema answer = {{"answer", T::Str}, {"answer_confidence", T::Str}, {"answer_id", T::Int}};
    if (!checkSchema(a["rotation"], rotation, why)) return why = "rotation: " + why, false;
    if (!checkSchema(a["position"], position, why)) return why = "position: " + why, false;
    for (const json& ans : a["answers"])
        if (!checkSchema(ans, answer, why)) return why = "answers: " + why, false;
    return true;
}

AgentPose poseOf(const json& a) {
    AgentPose p;
    p.position = {a["position"]["x"].get<double>(), a["position"]["y"].get<double>(), a["position"]["z"].get<double>()};
    p.qx = a["rotation"]["_x"];
    p.qy = a["rotation"]["_y"];
    p.qz = a["rotation"]["_z"];
    p.qw = a["rotation"]["_w"];
    return p;
}

void checkSqaPair(Checker& c, const std::string& file, const std::string& entry, const json& q, const json& a) {
    const SceneFacts* f = c.scene(file, entry, q["scene_id"]);
    if (!f) return;
    if (a["scene_id"] != q["scene_id"]) return c.fail(file, entry, "scene_id differs between questions and annotations");
    std::string question = q["question"];
    if (a["question_type"] != questionType(question)) c.fail(file, entry, "question_type should be " + questionType(question));
    AgentPose pose = poseOf(a);
    std::vector<std::string> situations = {q["situation"].get<std::string>()};
    for (const auto& s : q["alternative_situation"]) situations.push_back(s);
    for (const std::string& s : situations) {
        CheckResult r = verifySituation(*f, pose, s);
        if (!r.ok) c.fail(file, entry, r.reason + "  [\"" + s + "\"]");
    }
    for (const json& ans : a["answers"]) {
        std::string answer = ans["answer"];
        if (a["answer_type"] != answerType(answer)) c.fail(file, entry, "answer_type should be " + answerType(answer));
        CheckResult r = verifySituatedQa(*f, pose, question, answer);
        if (!r.ok) c.fail(file, entry, r.reason + "  [\"" + question + "\" -> \"" + answer + "\"]");
        else c.pass(r.kinds, "sqa3d");
    }
}

void checkSqa3d(Checker& c, const std::string& split) {
    std::string qFile = "SQA3D/v1_balanced_questions_" + split + "_scannetv2.json";
    std::string aFile = "SQA3D/v1_balanced_sqa_annotations_" + split + "_scannetv2.json";
    json qj, aj;
    if (!c.load(qFile, qj) || !c.load(aFile, aj)) return;
    std::string why;
    if (!checkSchema(qj, {{"questions", T::Array}}, why)) return c.fail(qFile, "file", why);
    if (!checkSchema(aj, {{"annotations", T::Array}}, why)) return c.fail(aFile, "file", why);
    static const Schema qSchema = {{"scene_id", T::Str}, {"situation", T::Str}, {"alternative_situation", T::StrArray},
                                   {"question", T::Str}, {"question_id", T::Int}};
    static const Schema aSchema = {{"scene_id", T::Str},  {"question_type", T::Str}, {"answer_type", T::Str},
                                   {"question_id", T::Int}, {"answers", T::Array},   {"rotation", T::Object},
                                   {"position", T::Object}};
    std::map<long long, const json*> annotations;
    for (size_t i = 0; i < aj["annotations"].size(); ++i) {
        const json& a = aj["annotations"][i];
        std::string entry = "annotation " + std::to_string(i);
        if (!checkSchema(a, aSchema, why) || !checkPoseSchema(a, why)) { c.fail(aFile, entry, why); continue; }
        if (!annotations.emplace(a["question_id"].get<long long>(), &a).second) c.fail(aFile, entry, "duplicate question_id");
    }
    std::set<long long> seen;
    for (size_t i = 0; i < qj["questions"].size(); ++i) {
        const json& q = qj["questions"][i];
        std::string entry = "question " + std::to_string(i);
        if (!checkSchema(q, qSchema, why)) { c.fail(qFile, entry, why); continue; }
        long long id = q["question_id"];
        entry += " (id " + std::to_string(id) + ")";
        if (!seen.insert(id).second) c.fail(qFile, entry, "duplicate question_id");
        auto it = annotations.find(id);
        if (it == annotations.end()) { c.fail(qFile, entry, "no annotation with this question_id"); continue; }
        checkSqaPair(c, qFile, entry, q, *it->second);
    }
    for (const auto& [id, a] : annotations)
        if (!seen.count(id)) c.fail(aFile, "question_id " + std::to_string(id), "annotation without a question");
}

// ---- Nr3D ----------------------------------------------------------------------------------------------

const std::vector<std::string>& nr3dColumns() {
    static const std::vector<std::string> cols = {
        "assignmentid", "stimulus_id", "utterance", "correct_guess", "speaker_id", "listener_id", "scan_id",
        "instance_type", "target_id", "tokens", "mentions_target_class", "uses_object_lang", "uses_spatial_lang",
        "uses_color_lang", "uses_shape_lang", "dataset"};
    return cols;
}

// ReferIt3D's view-dependence rule (referit3d add_evaluation_labels): any of these tokens.
bool viewDependentTokens(const std::vector<std::string>& tokens) {
    static const std::set<std::string> words = {"front", "behind", "back", "right", "left", "facing",
                                                "leftmost", "rightmost", "looking", "across"};
    return std::any_of(tokens.begin(), tokens.end(), [](const std::string& t) { return words.count(t) > 0; });
}

// stimulus_id = <scene>-<label>-<n_objects>-<target>-<distractor ids...>
bool checkStimulus(const SceneFacts& f, const std::map<std::string, std::string>& row, int& nObjects, std::string& why) {
    std::string prefix = row.at("scan_id") + "-" + row.at("instance_type") + "-";
    const std::string& stim = row.at("stimulus_id");
    if (stim.rfind(prefix, 0) != 0) return why = "stimulus_id does not start with " + prefix, false;
    std::vector<int> nums;
    size_t start = prefix.size();
    while (start <= stim.size()) {
        size_t end = stim.find('-', start);
        if (end == std::string::npos) end = stim.size();
        nums.push_back(lang::parseNumber(stim.substr(start, end - start)));
        start = end + 1;
    }
    if (nums.size() < 2 || std::count(nums.begin(), nums.end(), -1)) return why = "malformed stimulus_id", false;
    nObjects = nums[0];
    std::vector<int> listed(nums.begin() + 1, nums.end()), actual;
    for (const FactObject& o : f.objects)
        if (o.label == row.at("instance_type")) actual.push_back(o.id);
    if (nums[1] != lang::parseNumber(row.at("target_id"))) return why = "stimulus_id target differs from target_id", false;
    std::sort(listed.begin(), listed.end());
    if (listed != actual || nObjects != static_cast<int>(actual.size()))
        return why = "stimulus_id lists " + std::to_string(listed.size()) + " of " + std::to_string(actual.size()) +
                     " objects of the class (n_objects " + std::to_string(nObjects) + ")", false;
    if (nObjects < 2 || nObjects > 6) return why = "Nr3D keeps classes with 2..6 instances", false;
    return true;
}

void checkNr3dFlags(Checker& c, const std::string& entry, const std::map<std::string, std::string>& row,
                    const std::vector<std::string>& kinds) {
    auto has = [&](const char* k) { return std::find(kinds.begin(), kinds.end(), k) != kinds.end(); };
    auto flag = [&](const char* column, bool truth) {
        if (row.at(column) != (truth ? "True" : "False"))
            c.fail("ReferIt3D/nr3d.csv", entry, std::string(column) + " should be " + (truth ? "True" : "False"));
    };
    bool relation = has("on") || has("near") || has("between") || has("closest") || has("farthest") || has("left_right");
    std::string tokensJoined = " " + lang::joinTokens(lang::tokenize(row.at("utterance"))) + " ";
    flag("mentions_target_class", tokensJoined.find(" " + lang::joinTokens(lang::tokenize(row.at("instance_type"))) + " ") != std::string::npos);
    flag("uses_object_lang", relation);
    flag("uses_spatial_lang", relation);
    flag("uses_color_lang", has("color"));
    flag("uses_shape_lang", has("size"));
    flag("correct_guess", true);
}

void checkNr3dRow(Checker& c, const std::string& entry, const std::map<std::string, std::string>& row) {
    const std::string file = "ReferIt3D/nr3d.csv";
    const SceneFacts* f = c.scene(file, entry, row.at("scan_id"));
    if (!f) return;
    int target = lang::parseNumber(row.at("target_id")), nObjects = 0;
    std::string why;
    if (!f->find(target) || f->find(target)->label != row.at("instance_type"))
        return c.fail(file, entry, "target_id is not a " + row.at("instance_type"));
    if (!checkStimulus(*f, row, nObjects, why)) return c.fail(file, entry, why);
    bool ok = false;
    auto tokens = lang::parsePythonStringList(row.at("tokens"), ok);
    if (!ok || tokens != lang::tokenize(row.at("utterance")))
        return c.fail(file, entry, "tokens is not the Python list of the utterance's tokens");
    if (row.at("dataset") != "nr3d") c.fail(file, entry, "dataset is not nr3d");
    CheckResult r = verifyDescription(*f, row.at("utterance"), {target});
    if (!r.ok) return c.fail(file, entry, r.reason + "  [\"" + row.at("utterance") + "\"]");
    checkNr3dFlags(c, entry, row, r.kinds);
    bool viewDep = viewDependentTokens(tokens);
    bool saysView = std::find(r.kinds.begin(), r.kinds.end(), "left_right") != r.kinds.end();
    if (viewDep != saysView) return c.fail(file, entry, "view-dependent tokens do not match a viewpoint statement");
    r.kinds.push_back(nObjects <= 2 ? "nr3d_easy" : "nr3d_hard");
    r.kinds.push_back(viewDep ? "nr3d_view_dependent" : "nr3d_view_independent");
    c.pass(r.kinds, "nr3d");
}

void checkNr3d(Checker& c) {
    const std::string file = "ReferIt3D/nr3d.csv";
    std::string path = joinPath(c.outDir, file);
    if (!fileExists(path)) return c.fail(file, "file", "missing");
    bool ok = false;
    auto rows = lang::parseCsv(readTextFile(path), ok);
    if (!ok || rows.empty()) return c.fail(file, "file", "not valid CSV");
    if (rows[0] != nr3dColumns()) return c.fail(file, "header", "columns differ from ReferIt3D's nr3d.csv");
    for (size_t i = 1; i < rows.size(); ++i) {
        std::string entry = "row " + std::to_string(i);
        if (rows[i].size() != rows[0].size()) { c.fail(file, entry, "has " + std::to_string(rows[i].size()) + " fields"); continue; }
        std::map<std::string, std::string> row;
        for (size_t k = 0; k < rows[0].size(); ++k) row[rows[0][k]] = rows[i][k];
        checkNr3dRow(c, entry + " (" + row["stimulus_id"] + ")", row);
    }
}

// Scene ids referenced by the files, so that only those scenes are loaded.
std::set<std::string> referencedScenes(const std::string& outDir) {
    std::set<std::string> ids;
    auto collect = [&](const json& list) {
        if (!list.is_array()) return;
        for (const json& e : list)
            if (e.is_object() && e.contains("scene_id") && e["scene_id"].is_string()) ids.insert(e["scene_id"]);
    };
    for (const char* split : kSplits) {
        for (std::string rel : {"ScanRefer/ScanRefer_filtered_" + std::string(split) + ".json",
                                "Multi3DRefer/multi3drefer_" + std::string(split) + ".json",
                                "ScanQA/ScanQA_v1.0_" + std::string(split) + ".json",
                                "SQA3D/v1_balanced_questions_" + std::string(split) + "_scannetv2.json"}) {
            std::string path = joinPath(outDir, rel);
            if (!fileExists(path)) continue;
            json j;
            try {
                j = parseJsonFile(path);
            } catch (const Error&) {
                continue;  // a malformed file is reported by the annotation checks (load)
            }
            collect(j.is_object() && j.contains("questions") ? j["questions"] : j);
        }
    }
    std::string nr3d = joinPath(outDir, "ReferIt3D/nr3d.csv");
    if (fileExists(nr3d)) {
        bool ok = false;
        auto rows = lang::parseCsv(readTextFile(nr3d), ok);
        for (size_t i = 1; i < rows.size(); ++i)
            if (rows[i].size() > 6) ids.insert(rows[i][6]);  // scan_id
    }
    return ids;
}

}  // namespace

LanguageReport verifyLanguageFiles(const std::string& outDir, const std::map<std::string, SceneFacts>& facts) {
    LanguageReport report;
    Checker c{outDir, facts, report};
    for (const char* split : kSplits) {
        std::map<std::string, std::vector<std::string>> corpus;
        checkScanRefer(c, split, corpus);
        checkScan2Cap(c, split, corpus);
        checkMulti3DRefer(c, split);
        checkScanQa(c, split);
        checkSqa3d(c, split);
    }
    checkNr3d(c);
    return report;
}

LanguageReport verifySynthLanguageReport(const std::string& outDir) {
    std::map<std::string, SceneFacts> facts;
    std::vector<std::string> loadErrors;
    LoadOptions options;
    options.loadLabels = false;
    options.loadFrames = false;
    for (const std::string& id : referencedScenes(outDir)) {
        std::string dir = joinPath(joinPath(outDir, "scans"), id);
        try {
            facts.emplace(id, factsFromScene(loadScene(dir, options)));
        } catch (const std::exception& e) {
            loadErrors.push_back(dir + ": cannot load scene: " + e.what());
        }
    }
    LanguageReport report = verifyLanguageFiles(outDir, facts);
    report.failures.insert(report.failures.begin(), loadErrors.begin(), loadErrors.end());
    return report;
}

std::vector<std::string> verifySynthLanguage(const std::string& outDir) { return verifySynthLanguageReport(outDir).failures; }

}  // namespace inst3d
