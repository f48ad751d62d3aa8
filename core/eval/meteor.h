// METEOR through the external meteor-1.5.jar, driven over stdio exactly as pycocoevalcap's
// meteor.py drives it (SCORE lines, then one EVAL line). It is never estimated: without a
// configured jar the metric is reported unavailable.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/eval/caption_metrics.h"

namespace inst3d {

struct MeteorScores {
    double corpus = 0;
    std::vector<double> perItem;
};

// The jar from INST3D_METEOR_JAR (its folder must hold data/paraphrase-en.gz as in pycocoevalcap),
// java from INST3D_JAVA or PATH. Empty when not configured.
std::string configuredMeteorJar();

// "available: <jar>" or "unavailable: <why>", for the score outputs.
std::string meteorStatus();

// Runs the jar on the corpus when configured; nullopt when not. Throws Error(jar, ...) when the
// configured jar fails.
std::optional<MeteorScores> meteorIfConfigured(const std::vector<CaptionItem>& corpus);

}  // namespace inst3d
