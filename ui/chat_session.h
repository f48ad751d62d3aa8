// The chat panel's model: one Inst3D checkpoint (training/scene_chat.h) talking about the open scene through
// its feature cache, and the conversation so far. Every model call (loading the checkpoint, encoding the
// scene's objects, generating an answer) runs on one worker thread in order, so the GUI never waits; answers
// stream back piece by piece and stop() ends one at the next token. Widgets observe the signals and read
// the turns; grounding() turns an answer's <OBJ###> into the cache's proposal geometry for the 3D view.
#pragma once
#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include <QList>
#include <QObject>
#include <QString>
#include <QThreadPool>

#include <nlohmann/json_fwd.hpp>

#include "core/features/feature_cache.h"
#include "render/scene_colors.h"
#include "training/scene_chat.h"

namespace inst3d {

struct ChatTurn {
    QString question;
    QString answer;                // as streamed, then the tidied final text
    std::vector<int> objectIds;    // <OBJ###> of the answer that name the scene's objects, in order
    std::vector<int> unknownIds;   // identifiers the scene does not have (shown, never highlighted)
    bool finished = false;
    bool cancelled = false;
    QString error;                 // the model's error, "" when it answered
};

// The proposals `identifiers` name, with their vertices and aligned boxes; identifiers the cache does not
// have are skipped. What the panel and `inst3d view --ask` highlight.
std::vector<GroundedObject> groundedObjects(const SceneFeatures& features, const std::vector<int>& identifiers);
// The proposal that covers `vertices` best (vertex IoU, at least kMinMatchIoU), -1 when none does: how a
// click on the scene's instance finds the identifier the model knows it by.
constexpr double kMinMatchIoU = 0.25;
int matchingProposal(const SceneFeatures& features, const std::vector<uint32_t>& vertices);

// The bundled demo model's checkpoint folder (resources/models/demo/checkpoint), "" when not installed.
std::string bundledModelPath();

// The panel's decoding: greedy (the answer streams as it is decoded), at most `maxNewTokens`.
GenerationConfig chatGeneration(int maxNewTokens);

// One question about one scene without a window (`inst3d view --ask`): the checkpoint, the scene's cache
// (checked against the mesh's vertex count), the answer streamed to `onText`, and its objects' geometry.
struct GroundedAnswer {
    ChatReply reply;
    std::vector<GroundedObject> objects;  // of reply.objectIds, in order
    std::vector<std::string> labels;      // one per object
};
GroundedAnswer groundAnswer(const SceneFeatures& features, ChatReply reply);
GroundedAnswer askOnce(const std::string& checkpointDir, const std::string& featureCache, size_t meshVertices,
                       const std::string& question, int maxNewTokens, const TextStream& onText = {});

// One answer as JSON: question, answer, object_ids, unknown_ids, objects [{id, label, box {center, size}}]
// (the aligned frame, metres). What `inst3d view --ask --json` writes and each turn of an exported chat.
nlohmann::json answerJson(const std::string& question, const GroundedAnswer& answer);

class ChatSession;
// The conversation for File > Export Conversation: JSON {scene, model, features, camera, turns: [answerJson
// + cancelled]} and the same as Markdown, one section per turn with its objects and boxes.
nlohmann::json conversationJson(const ChatSession& session, const std::string& sceneId, const std::string& camera);
std::string conversationMarkdown(const ChatSession& session, const std::string& sceneId, const std::string& camera);

class ChatSession : public QObject {
    Q_OBJECT

public:
    explicit ChatSession(QObject* parent = nullptr);
    ~ChatSession() override;  // stops the answer being generated and waits for the worker

    // An inst3d checkpoint folder (`inst3d train`'s run/checkpoint). modelChanged or failed follows; the
    // scene set before is encoded again for the new model.
    void openModel(const QString& checkpointDir);
    QString modelPath() const { return modelPath_; }
    bool hasModel() const { return hasModel_; }
    // The open model is a bundle with encoders (encoders.json): a scene without a cache can get one made.
    bool canMakeFeatures() const { return !featureProposals_.isEmpty(); }
    QString featureProposals() const { return featureProposals_; }  // "gt" (builtin for a capture without GT)

    // Makes the feature cache of the scene at `scenePath` with the model's encoders (training/model_bundle.h
    // featureCacheFor: beside the scene when writable, else the user's cache folder), then sets it as the
    // scene. featuresProgress while it runs, featuresMade or failed after; cancelFeatures() stops it.
    void makeFeatures(const QString& scenePath, size_t meshVertices);
    void cancelFeatures();
    bool isMakingFeatures() const { return makingFeatures_; }

    // The open scene's feature cache ("" clears). `meshVertices`: the scene's vertex count, which the
    // cache's proposals must index. sceneReady or failed follows once the model has the objects.
    void setScene(const QString& featureCache, size_t meshVertices);
    QString featuresPath() const { return featuresPath_; }
    bool hasScene() const { return features_ != nullptr && !objects_.empty(); }
    const std::vector<ChatObject>& objects() const { return objects_; }
    std::shared_ptr<const SceneFeatures> features() const { return features_; }
    bool showsObject(int identifier) const;     // the model sees this identifier (valid objects only)
    QString objectLabel(int identifier) const;  // "chair", or "" when the identifier is not shown

    // LibTorch threads the answers are generated with: by default every CPU but one, so that the 3D view
    // keeps a core to render on while an answer streams (generation yields to the render thread).
    void setThreads(int threads) { threads_ = std::max(1, threads); }
    int threads() const { return threads_; }
    // The scene's objects the streamed text names so far (complete <OBJ###> only), in order.
    std::vector<int> objectsNamedSoFar(int turnIndex) const;
    // How answers are decoded: chatGeneration(64) (greedy, streamed) unless set.
    void setGeneration(const GenerationConfig& gen) { generation_ = gen; }
    const GenerationConfig& generation() const { return generation_; }
    bool canAsk() const { return hasModel() && hasScene() && !asking_; }
    bool isAsking() const { return asking_; }
    bool isBusy() const { return pending_ > 0; }  // any model call queued or running
    void ask(const QString& question);            // ignored unless canAsk()
    void stop();                                  // the answer ends at the next token; its turn is kept
    void clear();                                 // forgets the turns (an answer in flight is stopped)
    const QList<ChatTurn>& turns() const { return turns_; }
    GroundedAnswer groundTurn(const ChatTurn& turn) const;  // the turn's objects in this scene's cache

Q_SIGNALS:
    void modelChanged();
    void sceneReady();
    void failed(const QString& message);  // "<file>: <problem>" from a load, a scene or an answer
    void busyChanged(bool busy);
    void askingChanged(bool asking);
    void turnStarted(int index);
    void turnUpdated(int index);          // more answer text
    void turnFinished(int index);
    void cleared();
    void featuresProgress(double fraction, const QString& message);
    void featuresMade(const QString& cachePath, const QString& proposals);  // proposals as the cache records them

private:
    struct Worker;  // what only the worker thread touches: the SceneChat, the scene it has encoded
    struct SceneState {
        std::shared_ptr<const SceneFeatures> features;
        std::vector<ChatObject> objects;
    };
    void run(std::function<void()> job);  // on the worker, in order; busy while any is queued
    void post(std::function<void()> onGui);  // from the worker: runs on the GUI thread unless we are gone
    void applyScene(const SceneState& scene);
    void finishTurn(int index, const ChatReply& reply, const QString& error);

    QThreadPool worker_;  // one thread: model calls never overlap
    std::shared_ptr<Worker> state_;
    bool hasModel_ = false;
    bool makingFeatures_ = false;
    std::shared_ptr<std::atomic<bool>> cancelFeatures_ = std::make_shared<std::atomic<bool>>(false);
    QString modelPath_, featuresPath_, featureProposals_;
    std::shared_ptr<const SceneFeatures> features_;
    std::vector<ChatObject> objects_;
    QList<ChatTurn> turns_;
    int pending_ = 0;
    bool asking_ = false;
    GenerationConfig generation_ = chatGeneration(64);
    int threads_;
    int conversation_ = 0;  // bumped by clear(): pieces of an older conversation are dropped
    // The answer in flight's own flag: a new one per question, so a new question never revives an old answer.
    std::shared_ptr<std::atomic<bool>> cancel_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace inst3d
