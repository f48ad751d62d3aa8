#include "ui/chat_panel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollBar>
#include <QTextBrowser>
#include <QTimer>
#include <QUrl>
#include <QVBoxLayout>

#include "core/data/instructions.h"
#include "ui/chat_session.h"
#include "ui/scene_document.h"

namespace inst3d {
namespace {

// The presets, in the order of the combo box (buildPresets).
enum Preset { kFreeText, kGroundOne, kGroundSeveral, kDescribe, kAnswer, kSituated };

// Placeholders a preset leaves selected, so that typing replaces them.
const QStringList kPlaceholders = {"<description>", "<id>", "<situation>", "<question>"};

QString identifierToken(int id) { return QString("<OBJ%1>").arg(id, 3, 10, QChar('0')); }

QString hexColor(const Rgb8& c) { return QColor(c[0], c[1], c[2]).name(); }

// Black or white, whichever reads better on `background` (Rec. 601 luma).
QString textColorOn(const QString& background) {
    const QColor c(background);
    constexpr double kLumaMidpoint = 140;
    return 0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue() > kLumaMidpoint ? "#000000" : "#ffffff";
}

}  // namespace

ChatPanel::ChatPanel(SceneDocument* document, ChatSession* session, QWidget* parent)
    : QWidget(parent),
      document_(document),
      session_(session),
      transcript_(new QTextBrowser(this)),
      presets_(new QComboBox(this)),
      input_(new QLineEdit(this)),
      send_(new QPushButton(tr("Send"), this)),
      stop_(new QPushButton(tr("Stop"), this)),
      clear_(new QPushButton(tr("Clear"), this)),
      askSelection_(new QPushButton(tr("Ask about selection"), this)),
      makeFeatures_(new QPushButton(tr("Make Feature Cache"), this)),
      status_(new QLabel(this)),
      busy_(new QProgressBar(this)) {
    busy_->setRange(0, 0);  // indeterminate: a model load or an answer has no known length
    busy_->setMaximumHeight(6);
    busy_->setTextVisible(false);
    busy_->hide();
    transcript_->setObjectName("ChatTranscript");
    transcript_->setOpenLinks(false);  // chips are handled here, never followed as URLs
    renderTimer_ = new QTimer(this);
    renderTimer_->setSingleShot(true);
    connect(renderTimer_, &QTimer::timeout, this, &ChatPanel::render);
    input_->setObjectName("ChatInput");
    input_->setPlaceholderText(tr("Ask about the scene (Enter sends)"));
    presets_->setObjectName("ChatPresets");
    status_->setObjectName("ChatStatus");
    status_->setWordWrap(true);
    stop_->setToolTip(tr("Stop the answer being generated, or the feature cache being made"));
    makeFeatures_->setObjectName("MakeFeatures");
    makeFeatures_->setToolTip(tr("Extract the scene's object features with the model's own encoders"));
    makeFeatures_->hide();
    askSelection_->setToolTip(tr("Ask for a description of the object selected in 3D or in the instance table"));
    buildPresets();

    auto* buttons = new QHBoxLayout;
    for (QPushButton* b : {send_, stop_, clear_}) buttons->addWidget(b);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(status_);
    layout->addWidget(makeFeatures_);
    layout->addWidget(busy_);
    layout->addWidget(transcript_, 1);
    layout->addWidget(presets_);
    layout->addWidget(input_);
    layout->addLayout(buttons);
    layout->addWidget(askSelection_);

    connect(input_, &QLineEdit::returnPressed, this, &ChatPanel::send);
    connect(send_, &QPushButton::clicked, this, &ChatPanel::send);
    connect(stop_, &QPushButton::clicked, this, [this] {
        if (session_->isMakingFeatures()) session_->cancelFeatures();
        session_->stop();
    });
    connect(makeFeatures_, &QPushButton::clicked, this, [this] {
        makeFeatures_->setEnabled(false);
        Q_EMIT makeFeaturesRequested();
    });
    connect(session_, &ChatSession::featuresProgress, this, &ChatPanel::onFeaturesProgress);
    connect(session_, &ChatSession::featuresMade, this, [this](const QString& path, const QString& proposals) {
        makeFeatures_->hide();
        busy_->setRange(0, 0);
        setStatus(tr("Feature cache made with the model's encoders and %1 proposals: %2").arg(proposals, path));
    });
    connect(clear_, &QPushButton::clicked, this, [this] {
        session_->clear();
        document_->setGroundedObjects({});
    });
    connect(askSelection_, &QPushButton::clicked, this, &ChatPanel::askAboutSelection);
    connect(presets_, qOverload<int>(&QComboBox::activated), this, &ChatPanel::applyPreset);
    connect(transcript_, &QTextBrowser::anchorClicked, this, &ChatPanel::onAnchorClicked);
    connect(transcript_, qOverload<const QUrl&>(&QTextBrowser::highlighted), this, &ChatPanel::onAnchorHovered);
    connect(session_, &ChatSession::turnStarted, this, &ChatPanel::render);
    connect(session_, &ChatSession::turnUpdated, this, &ChatPanel::onTurnUpdated);
    connect(session_, &ChatSession::turnFinished, this, &ChatPanel::onTurnFinished);
    connect(session_, &ChatSession::cleared, this, &ChatPanel::render);
    connect(session_, &ChatSession::askingChanged, this, &ChatPanel::updateButtons);
    connect(session_, &ChatSession::busyChanged, this, [this](bool busy) {
        busy_->setVisible(busy);
        updateButtons();
    });
    connect(session_, &ChatSession::modelChanged, this, &ChatPanel::updateButtons);
    connect(session_, &ChatSession::sceneReady, this, [this] {
        makeFeatures_->hide();
        setStatus(tr("%1 objects shown to the model (%2)").arg(session_->objects().size()).arg(session_->featuresPath()));
        updateButtons();
        render();
    });
    connect(session_, &ChatSession::failed, this, [this](const QString& message) {
        busy_->setRange(0, 0);
        makeFeatures_->setEnabled(true);  // a failed or cancelled extraction may be tried again
        setStatus(message);
    });
    connect(document_, &SceneDocument::selectedInstanceChanged, this, &ChatPanel::updateButtons);
    updateButtons();
}

void ChatPanel::buildPresets() {
    PromptTemplates t;
    try {
        t = PromptTemplates::loadDefault();
    } catch (const std::exception& e) {
        setStatus(QString::fromStdString(e.what()));  // free text still works
    }
    auto first = [](const std::vector<std::string>& lines, const char* fallback) {
        return QString::fromStdString(lines.empty() ? fallback : lines.front());
    };
    const QString suffix = QString::fromStdString(t.qaSuffix);
    presets_->addItem(tr("Free text"));
    presetTemplates_ << QString();
    presets_->addItem(tr("Ground one object"));
    presetTemplates_ << first(t.grounding, "Which object matches the description \"<description>\"? Give its ID.");
    presets_->addItem(tr("Ground several objects"));
    presetTemplates_ << first(t.multi3drefer, "Which objects match the description \"<description>\"? Reply with their IDs.");
    presets_->addItem(tr("Describe the selected object"));
    presetTemplates_ << first(t.scan2cap, "Describe the <id>.");
    presets_->addItem(tr("Answer a question"));
    presetTemplates_ << (QString("<question> ") + suffix).trimmed();
    presets_->addItem(tr("Situated question"));
    presetTemplates_ << (QString("<situation> <question> ") + suffix).trimmed();
}

void ChatPanel::applyPreset(int index) {
    if (index < 0 || index >= presetTemplates_.size()) return;
    QString text = presetTemplates_[index];
    const int selected = selectedIdentifier();
    if (selected >= 0) text.replace("<id>", identifierToken(selected));
    input_->setText(text);
    input_->setFocus();
    for (const QString& p : kPlaceholders) {
        const int at = int(text.indexOf(p));
        if (at >= 0) {
            input_->setSelection(at, int(p.size()));
            return;
        }
    }
}

int ChatPanel::selectedIdentifier() const {
    auto scene = document_->scene();
    auto features = session_->features();
    const Instance* inst = scene ? scene->findInstance(document_->selectedInstance()) : nullptr;
    if (!inst || !features) return -1;
    const int k = matchingProposal(*features, inst->vertices);
    return k >= 0 && session_->showsObject(k) ? k : -1;
}

void ChatPanel::askAboutSelection() {
    if (selectedIdentifier() < 0) {
        setStatus(tr("Select an object first (click it in 3D or in the instance table)"));
        return;
    }
    presets_->setCurrentIndex(kDescribe);
    applyPreset(kDescribe);
    input_->deselect();
    input_->end(false);
}

void ChatPanel::send() {
    const QString question = input_->text().trimmed();
    if (question.isEmpty() || !session_->canAsk()) return;
    for (const QString& p : kPlaceholders)
        if (question.contains(p)) {
            setStatus(tr("Replace %1 in the question first").arg(p));
            return;
        }
    input_->clear();
    document_->setGroundedObjects({});
    session_->ask(question);
}

void ChatPanel::setStatus(const QString& text) { status_->setText(text); }

void ChatPanel::ground(const std::vector<int>& identifiers) {
    auto features = session_->features();
    if (features) document_->setGroundedObjects(groundedObjects(*features, identifiers));
}

// The objects light up as soon as the streamed text names them, not at the end of the answer.
void ChatPanel::onTurnUpdated(int index) {
    if (!renderTimer_->isActive()) renderTimer_->start(kRenderIntervalMs);  // pieces arrive per token: redraw at most this often
    const std::vector<int> ids = session_->objectsNamedSoFar(index);
    std::vector<int> shown;
    for (const GroundedObject& o : document_->groundedObjects()) shown.push_back(o.identifier);
    if (!ids.empty() && ids != shown) ground(ids);
}

void ChatPanel::onTurnFinished(int index) {
    render();
    updateButtons();
    const ChatTurn& t = session_->turns()[index];
    std::vector<int> shown;
    for (const GroundedObject& o : document_->groundedObjects()) shown.push_back(o.identifier);
    if (!t.objectIds.empty() && t.objectIds != shown) ground(t.objectIds);
}

void ChatPanel::onAnchorClicked(const QUrl& url) {
    const std::vector<int> ids = identifiersOf(url);
    if (!ids.empty()) ground(ids);
}

std::vector<int> ChatPanel::identifiersOf(const QUrl& url) const {
    const QString target = url.toString();
    if (target.startsWith("obj:")) return {target.mid(4).toInt()};
    if (target.startsWith("turn:")) {
        const int index = target.mid(5).toInt();
        if (index >= 0 && index < session_->turns().size()) return session_->turns()[index].objectIds;
    }
    return {};
}

// Hovering a chip or a turn's "show all" names the objects and where they are.
void ChatPanel::onAnchorHovered(const QUrl& url) {
    const std::vector<int> ids = identifiersOf(url);
    auto features = session_->features();
    if (ids.empty() || !features) return;
    QStringList parts;
    for (const GroundedObject& o : groundedObjects(*features, ids)) {
        const Vec3 c = o.box.center();
        parts << tr("%1 %2 at (%3, %4, %5) m").arg(identifierToken(o.identifier).toHtmlEscaped(), session_->objectLabel(o.identifier))
                     .arg(c.x, 0, 'f', 2).arg(c.y, 0, 'f', 2).arg(c.z, 0, 'f', 2);
    }
    setStatus(parts.join("; "));
}

QString ChatPanel::chip(int identifier) const {
    auto features = session_->features();
    const QString label = session_->objectLabel(identifier);
    const bool known = session_->showsObject(identifier) && features && size_t(identifier) < features->numProposals();
    const QString color = known ? hexColor(instanceColor(features->proposals[size_t(identifier)].id)) : QString("#9e9e9e");
    const QString name = known ? QString("%1 %2").arg(label.toHtmlEscaped()).arg(identifier, 3, 10, QChar('0'))
                               : tr("unknown %1").arg(identifier, 3, 10, QChar('0'));
    const QString text = QString("<span style=\"background-color:%1; color:%2\">&nbsp;%3&nbsp;</span>").arg(color, textColorOn(color), name);
    return known ? QString("<a href=\"obj:%1\" style=\"text-decoration:none\">%2</a>").arg(identifier).arg(text) : text;
}

QString ChatPanel::withChips(const QString& text) const {
    static const QRegularExpression token("&lt;OBJ(\\d+)&gt;");
    const QString escaped = text.toHtmlEscaped();
    QString out;
    qsizetype at = 0;
    for (auto it = token.globalMatch(escaped); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        out += escaped.mid(at, m.capturedStart() - at) + chip(m.captured(1).toInt());
        at = m.capturedEnd();
    }
    return out + escaped.mid(at);
}

void ChatPanel::render() {
    renderTimer_->stop();
    QString html;
    const QList<ChatTurn>& turns = session_->turns();
    for (int i = 0; i < turns.size(); ++i) {
        const ChatTurn& t = turns[i];
        html += QString("<p><b>%1</b> %2</p>").arg(tr("You:"), withChips(t.question));
        QString answer = withChips(t.answer);
        if (!t.finished) answer += " &#8230;";
        if (t.cancelled) answer += " <i>" + tr("(stopped)") + "</i>";
        if (!t.error.isEmpty()) answer += " <i>" + t.error.toHtmlEscaped() + "</i>";
        if (t.objectIds.size() > 1) answer += QString(" <a href=\"turn:%1\">%2</a>").arg(i).arg(tr("show all"));
        html += QString("<p><b>%1</b> %2</p>").arg(tr("Inst3D:"), answer);
    }
    transcript_->setHtml(html);
    transcript_->verticalScrollBar()->setValue(transcript_->verticalScrollBar()->maximum());
}

void ChatPanel::offerFeatures(const QString& text) {
    setStatus(text);
    makeFeatures_->setEnabled(!session_->isMakingFeatures());
    makeFeatures_->show();
}

void ChatPanel::onFeaturesProgress(double fraction, const QString& message) {
    constexpr int kSteps = 100;
    busy_->setRange(0, kSteps);
    busy_->setValue(qRound(fraction * kSteps));
    setStatus(tr("Making the feature cache (%1 %): %2").arg(qRound(fraction * kSteps)).arg(message));
    updateButtons();
}

void ChatPanel::updateButtons() {
    const bool asking = session_->isAsking() || session_->isMakingFeatures();
    send_->setEnabled(session_->canAsk());
    input_->setEnabled(session_->hasModel() && session_->hasScene());
    stop_->setEnabled(asking);
    askSelection_->setEnabled(session_->canAsk() && document_->selectedInstance() >= 0);
    if (!session_->hasModel() && status_->text().isEmpty()) setStatus(tr("No model: File > Open Model..."));
}

}  // namespace inst3d
