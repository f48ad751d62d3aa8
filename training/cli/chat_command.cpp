// `inst3d chat`: questions about one scene in the terminal, answered by an Inst3D model over the scene's
// feature cache (found or made, training/model_bundle.h) or by Chat-Scene's released checkpoint over its
// feature files (training/scene_chat.h). `--ask Q --json` answers once as JSON for scripts and tests.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>

#include "core/cli/command.h"
#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/config/config.h"
#include "core/data/answer_parser.h"
#include "core/eval/box_json.h"
#include "core/features/feature_cache.h"
#include "models/weights/torch_runtime.h"
#include "training/model_bundle.h"
#include "training/scene_chat.h"

namespace inst3d {

namespace {

constexpr const char* kCacheSuffix = ".features.safetensors";

struct ChatOptions {
    bool chatScene = false;
    std::string featuresDir;       // --scene ID form: the caches' folder (or one cache file)
    std::optional<ModelBundle> model;
    GenerationConfig gen;
};

bool isCacheFile(const std::string& path) {
    return path.size() > std::string(kCacheSuffix).size() &&
           path.compare(path.size() - std::string(kCacheSuffix).size(), std::string::npos, kCacheSuffix) == 0;
}

// The --scene ID form: a cache file, or <folder>/<scene>.features.safetensors.
std::string cacheOfSceneId(const ChatOptions& o, const std::string& scene) {
    if (fileExists(o.featuresDir) && !isDirectory(o.featuresDir)) return o.featuresDir;
    const std::string path = joinPath(o.featuresDir, scene + kCacheSuffix);
    if (!fileExists(path)) fail(path, "no feature cache for scene '" + scene + "' (inst3d extract writes one per scene)");
    return path;
}

// SCENE: a cache file as it is; a scene folder or mesh file through its cache, found or made.
std::string cacheOfScenePath(const ChatOptions& o, const std::string& scene, bool quiet) {
    if (isCacheFile(scene)) return scene;
    std::optional<ProgressBar> bar;  // shown only when a cache is being made
    auto progress = [&](double f, const std::string& what) {
        if (quiet) return true;
        if (!bar) bar.emplace("features");
        return bar->update(f, what);
    };
    const std::string cache = featureCacheFor(*o.model, scene, progress);
    if (bar) bar->done();
    return cache;
}

// What setScene takes for a scene named at the prompt or on the command line.
std::string sceneArgument(const ChatOptions& o, const std::string& scene, bool quiet) {
    if (o.chatScene) return scene;
    if (!o.featuresDir.empty() && !fileExists(scene) && !isDirectory(scene)) return cacheOfSceneId(o, scene);
    return cacheOfScenePath(o, scene, quiet);
}

const ChatObject* objectById(const SceneChat& chat, int id) {
    for (const ChatObject& o : chat.objects())
        if (o.id == id) return &o;
    return nullptr;
}

void printObjects(const SceneChat& chat) {
    std::printf("%s: %zu objects shown to the model:", chat.sceneId().c_str(), chat.objects().size());
    for (const ChatObject& o : chat.objects()) std::printf(" %s%s%s", objectToken(o.id).c_str(), o.label.empty() ? "" : " ", o.label.c_str());
    std::printf("\n");
}

// The answer streamed, then the objects it names (what the viewer lights up) with their boxes.
void answer(SceneChat& chat, const std::string& question, const GenerationConfig& gen) {
    const ChatReply r = chat.ask(question, gen, [](const std::string& piece) {
        std::fputs(piece.c_str(), stdout);
        std::fflush(stdout);
        return true;
    });
    std::printf("\n");
    for (int id : r.objectIds) {
        const ChatObject* o = objectById(chat, id);
        const std::string box = o && !o->box.empty() ? "  " + boxText(o->box) : "";
        std::printf("  -> %s %s%s\n", objectToken(id).c_str(), o ? o->label.c_str() : "", box.c_str());
    }
    for (int id : r.unknownIds) std::printf("  -> %s is not an object of this scene\n", objectToken(id).c_str());
}

struct LoadTimes {
    double model = 0, scene = 0;  // seconds: opening the model; finding or making the cache + encoding the objects
};

nlohmann::ordered_json answerJson(const SceneChat& chat, const std::string& question, const ChatReply& r,
                                  const std::string& cache, const LoadTimes& load) {
    nlohmann::ordered_json objects = nlohmann::ordered_json::array();
    for (int id : r.objectIds) {
        const ChatObject* o = objectById(chat, id);
        nlohmann::ordered_json entry = {{"id", id}, {"token", objectToken(id)}, {"label", o ? o->label : ""}};
        if (o && !o->box.empty()) entry["box"] = boxJson(o->box);
        objects.push_back(entry);
    }
    const double decodeSeconds = r.totalSeconds - r.promptSeconds;
    return {{"scene", chat.sceneId()},
            {"features", cache},
            {"question", question},
            {"answer", r.text},
            {"object_ids", r.objectIds},
            {"unknown_ids", r.unknownIds},
            {"objects", objects},
            {"timings",
             {{"first_token_s", r.promptSeconds},
              {"grounded_s", r.groundedSeconds < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.groundedSeconds)},
              {"total_s", r.totalSeconds},
              {"tokens", r.tokens},
              {"decode_tokens_per_s", r.tokens > 1 && decodeSeconds > 0 ? double(r.tokens - 1) / decodeSeconds : 0.0},
              {"load_model_s", load.model},
              {"load_scene_s", load.scene}}}};
}

constexpr const char* kReplHelp = "Ask about the scene. /objects lists them, /scene PATH switches scene, /reset forgets the "
                                  "conversation, /quit ends (':' works too).";

// A line's command word with either prefix ("/reset", ":reset"), "" for a question.
std::string commandOf(const std::string& line) {
    if (line.empty() || (line[0] != '/' && line[0] != ':')) return "";
    return line.substr(1, line.find(' ') == std::string::npos ? std::string::npos : line.find(' ') - 1);
}

// Lines from stdin: a question, or a command.
void repl(SceneChat& chat, const ChatOptions& o) {
    std::printf("%s\n", kReplHelp);
    for (std::string line; std::printf("> "), std::fflush(stdout), std::getline(std::cin, line);) {
        if (line.empty()) continue;
        const std::string cmd = commandOf(line);
        if (cmd == "quit" || cmd == "q" || cmd == "exit") break;
        try {
            if (cmd == "objects") printObjects(chat);
            else if (cmd == "reset") {
                chat.reset();
                std::printf("(conversation cleared)\n");
            } else if (cmd == "scene" && line.size() > 7) {
                chat.setScene(sceneArgument(o, line.substr(7), false));
                printObjects(chat);
            } else if (!cmd.empty()) std::printf("%s\n", kReplHelp);
            else answer(chat, line, o.gen);
        } catch (const Error& e) {
            std::fprintf(stderr, "error: %s\n", e.what());  // a bad scene keeps the session going
        }
    }
}

// --model DIR, --checkpoint DIR (the same), else the bundled demo model.
ModelBundle chosenModel(const ArgParser& args) {
    if (args.has("model") && args.has("checkpoint")) throw UsageError("give --model or --checkpoint, not both");
    const std::string dir = args.has("model") ? args.get("model") : args.has("checkpoint") ? args.get("checkpoint") : bundledModelDir();
    if (dir.empty())
        throw UsageError("no model: the bundled demo model (" + joinPath(resourceDir(), "models/demo") +
                         ") is not installed; give --model DIR (a model bundle or inst3d train's run/checkpoint)");
    return openModelBundle(dir);
}

std::unique_ptr<SceneChat> openChat(const ArgParser& args, ChatOptions& o) {
    o.chatScene = args.has("chat-scene");
    const std::string device = args.get("device");
    if (!o.chatScene) {
        if (args.has("scene") && !args.has("features"))
            throw UsageError("--scene ID needs --features DIR (the feature caches of inst3d extract); or give the scene folder as SCENE");
        o.featuresDir = args.get("features");
        o.model = chosenModel(args);
        return SceneChat::openInst3d(o.model->checkpointDir, device);
    }
    if (args.has("model") || args.has("checkpoint")) throw UsageError("--chat-scene takes no --model / --checkpoint");
    for (const char* k : {"llm", "feats-3d", "feats-2d", "scene"})
        if (!args.has(k)) throw UsageError(std::string("--chat-scene needs --") + k);
    return SceneChat::openChatScene(args.get("chat-scene"), args.get("llm"), args.get("feats-3d"), args.get("feats-2d"), device);
}

// The first scene: --scene ID (with --features), else SCENE (default: the bundled demo scene).
std::string firstScene(const ArgParser& args, const ChatOptions& o, bool quiet) {
    if (args.has("scene")) return sceneArgument(o, args.get("scene"), quiet);
    const std::string scene = args.has("SCENE") ? args.get("SCENE") : demoScenePath();
    if (!o.featuresDir.empty()) return isDirectory(o.featuresDir) ? cacheOfSceneId(o, baseName(scene)) : o.featuresDir;
    return cacheOfScenePath(o, scene, quiet);
}

ArgParser chatArguments() {
    ArgParser args("inst3d chat",
                   "Ask questions about a scene. Answers stream as they are generated; the objects they name are\n"
                   "listed after each one with their boxes. Without --ask, reads questions from the terminal and\n"
                   "keeps the conversation (/reset forgets it). The model is the bundled demo model unless --model\n"
                   "names another; the scene's feature cache is found beside it or made with the model's encoders.\n"
                   "  inst3d chat                                   # the demo scene and model\n"
                   "  inst3d chat w/scans/scene0003_00 --ask \"Where is the lamp?\" --json\n"
                   "  inst3d chat --model run/checkpoint --features w/features --scene scene0000_00\n"
                   "  inst3d chat --chat-scene ckpt.pth --llm vicuna-7b-v1.5 --feats-3d scannet_mask3d_uni3d_feats.pt \\\n"
                   "              --feats-2d scannet_mask3d_videofeats.pt --scene scene0011_00 --ask \"Where is the sofa?\"");
    args.positional("SCENE", "a ScanNet scene folder, a PLY/OBJ capture or a feature cache file (default: the demo scene)", false)
        .option("model", "DIR", "a model bundle (resources/models/demo) or an Inst3D checkpoint (inst3d train's run/checkpoint)")
        .option("checkpoint", "DIR", "the same as --model")
        .option("features", "FILE", "the scene's feature cache (or, with --scene ID, the caches' folder)")
        .option("scene", "ID", "a scene id of --features DIR (or of Chat-Scene's feature files)")
        .option("chat-scene", "FILE", "Chat-Scene's released checkpoint (.pth) instead")
        .option("llm", "DIR", "Chat-Scene: the base LLM folder (Vicuna, with tokenizer.model)")
        .option("feats-3d", "FILE", "Chat-Scene: the aggregated 3D feature file")
        .option("feats-2d", "FILE", "Chat-Scene: the aggregated 2D feature file")
        .option("ask", "TEXT", "ask one question and exit")
        .option("question", "TEXT", "the same as --ask")
        .flag("json", "print the answer, its objects, their boxes and the timings as JSON (without --ask: one line per stdin question)")
        .flag("no-history", "answer each question on its own (the terminal chat keeps the conversation)")
        .option("beams", "N", "beam search with the model's evaluation settings (answers then print when done)", "1")
        .option("max-tokens", "N", "longest answer, in tokens", "64")
        .option("device", "DEV", "cpu, cuda or cuda:N", "cpu")
        .option("threads", "T", "intra-op threads");
    return args;
}

int runChatScene(const std::vector<std::string>& argv) {
    ArgParser args = chatArguments();
    if (!args.parse(argv)) return 0;
    if (args.has("threads")) setThreads(args.getInt("threads"));
    if (args.has("ask") && args.has("question")) throw UsageError("give --ask or --question, not both");
    const bool oneShot = args.has("ask") || args.has("question");
    const bool json = args.has("json");
    const int beams = args.getInt("beams");
    if (beams < 1 || args.getInt("max-tokens") < 1) throw UsageError("--beams and --max-tokens must be >= 1");
    ChatOptions o;
    LoadTimes load;
    auto start = std::chrono::steady_clock::now();
    auto lap = [&] {
        const auto now = std::chrono::steady_clock::now();
        const double s = std::chrono::duration<double>(now - start).count();
        start = now;
        return s;
    };
    std::unique_ptr<SceneChat> chat = openChat(args, o);
    load.model = lap();
    o.gen = beams > 1 ? chat->defaultGeneration() : GenerationConfig{};
    o.gen.numBeams = beams;
    o.gen.maxNewTokens = args.getInt("max-tokens");
    const std::string cache = firstScene(args, o, json);
    chat->setScene(cache);
    load.scene = lap();
    if (json) {  // --ask: one answer; else one JSON line per question read from stdin (a script's batch)
        auto reply = [&](const std::string& q, int indent) {
            std::printf("%s\n", answerJson(*chat, q, chat->ask(q, o.gen), cache, load).dump(indent).c_str());
            std::fflush(stdout);
        };
        if (oneShot) reply(args.has("ask") ? args.get("ask") : args.get("question"), 1);
        else
            for (std::string line; std::getline(std::cin, line);)
                if (!line.empty()) reply(line, -1);
        return 0;
    }
    if (oneShot) {
        answer(*chat, args.has("ask") ? args.get("ask") : args.get("question"), o.gen);
        return 0;
    }
    chat->setKeepHistory(!args.has("no-history"));
    printObjects(*chat);
    repl(*chat, o);
    return 0;
}

}  // namespace

void registerChatCommand(CommandRegistry& registry) {
    registry.add({"chat", "ask questions about a scene (the demo model, an Inst3D checkpoint, or Chat-Scene's); answers stream, named objects listed",
                  [](const std::vector<std::string>& args) {
                      applyDefaultThreads();
                      return runChatScene(args);
                  }});
}

}  // namespace inst3d
