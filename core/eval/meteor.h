// METEOR through the external meteor-1.5.jar that pycocoevalcap 1.2 ships, driven over stdio exactly as
// its meteor.py drives it: `java -jar -Xmx2G meteor-1.5.jar - - -stdio -l en -norm` started in the jar's
// folder, one "SCORE ||| ref ||| ... ||| hyp" line per item (hypothesis with "|||" removed and "  "
// replaced by " " in one pass), then one "EVAL ||| stats ||| ..." line answered by the per-item scores
// and the corpus score. It is never estimated: without java or the jar the metric is reported
// unavailable, with what to install. Values equal pycocoevalcap's (tests/data/eval/inst3d/meteor.json).
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

// The jar from INST3D_METEOR_JAR, else the compiled-in default under the deps folder
// (INST3D_DEPS_DIR/pycocoevalcap/pycocoevalcap/meteor/meteor-1.5.jar, the unpacked wheel tools/setup.sh
// installs); its folder must hold data/paraphrase-en.gz, as in the wheel. Empty when neither is set.
std::string configuredMeteorJar();

// java from INST3D_JAVA, else the first `java` on PATH; empty when there is none.
std::string configuredJava();

// What to install or set when METEOR is unavailable (Debian's default-jre-headless, the wheel).
std::string meteorInstallHint();

// "available: <jar>" or "unavailable: <why>; <hint>", for the score outputs.
std::string meteorStatus();

// Runs the jar on the corpus when configured; nullopt when not. Throws Error(jar, ...) when the
// configured jar fails.
std::optional<MeteorScores> meteorIfConfigured(const std::vector<CaptionItem>& corpus);

}  // namespace inst3d
