#include "support/test_support.h"

#include "core/common/error.h"

#include <QProcess>
#include <QStringList>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace inst3d::test {

std::string inst3dBinary() {
    const char* p = std::getenv("INST3D_BINARY");
    return p ? p : "inst3d";
}

int runInst3d(const std::vector<std::string>& args, std::string* out, std::string* err) {
    return runInst3dWithInput(args, "", out, err);
}

int runInst3dWithInput(const std::vector<std::string>& args, const std::string& input, std::string* out, std::string* err) {
    QProcess proc;
    QStringList list;
    for (const auto& a : args) list << QString::fromStdString(a);
    proc.start(QString::fromStdString(inst3dBinary()), list);
    if (!proc.waitForStarted(60000)) return -1;
    if (!input.empty()) proc.write(input.data(), qint64(input.size()));
    proc.closeWriteChannel();
    if (!proc.waitForFinished(600000)) return -1;
    if (out) *out = proc.readAllStandardOutput().toStdString();
    if (err) *err = proc.readAllStandardError().toStdString();
    return proc.exitStatus() == QProcess::NormalExit ? proc.exitCode() : -2;
}

void writeBytes(const std::string& path, const std::string& bytes) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot write " + path);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
}

std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const inst3d::Error& e) {
        return e.what();
    }
    return "<no error>";
}

inst3d::SynthOptions smallWorldOptions(int scenes, uint64_t seed) {
    inst3d::SynthOptions o;
    o.numScenes = scenes;
    o.seed = seed;
    o.numFrames = 2;
    o.colorWidth = 160;
    o.colorHeight = 120;
    o.depthWidth = 80;
    o.depthHeight = 60;
    o.writeSens = false;
    o.writeExportedFrames = false;
    return o;
}

}  // namespace inst3d::test
