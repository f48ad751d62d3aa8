// Viewer benchmark (issue 3): frame rate of the 3D view while the camera rotates and at rest, on
// random colored point clouds in a 1280x800 view, with level of detail (inst3d) and without (VTK
// drawing every point, in a plain vtkRenderWindow: the peer figure); plus the time from process start
// to the first frame of the bundled demo scene in the full main window. Needs an X server:
//   xvfb-run -a -s "-screen 0 1920x1080x24" build/bench/inst3d_bench_viewer [--points 1000000,5000000]
//       [--frames 40] [--lod-points 200000] [--point-size 3] [--size 1280x800] [--full-res-motion]
// The LOD sample adapts to the frame rate as in the viewer (starting at 40,000 points, 40 frames to
// settle before measuring); --lod-points N fixes it at N instead (0: no LOD).
//       [--skip-plain-vtk] [--skip-demo]
// Motion frames are rendered at half resolution as a drag does (VtkView::setReducedResolution);
// --full-res-motion keeps them at full size, for comparison.
// Each rotation step is Azimuth(3 degrees) + a synchronous repaint + glFinish, so a frame counts only
// once llvmpipe has rasterized it and Qt has composed it into the window.
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QOpenGLContext>
#include <QOpenGLFunctions>

#include <vtkActor.h>
#include <vtkCamera.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>

#include "core/cli/command.h"
#include "core/config/config.h"
#include "render/scene_colors.h"
#include "render/scene_lod.h"
#include "render/scene_polydata.h"
#include "ui/main_window.h"
#include "ui/scene_document.h"
#include "ui/scene_view.h"

using namespace inst3d;
using Clock = std::chrono::steady_clock;

namespace {

const Clock::time_point kProcessStart = Clock::now();
double gVtkSeconds = 0;  // VTK's own share of the frames (vtkRenderWindow::Render), summed

struct Options {
    std::vector<long> points{1000000, 5000000};
    int frames = 40;
    size_t lodPoints = kDefaultLodPoints;
    double pointSize = 3;  // the viewer's default
    int width = 1280, height = 800;
    bool plainVtk = true;
    bool reducedMotion = true;
    bool adaptiveLod = true;  // the viewer's default; --lod-points N fixes the sample at N
    int settleFrames = 40;
    bool demo = true;
};

// N points uniform in an 8 x 6 x 3 m room, random RGB: the "random colored points".
std::shared_ptr<Scene> randomCloud(long n) {
    auto scene = std::make_shared<Scene>();
    scene->id = "random" + std::to_string(n);
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    scene->mesh.xyz.resize(size_t(n) * 3);
    scene->mesh.rgba.resize(size_t(n) * 4);
    for (long i = 0; i < n; ++i) {
        float* p = &scene->mesh.xyz[size_t(i) * 3];
        p[0] = 8 * u(rng), p[1] = 6 * u(rng), p[2] = 3 * u(rng);
        uint32_t c = rng();
        uint8_t* q = &scene->mesh.rgba[size_t(i) * 4];
        q[0] = uint8_t(c), q[1] = uint8_t(c >> 8), q[2] = uint8_t(c >> 16), q[3] = 255;
    }
    return scene;
}

struct Rate {
    double fps = 0;
    double vtkMs = 0;  // of each frame's time, what vtkRenderWindow::Render took (the rest: blit, Qt, X)
    double cpuMs = 0;  // CPU time of this process per frame, all threads (llvmpipe's too; not Xvfb's):
                       // unlike the frame rate, it hardly moves when other work shares the cores
};

double processCpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Frame rate of `step` (one rotated frame): at least 3 frames, at most `frames` or ~20 s.
Rate measure(int frames, const std::function<void()>& step) {
    step();  // warm-up: buffer uploads after a switch are not part of the steady rate
    gVtkSeconds = 0;
    QElapsedTimer t;
    t.start();
    const double cpu0 = processCpuSeconds();
    int done = 0;
    while (done < frames && (done < 3 || t.elapsed() < 20000)) {
        step();
        ++done;
    }
    return {done / (t.nsecsElapsed() * 1e-9), gVtkSeconds * 1000 / done, (processCpuSeconds() - cpu0) * 1000 / done};
}

// One rotated frame. repaint() paints synchronously; should Qt skip it (window not exposed yet), the
// step waits for the frame through the event loop so that every counted frame was really drawn.
void rotateAndPaint(SceneView& view) {
    vtkRenderer* r = view.sceneRenderer().renderer();
    r->GetActiveCamera()->Azimuth(3.0);
    r->ResetCameraClippingRange();
    bool rendered = false;
    auto c = QObject::connect(&view, &VtkView::frameRendered, [&](double seconds) {
        rendered = true;
        gVtkSeconds += seconds;
    });
    view.repaint();  // paintGL + composition into the window
    if (!rendered) view.update();
    while (!rendered) QApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    QObject::disconnect(c);
    view.makeCurrent();
    view.context()->functions()->glFinish();
    view.doneCurrent();
}

void waitForFirstFrame(VtkView& view) {
    bool rendered = false;
    auto c = QObject::connect(&view, &VtkView::frameRendered, [&] { rendered = true; });
    while (!rendered) QApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    QObject::disconnect(c);
}

void benchInst3d(long n, const Options& o) {
    SceneDocument document;
    SceneView view(&document);
    view.sceneRenderer().setLodPointBudget(o.lodPoints);
    view.setAdaptiveLod(o.adaptiveLod);
    document.setPointSize(o.pointSize);
    view.resize(o.width, o.height);
    view.show();
    waitForFirstFrame(view);
    document.setScene(randomCloud(n));
    SceneRenderer& r = view.sceneRenderer();
    view.setInteracting(true);  // as a drag does: the LOD sample, at reduced resolution
    if (!o.reducedMotion) view.setReducedResolution(false);
    // The adaptive sample settles first (a decision every 5 frames), as it has during a real drag.
    for (int i = 0; o.adaptiveLod && i < o.settleFrames; ++i) rotateAndPaint(view);
    const long long lodDrawn = r.drawnPoints();
    const Rate motion = measure(o.frames, [&] { rotateAndPaint(view); });
    const long long lodDrawnAfter = r.drawnPoints();
    const QSize motionSize = view.lastFrameRenderSize();
    view.setInteracting(false);
    const Rate rest = measure(o.frames, [&] { rotateAndPaint(view); });
    const QSize restSize = view.lastFrameRenderSize();
    std::printf("inst3d   %9ld points  motion %6.2f fps (%lld%s drawn at %dx%d, VTK %.0f ms/frame, CPU %.0f ms/frame)  "
                "rest %6.2f fps (all drawn at %dx%d, VTK %.0f ms/frame, CPU %.0f ms/frame)  [%s]\n",
                n, motion.fps, lodDrawn,
                lodDrawnAfter != lodDrawn ? (" -> " + std::to_string(lodDrawnAfter)).c_str() : (o.adaptiveLod ? " adaptive" : ""),
                motionSize.width(), motionSize.height(), motion.vtkMs, motion.cpuMs, rest.fps,
                restSize.width(), restSize.height(), rest.vtkMs, rest.cpuMs, qPrintable(view.glRenderer()));
    std::fflush(stdout);
}

// The peer: VTK alone drawing every point, the way a plain VTK viewer does (no LOD, no Qt).
void benchPlainVtk(long n, const Options& o) {
    auto scene = randomCloud(n);
    auto poly = makeScenePolyData(*scene, vertexColors(*scene, ColorMode::Rgb));
    auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    mapper->SetInputData(poly);
    mapper->SetColorModeToDirectScalars();
    auto actor = vtkSmartPointer<vtkActor>::New();
    actor->SetMapper(mapper);
    actor->GetProperty()->SetPointSize(static_cast<float>(o.pointSize));
    auto renderer = vtkSmartPointer<vtkRenderer>::New();
    renderer->AddActor(actor);
    auto window = vtkSmartPointer<vtkRenderWindow>::New();
    window->SetSize(o.width, o.height);
    window->SetMultiSamples(0);  // as the viewer does on llvmpipe; VTK's default 8x MSAA is far slower
    window->AddRenderer(renderer);
    renderer->ResetCamera();
    const Rate rate = measure(o.frames, [&] {
        renderer->GetActiveCamera()->Azimuth(3.0);
        renderer->ResetCameraClippingRange();
        window->Render();
        window->WaitForCompletion();
    });
    std::printf("plainVTK %9ld points  motion %6.2f fps (all drawn, CPU %.0f ms/frame)\n", n, rate.fps, rate.cpuMs);
    std::fflush(stdout);
    window->Finalize();
}

// From process start to the first frame showing the demo scene in the main window, as `inst3d`
// with no argument does (QApplication and window creation, background load, first render).
void benchDemoFirstFrame() {
    SceneDocument document;
    MainWindow window(&document);
    window.setShowErrorDialogs(false);
    window.resize(1280, 800);
    window.show();
    bool loaded = false, failed = false;
    QObject::connect(&document, &SceneDocument::sceneChanged, [&] { loaded = true; });
    QObject::connect(&document, &SceneDocument::loadFailed, [&] { failed = true; });
    double firstFrame = 0;
    QObject::connect(window.sceneView(), &VtkView::frameRendered, [&] {
        if (loaded && firstFrame == 0) firstFrame = std::chrono::duration<double>(Clock::now() - kProcessStart).count();
    });
    document.open(QString::fromStdString(demoScenePath()));
    while (firstFrame == 0 && !failed) QApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    if (failed) {
        std::printf("demo     could not load %s\n", demoScenePath().c_str());
        return;
    }
    auto scene = document.scene();
    std::printf("demo     first frame %.3f s after process start (%zu vertices, %zu faces)\n", firstFrame,
                scene->mesh.numVertices(), scene->mesh.numFaces());
    std::fflush(stdout);
}

std::vector<long> parseList(const std::string& text) {
    std::vector<long> out;
    for (const QString& part : QString::fromStdString(text).split(',', Qt::SkipEmptyParts)) out.push_back(part.toLong());
    return out;
}

// Options from the command line (ArgParser, as the verbs); the defaults are the Options ones.
Options parseOptions(const std::vector<std::string>& argv, bool& help) {
    Options o;
    ArgParser args("inst3d_bench_viewer", "Frame rates of the 3D view with and without level of detail, and the\n"
                                          "time to the first frame of the demo scene (needs an X server).");
    args.option("points", "N,M", "random clouds to draw", "1000000,5000000")
        .option("frames", "F", "rotated frames per measurement", std::to_string(o.frames))
        .option("lod-points", "P", "fix the LOD sample at P points (0: no LOD) instead of adapting it")
        .option("point-size", "PX", "point size", "3")
        .option("size", "WxH", "view size", "1280x800")
        .flag("full-res-motion", "render motion frames at full resolution")
        .flag("skip-plain-vtk", "skip the plain vtkRenderWindow peer")
        .flag("skip-demo", "skip the demo scene's time to first frame");
    help = !args.parse(argv);
    if (help) return o;
    o.points = parseList(args.get("points"));
    o.frames = args.getInt("frames");
    if (args.has("lod-points")) o.lodPoints = size_t(args.getInt("lod-points")), o.adaptiveLod = false;
    o.pointSize = args.getDouble("point-size");
    if (std::sscanf(args.get("size").c_str(), "%dx%d", &o.width, &o.height) != 2)
        throw UsageError("--size expects WxH, got '" + args.get("size") + "'");
    o.reducedMotion = !args.has("full-res-motion");
    o.plainVtk = !args.has("skip-plain-vtk");
    o.demo = !args.has("skip-demo");
    return o;
}

int runBench(int argc, char** argv, const Options& options) {
    // Never read or write the user's viewer settings (window layout, theme) from a benchmark.
    qputenv("INST3D_SETTINGS", QDir::temp().filePath("inst3d_bench_viewer.ini").toUtf8());
    qputenv("QT_QPA_PLATFORM", "xcb");
    QApplication app(argc, argv);
    if (options.demo) benchDemoFirstFrame();  // first: it measures a fresh process
    for (long n : options.points) {
        benchInst3d(n, options);
        if (options.plainVtk) benchPlainVtk(n, options);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return runProgram("inst3d_bench_viewer", argc, argv, [&](const std::vector<std::string>& args) {
        bool help = false;
        const Options options = parseOptions(args, help);
        return help ? 0 : runBench(argc, argv, options);
    });
}
