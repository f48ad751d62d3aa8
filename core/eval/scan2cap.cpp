#include "core/eval/scan2cap.h"

namespace inst3d {

std::string wrapSosEos(const std::string& sentence) {
    bool wrapped = sentence == "sos eos" ||
                   (sentence.rfind("sos ", 0) == 0 && sentence.size() >= 8 &&
                    sentence.compare(sentence.size() - 4, 4, " eos") == 0);
    return wrapped ? sentence : "sos " + sentence + " eos";
}

std::vector<CaptionItem> scan2capCorpus(const std::vector<Scan2CapItem>& items, double k,
                                        std::vector<std::optional<double>>* iou) {
    std::vector<CaptionItem> corpus;
    corpus.reserve(items.size());
    if (iou) iou->clear();
    for (const auto& item : items) {
        std::optional<double> v;
        if (item.predBox) v = boxIoU(*item.predBox, item.gtBox);
        if (iou) iou->push_back(v);
        CaptionItem c;
        c.id = item.key;
        // f"sos {pred} eos" is built from the prediction as is, never "un-wrapped". An empty caption gives
        // "sos  eos", which the PTB tokenizer turns into "sos eos": written so here already, since
        // ROUGE-L splits on single spaces and `score --task scan2cap` does not tokenize.
        bool captioned = v && *v >= k && item.prediction && !item.prediction->empty();
        c.candidate = captioned ? "sos " + *item.prediction + " eos" : "sos eos";
        for (const auto& r : item.references) c.references.push_back(wrapSosEos(r));
        corpus.push_back(std::move(c));
    }
    return corpus;
}

}  // namespace inst3d
