#include "ui/ui_commands.h"

#include <iomanip>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include <QApplication>
#include <QFileInfo>
#include <QLineEdit>
#include <QStatusBar>
#include <QTimer>
#include <QtGlobal>

#include <vtkCamera.h>
#include <vtkNew.h>
#include <vtkRenderer.h>
#include <vtkVersion.h>

#include "core/cli/command.h"
#include "core/cli/info.h"
#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/config/config.h"
#include "core/io/scene_loader.h"
#include "render/camera_text.h"
#include "render/screenshot.h"
#include "core/features/feature_cache.h"
#include "ui/chat_panel.h"
#include "ui/chat_session.h"
#include "ui/display_probe.h"
#include "ui/main_window.h"
#include "ui/scene_document.h"
#include "ui/scene_view.h"
#include "ui/viewer_settings.h"

namespace inst3d {
namespace {

struct ViewRequest {
    std::string path;
    bool isDefaultPath = false;
    std::string screenshot;  // empty: interactive
    ColorMode colorMode = ColorMode::Rgb;
    int width = 1280, height = 800;
    double pointSize = 3.0;
    double scoreThreshold = 0.0;
    int selectId = -1;
    std::string camera;
    // --ask: one question to a checkpoint over the scene's feature cache, its objects highlighted.
    std::string ask, model, features, json;
    int maxTokens = 64;
};

void parseSize(const std::string& text, int& width, int& height) {
    size_t x = text.find_first_of("xX");
    try {
        size_t used = 0;
        if (x == std::string::npos) throw std::invalid_argument("no x");
        width = std::stoi(text.substr(0, x), &used);
        if (used != x) throw std::invalid_argument("width");
        height = std::stoi(text.substr(x + 1), &used);
        if (used != text.size() - x - 1) throw std::invalid_argument("height");
    } catch (const std::exception&) {
        throw UsageError("--size expects WIDTHxHEIGHT, e.g. 1280x800, got '" + text + "'");
    }
    if (width < 16 || height < 16 || width > 16384 || height > 16384)
        throw UsageError("--size " + text + " is out of range (16..16384 per side)");
}

// Returns false when --help was printed.
bool parseViewArgs(const std::vector<std::string>& argv, ViewRequest& r) {
    ArgParser args("inst3d view",
                   "Opens a scene in the 3D viewer (left drag rotate, middle drag pan, wheel zoom).\n"
                   "PATH is a ScanNet scene folder or a PLY/OBJ mesh or point cloud (default: the demo scene).\n"
                   "With --screenshot, renders one image and exits (needs an X server; xvfb-run works).\n"
                   "Without a display, prints the scene summary of `inst3d info` instead.");
    args.positional("PATH", "scene folder or mesh file", false)
        .option("screenshot", "FILE", "render to a .png (or .jpg) and exit instead of opening a window")
        .option("color-mode", "MODE", "rgb, instances, proposals or semantic", "rgb")
        .option("score-threshold", "S", "proposals mode: hide proposals scoring below S (0..1)", "0")
        .option("select", "ID", "highlight and frame instance ID (its object id)", "-1")
        .option("camera", "TEXT", "viewpoint as Edit > Copy Viewpoint writes it: 'position=X,Y,Z focal=X,Y,Z up=X,Y,Z angle=DEG'")
        .option("size", "WxH", "window or image size in pixels", "1280x800")
        .option("point-size", "PX", "point size for point clouds", "3")
        .option("ask", "QUESTION", "ask the model about the scene: the answer is printed, its objects tinted and framed\n"
                "(with --screenshot: in the image; in a window: in the chat panel)")
        .option("model", "DIR", "inst3d checkpoint folder for --ask and the chat panel (default: the bundled demo model)")
        .option("features", "FILE", "the scene's feature cache (default: found beside the scene, as inst3d extract writes it)")
        .option("json", "FILE", "with --ask: write question, answer, grounded objects with boxes and the camera as JSON")
        .option("max-tokens", "N", "with --ask: longest answer in tokens", "64");
    if (!args.parse(argv)) return false;
    r.isDefaultPath = !args.has("PATH");
    r.path = r.isDefaultPath ? demoScenePath() : sceneFolderOf(args.get("PATH"));  // a file manager's .sens or mesh
    r.screenshot = args.get("screenshot");
    try {
        r.colorMode = colorModeFromString(args.get("color-mode"));
    } catch (const Error& e) {
        throw UsageError("--color-mode: " + std::string(e.what()));
    }
    parseSize(args.get("size"), r.width, r.height);
    r.scoreThreshold = args.getDouble("score-threshold");
    if (r.scoreThreshold < 0 || r.scoreThreshold > 1) throw UsageError("--score-threshold must be between 0 and 1");
    r.selectId = args.getInt("select");
    r.camera = args.get("camera");
    if (!r.camera.empty()) {
        vtkNew<vtkCamera> probe;  // check the text now: a typo is a usage error, not a render failure
        try {
            applyCameraText(r.camera, probe);
        } catch (const Error& e) {
            throw UsageError("--camera: " + std::string(e.problem()));
        }
    }
    r.ask = args.get("ask");
    r.model = args.get("model");
    r.features = args.get("features");
    r.json = args.get("json");
    r.maxTokens = args.getInt("max-tokens");
    if (r.maxTokens < 1) throw UsageError("--max-tokens must be at least 1");
    if (!r.json.empty() && r.ask.empty()) throw UsageError("--json writes an answer: give --ask QUESTION too");
    r.pointSize = args.getDouble("point-size");
    if (r.pointSize < 1 || r.pointSize > 20) throw UsageError("--point-size must be between 1 and 20");
    return true;
}

std::shared_ptr<const Scene> loadWithProgress(const ViewRequest& r) {
    if (r.isDefaultPath && !fileExists(r.path) && !isDirectory(r.path))
        fail(r.path, "no PATH given and the bundled demo scene is not installed here");
    ProgressBar bar("load");
    LoadOptions options;
    options.progress = [&bar](double f, const std::string& m) { return bar.update(f, m); };
    auto scene = std::make_shared<Scene>(loadScene(r.path, options));
    bar.done();
    return scene;
}

std::string chatModelPath(const ViewRequest& r) {
    if (!r.model.empty()) return r.model;
    const std::string demo = bundledModelPath();
    if (demo.empty()) throw UsageError("--ask needs --model CHECKPOINT_DIR (inst3d train's RUN/checkpoint): this install has no bundled demo model");
    return demo;
}

std::string sceneFeaturesPath(const ViewRequest& r, const Scene& scene) {
    if (!r.features.empty()) return r.features;
    const std::string found = findFeatureCache(r.path, scene.id);
    if (found.empty())
        fail(featureCacheCandidates(r.path, scene.id).back(),
             "no feature cache for scene " + scene.id + " here or beside the scene; make one with inst3d extract, or give --features");
    return found;
}

// The answer streams to stdout, then one line per grounded object.
GroundedAnswer askHeadless(const ViewRequest& r, const Scene& scene) {
    const std::string features = sceneFeaturesPath(r, scene);
    std::cout << "Q: " << r.ask << "\nA: " << std::flush;
    GroundedAnswer a = askOnce(chatModelPath(r), features, scene.mesh.numVertices(), r.ask, r.maxTokens, [](const std::string& piece) {
        std::cout << piece << std::flush;
        return true;
    });
    std::cout << "\n";
    for (size_t i = 0; i < a.objects.size(); ++i) {
        const Vec3 c = a.objects[i].box.center();
        std::cout << "  <OBJ" << std::setw(3) << std::setfill('0') << a.objects[i].identifier << std::setfill(' ') << "> "
                  << (a.labels[i].empty() ? "(no label)" : a.labels[i]) << " at (" << c.x << ", " << c.y << ", " << c.z << ")\n";
    }
    return a;
}

void writeAnswerJson(const ViewRequest& r, const Scene& scene, const std::string& model, const GroundedAnswer& a,
                     const std::string& camera) {
    nlohmann::json j = answerJson(r.ask, a);
    j["scene"] = scene.id;
    j["model"] = model;
    if (!camera.empty()) j["camera"] = camera;
    if (!r.screenshot.empty()) j["screenshot"] = r.screenshot;
    writeFileAtomic(r.json, j.dump(2) + "\n");
    std::cout << "wrote " << r.json << "\n";
}

int printHeadless(const ViewRequest& r, const DisplayStatus& display) {
    auto scene = loadWithProgress(r);
    if (!r.ask.empty()) {  // the answer needs no display: only its picture does
        const GroundedAnswer a = askHeadless(r, *scene);
        if (!r.json.empty()) writeAnswerJson(r, *scene, chatModelPath(r), a, "");
        return 0;
    }
    std::cout << describeScene(*scene);
    std::cerr << "inst3d view: the 3D viewer needs a display (" << display.reason
              << ").\nRun it on a desktop, or render an image with: xvfb-run -a inst3d view "
              << (r.isDefaultPath ? "" : "PATH ") << "--screenshot out.png\n"
              << "Talk with the scene in the terminal: inst3d chat " << r.path
              << "\n  one question, as JSON: --ask 'Which object matches the description \"this is a red lamp.\"? Give its ID.' --json\n";
    return 0;
}

int takeScreenshot(const ViewRequest& r, const DisplayStatus& display) {
    if (!display.canRenderVtk) {
        std::cerr << "inst3d view: cannot render " << r.screenshot << ": " << display.reason
                  << ".\nVTK needs an X server here; run: xvfb-run -a inst3d view ... --screenshot "
                  << r.screenshot << "\n";
        return 1;
    }
    auto scene = loadWithProgress(r);
    ScreenshotOptions options;
    options.width = r.width;
    options.height = r.height;
    options.colorMode = r.colorMode;
    options.pointSize = r.pointSize;
    options.scoreThreshold = r.scoreThreshold;
    options.selectId = r.selectId;
    options.camera = r.camera;
    GroundedAnswer answer;
    if (!r.ask.empty()) {
        answer = askHeadless(r, *scene);
        options.grounded = answer.objects;
    }
    std::string camera;
    options.usedCamera = &camera;
    renderScreenshot(scene, options, r.screenshot);
    std::cout << "wrote " << r.screenshot << " (" << r.width << "x" << r.height << ")\n";
    if (!r.json.empty()) writeAnswerJson(r, *scene, chatModelPath(r), answer, camera);
    return 0;
}

constexpr int kSettleMs = 50;

// --ask in the window: the question goes through the chat panel once the model has the scene's objects.
void askInWindow(MainWindow& window, const ViewRequest& r) {
    const QString question = QString::fromStdString(r.ask);
    QObject::connect(window.chatSession(), &ChatSession::sceneReady, &window, [&window, question] {
        window.chatPanel()->input()->setText(question);
        window.chatPanel()->send();
    }, Qt::SingleShotConnection);
    if (r.json.empty()) return;
    QObject::connect(window.chatSession(), &ChatSession::turnFinished, &window, [&window, r](int index) {
        // Once the camera has flown to the answer, so the JSON has the camera the window shows.
        QTimer::singleShot(SceneView::kFlightMs + kSettleMs, &window, [&window, r, index] {
            ChatSession* chat = window.chatSession();
            auto scene = window.document()->scene();
            if (scene && index < chat->turns().size())
                writeAnswerJson(r, *scene, chat->modelPath().toStdString(), chat->groundTurn(chat->turns()[index]),
                                window.sceneView()->cameraText().toStdString());
        });
    }, Qt::SingleShotConnection);
}

int runViewerWindow(const ViewRequest& r) {
    // QApplication keeps references to argc/argv for its whole life.
    int argc = 1;
    char name[] = "inst3d";
    char* argv[] = {name, nullptr};
    QApplication app(argc, argv);
    QApplication::setApplicationName("inst3d");
    QApplication::setApplicationDisplayName("Inst3D");

    SceneDocument document;
    document.setColorMode(r.colorMode);
    document.setPointSize(r.pointSize);
    document.setScoreThreshold(r.scoreThreshold);
    MainWindow window(&document);
    window.resize(r.width, r.height);
    window.show();
    QString path = QString::fromStdString(r.path);
    ViewerSettings settings;
    if (r.isDefaultPath && settings.restoreLastScene() && !settings.recentScenes().isEmpty())
        path = settings.recentScenes().first();  // the user chose this in File > Reopen Last Scene on Start
    if (r.isDefaultPath && !QFileInfo::exists(path))
        window.statusBar()->showMessage(QObject::tr("The demo scene is not installed (%1). Use File > Open.").arg(path));
    else
        document.open(path);
    if (!r.model.empty()) window.openModel(QString::fromStdString(r.model));
    if (!r.ask.empty()) askInWindow(window, r);
    // --select and --camera apply to the scene once it is loaded, as a user would set them.
    QObject::connect(&document, &SceneDocument::sceneChanged, &window, [&document, &window, r] {
        if (r.selectId >= 0) document.setSelectedInstance(r.selectId);
        if (!r.camera.empty()) window.sceneView()->setCameraText(r.camera);
    }, Qt::SingleShotConnection);
    return app.exec();
}

int runView(const std::vector<std::string>& argv) {
    ViewRequest request;
    if (!parseViewArgs(argv, request)) return 0;
    DisplayStatus display = probeDisplay();
    if (!request.screenshot.empty()) return takeScreenshot(request, display);
    if (!display.canShowWindows) return printHeadless(request, display);
    return runViewerWindow(request);
}

}  // namespace

void registerUiCommands(CommandRegistry& registry) {
    registry.addVersionLine([] { return std::string("Qt ") + qVersion() + ", VTK " + vtkVersion::GetVTKVersion(); });
    registry.add({"view", "open a scene in the 3D viewer (or --screenshot it to a PNG)", runView});
}

}  // namespace inst3d
