// `inst3d chat`: questions about one scene in the terminal, answered by an Inst3D checkpoint over the
// scene's feature cache or by Chat-Scene's released checkpoint over its feature files (training/scene_chat.h).
#include <cstdio>
#include <iostream>
#include <map>

#include "core/cli/command.h"
#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/data/answer_parser.h"
#include "models/weights/torch_runtime.h"
#include "training/scene_chat.h"

namespace inst3d {

namespace {

constexpr const char* kCacheSuffix = ".features.safetensors";

struct ChatOptions {
    bool chatScene = false;
    std::string featuresDir;  // Inst3D: the caches' folder (or one cache file)
    GenerationConfig gen;
    bool interactive = true;
};

// Inst3D takes a cache file; a folder and a scene id name <folder>/<scene>.features.safetensors.
std::string sceneArgument(const ChatOptions& o, const std::string& scene) {
    if (o.chatScene) return scene;
    if (fileExists(o.featuresDir) && !isDirectory(o.featuresDir)) return o.featuresDir;
    const std::string path = joinPath(o.featuresDir, scene + kCacheSuffix);
    if (!fileExists(path)) fail(path, "no feature cache for scene '" + scene + "' (inst3d extract writes one per scene)");
    return path;
}

void printObjects(const SceneChat& chat) {
    std::printf("%s: %zu objects shown to the model:", chat.sceneId().c_str(), chat.objects().size());
    for (const ChatObject& o : chat.objects()) std::printf(" %s%s%s", objectToken(o.id).c_str(), o.label.empty() ? "" : " ", o.label.c_str());
    std::printf("\n");
}

// The answer streamed, then the objects it names (what the viewer would light up).
void answer(SceneChat& chat, const std::string& question, const GenerationConfig& gen) {
    const ChatReply r = chat.ask(question, gen, [](const std::string& piece) {
        std::fputs(piece.c_str(), stdout);
        std::fflush(stdout);
        return true;
    });
    std::printf("\n");
    std::map<int, std::string> labels;
    for (const ChatObject& o : chat.objects()) labels[o.id] = o.label;
    for (int id : r.objectIds) std::printf("  -> %s %s\n", objectToken(id).c_str(), labels[id].c_str());
    for (int id : r.unknownIds) std::printf("  -> %s is not an object of this scene\n", objectToken(id).c_str());
}

// Lines from stdin: a question, or ":scene ID", ":objects", ":quit".
void repl(SceneChat& chat, const ChatOptions& o) {
    std::printf("Ask about the scene (:objects lists them, :scene ID switches, :quit ends).\n");
    for (std::string line; std::printf("> "), std::fflush(stdout), std::getline(std::cin, line);) {
        if (line.empty()) continue;
        if (line == ":quit" || line == ":q") break;
        try {
            if (line == ":objects") printObjects(chat);
            else if (line.rfind(":scene ", 0) == 0) {
                chat.setScene(sceneArgument(o, line.substr(7)));
                printObjects(chat);
            } else answer(chat, line, o.gen);
        } catch (const Error& e) {
            std::fprintf(stderr, "error: %s\n", e.what());  // a bad scene keeps the session going
        }
    }
}

std::unique_ptr<SceneChat> openChat(const ArgParser& args, ChatOptions& o) {
    o.chatScene = args.has("chat-scene");
    if (o.chatScene == args.has("checkpoint")) throw UsageError("give --checkpoint DIR (Inst3D) or --chat-scene FILE");
    const std::string device = args.get("device");
    if (!o.chatScene) {
        if (!args.has("features")) throw UsageError("--features DIR (the feature caches of inst3d extract) is required");
        o.featuresDir = args.get("features");
        return SceneChat::openInst3d(args.get("checkpoint"), device);
    }
    for (const char* k : {"llm", "feats-3d", "feats-2d"})
        if (!args.has(k)) throw UsageError(std::string("--chat-scene needs --") + k);
    return SceneChat::openChatScene(args.get("chat-scene"), args.get("llm"), args.get("feats-3d"), args.get("feats-2d"), device);
}

int runChatScene(const std::vector<std::string>& argv) {
    ArgParser args("inst3d chat",
                   "Ask questions about a scene. Answers stream as they are generated; the objects they name are\n"
                   "listed after each one. Without --question, reads questions from the terminal.\n"
                   "  inst3d chat --checkpoint run/checkpoint --features w/features --scene scene0000_00\n"
                   "  inst3d chat --chat-scene ckpt.pth --llm vicuna-7b-v1.5 --feats-3d scannet_mask3d_uni3d_feats.pt \\\n"
                   "              --feats-2d scannet_mask3d_videofeats.pt --scene scene0011_00 --question \"Where is the sofa?\"");
    args.option("checkpoint", "DIR", "an Inst3D checkpoint (inst3d train)")
        .option("features", "DIR", "the feature caches (inst3d extract), or one cache file")
        .option("chat-scene", "FILE", "Chat-Scene's released checkpoint (.pth) instead")
        .option("llm", "DIR", "Chat-Scene: the base LLM folder (Vicuna, with tokenizer.model)")
        .option("feats-3d", "FILE", "Chat-Scene: the aggregated 3D feature file")
        .option("feats-2d", "FILE", "Chat-Scene: the aggregated 2D feature file")
        .option("scene", "ID", "the scene to talk about")
        .option("question", "TEXT", "ask one question and exit")
        .option("beams", "N", "beam search with the model's evaluation settings (answers then print when done)", "1")
        .option("max-tokens", "N", "longest answer, in tokens", "64")
        .option("device", "DEV", "cpu, cuda or cuda:N", "cpu")
        .option("threads", "T", "intra-op threads");
    if (!args.parse(argv)) return 0;
    if (args.has("threads")) setThreads(args.getInt("threads"));
    if (!args.has("scene")) throw UsageError("--scene ID is required");
    ChatOptions o;
    std::unique_ptr<SceneChat> chat = openChat(args, o);
    const int beams = args.getInt("beams");
    if (beams < 1 || args.getInt("max-tokens") < 1) throw UsageError("--beams and --max-tokens must be >= 1");
    o.gen = beams > 1 ? chat->defaultGeneration() : GenerationConfig{};
    o.gen.numBeams = beams;
    o.gen.maxNewTokens = args.getInt("max-tokens");
    chat->setScene(sceneArgument(o, args.get("scene")));
    if (args.has("question")) {
        answer(*chat, args.get("question"), o.gen);
        return 0;
    }
    printObjects(*chat);
    repl(*chat, o);
    return 0;
}

}  // namespace

void registerChatCommand(CommandRegistry& registry) {
    registry.add({"chat", "ask questions about a scene (an Inst3D checkpoint, or Chat-Scene's); answers stream, named objects listed",
                  [](const std::vector<std::string>& args) {
                      applyDefaultThreads();
                      return runChatScene(args);
                  }});
}

}  // namespace inst3d
