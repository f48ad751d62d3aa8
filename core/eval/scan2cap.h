// Scan2Cap m@k as Chat-Scene's calc_scan2cap_score builds its corpora: per GT object key, the
// candidate is "sos <prediction> eos" when the matched proposal's box IoU with the GT box is >= k,
// else "sos eos" (also when the object has no proposal, no prediction or an empty one: one space, what
// the PTB tokenizer makes of the evaluator's "sos  eos"); every key is scored. Inst3D-LMM's and
// Chat-Scene's calc_scan2cap_score are the same (tests/data/eval/inst3d/scan2cap.json).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/eval/box_metrics.h"
#include "core/eval/caption_metrics.h"

namespace inst3d {

struct Scan2CapItem {
    std::string key;                        // "scene|objid"
    EvalBox gtBox;
    std::optional<EvalBox> predBox;         // the proposal assigned to this GT, if any
    std::optional<std::string> prediction;  // generated caption (tokenized), if any
    std::vector<std::string> references;    // corpus captions
};

// "sos ... eos" around a sentence unless it is already wrapped (the Chat-Scene corpus file stores
// its references wrapped; raw ScanRefer descriptions are not).
std::string wrapSosEos(const std::string& sentence);

// The corpus scored at threshold k (0.25 or 0.5). `iou` receives the per-item IoU (nullopt without
// a proposal).
std::vector<CaptionItem> scan2capCorpus(const std::vector<Scan2CapItem>& items, double k,
                                        std::vector<std::optional<double>>* iou = nullptr);

}  // namespace inst3d
