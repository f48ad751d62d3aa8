// The chat panel on a real checkpoint: a synthetic ScanNet world, its feature cache (`inst3d extract`) and
// a tiny Inst3D model (`inst3d train`, a few epochs) made in initTestCase. On a real GL context (xcb under
// Xvfb): a grounding answer tints the object it names on the rendered pixels and frames it; a click on an
// object's pixels plus "Ask about selection" puts its identifier in the prompt and the answer streams in;
// Stop returns control at once; closing the window mid-answer exits cleanly; `inst3d view --ask
// --screenshot --json` writes the same loop without a window.
#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <vtkRenderer.h>

#include "core/common/file_util.h"
#include "core/config/config.h"
#include "core/features/feature_cache.h"
#include "render/scene_colors.h"
#include "support/test_support.h"
#include "ui/chat_panel.h"
#include "ui/chat_session.h"
#include "ui/main_window.h"
#include "ui/scene_document.h"
#include "ui/scene_view.h"

using namespace inst3d;

namespace {

constexpr int kModelWaitMs = 120000;   // loading the checkpoint and encoding the scene
constexpr int kAnswerWaitMs = 60000;
// Stop must not wait for the answer (2000 tokens: tens of seconds here). The 100 ms target of issue 15 is a
// speed figure and lives in bench/inst3d_bench_chat (docs/performance.md: 1 ms); under a loaded CI machine
// the event loop alone can take 150 ms, so the test asserts the behaviour with room to spare.
constexpr qint64 kStopBudgetMs = 1000;

// A pixel of a grounded object: kGroundedColor's green dominates, brighter than any dimmed vertex can be
// (kDimmedBrightness * 255 < 90).
bool isGroundedGreen(QRgb p) { return qGreen(p) > 90 && qGreen(p) > qRed(p) + 30 && qGreen(p) > qBlue(p) + 30; }

// The box's projection in image pixels (top-left origin).
QRectF projectedBox(SceneView* view, const AABB& box) {
    vtkRenderer* r = view->sceneRenderer().renderer();
    const int h = r->GetSize()[1];
    QRectF rect;
    for (int i = 0; i < 8; ++i) {
        r->SetWorldPoint(i & 1 ? box.max.x : box.min.x, i & 2 ? box.max.y : box.min.y, i & 4 ? box.max.z : box.min.z, 1.0);
        r->WorldToDisplay();
        double d[3];
        r->GetDisplayPoint(d);
        const QRectF corner(QPointF(d[0], h - 1 - d[1]), QSizeF(1, 1));
        rect = rect.isNull() ? corner : rect.united(corner);
    }
    return rect;
}

struct GreenCount {
    long inside = 0, outside = 0;
};
GreenCount countGreen(const QImage& image, const QRectF& rect) {
    const QImage img = image.convertToFormat(QImage::Format_RGB32);
    GreenCount c;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x)
            if (isGroundedGreen(img.pixel(x, y))) (rect.contains(x, y) ? c.inside : c.outside)++;
    return c;
}

std::string groundingQuestion() { return "Which object matches the description \"this is a chair.\"? Give its ID."; }

}  // namespace

class TestChat : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    std::string world_, run_;
    std::unique_ptr<SceneDocument> document_;
    std::unique_ptr<MainWindow> window_;

    std::string path(const std::string& name) { return tmp_.filePath(QString::fromStdString(name)).toStdString(); }
    std::string scenePath() { return world_ + "/scans/scene0000_00"; }
    ChatSession* session() { return window_->chatSession(); }
    ChatPanel* panel() { return window_->chatPanel(); }

    // Opens the scene and the checkpoint in a fresh window and waits until the model has the objects.
    void openWindow(std::unique_ptr<SceneDocument>& document, std::unique_ptr<MainWindow>& window) {
        document = std::make_unique<SceneDocument>();
        window = std::make_unique<MainWindow>(document.get());
        window->setShowErrorDialogs(false);
        window->resize(1280, 800);
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
        QSignalSpy loaded(document.get(), &SceneDocument::sceneChanged), ready(window->chatSession(), &ChatSession::sceneReady);
        document->open(QString::fromStdString(scenePath()));
        QVERIFY(loaded.wait(kModelWaitMs));
        window->openModel(QString::fromStdString(run_ + "/checkpoint"));
        QVERIFY2(ready.wait(kModelWaitMs), qPrintable(window->chatPanel()->statusLabel()->text()));
    }

    // Types `question`, presses Enter, waits for the answer.
    const ChatTurn& askAndWait(const QString& question) {
        QSignalSpy finished(session(), &ChatSession::turnFinished);
        panel()->input()->setText(question);
        QTest::keyClick(panel()->input(), Qt::Key_Return);
        if (finished.isEmpty()) finished.wait(kAnswerWaitMs);
        return session()->turns().back();
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        qputenv("INST3D_SETTINGS", tmp_.filePath("settings.ini").toLocal8Bit());
        world_ = path("world");
        run_ = path("run");
        std::string err;
        QVERIFY2(test::runInst3d({"synth", "--out", world_, "--scenes", "3", "--seed", "5", "--frames", "8"}, nullptr, &err) == 0, err.c_str());
        QVERIFY2(test::runInst3d({"extract", "--scenes", world_ + "/scans", "--out", world_ + "/features", "--uni3d", "random:tiny",
                                  "--clip", "random:tiny", "--proposals", "gt"}, nullptr, &err) == 0, err.c_str());
        const std::string config = std::string(INST3D_TEST_DATA_DIR) + "/../../resources/config/train/synth-tiny.yaml";
        QVERIFY2(test::runInst3d({"train", "--config", config, "data.root=" + world_, "data.features=" + world_ + "/features",
                                  "output=" + run_, "data.train_tag=scanrefer", "optim.batch_size=4", "optim.epochs=3",
                                  "optim.warmup_epochs=0", "val_every=1000", "save_every=1000"}, nullptr, &err) == 0, err.c_str());
        openWindow(document_, window_);
    }

    void cleanupTestCase() {
        window_.reset();
        document_.reset();
    }

    // The cache is found beside the scene (W/features for W/scans/<scene>), and a bad cache path is named.
    void findsTheFeatureCache() {
        QCOMPARE(session()->featuresPath().toStdString(), featureCachePath(world_ + "/features", "scene0000_00"));
        QCOMPARE(findFeatureCache(scenePath(), "scene0000_00"), featureCachePath(world_ + "/features", "scene0000_00"));
        QCOMPARE(findFeatureCache(world_ + "/scans/scene0001_00/", "scene0999_00"), std::string());
        QVERIFY(!session()->objects().empty());
        for (const ChatObject& o : session()->objects()) QVERIFY2(o.label != "wall" && o.label != "floor", o.label.c_str());
    }

    // The answer's object is the one tinted on the screen, inside its projected box, and framed near the
    // middle of the view; the rest of the scene is dimmed (no other green).
    void groundingAnswerLightsUpItsObject() {
        const ChatTurn& turn = askAndWait(QString::fromStdString(groundingQuestion()));
        QVERIFY2(turn.finished && turn.error.isEmpty(), qPrintable(turn.error));
        QVERIFY2(!turn.objectIds.empty(), qPrintable("the answer names no object of the scene: " + turn.answer));
        const std::vector<GroundedObject>& grounded = document_->groundedObjects();
        QCOMPARE(int(grounded.size()), 1);
        QCOMPARE(grounded[0].identifier, turn.objectIds[0]);
        QTRY_VERIFY(panel()->transcript()->toHtml().contains(QString("obj:%1").arg(turn.objectIds[0])));  // the chip

        SceneView* view = window_->sceneView();
        QTRY_VERIFY(!view->isFlying());  // the camera flies to the answer in SceneView::kFlightMs
        const QImage shot = view->grabFramebuffer();
        const QRectF box = projectedBox(view, grounded[0].box);
        const GreenCount green = countGreen(shot, box);
        qInfo("answer '%s': box %.0fx%.0f at (%.0f, %.0f), green pixels %ld inside / %ld outside", qPrintable(turn.answer), box.width(),
              box.height(), box.center().x(), box.center().y(), green.inside, green.outside);
        QVERIFY2(green.inside > 0.15 * box.width() * box.height(), "the tint does not cover the object's projected area");
        QVERIFY2(green.outside < 0.05 * green.inside + 50, "green outside the grounded object");
        const QPointF middle(shot.width() / 2.0, shot.height() / 2.0);
        QVERIFY2(std::abs(box.center().x() - middle.x()) < shot.width() / 6.0 && std::abs(box.center().y() - middle.y()) < shot.height() / 6.0,
                 "the camera does not frame the object");
        // The flight is remembered: Previous Viewpoint goes back to where the camera was.
        const QString framed = view->cameraText();
        QVERIFY(view->viewpointHistorySize() >= 1);
        QVERIFY(view->previousViewpoint());
        QVERIFY(view->cameraText() != framed);
    }

    // A click on an object's pixels selects it; "Ask about selection" fills the describe preset with that
    // object's identifier; Enter sends it and the answer streams into the transcript.
    void clickingAnObjectAsksAboutIt() {
        SceneView* view = window_->sceneView();
        std::shared_ptr<const SceneFeatures> features = session()->features();
        int target = -1;
        for (const ChatObject& o : session()->objects())
            if (target < 0 || features->proposals[size_t(o.id)].vertices.size() > features->proposals[size_t(target)].vertices.size())
                target = o.id;
        view->sceneRenderer().frameBoxes({features->boxes[size_t(target)]});
        view->update();
        QTest::qWait(50);
        const QPointF at = projectedBox(view, features->boxes[size_t(target)]).center();
        QTest::mouseClick(view, Qt::LeftButton, Qt::NoModifier, at.toPoint());
        QTRY_VERIFY(document_->selectedInstance() >= 0);
        const int identifier = panel()->selectedIdentifier();
        QVERIFY(identifier >= 0);
        QTRY_VERIFY(panel()->askSelectionButton()->isEnabled());
        QTest::mouseClick(panel()->askSelectionButton(), Qt::LeftButton);
        const QString token = QString("<OBJ%1>").arg(identifier, 3, 10, QChar('0'));
        QVERIFY2(panel()->input()->text().contains(token), qPrintable(panel()->input()->text()));

        QSignalSpy pieces(session(), &ChatSession::turnUpdated), finished(session(), &ChatSession::turnFinished);
        QTest::keyClick(panel()->input(), Qt::Key_Return);
        QVERIFY(finished.wait(kAnswerWaitMs));
        const ChatTurn& turn = session()->turns().back();
        QVERIFY(turn.question.contains(token));
        QVERIFY2(!pieces.isEmpty(), "the answer did not stream");
        QVERIFY2(!turn.answer.trimmed().isEmpty(), "empty answer");
        // In the transcript: as the chip of the object it names, or as its text.
        const QString html = panel()->transcript()->toHtml(), shown = panel()->transcript()->toPlainText();
        if (!turn.objectIds.empty()) QVERIFY2(html.contains(QString("obj:%1").arg(turn.objectIds[0])), qPrintable(html));
        else QVERIFY2(shown.contains(turn.answer.trimmed().left(8)), qPrintable(shown));
    }

    // Stop during a long answer: asking is over within kStopBudgetMs, the turn is kept as stopped.
    void stopReturnsControlAtOnce() {
        GenerationConfig longAnswer = chatGeneration(2000);
        longAnswer.minNewTokens = 2000;  // EOS banned: only Stop ends it
        session()->setGeneration(longAnswer);
        QSignalSpy pieces(session(), &ChatSession::turnUpdated);
        panel()->input()->setText("Describe the room.");
        QTest::keyClick(panel()->input(), Qt::Key_Return);
        QVERIFY(pieces.wait(kAnswerWaitMs));
        QVERIFY(panel()->stopButton()->isEnabled());
        QElapsedTimer clock;
        qint64 ms = -1;
        auto done = connect(session(), &ChatSession::askingChanged, this, [&](bool on) {
            if (!on && ms < 0) ms = clock.elapsed();
        });
        clock.start();
        QTest::mouseClick(panel()->stopButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(ms >= 0, 5000);
        disconnect(done);
        qInfo("stop returned control after %lld ms", static_cast<long long>(ms));
        session()->setGeneration(chatGeneration(64));
        QVERIFY2(ms <= kStopBudgetMs, qPrintable(QString("%1 ms").arg(ms)));
        QVERIFY(session()->turns().back().cancelled);
        QVERIFY(panel()->transcript()->toPlainText().contains("(stopped)"));
        QVERIFY(panel()->sendButton()->isEnabled());
        // The worker drops the rest of the stopped answer: the next question is answered normally.
        const int stopped = int(session()->turns().size()) - 1;
        const QString kept = session()->turns()[stopped].answer;
        const ChatTurn& next = askAndWait(QString::fromStdString(groundingQuestion()));
        QVERIFY(next.finished && !next.cancelled);
        QCOMPARE(session()->turns()[stopped].answer, kept);
    }

    // File > Export Conversation: Markdown, JSON with every turn's objects and boxes, and the view's PNG.
    void exportsTheConversation() {
        const QString base = QString::fromStdString(path("chat"));
        QVERIFY(window_->exportConversation(base));
        const nlohmann::json j = nlohmann::json::parse(readTextFile((base + ".json").toStdString()));
        QCOMPARE(int(j["turns"].size()), int(session()->turns().size()));
        QCOMPARE(j["scene"].get<std::string>(), std::string("scene0000_00"));
        QVERIFY(!j["camera"].get<std::string>().empty());
        const nlohmann::json& first = j["turns"][0];
        QCOMPARE(first["object_ids"].size(), first["objects"].size());
        QVERIFY(first["objects"][0]["box"]["size"].size() == 3);
        const std::string md = readTextFile((base + ".md").toStdString());
        QVERIFY2(md.find("## 1. " + groundingQuestion()) != std::string::npos && md.find("<OBJ") != std::string::npos, md.c_str());
        QVERIFY(!QImage(base + ".png").isNull());
    }

    // Clear forgets the conversation and the highlight.
    void clearForgetsTurnsAndHighlight() {
        QVERIFY(!session()->turns().isEmpty());
        QTest::mouseClick(panel()->clearButton(), Qt::LeftButton);
        QVERIFY(session()->turns().isEmpty());
        QVERIFY(document_->groundedObjects().empty());
        QVERIFY(panel()->transcript()->toPlainText().trimmed().isEmpty());
    }

    // Closing the window while an answer is generated: the session stops it and the window goes quickly.
    void closingDuringAnswerExitsCleanly() {
        std::unique_ptr<SceneDocument> document;
        std::unique_ptr<MainWindow> window;
        openWindow(document, window);
        GenerationConfig longAnswer = chatGeneration(2000);
        longAnswer.minNewTokens = 2000;
        window->chatSession()->setGeneration(longAnswer);
        QSignalSpy pieces(window->chatSession(), &ChatSession::turnUpdated);
        window->chatPanel()->input()->setText("Describe the room.");
        window->chatPanel()->send();
        QVERIFY(pieces.wait(kAnswerWaitMs));
        QElapsedTimer clock;
        clock.start();
        window.reset();
        document.reset();
        qInfo("window closed mid-answer in %lld ms", static_cast<long long>(clock.elapsed()));
        QVERIFY(clock.elapsed() < 2000);
    }

    // The headless form: the answer printed, the PNG with the tinted object, the JSON with ids, boxes, camera.
    // A scene without a cache for the open model: the panel offers to make one with the bundled demo model's
    // encoders; a click makes it beside the scene, with progress, and names the proposals it used.
    void offersToMakeTheFeatureCache() {
        namespace fs = std::filesystem;
        const std::string scene = path("capture/scene0000_00");
        fs::create_directories(parentPath(scene));
        fs::copy(resourceDir() + "/demo/scene0000_00", scene, fs::copy_options::recursive);
        const std::string cache = featureCachePath(scene, "scene0000_00");
        fs::remove(cache);
        SceneDocument document;
        MainWindow window(&document);  // opens the bundled demo model, as a first start does
        window.setShowErrorDialogs(false);
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy loaded(&document, &SceneDocument::sceneChanged);
        document.open(QString::fromStdString(scene));
        QVERIFY(loaded.wait(kModelWaitMs));
        QPushButton* make = window.chatPanel()->makeFeaturesButton();
        QTRY_VERIFY_WITH_TIMEOUT(make->isVisible() && make->isEnabled(), kModelWaitMs);
        QVERIFY2(window.chatPanel()->statusLabel()->text().contains("gt proposals"),
                 qPrintable(window.chatPanel()->statusLabel()->text()));
        QSignalSpy ready(window.chatSession(), &ChatSession::sceneReady), made(window.chatSession(), &ChatSession::featuresMade),
            progress(window.chatSession(), &ChatSession::featuresProgress);
        QTest::mouseClick(make, Qt::LeftButton);
        QVERIFY2(ready.wait(kModelWaitMs), qPrintable(window.chatPanel()->statusLabel()->text()));
        QCOMPARE(made.size(), 1);
        QCOMPARE(made[0][0].toString().toStdString(), cache);
        QCOMPARE(made[0][1].toString(), QString("gt"));
        QVERIFY2(progress.size() >= 2, "no progress while the cache was made");
        QVERIFY(isCompleteFeatureCache(cache));
        QVERIFY(!make->isVisible());
        QVERIFY(!window.chatSession()->objects().empty());
        QVERIFY(window.chatSession()->canAsk());
    }

    void headlessAskWritesScreenshotAndJson() {
        const std::string png = path("ask.png"), json = path("ask.json"), plain = path("plain.png");
        std::string out, err;
        QVERIFY2(test::runInst3d({"view", scenePath(), "--model", run_ + "/checkpoint", "--ask", groundingQuestion(), "--screenshot", png,
                                  "--json", json, "--size", "640x400"}, &out, &err) == 0, err.c_str());
        QVERIFY2(out.find("A: ") != std::string::npos, out.c_str());
        const nlohmann::json j = nlohmann::json::parse(readTextFile(json));
        QVERIFY(j["object_ids"].is_array() && !j["object_ids"].empty());
        QCOMPARE(j["objects"][0]["id"].get<int>(), j["object_ids"][0].get<int>());
        QVERIFY(j["objects"][0]["box"]["center"].size() == 3 && j.contains("camera") && j["scene"] == "scene0000_00");
        QVERIFY2(test::runInst3d({"view", scenePath(), "--screenshot", plain, "--size", "640x400"}, &out, &err) == 0, err.c_str());
        const GreenCount asked = countGreen(QImage(QString::fromStdString(png)), QRectF());
        const GreenCount before = countGreen(QImage(QString::fromStdString(plain)), QRectF());
        qInfo("green pixels: %ld with the answer, %ld without", asked.outside, before.outside);
        QVERIFY(asked.outside > 200 && asked.outside > 10 * (before.outside + 1));
        // A missing cache is named with the place it was looked for.
        QCOMPARE(test::runInst3d({"view", scenePath(), "--model", run_ + "/checkpoint", "--ask", "hi", "--features", path("none.safetensors"),
                                  "--screenshot", path("none.png")}, &out, &err), 1);
        QVERIFY2(err.find("none.safetensors") != std::string::npos, err.c_str());
    }
};

QTEST_MAIN(TestChat)
#include "test_chat.moc"
