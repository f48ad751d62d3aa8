// Sentence templates and per-dataset builders of the synthetic language annotations (internal to
// core/synth). The grammar written here is exactly what verify.cpp parses back:
//
//   ScanRefer / Multi3DRefer single-target description: "this is a[n] <np>." followed by sentences
//     "it is on the <A>." | "it is placed on top of the <A>." | "it is next to the <A>."
//     "it is between the <A> and the <B>." | "it is the <cat> closest to the <A>."
//     "it is the closest <cat> to the <A>." | "it is the <cat> farthest from the <A>."
//     "it is the largest|smallest <cat> in the room." | "it is the only <np> in the room."
//     "it is one of <n> <cats> in the room." | "when facing the <V>, it is the <cat> on the left|right."
//     "when facing the <V>, it is the leftmost|rightmost <cat>."
//   Multi3DRefer sets: "these are all the <cats> in the room." | "these are the <color> <cats> in the room."
//     "these are the <cats> on the <A>." | "these are the <cats> next to the <A>."
//   Referring phrase (Nr3D utterance after "the ", ScanQA): "<np>" | "<cat> on|next to the <A>" |
//     "<cat> between the <A> and the <B>" | "<cat> closest to|farthest from the <A>" |
//     "largest|smallest <cat>"; Nr3D adds "facing the <V>, the <cat> on the left|right" and
//     "facing the <V>, the leftmost|rightmost <cat>".
//   <np> = [<color> ]<category>; an anchor <A>/<B>/<V> is an <np> that names exactly one object.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/synth/lang_model.h"

namespace inst3d::langgen {

using ojson = nlohmann::ordered_json;

struct Described {
    int target = 0;
    std::string text;
};

// ScanRefer sentence stating claim c about t.
std::string claimSentence(const LangScene& s, const LObject& t, const Claim& c, Rng& rng);
// Referring phrase (no leading "the") that names t by claim c alone, or "" when c does not single t
// out. View-dependent claims give the Nr3D facing form (which carries its own "the") only when allowed.
std::string refPhrase(const LangScene& s, const LObject& t, const Claim& c, bool allowViewDependent);
// A relation phrase usable as a "Where is ...?" answer ("on the table"); "" for other claims.
std::string locationPhrase(const LangScene& s, const Claim& c);

// Up to perTarget distinct descriptions per target that identify it (ScanRefer "multiple" = disambiguated
// by colour or a relation), at most maxTotal per scene.
std::vector<Described> describeTargets(const LangScene& s, Rng& rng, size_t perTarget, size_t maxTotal);

// Multi3DRefer entries of one scene: single-target ones reuse `described`; worldColors and
// worldCategories supply zero-target combinations that do not exist in this scene.
void multi3dReferEntries(const LangScene& s, const std::vector<Described>& described,
                         const std::vector<std::string>& worldColors, const std::vector<std::string>& worldCategories,
                         Rng& rng, ojson& out);

// ScanQA entries of one scene.
void scanQaEntries(const LangScene& s, const std::string& split, Rng& rng, ojson& out);

// SQA3D questions + annotations of one scene; question ids continue from nextId.
void sqa3dEntries(const LangScene& s, Rng& rng, long long& nextId, ojson& questions, ojson& annotations);

// Nr3D rows (nr3d.csv fields in column order) of one scene.
void nr3dRows(const LangScene& s, Rng& rng, std::vector<std::vector<std::string>>& rows);

}  // namespace inst3d::langgen
