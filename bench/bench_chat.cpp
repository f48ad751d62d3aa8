// Chat panel benchmark (issue 15): in the full main window, the time from Enter to the first streamed piece
// of the answer and to the highlight of its objects in 3D (median over the questions), and the frame rate
// the 3D view keeps while answers are generated on the same CPUs (the view is asked to repaint every
// frame interval; each frame is rotated a little, as a user dragging the camera would). Needs an X server:
//   xvfb-run -a -s "-screen 0 1920x1080x24" build/bench/inst3d_bench_chat --model RUN/checkpoint
//       --scene W/scans/scene0000_00 [--questions 20] [--size 1280x800]
// The scene's feature cache is found as the viewer finds it (W/features/ for W/scans/<scene>).
#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <QApplication>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QEventLoop>
#include <QTimer>

#include <vtkCamera.h>
#include <vtkRenderer.h>

#include "core/cli/command.h"
#include "core/common/error.h"
#include "core/data/instructions.h"
#include "ui/chat_panel.h"
#include "ui/chat_session.h"
#include "ui/main_window.h"
#include "ui/scene_document.h"
#include "ui/scene_view.h"

using namespace inst3d;

namespace {

constexpr int kLoadTimeoutMs = 600000;
constexpr int kAnswerTimeoutMs = 120000;
constexpr int kRepaintIntervalMs = 16;   // ask for ~60 fps; what the view reaches is the figure
constexpr double kDragDegreesPerFrame = 2;

struct Options {
    std::string model, scene;
    int questions = 20;
    int answerTokens = 0;
    int threads = 0;       // > 0: generation threads (default: the panel's, every CPU but one)  // > 0: every answer exactly this long (EOS banned), so the frame rate is measured under load
    int width = 1280, height = 800;
};

// Calls `trigger`, then runs the event loop until `signal` of `sender` fires (true) or the timeout passes.
template <typename Sender, typename Signal>
bool runUntil(Sender* sender, Signal signal, const std::function<void()>& trigger, int timeoutMs) {
    QEventLoop loop;
    bool fired = false;
    auto c = QObject::connect(sender, signal, &loop, [&] {
        fired = true;
        loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    trigger();
    if (!fired) loop.exec();
    QObject::disconnect(c);
    return fired;
}

struct Timing {
    double firstPieceMs = -1, highlightMs = -1, answerMs = 0;
    int frames = 0;
};

double median(std::vector<double> v) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// One question through the panel, as Enter does; frames counted while it is answered.
Timing askTimed(MainWindow& window, const QString& question) {
    Timing t;
    QElapsedTimer clock;
    SceneView* view = window.sceneView();
    auto c1 = QObject::connect(window.chatSession(), &ChatSession::turnUpdated, [&] {
        if (t.firstPieceMs < 0) t.firstPieceMs = clock.nsecsElapsed() / 1e6;
    });
    auto c2 = QObject::connect(window.document(), &SceneDocument::groundedObjectsChanged, [&] {
        if (t.highlightMs < 0 && !window.document()->groundedObjects().empty()) t.highlightMs = clock.nsecsElapsed() / 1e6;
    });
    auto c3 = QObject::connect(view, &VtkView::frameRendered, [&] { ++t.frames; });
    QTimer drag;
    QObject::connect(&drag, &QTimer::timeout, [view] {
        view->sceneRenderer().renderer()->GetActiveCamera()->Azimuth(kDragDegreesPerFrame);
        view->update();
    });
    window.chatPanel()->input()->setText(question);
    runUntil(window.chatSession(), &ChatSession::turnFinished, [&] {
        clock.start();
        drag.start(kRepaintIntervalMs);
        window.chatPanel()->send();
    }, kAnswerTimeoutMs);
    t.answerMs = clock.nsecsElapsed() / 1e6;
    drag.stop();
    for (auto c : {c1, c2, c3}) QObject::disconnect(c);
    return t;
}

std::vector<QString> questions(int n) {
    const PromptTemplates t = PromptTemplates::loadDefault();
    const char* things[] = {"chair", "table", "bed", "lamp", "sofa", "cabinet", "desk", "shelf"};
    std::vector<QString> out;
    for (int i = 0; i < n; ++i) {
        std::string q = t.grounding[size_t(i) % t.grounding.size()];
        q.replace(q.find("<description>"), 13, std::string("this is a ") + things[i % 8]);
        out.push_back(QString::fromStdString(q));
    }
    return out;
}

int run(const Options& o) {
    int argc = 1;
    char name[] = "inst3d_bench_chat";
    char* argv[] = {name, nullptr};
    QApplication app(argc, argv);
    SceneDocument document;
    MainWindow window(&document);
    window.setShowErrorDialogs(false);
    window.resize(o.width, o.height);
    window.show();
    if (!runUntil(&document, &SceneDocument::sceneChanged, [&] { document.open(QString::fromStdString(o.scene)); }, kLoadTimeoutMs))
        fail(o.scene, "the scene did not load");
    if (!runUntil(window.chatSession(), &ChatSession::sceneReady, [&] { window.openModel(QString::fromStdString(o.model)); }, kLoadTimeoutMs))
        fail(o.model, "the model did not get the scene's objects: " + window.chatPanel()->statusLabel()->text().toStdString());
    if (o.threads > 0) window.chatSession()->setThreads(o.threads);
    std::printf("| generation threads | %d |\n", window.chatSession()->threads());
    if (o.answerTokens > 0) {
        GenerationConfig gen = chatGeneration(o.answerTokens);
        gen.minNewTokens = o.answerTokens;
        window.chatSession()->setGeneration(gen);
    }
    std::vector<double> first, highlight, fps, answer;
    int grounded = 0;
    for (const QString& q : questions(o.questions)) {
        const Timing t = askTimed(window, q);
        if (t.firstPieceMs >= 0) first.push_back(t.firstPieceMs);
        if (t.highlightMs >= 0) highlight.push_back(t.highlightMs), ++grounded;
        fps.push_back(t.frames / (t.answerMs / 1000.0));
        answer.push_back(t.answerMs);
    }
    std::printf("| questions | %d (%d answers named an object) |\n", o.questions, grounded);
    std::printf("| Enter -> first streamed piece, median | %.0f ms |\n", median(first));
    std::printf("| Enter -> highlight in 3D, median | %.0f ms |\n", median(highlight));
    std::printf("| view frame rate while answering, median | %.1f fps (%dx%d, repaint asked every %d ms) |\n", median(fps), o.width,
                o.height, kRepaintIntervalMs);
    std::printf("| answer time, median | %.0f ms%s |\n", median(answer), o.answerTokens ? (" (" + std::to_string(o.answerTokens) + " tokens each)").c_str() : "");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return runProgram("inst3d_bench_chat", argc, argv, [](const std::vector<std::string>& args) {
        Options o;
        ArgParser p("inst3d_bench_chat", "Chat panel latency and the view's frame rate while answering (needs an X server).");
        p.option("model", "DIR", "inst3d checkpoint folder").option("scene", "DIR", "scene folder with a feature cache beside it")
            .option("questions", "N", "questions asked", "20").option("size", "WxH", "window size", "1280x800")
            .option("threads", "N", "generation threads (default: every CPU but one, as the panel)", "0")
            .option("answer-tokens", "N", "make every answer N tokens long (EOS banned), to measure the view under load", "0");
        if (!p.parse(args)) return 0;
        o.model = p.get("model");
        o.scene = p.get("scene");
        o.questions = p.getInt("questions");
        o.answerTokens = p.getInt("answer-tokens");
        o.threads = p.getInt("threads");
        if (o.model.empty() || o.scene.empty()) throw UsageError("--model and --scene are required");
        if (std::sscanf(p.get("size").c_str(), "%dx%d", &o.width, &o.height) != 2) throw UsageError("--size expects WxH");
        return run(o);
    });
}
