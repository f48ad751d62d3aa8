// Shared by the Qt Test suites: temporary folders and small synthetic scenes in ScanNet layout.
#pragma once
#include <QTemporaryDir>
#include <functional>
#include <string>
#include <vector>

#include "core/synth/synth.h"

namespace inst3d::test {

// Path of the inst3d executable under test (CTest passes INST3D_BINARY).
std::string inst3dBinary();
// Runs the inst3d binary with args; returns exit code, fills stdout/stderr.
int runInst3d(const std::vector<std::string>& args, std::string* out = nullptr, std::string* err = nullptr);
// The same with `input` written to its stdin (then closed): interactive verbs.
int runInst3dWithInput(const std::vector<std::string>& args, const std::string& input, std::string* out = nullptr,
                       std::string* err = nullptr);
// Writes a small file with the given bytes.
void writeBytes(const std::string& path, const std::string& bytes);

// The message of the inst3d::Error that f throws, or "<no error>" when it throws none.
std::string errorOf(const std::function<void()>& f);

// A small synthetic world that writes fast: 2 frames at low resolution, no .sens or exported frames,
// language annotations on. Tests that need frames turn them back on.
inst3d::SynthOptions smallWorldOptions(int scenes, uint64_t seed);

}  // namespace inst3d::test
