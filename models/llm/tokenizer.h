// The LLaMA / Vicuna tokenizer as Inst3D-LMM uses it: transformers' slow `LlamaTokenizer` with
// `legacy=False`, plus added special tokens (`<OBJ000>`..`<OBJ199>`, ids 32000..32199).
//
//  - SentencePiece BPE with byte fallback runs on the text between added tokens (the static
//    sentencepiece linked into inst3d_models; `tokenizer.model` is read as is).
//  - Added tokens are split out before SentencePiece runs (plain SentencePiece would cut `<OBJ001>` into
//    `▁< OB J 0 0 1 >`). No whitespace is stripped around them (HF's AddedToken lstrip/rstrip = False).
//  - legacy=False: only the start of the text gets the dummy `▁` prefix; text that follows an added
//    token is encoded without it. A text that starts with an added token gets no leading `▁` token.
//  - `<s>`, `</s>` and `<unk>` written in the text are split out as their ids too (HF registers them as
//    added tokens), so a Vicuna conversation with "</s>" after each reply encodes as transformers does.
//  - BOS (id 1) only when asked: Inst3D tokenizes its first prompt chunk with BOS, later chunks without.
//  - decode: runs of SentencePiece ids are decoded by SentencePiece (each run loses its leading space,
//    as HF's convert_tokens_to_string does); added tokens are joined with single spaces, as HF's default
//    `spaces_between_special_tokens=True`, except after a part that already ends in a space (HF would
//    give two spaces there; this keeps "chair <OBJ003> is" round-tripping).
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace inst3d {

class LlamaTokenizer {
public:
    // Loads a SentencePiece model (`tokenizer.model`). Throws Error naming the file.
    explicit LlamaTokenizer(const std::string& modelPath);
    ~LlamaTokenizer();
    LlamaTokenizer(const LlamaTokenizer&) = delete;
    LlamaTokenizer& operator=(const LlamaTokenizer&) = delete;

    // Appends added special tokens; they get the ids vocabSize(), vocabSize()+1, ...
    void addSpecialTokens(const std::vector<std::string>& tokens);
    // `<OBJ000>`..`<OBJ{count-1}>` (Inst3D: 200, ids 32000..32199 on the LLaMA vocabulary).
    void addObjectTokens(int count = 200);

    std::vector<int> encode(const std::string& text, bool addBos = true) const;
    // skipSpecial drops BOS/EOS/UNK/PAD (not the added tokens).
    std::string decode(const std::vector<int>& ids, bool skipSpecial = true) const;

    int baseVocabSize() const;  // SentencePiece pieces (32000 for LLaMA)
    int vocabSize() const;      // + added tokens
    int bosId() const;
    int eosId() const;
    int unkId() const;
    std::string idToPiece(int id) const;  // a SentencePiece piece or an added token
    int addedTokenId(const std::string& token) const;  // -1 when not an added token
    const std::string& path() const { return path_; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string path_;
};

}  // namespace inst3d
