// The SentencePiece vocabulary of a random base LLM (`llm.base=random`, `inst3d bench train`): trained
// here on every text the model will read or write, with LLaMA's settings.
#pragma once
#include <string>

#include "models/llm/prompt_builder.h"
#include "training/inst3d_data.h"

namespace inst3d {

// Writes DIR/tokenizer.model (BPE, byte fallback, no normalisation, digits split) from the prompt's
// segments and every sample's prompt and answer; returns its path. Error naming the corpus on failure.
std::string trainVocabulary(const Inst3dData& data, const ObjectPrompt& prompt, int vocab, const std::string& dir);

}  // namespace inst3d
