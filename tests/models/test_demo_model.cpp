// The bundled demo model (resources/models/demo, docs/demo-model.md) as a new user meets it: `inst3d chat`
// on the bundled demo scene with no --model and no extraction (the scene's committed cache is the one made
// with the bundle's encoders), asked the scene's own ScanRefer descriptions in the grounding prompt's form.
// The model was trained on another seed's world, so the demo scene is held out: the bar is far above chance
// (1 in 23 objects), not a memorised answer.
#include <QtTest>
#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/common/file_util.h"
#include "core/features/feature_cache.h"
#include "support/test_support.h"

using namespace inst3d;

namespace {

const std::string kResources = std::string(INST3D_TEST_DATA_DIR) + "/../../resources";
const std::string kScene = kResources + "/demo/scene0000_00";
constexpr int kQuestions = 30;         // the demo scene's ScanRefer train file has 30 descriptions of it
constexpr int kMinimumCorrect = 8;     // measured 12 of 30 (docs/demo-model.md); chance is about 1.3

struct Description {
    std::string text;
    int objectId = -1;
    std::string objectName;
};

std::vector<Description> demoDescriptions() {
    std::vector<Description> out;
    for (const char* split : {"train", "val"}) {
        const std::string path = kResources + "/demo/ScanRefer/ScanRefer_filtered_" + std::string(split) + ".json";
        if (!fileExists(path)) continue;
        for (const auto& row : nlohmann::json::parse(std::ifstream(path)))
            if (row["scene_id"] == "scene0000_00" && int(out.size()) < kQuestions)
                out.push_back({row["description"].get<std::string>(), std::stoi(row["object_id"].get<std::string>()),
                               row["object_name"].get<std::string>()});
    for (Description& d : out) std::replace(d.objectName.begin(), d.objectName.end(), '_', ' ');  // "coffee_table"
    }
    return out;
}

}  // namespace

class DemoModelTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void isBundled() {
        for (const char* f : {"checkpoint/checkpoint.json", "encoders.json", "encoders/uni3d-tiny.safetensors", "loss.png"})
            QVERIFY2(fileExists(kResources + "/models/demo/" + f), f);
        QVERIFY(fileExists(featureCachePath(kScene, "scene0000_00")));
    }

    // One process reads the questions from stdin (--json: one line each) with the default model.
    void groundsTheDemoScene() {
        const std::vector<Description> asked = demoDescriptions();
        QCOMPARE(int(asked.size()), kQuestions);
        std::string input;
        for (const Description& d : asked) input += "Which object matches the description \"" + d.text + "\"? Give its ID.\n";
        std::string out, err;
        QVERIFY2(test::runInst3dWithInput({"chat", kScene, "--json", "--no-history"}, input, &out, &err) == 0, err.c_str());
        std::istringstream lines(out);
        int answered = 0, correct = 0, rightCategory = 0;
        for (std::string line; std::getline(lines, line);) {
            if (line.empty()) continue;
            const nlohmann::json j = nlohmann::json::parse(line);
            const Description& d = asked.at(size_t(answered++));
            QCOMPARE(j["features"].get<std::string>(), featureCachePath(kScene, "scene0000_00"));  // found, not made
            for (const auto& o : j["objects"]) {
                correct += o["id"].get<int>() == d.objectId;
                rightCategory += o["label"].get<std::string>() == d.objectName;
            }
        }
        QCOMPARE(answered, kQuestions);
        qInfo("bundled demo model on the demo scene: %d of %d grounded correctly, %d of the right category", correct, answered,
              rightCategory);
        QVERIFY2(correct >= kMinimumCorrect, out.c_str());
    }
};

QTEST_GUILESS_MAIN(DemoModelTest)
#include "test_demo_model.moc"
