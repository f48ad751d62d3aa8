// Crash safety of every writer that replaces user data (docs/reliability.md): writers are killed with
// SIGKILL at random instants, in a loop, and after each kill the file (or the folder) must be the old
// version or the new one, whole; a full disk must leave the old file; what killed writers leave behind
// must be removed by the next run; a killed `synth` must leave a world its readers refuse.
#include <QTemporaryDir>
#include <QtTest>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/features/extraction.h"
#include "core/synth/synth.h"
#include "support/test_support.h"

using namespace inst3d;
namespace fs = std::filesystem;

namespace {

constexpr int kKills = 120;                  // SIGKILLs per writer
constexpr int kWritesPerKillWindow = 3;     // a kill lands within the time of ~3 replacements (measured first),
                                            // so that some land mid-write and some after whole writes, under load too
constexpr size_t kSmallVersionBytes = 64 << 10;
constexpr size_t kLargeVersionBytes = 3 << 20;  // a few writes per kill window: kills land mid-write too
constexpr int kFilesPerFolder = 3;

// Version `gen` of a file: a header naming its generation and length, then bytes derived from both, so a
// torn, truncated or mixed file is detected by content, not by size alone.
std::string versionText(uint64_t gen) {
    const size_t n = gen % 2 ? kLargeVersionBytes : kSmallVersionBytes;
    std::string s = "gen " + std::to_string(gen) + " bytes " + std::to_string(n) + "\n";
    s.reserve(s.size() + n);
    for (size_t i = 0; i < n; ++i) s.push_back(char('a' + (i * 7 + gen) % 26));
    return s;
}

// The generation of a whole version, or -1 when the file is torn or foreign.
long wholeGeneration(const std::string& path) {
    if (!fileExists(path)) return -1;
    const std::string s = readTextFile(path);
    const size_t eol = s.find('\n');
    if (eol == std::string::npos || s.rfind("gen ", 0) != 0) return -1;
    const long gen = std::stol(s.substr(4));
    return s == versionText(uint64_t(gen)) ? gen : -1;
}

// Microseconds `f` takes on this machine now.
long timeUs(const std::function<void()>& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return long(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
}

// Forks a child that runs `loop` until killed; kills it after a random delay below `windowUs`; returns once
// it is reaped.
void killDuring(const std::function<void()>& loop, long windowUs, std::mt19937& rng) {
    const pid_t pid = ::fork();
    QVERIFY(pid >= 0);
    if (pid == 0) {
        try {
            loop();
        } catch (...) {
        }
        ::_exit(3);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % uint64_t(std::max(1L, windowUs))));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    QVERIFY2(WIFSIGNALED(status), "the writer ended by itself instead of being killed");
}

int countTemporaries(const std::string& dir) {
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.find(".tmp-") != std::string::npos || name.find(".old-") != std::string::npos) ++n;
    }
    return n;
}

// A pid that belonged to a process now gone (forked, exited, reaped).
pid_t deadPid() {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    ::waitpid(pid, nullptr, 0);
    return pid;
}

}  // namespace

class CrashSafetyTest : public QObject {
    Q_OBJECT

private slots:
    // The primitive under every file writer (PLY, JSON, safetensors, feature caches, annotations).
    void writeFileAtomicSurvivesKills() {
        QTemporaryDir tmp;
        const std::string target = joinPath(tmp.path().toStdString(), "annotation.json");
        writeFileAtomic(target, versionText(0));
        const long window = kWritesPerKillWindow * timeUs([&] {
            writeFileAtomic(target, versionText(1));
            writeFileAtomic(target, versionText(0));
        });
        std::mt19937 rng(17);
        long newest = 0;
        int lost = 0;
        for (int k = 0; k < kKills; ++k) {
            const long start = newest;
            killDuring([&] {
                for (uint64_t gen = uint64_t(start) + 1;; ++gen) writeFileAtomic(target, versionText(gen));
            }, window, rng);
            const long gen = wholeGeneration(target);
            if (gen < start) ++lost;  // torn, missing, or older than what was already there
            newest = std::max(newest, gen);
        }
        const int left = countTemporaries(tmp.path().toStdString());
        qInfo("writeFileAtomic: %d kills within %ld ms, %d files lost or torn, newest generation %ld, %d temporaries left",
              kKills, window / 1000, lost, newest, left);
        QCOMPARE(lost, 0);
        QVERIFY2(newest > 0, "no write completed between kills: the test did not exercise replacement");
        QCOMPARE(removeStaleTemporaries(tmp.path().toStdString()), left);
        QCOMPARE(countTemporaries(tmp.path().toStdString()), 0);
        QVERIFY(wholeGeneration(target) == newest);
    }

    // The checkpoint's way (training/inst3d_checkpoint.cpp): a staged folder exchanged with the real one.
    void folderReplacementSurvivesKills() {
        QTemporaryDir tmp;
        const std::string parent = tmp.path().toStdString();
        const std::string ckpt = joinPath(parent, "checkpoint");
        auto writeFolder = [&](const std::string& dir, uint64_t gen) {
            makeDirectories(dir);
            for (int f = 0; f < kFilesPerFolder; ++f)
                writeFileAtomic(joinPath(dir, "part" + std::to_string(f)), versionText(gen));
        };
        writeFolder(ckpt, 0);
        const std::string probe = ckpt + ".probe";
        const long window = kWritesPerKillWindow * timeUs([&] {
            for (uint64_t gen : {1, 2}) {
                writeFolder(probe, gen);
                replaceDirectoryAtomic(probe, ckpt + "-copy");
            }
        });
        fs::remove_all(ckpt + "-copy");
        std::mt19937 rng(23);
        long newest = 0;
        int lost = 0;
        for (int k = 0; k < kKills; ++k) {
            const long start = newest;
            killDuring([&] {
                const std::string staged = ckpt + ".tmp-" + std::to_string(::getpid());
                for (uint64_t gen = uint64_t(start) + 1;; ++gen) {
                    fs::remove_all(staged);
                    writeFolder(staged, gen);
                    replaceDirectoryAtomic(staged, ckpt);
                }
            }, window, rng);
            recoverReplacedDirectory(ckpt);
            long gen = wholeGeneration(joinPath(ckpt, "part0"));
            for (int f = 1; f < kFilesPerFolder; ++f)
                if (wholeGeneration(joinPath(ckpt, "part" + std::to_string(f))) != gen) gen = -1;  // mixed
            if (gen < start) ++lost;
            newest = std::max(newest, gen);
        }
        qInfo("replaceDirectoryAtomic: %d kills within %ld ms, %d folders lost, torn or mixed, newest generation %ld",
              kKills, window / 1000, lost, newest);
        QCOMPARE(lost, 0);
        QVERIFY(newest > 0);
        removeStaleTemporaries(parent);
        QCOMPARE(countTemporaries(parent), 0);
    }

    // A full disk (here: the file-size limit, which fails writes the same way) leaves the old file whole.
    void fullDiskLeavesTheOldFile() {
        QTemporaryDir tmp;
        const std::string target = joinPath(tmp.path().toStdString(), "scene.ply");
        writeFileAtomic(target, versionText(0));
        const pid_t pid = ::fork();
        QVERIFY(pid >= 0);
        if (pid == 0) {
            ::signal(SIGXFSZ, SIG_IGN);  // writes past the limit fail with EFBIG instead of killing
            const rlimit limit{kSmallVersionBytes * 2, kSmallVersionBytes * 2};
            ::setrlimit(RLIMIT_FSIZE, &limit);
            const std::string e = test::errorOf([&] { writeFileAtomic(target, versionText(1)); });
            const bool clear = e.find(target) != std::string::npos && e.find("write failed") != std::string::npos &&
                               e.find("left untouched") != std::string::npos;
            ::_exit(clear ? 0 : 1);
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
        QVERIFY2(WIFEXITED(status) && WEXITSTATUS(status) == 0, "no clear error naming the file");
        QCOMPARE(wholeGeneration(target), 0L);
        QCOMPARE(countTemporaries(tmp.path().toStdString()), 0);
    }

    void staleTemporariesOfLiveWritersStay() {
        QTemporaryDir tmp;
        const std::string dir = tmp.path().toStdString();
        const std::string dead = std::to_string(deadPid());
        test::writeBytes(joinPath(dir, "a.json.tmp-" + dead), "half");
        test::writeBytes(joinPath(dir, "b.json.tmp-" + std::to_string(::getpid())), "being written");
        test::writeBytes(joinPath(dir, "notes.tmp-draft"), "a user's file");
        makeDirectories(joinPath(dir, "checkpoint.old-" + dead));  // a kill between two renames: the only copy
        test::writeBytes(joinPath(dir, "checkpoint.old-" + dead + "/checkpoint.json"), "{}");
        QCOMPARE(removeStaleTemporaries(dir), 1);
        QVERIFY(!fileExists(joinPath(dir, "a.json.tmp-" + dead)));
        QVERIFY(fileExists(joinPath(dir, "b.json.tmp-" + std::to_string(::getpid()))));
        QVERIFY(fileExists(joinPath(dir, "notes.tmp-draft")));
        QVERIFY2(fileExists(joinPath(dir, "checkpoint/checkpoint.json")), "the only copy was not put back");
    }

    // `inst3d synth` killed mid-world: readers refuse the world, a rerun finishes it and clears the debris.
    void killedSynthLeavesAWorldReadersRefuse() {
        QTemporaryDir tmp;
        const std::string world = joinPath(tmp.path().toStdString(), "world");
        const SynthOptions options = test::smallWorldOptions(4, 3);
        const pid_t pid = ::fork();
        QVERIFY(pid >= 0);
        if (pid == 0) {
            writeSynthWorld(world, options);
            ::_exit(0);
        }
        const std::string second = joinPath(world, "scans/scene0001_00");
        for (int i = 0; i < 2000 && !isDirectory(second); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        QVERIFY2(isDirectory(second), "synth never reached its second scene");
        const std::string e = test::errorOf([&] { listSceneDirs(joinPath(world, "scans"), ""); });
        QVERIFY2(e.find("is incomplete") != std::string::npos && e.find("inst3d synth") != std::string::npos, e.c_str());
        writeSynthWorld(world, options);
        QCOMPARE(listSceneDirs(joinPath(world, "scans"), "").size(), size_t(4));
        for (const auto& entry : fs::recursive_directory_iterator(world))
            QVERIFY2(entry.path().filename().string().find(".tmp-") == std::string::npos, entry.path().c_str());
    }
};

QTEST_GUILESS_MAIN(CrashSafetyTest)
#include "test_crash_safety.moc"
