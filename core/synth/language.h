// Language annotations for the synthetic world, in the real dataset formats, derived from the scene
// geometry so that every statement is true: ScanRefer, Multi3DRefer, ScanQA, the Scan2Cap corpus,
// Nr3D (ReferIt3D CSV) and SQA3D. Each sentence is generated from a structured claim; the verifier
// (core/synth/verify.h) re-parses the sentence and re-checks the claim on a scene read back from disk.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/synth/synth.h"

namespace inst3d {

// Writes out/ScanRefer, out/Multi3DRefer, out/ScanQA, out/Scan2Cap, out/ReferIt3D, out/SQA3D.
// `splits[i]` is "train", "val" or "test" for scenes[i]; test scenes get no annotations (as in the
// public releases, whose test answers are hidden).
// `sizes` bounds the referring expressions (ScanRefer, and Multi3DRefer's single-target entries).
void writeSynthLanguage(const std::string& outDir, const std::vector<SynthScene>& scenes,
                        const std::vector<std::string>& splits, uint64_t seed, const SynthLanguageSizes& sizes = {});

}  // namespace inst3d
