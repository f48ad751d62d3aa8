// The chat dock: the conversation with the open scene (questions, streamed answers whose <OBJ###> are
// clickable chips in the object's instance colour), an input line with task presets, Send / Stop / Clear,
// and "Ask about selection". It observes a ChatSession and a SceneDocument and sends them commands: a
// finished answer, or a click on a chip, grounds its objects in the document (tint + frame in 3D).
#pragma once
#include <vector>

#include <QString>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTextBrowser;
class QTimer;
class QUrl;

namespace inst3d {

class ChatSession;
class SceneDocument;

class ChatPanel : public QWidget {
    Q_OBJECT

public:
    ChatPanel(SceneDocument* document, ChatSession* session, QWidget* parent = nullptr);

    QTextBrowser* transcript() const { return transcript_; }
    QLineEdit* input() const { return input_; }
    QComboBox* presets() const { return presets_; }
    QPushButton* sendButton() const { return send_; }
    QPushButton* stopButton() const { return stop_; }
    QPushButton* clearButton() const { return clear_; }
    QPushButton* askSelectionButton() const { return askSelection_; }
    QPushButton* makeFeaturesButton() const { return makeFeatures_; }  // shown while offerFeatures() offers it
    QLabel* statusLabel() const { return status_; }
    QProgressBar* busyBar() const { return busy_; }  // shown while the model loads, encodes or answers

    void send();                // the input line as a question
    void askAboutSelection();   // fills "Describe <OBJ007>..." for the selected object; Enter sends it
    void applyPreset(int index);
    void setStatus(const QString& text);
    // The scene has no cache for this model but the model's encoders can make one: says so and shows the
    // "Make Feature Cache" button (makeFeaturesRequested on click); hidden again once a scene is ready.
    void offerFeatures(const QString& text);

Q_SIGNALS:
    void makeFeaturesRequested();

public:
    // Grounds identifiers in the 3D view (what a chip click and a finished answer do).
    void ground(const std::vector<int>& identifiers);
    // The identifier of the document's selected instance in the session's cache, -1 when none matches.
    int selectedIdentifier() const;

private:
    void buildPresets();
    void render();
    void updateButtons();
    void onFeaturesProgress(double fraction, const QString& message);
    void onTurnUpdated(int index);
    void onTurnFinished(int index);
    void onAnchorClicked(const QUrl& url);
    void onAnchorHovered(const QUrl& url);
    std::vector<int> identifiersOf(const QUrl& url) const;  // obj:N or turn:K
    QString chip(int identifier) const;
    QString withChips(const QString& text) const;

    SceneDocument* document_;
    ChatSession* session_;
    QTextBrowser* transcript_;
    QComboBox* presets_;
    QLineEdit* input_;
    QPushButton* send_;
    QPushButton* stop_;
    QPushButton* clear_;
    QPushButton* askSelection_;
    QPushButton* makeFeatures_;
    QLabel* status_;
    QProgressBar* busy_;
    QStringList presetTemplates_;
    static constexpr int kRenderIntervalMs = 50;
    QTimer* renderTimer_;  // coalesces the transcript redraws of a streaming answer  // per preset: the text, its placeholder selected for typing
};

}  // namespace inst3d
