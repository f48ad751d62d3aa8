#include "training/cli/vocabulary.h"

#include <sentencepiece_trainer.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {

namespace {
constexpr int kSpmMinVocab = 64;  // below this SentencePiece cannot hold the byte fallback pieces
}

std::string trainVocabulary(const Inst3dData& data, const ObjectPrompt& prompt, int vocab, const std::string& dir) {
    const std::string corpus = joinPath(dir, "vocabulary-corpus.txt");
    {
        std::ofstream out(corpus);
        for (const std::string& s : prompt.segments) out << s << "\n";
        for (const TaskSample& t : data.samples) out << t.sample.prompt << "\n" << t.sample.caption.value_or("") << "\n";
    }
    const std::string prefix = joinPath(dir, "tokenizer");
    auto status = sentencepiece::SentencePieceTrainer::Train(
        "--input=" + corpus + " --model_prefix=" + prefix + " --model_type=bpe --vocab_size=" +
        std::to_string(std::max(vocab, kSpmMinVocab)) +
        " --byte_fallback=true --hard_vocab_limit=false --normalization_rule_name=identity"
        " --remove_extra_whitespaces=false --split_digits=true --minloglevel=2");
    if (!status.ok()) fail(corpus, "SentencePiece training failed: " + status.ToString());
    std::filesystem::remove(corpus);
    std::filesystem::remove(prefix + ".vocab");
    return prefix + ".model";
}

}  // namespace inst3d
