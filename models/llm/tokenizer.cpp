#include "models/llm/tokenizer.h"

#include <sentencepiece_processor.h>

#include <cstdio>
#include <map>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {

struct LlamaTokenizer::Impl {
    sentencepiece::SentencePieceProcessor withPrefix;  // the model as stored (dummy `▁` prefix on)
    sentencepiece::SentencePieceProcessor noPrefix;    // the same model with add_dummy_prefix = false
    std::vector<std::string> added;                    // added token i has id base + i
    std::map<std::string, int> addedIds;               // added tokens, and `<s>` `</s>` `<unk>` (split out of text as HF does)
    std::string addedFirstChars;                       // first bytes of the added tokens, for a cheap scan
    int base = 0;

    void encodeChunk(const std::string& text, bool prefix, const std::string& path, std::vector<int>* out) const {
        if (text.empty()) return;
        std::vector<int> ids;
        auto status = (prefix ? withPrefix : noPrefix).Encode(text, &ids);
        if (!status.ok()) fail(path, "sentencepiece encode failed: " + status.ToString());
        out->insert(out->end(), ids.begin(), ids.end());
    }
};

LlamaTokenizer::LlamaTokenizer(const std::string& modelPath) : impl_(std::make_unique<Impl>()), path_(modelPath) {
    std::string bytes;
    try {
        bytes = readTextFile(modelPath);
    } catch (const std::exception& e) {
        fail(modelPath, std::string("cannot read tokenizer: ") + e.what());
    }
    auto status = impl_->withPrefix.LoadFromSerializedProto(bytes);
    if (!status.ok()) fail(modelPath, "not a SentencePiece model: " + status.ToString());
    // Protobuf merges repeated occurrences of a message field, and the last scalar wins: appending
    // ModelProto.normalizer_spec (field 3) = { add_dummy_prefix (field 3) = false } turns the prefix off
    // without a generated sentencepiece_model.pb.h.
    const char patch[] = {0x1a, 0x02, 0x18, 0x00};
    status = impl_->noPrefix.LoadFromSerializedProto(bytes + std::string(patch, sizeof patch));
    if (!status.ok()) fail(modelPath, "not a SentencePiece model: " + status.ToString());
    impl_->base = impl_->withPrefix.GetPieceSize();
    // transformers registers <unk>, <s> and </s> as added tokens too: written in a text they are split out
    // as their ids (a Vicuna conversation carries "</s>" after every reply).
    for (int id : {unkId(), bosId(), eosId()})
        if (id >= 0 && id < impl_->base) {
            std::string piece = impl_->withPrefix.IdToPiece(id);
            impl_->addedIds[piece] = id;
            if (impl_->addedFirstChars.find(piece[0]) == std::string::npos) impl_->addedFirstChars += piece[0];
        }
}

LlamaTokenizer::~LlamaTokenizer() = default;

void LlamaTokenizer::addSpecialTokens(const std::vector<std::string>& tokens) {
    for (const std::string& t : tokens) {
        if (t.empty()) fail(path_, "empty added token");
        if (impl_->addedIds.count(t)) continue;  // already added, or a special piece
        impl_->addedIds[t] = impl_->base + static_cast<int>(impl_->added.size());
        impl_->added.push_back(t);
        if (impl_->addedFirstChars.find(t[0]) == std::string::npos) impl_->addedFirstChars += t[0];
    }
}

void LlamaTokenizer::addObjectTokens(int count) {
    std::vector<std::string> tokens;
    char buf[16];
    for (int i = 0; i < count; ++i) {
        std::snprintf(buf, sizeof buf, "<OBJ%03d>", i);
        tokens.push_back(buf);
    }
    addSpecialTokens(tokens);
}

std::vector<int> LlamaTokenizer::encode(const std::string& input, bool addBos) const {
    std::vector<int> ids;
    if (addBos) ids.push_back(bosId());
    // legacy=False first replaces a literal `▁` (U+2581) by a space.
    std::string text;
    text.reserve(input.size());
    for (size_t i = 0; i < input.size(); ++i) {
        if (input.compare(i, 3, "\xe2\x96\x81") == 0) {
            text += ' ';
            i += 2;
        } else {
            text += input[i];
        }
    }
    // Split out the added tokens (longest match at each position), encode the text between them.
    size_t start = 0;
    bool first = true;
    for (size_t i = 0; i < text.size();) {
        int bestId = -1;
        size_t bestLen = 0;
        if (impl_->addedFirstChars.find(text[i]) != std::string::npos) {
            for (const auto& [token, id] : impl_->addedIds)
                if (token.size() > bestLen && text.compare(i, token.size(), token) == 0) {
                    bestId = id;
                    bestLen = token.size();
                }
        }
        if (bestId < 0) {
            ++i;
            continue;
        }
        impl_->encodeChunk(text.substr(start, i - start), first, path_, &ids);
        ids.push_back(bestId);
        first = false;
        i += bestLen;
        start = i;
    }
    impl_->encodeChunk(text.substr(start), first, path_, &ids);
    return ids;
}

std::string LlamaTokenizer::decode(const std::vector<int>& ids, bool skipSpecial) const {
    std::vector<std::string> parts;
    std::vector<int> run;
    auto flush = [&] {
        if (run.empty()) return;
        std::string s;
        auto status = impl_->withPrefix.Decode(run, &s);
        if (!status.ok()) fail(path_, "sentencepiece decode failed: " + status.ToString());
        if (!s.empty()) parts.push_back(s);
        run.clear();
    };
    for (int id : ids) {
        if (id < 0 || id >= vocabSize()) fail(path_, "token id " + std::to_string(id) + " out of range");
        if (id >= impl_->base) {
            flush();
            parts.push_back(impl_->added[id - impl_->base]);
        } else if (impl_->withPrefix.IsControl(id) || impl_->withPrefix.IsUnknown(id)) {
            if (skipSpecial) continue;
            flush();
            parts.push_back(impl_->withPrefix.IdToPiece(id));
        } else {
            run.push_back(id);
        }
    }
    flush();
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i && out.back() != ' ') out += ' ';
        out += parts[i];
    }
    return out;
}

int LlamaTokenizer::baseVocabSize() const { return impl_->base; }
int LlamaTokenizer::vocabSize() const { return impl_->base + static_cast<int>(impl_->added.size()); }
int LlamaTokenizer::bosId() const { return impl_->withPrefix.bos_id(); }
int LlamaTokenizer::eosId() const { return impl_->withPrefix.eos_id(); }
int LlamaTokenizer::unkId() const { return impl_->withPrefix.unk_id(); }

std::string LlamaTokenizer::idToPiece(int id) const {
    if (id < 0 || id >= vocabSize()) fail(path_, "token id " + std::to_string(id) + " out of range");
    return id >= impl_->base ? impl_->added[id - impl_->base] : impl_->withPrefix.IdToPiece(id);
}

int LlamaTokenizer::addedTokenId(const std::string& token) const {
    auto it = impl_->addedIds.find(token);
    return it == impl_->addedIds.end() || it->second < impl_->base ? -1 : it->second;
}

}  // namespace inst3d
