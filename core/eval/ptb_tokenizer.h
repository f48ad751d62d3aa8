// pycocoevalcap's PTBTokenizer step without Java: what `PTBTokenizer().tokenize()` gives for one caption
// (Stanford CoreNLP 3.4.1's edu.stanford.nlp.process.PTBTokenizer with -preserveLines -lowerCase, then
// pycocoevalcap's removal of its punctuation tokens).
//
// Checked token for token against the jar itself on tests/data/eval/inst3d/ptb.json (quotes, hyphens and
// dashes, numbers, contractions, unicode, brackets, ellipses, slashes; made by
// tools/oracles/make_inst3d_eval_goldens.py). Not reproduced: the lexer's abbreviation list ("mr.",
// "e.g.", "p.m."; a period after a word is always split off here), URLs, e-mail addresses, SGML tags,
// HTML entities, the rarer apostrophe words ("y'all", "rock'n'roll", "'tis"), and some words glued to
// numbers without a space ("3.510-20"). On 3000 random strings of caption words and symbols, glued
// together as often as spaced, 20 still differ (0.7%), all of that last kind.
#pragma once
#include <string>

namespace inst3d {

// Lowercase, split on single spaces, drop pycocoevalcap's punctuation tokens ('' ' `` ` -LRB- -RRB-
// -LCB- -RCB- . ? ! , : - -- ... ;), join with single spaces. The list is matched case-sensitively on
// the lowercased tokens, as pycocoevalcap does, so the lexer's lowercased brackets (-lrb- ...) stay.
// This alone is exact for text that is already PTB-tokenized.
std::string ptbNormalize(const std::string& tokenized);

// The PTB lexer on raw text (see above), then ptbNormalize. Any line break counts as a space
// (pycocoevalcap replaces "\n" before the jar; other separators would shift its lines).
std::string ptbTokenize(const std::string& raw);

}  // namespace inst3d
