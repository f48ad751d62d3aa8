// The bad-input corpus (tests/data/bad, docs/reliability.md): every file, given to the inst3d verb that
// reads its format, must end in a clean error that names the file and the problem. No crash (a signal),
// no hang (a time limit per file), no silent acceptance (exit 0), and nothing written to the output path.
// cases.tsv lists file, arguments and the expected error fragment; make_bad_files.py writes the files.
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/common/file_util.h"
#include "support/test_support.h"

using namespace inst3d;

namespace {

constexpr int kTimeLimitMs = 30000;  // per file: a hang fails here, not at CTest's limit

struct BadCase {
    std::string file, arguments, fragment;
};

std::vector<BadCase> readCases(const std::string& path) {
    std::vector<BadCase> cases;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        BadCase c;
        std::getline(fields, c.file, '\t');
        std::getline(fields, c.arguments, '\t');
        std::getline(fields, c.fragment, '\t');
        cases.push_back(c);
    }
    return cases;
}

QStringList argumentsOf(const BadCase& c, const std::string& file, const std::string& out) {
    QStringList args;
    for (const std::string& word : splitWhitespace(c.arguments))
        args << QString::fromStdString(word == "{file}" ? file : word == "{out}" ? out : word);
    return args;
}

}  // namespace

class BadInputsTest : public QObject {
    Q_OBJECT

private slots:
    void everyBadFileGetsACleanError() {
        const std::string dir = std::string(INST3D_TEST_DATA_DIR) + "/bad";
        const std::vector<BadCase> cases = readCases(dir + "/cases.tsv");
        QVERIFY2(cases.size() >= 25, "cases.tsv lost its rows");
        QTemporaryDir tmp;
        int clean = 0;
        for (size_t i = 0; i < cases.size(); ++i) {
            const BadCase& c = cases[i];
            const std::string file = dir + "/" + c.file, out = tmp.filePath(QString("out%1").arg(i)).toStdString();
            QVERIFY2(fileExists(file), file.c_str());
            QProcess p;
            p.start(QString::fromStdString(test::inst3dBinary()), argumentsOf(c, file, out));
            const bool finished = p.waitForFinished(kTimeLimitMs);
            if (!finished) p.kill(), p.waitForFinished();
            const std::string err = p.readAllStandardError().toStdString();
            const std::string what = c.file + ": " + err;
            QVERIFY2(finished, ("hangs: " + what).c_str());
            QVERIFY2(p.exitStatus() == QProcess::NormalExit, ("crashes: " + what).c_str());
            QVERIFY2(p.exitCode() == 1, ("exit code " + std::to_string(p.exitCode()) + ", not a clean error: " + what).c_str());
            QVERIFY2(err.find(file) != std::string::npos, ("the error does not name the file: " + what).c_str());
            QVERIFY2(err.find(c.fragment) != std::string::npos, ("expected '" + c.fragment + "': " + what).c_str());
            QVERIFY2(!fileExists(out) && !isDirectory(out + "/scans"), ("wrote its output anyway: " + what).c_str());
            ++clean;
        }
        qInfo("%d bad files: %d clean errors naming the file, 0 crashes, 0 hangs, 0 accepted", int(cases.size()), clean);
    }
};

QTEST_GUILESS_MAIN(BadInputsTest)
#include "test_bad_inputs.moc"
