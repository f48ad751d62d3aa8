#include "ui/chat_session.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <unordered_set>

#include <QMetaObject>

#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/data/answer_parser.h"
#include "core/eval/box_json.h"
#include "core/io/scene_loader.h"
#include "models/weights/torch_runtime.h"
#include "core/common/file_util.h"
#include "core/config/config.h"
#include "training/model_bundle.h"

namespace inst3d {

std::vector<GroundedObject> groundedObjects(const SceneFeatures& features, const std::vector<int>& identifiers) {
    std::vector<GroundedObject> out;
    for (int id : identifiers) {
        if (id < 0 || size_t(id) >= features.numProposals()) continue;
        if (std::any_of(out.begin(), out.end(), [id](const GroundedObject& o) { return o.identifier == id; })) continue;
        out.push_back({id, features.proposals[size_t(id)].vertices, features.boxes[size_t(id)]});
    }
    return out;
}

int matchingProposal(const SceneFeatures& features, const std::vector<uint32_t>& vertices) {
    const std::unordered_set<uint32_t> picked(vertices.begin(), vertices.end());
    int best = -1;
    double bestIoU = kMinMatchIoU;
    for (size_t k = 0; k < features.numProposals(); ++k) {
        const std::vector<uint32_t>& p = features.proposals[k].vertices;
        const size_t shared = size_t(std::count_if(p.begin(), p.end(), [&](uint32_t v) { return picked.count(v) > 0; }));
        const double iou = double(shared) / double(p.size() + picked.size() - shared);
        if (shared > 0 && iou >= bestIoU) {
            best = int(k);
            bestIoU = iou;
        }
    }
    return best;
}

struct ChatSession::Worker {
    std::unique_ptr<SceneChat> chat;
    ModelBundle bundle;        // the open model's folder: its encoders make missing feature caches
    std::string featuresPath;  // the scene to encode ("" none) and the mesh it must fit
    size_t meshVertices = 0;
};

namespace {

QString messageOf(const std::exception& e) { return QString::fromStdString(e.what()); }

// Reads the cache and checks it indexes this mesh; with a model, encodes its objects too.
std::shared_ptr<const SceneFeatures> readCacheFor(const std::string& path, size_t meshVertices) {
    auto features = std::make_shared<SceneFeatures>(readSceneFeatures(path));
    if (meshVertices && features->meshVertices != meshVertices)
        fail(path, "made for a mesh of " + std::to_string(features->meshVertices) + " vertices, the open scene has " +
                       std::to_string(meshVertices) + " (extract it again for this scene)");
    return features;
}

// The bundle a model folder belongs to: the folder itself, or the bundle whose checkpoint/ it is (the viewer
// opens the bundled demo model by its checkpoint folder).
ModelBundle bundleOf(const std::string& dir) {
    ModelBundle b = openModelBundle(dir);
    const std::string parent = parentPath(dir);
    if (!b.encoders && baseName(dir) == "checkpoint" && fileExists(joinPath(parent, "encoders.json"))) return openModelBundle(parent);
    return b;
}

}  // namespace

std::string bundledModelPath() {
    const std::string dir = bundledModelDir();
    return dir.empty() ? "" : openModelBundle(dir).checkpointDir;
}

GenerationConfig chatGeneration(int maxNewTokens) {
    GenerationConfig gen;  // greedy
    gen.maxNewTokens = maxNewTokens;
    return gen;
}

GroundedAnswer askOnce(const std::string& checkpointDir, const std::string& featureCache, size_t meshVertices,
                       const std::string& question, int maxNewTokens, const TextStream& onText) {
    const std::shared_ptr<const SceneFeatures> features = readCacheFor(featureCache, meshVertices);
    std::unique_ptr<SceneChat> chat = SceneChat::openInst3d(checkpointDir);
    chat->setScene(featureCache);
    return groundAnswer(*features, chat->ask(question, chatGeneration(maxNewTokens), onText));
}

GroundedAnswer groundAnswer(const SceneFeatures& features, ChatReply reply) {
    GroundedAnswer out;
    out.reply = std::move(reply);
    out.objects = groundedObjects(features, out.reply.objectIds);
    for (const GroundedObject& o : out.objects) out.labels.push_back(features.proposals[size_t(o.identifier)].label);
    return out;
}

nlohmann::json answerJson(const std::string& question, const GroundedAnswer& a) {
    nlohmann::json objects = nlohmann::json::array();
    for (size_t i = 0; i < a.objects.size(); ++i)
        objects.push_back({{"id", a.objects[i].identifier}, {"label", a.labels[i]}, {"box", boxJson(a.objects[i].box)}});
    return {{"question", question}, {"answer", a.reply.text}, {"object_ids", a.reply.objectIds},
            {"unknown_ids", a.reply.unknownIds}, {"objects", objects}};
}

GroundedAnswer ChatSession::groundTurn(const ChatTurn& t) const {
    ChatReply reply;
    reply.text = t.answer.toStdString();
    reply.objectIds = t.objectIds;
    reply.unknownIds = t.unknownIds;
    reply.cancelled = t.cancelled;
    if (!features_) {
        GroundedAnswer a;
        a.reply = reply;
        return a;
    }
    return groundAnswer(*features_, reply);
}

nlohmann::json conversationJson(const ChatSession& session, const std::string& sceneId, const std::string& camera) {
    nlohmann::json turns = nlohmann::json::array();
    for (const ChatTurn& t : session.turns()) {
        nlohmann::json j = answerJson(t.question.toStdString(), session.groundTurn(t));
        j["cancelled"] = t.cancelled;
        turns.push_back(j);
    }
    return {{"scene", sceneId}, {"model", session.modelPath().toStdString()}, {"features", session.featuresPath().toStdString()},
            {"camera", camera}, {"turns", turns}};
}

std::string conversationMarkdown(const ChatSession& session, const std::string& sceneId, const std::string& camera) {
    std::string md = "# Chat about " + sceneId + "\n\nModel: `" + session.modelPath().toStdString() + "`  \nFeatures: `" +
                     session.featuresPath().toStdString() + "`  \nCamera: `" + camera + "`\n";
    int n = 0;
    for (const ChatTurn& t : session.turns()) {
        const GroundedAnswer a = session.groundTurn(t);
        md += "\n## " + std::to_string(++n) + ". " + t.question.toStdString() + "\n\n" + t.answer.toStdString() +
              (t.cancelled ? " *(stopped)*" : "") + "\n";
        for (size_t i = 0; i < a.objects.size(); ++i)
            md += "\n- `" + objectToken(a.objects[i].identifier) + "` " + (a.labels[i].empty() ? "(no label)" : a.labels[i]) + ": " +
                  boxText(a.objects[i].box);
        if (!a.objects.empty()) md += "\n";
    }
    return md;
}

ChatSession::ChatSession(QObject* parent)
    : QObject(parent), state_(std::make_shared<Worker>()), threads_(std::max(1, cpusAvailableToProcess() - 1)) {
    worker_.setMaxThreadCount(1);
    worker_.setExpiryTimeout(-1);  // the thread (and the OpenMP pool it started) lives as long as the session
}

ChatSession::~ChatSession() {
    cancel_->store(true);
    worker_.clear();       // jobs not started yet never run
    worker_.waitForDone(); // the running one stops at its next token (a model load runs to its end)
}

void ChatSession::run(std::function<void()> job) {
    if (++pending_ == 1) Q_EMIT busyChanged(true);
    worker_.start([this, job = std::move(job)] {
        job();
        post([this] {
            if (--pending_ == 0) Q_EMIT busyChanged(false);
        });
    });
}

void ChatSession::post(std::function<void()> onGui) {
    // Queued on our thread; Qt drops the call if the session is destroyed first (the destructor waits for
    // the worker, so no job outlives it, but its last posts may still be in the queue).
    QMetaObject::invokeMethod(this, std::move(onGui), Qt::QueuedConnection);
}

void ChatSession::openModel(const QString& checkpointDir) {
    const std::string dir = checkpointDir.toStdString();
    run([this, state = state_, dir] {
        try {
            state->chat = SceneChat::openInst3d(dir);
            state->bundle = bundleOf(dir);
            const QString proposals = state->bundle.encoders ? QString::fromStdString(state->bundle.encoders->proposals) : QString();
            SceneState scene;
            if (!state->featuresPath.empty()) {
                scene.features = readCacheFor(state->featuresPath, state->meshVertices);
                state->chat->setScene(state->featuresPath);
                scene.objects = state->chat->objects();
            }
            post([this, dir, scene, proposals] {
                hasModel_ = true;
                modelPath_ = QString::fromStdString(dir);
                featureProposals_ = proposals;
                Q_EMIT modelChanged();
                if (scene.features) applyScene(scene);
            });
        } catch (const std::exception& e) {
            post([this, m = messageOf(e)] { Q_EMIT failed(m); });
        }
    });
}

void ChatSession::setScene(const QString& featureCache, size_t meshVertices) {
    featuresPath_ = featureCache;
    features_.reset();
    objects_.clear();
    const std::string path = featureCache.toStdString();
    run([this, state = state_, path, meshVertices] {
        state->featuresPath = path;
        state->meshVertices = meshVertices;
        if (path.empty()) return;
        SceneState scene;
        try {
            scene.features = readCacheFor(path, meshVertices);
        } catch (const std::exception& e) {  // the cache itself is bad: no model will take it
            state->featuresPath.clear();
            post([this, m = messageOf(e)] { Q_EMIT failed(m); });
            return;
        }
        try {
            if (state->chat) {
                state->chat->setScene(path);
                scene.objects = state->chat->objects();
            }
        } catch (const std::exception& e) {
            // Only this model refuses the cache (other encoders): the path is kept, so the model opened next
            // (Open Model, the one the cache was made for) takes the scene without reopening it.
            post([this, m = messageOf(e)] { Q_EMIT failed(m); });
        }
        post([this, scene, path] {
            if (featuresPath_.toStdString() == path) applyScene(scene);
        });
    });
}

void ChatSession::makeFeatures(const QString& scenePath, size_t meshVertices) {
    if (!canMakeFeatures() || makingFeatures_) return;
    makingFeatures_ = true;
    cancelFeatures_ = std::make_shared<std::atomic<bool>>(false);
    const std::string scene = scenePath.toStdString();
    run([this, state = state_, scene, meshVertices, cancel = cancelFeatures_] {
        std::string cache, proposals;
        QString error;
        try {
            const Progress progress = [this, cancel](double fraction, const std::string& what) {
                post([this, fraction, m = QString::fromStdString(what)] { Q_EMIT featuresProgress(fraction, m); });
                return !cancel->load();
            };
            cache = featureCacheFor(state->bundle, scene, progress);
            const std::map<std::string, std::string> provenance = readSceneFeatures(cache).provenance;
            proposals = provenance.count("proposals") ? provenance.at("proposals") : "unrecorded";
        } catch (const Cancelled&) {
            error = QString::fromStdString(scene + ": making the feature cache was cancelled");
        } catch (const std::exception& e) {
            error = messageOf(e);
        }
        post([this, cache, proposals, error, meshVertices] {
            makingFeatures_ = false;
            if (!error.isEmpty()) {
                Q_EMIT failed(error);
                return;
            }
            Q_EMIT featuresMade(QString::fromStdString(cache), QString::fromStdString(proposals));
            setScene(QString::fromStdString(cache), meshVertices);
        });
    });
}

void ChatSession::cancelFeatures() { cancelFeatures_->store(true); }

void ChatSession::applyScene(const SceneState& scene) {
    features_ = scene.features;
    objects_ = scene.objects;
    if (!objects_.empty()) Q_EMIT sceneReady();
}

std::vector<int> ChatSession::objectsNamedSoFar(int turnIndex) const {
    std::vector<int> out;
    if (turnIndex < 0 || turnIndex >= turns_.size()) return out;
    for (int id : parseObjectIds(turns_[turnIndex].answer.toStdString()))
        if (showsObject(id) && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    return out;
}

bool ChatSession::showsObject(int identifier) const {
    return std::any_of(objects_.begin(), objects_.end(), [identifier](const ChatObject& o) { return o.id == identifier; });
}

QString ChatSession::objectLabel(int identifier) const {
    for (const ChatObject& o : objects_)
        if (o.id == identifier) return QString::fromStdString(o.label);
    return {};
}

void ChatSession::ask(const QString& question) {
    if (!canAsk() || question.trimmed().isEmpty()) return;
    ChatTurn turn;
    turn.question = question.trimmed();
    turns_.append(turn);
    const int index = int(turns_.size()) - 1, conversation = conversation_;
    asking_ = true;
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    Q_EMIT turnStarted(index);
    Q_EMIT askingChanged(true);
    const std::string q = turn.question.toStdString();
    const GenerationConfig gen = generation_;
    run([this, state = state_, q, gen, cancel = cancel_, index, conversation, threads = threads_] {
        ChatReply reply;
        QString error;
        try {
            setThreads(threads);  // this worker thread's OpenMP team: leaves the render thread its core
            auto onText = [this, index, conversation](const std::string& piece) {
                post([this, index, conversation, p = QString::fromStdString(piece)] {
                    if (conversation != conversation_ || index >= turns_.size() || turns_[index].finished) return;
                    turns_[index].answer += p;
                    Q_EMIT turnUpdated(index);
                });
                return true;
            };
            reply = state->chat->ask(q, gen, onText, cancel.get());
        } catch (const std::exception& e) {
            error = messageOf(e);
        }
        post([this, index, conversation, reply, error] {
            if (conversation == conversation_) finishTurn(index, reply, error);
        });
    });
}

void ChatSession::finishTurn(int index, const ChatReply& reply, const QString& error) {
    if (index >= turns_.size() || turns_[index].finished) return;  // stopped already: a newer question may be running
    asking_ = false;
    ChatTurn& t = turns_[index];
    if (error.isEmpty()) t.answer = QString::fromStdString(reply.text);
    t.objectIds = reply.objectIds;
    t.unknownIds = reply.unknownIds;
    t.cancelled = reply.cancelled;
    t.error = error;
    t.finished = true;
    Q_EMIT turnFinished(index);
    Q_EMIT askingChanged(false);
    if (!error.isEmpty()) Q_EMIT failed(error);
}

// Control returns at once, whatever a token costs (a 7B model on a CPU takes about a second per token):
// the turn ends here with the text streamed so far, and the worker drops the rest at its next token.
void ChatSession::stop() {
    cancel_->store(true);
    if (!asking_ || turns_.isEmpty()) return;
    const int index = int(turns_.size()) - 1;
    ChatTurn& t = turns_[index];
    t.cancelled = true;
    t.finished = true;
    asking_ = false;
    Q_EMIT turnFinished(index);
    Q_EMIT askingChanged(false);
}

void ChatSession::clear() {
    if (asking_) {
        stop();
        asking_ = false;
        Q_EMIT askingChanged(false);
    }
    ++conversation_;
    turns_.clear();
    Q_EMIT cleared();
}

}  // namespace inst3d
