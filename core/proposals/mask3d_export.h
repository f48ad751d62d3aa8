// Mask3D's ScanNet-benchmark export, the proposals Chat-Scene and Inst3D-LMM consume
// (preprocess/prepare_mask3d_data.py):
//   <dir>/<scene>.txt                one line per mask: "pred_mask/<scene>_<k>.txt <class_id> <score>"
//   <dir>/pred_mask/<scene>_<k>.txt  one "0" or "1" line per mesh vertex
// Chat-Scene moves the masks to pred_mask/<scene>/<k>.txt without rewriting the .txt; both layouts are
// read. class_id is a ScanNet200 id (the tsv's `id` column); the label is that row's `category` column,
// as prepare_mask3d_data.py maps it, or "" without a label map (class-agnostic use). Order = file order.
#pragma once
#include <cstddef>
#include <string>

#include "core/proposals/proposal_set.h"

namespace inst3d {

class LabelMap;

struct Mask3DReadOptions {
    const LabelMap* labels = nullptr;  // null: every label is ""
    // Inst3D's preprocessing drops lines whose class id is not in the tsv (Chat-Scene's raises KeyError);
    // true reproduces Inst3D's instance indices. False keeps them with an empty label.
    bool dropUnknownClassIds = false;
};

// Reads <scene>.txt and its masks. Errors name the file and the line: a malformed line, a bad class id
// or score (not a finite number), a missing mask file, a mask whose line count is not numVertices, a
// mask line that is not 0 or 1.
ProposalSet readMask3DExport(const std::string& txtPath, size_t numVertices, const Mask3DReadOptions& options = {});

// "<dir>/<sceneId>.txt", or `dir` itself when it is a .txt file.
std::string mask3DExportPath(const std::string& dir, const std::string& sceneId);

// Writes `set` as an export under `dir` (created): the masks first, then <scene>.txt, each atomically, so a
// reader never sees a .txt naming a mask not yet written. Class id = the label's tsv `id` (by `category`,
// then `raw_category`), 0 when there is no label map or the label is not in it (0 reads back as "").
// Scores are written with 9 significant digits (float round trip).
void writeMask3DExport(const std::string& dir, const ProposalSet& set, size_t numVertices,
                       const LabelMap* labels = nullptr);

}  // namespace inst3d
