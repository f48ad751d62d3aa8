// Pre-training the 3D encoder on a ScanNet-layout world (the demo model's encoders, docs/training.md).
// Uni3D is pre-trained by pulling each point cloud's embedding towards CLIP's text and image embeddings
// of the object. A synthetic world has no CLIP to align with, so its labels stand in for the texts: each
// instance's L2-normalised embedding is scored against learned prototypes of every category and every
// colour (a cosine classifier at CLIP's temperature, i.e. the contrastive loss against a fixed set of
// "captions"), so that objects of one kind and colour land together whatever their scene. The encoder
// keeps the released layout (Uni3dEncoder::save): `inst3d extract --uni3d FILE --uni3d-config NAME`
// reads it like any Uni3D checkpoint.
#pragma once
#include "core/common/progress.h"
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/features/extraction.h"
#include "models/vision/uni3d.h"

namespace inst3d {

constexpr int kColourLevels = 3;  // per channel: 27 colour classes

struct PretrainInstance {
    std::string sceneId;
    int category = 0, colour = 0;
    Uni3dInput input;  // prepareUni3dInstance: unit sphere, rgb 0..1, every point
};

struct PretrainSet {
    std::vector<std::string> categories;       // sorted labels of the train split's instances
    std::vector<PretrainInstance> train, val;  // val keeps only categories seen in train
    int valUnseen = 0;                         // val instances of categories train has not got
};

// The instance's colour class: its per-channel median vertex colour, kColourLevels levels a channel.
int colourClass(const InstancePoints& points);

// The ground-truth instances (aggregation) of the train and val splits of `root` with at least
// Uni3dEncoder::kMinInstancePoints points. progress(fraction, scene); errors name the scene's file.
PretrainSet loadPretrainSet(const std::string& root, int64_t groupSize,
                            const Progress& progress = {});

struct PretrainOptions {
    int epochs = 40, batchSize = 32;
    int64_t points = 512;        // sampled per instance and step (with replacement when it has fewer)
    double lr = 1e-3, weightDecay = 0.05, minLrRatio = 0.1;  // AdamW, cosine from lr to lr * minLrRatio
    double temperature = 0.07;   // CLIP's initial 1 / logit scale
    uint64_t seed = 0;
};

struct PretrainEpoch {
    int epoch = 0;
    double loss = 0, trainCategoryAcc = 0;    // over the epoch's batches
    double valCategoryAcc = 0, valColourAcc = 0;  // held-out scenes, nearest prototype, every point
    double seconds = 0;
};

// Trains `encoder` in place from data.train; one entry per epoch. onEpoch after each; false stops.
// Each step samples o.points points per instance and turns the cloud by a random angle about z.
std::vector<PretrainEpoch> pretrainUni3d(Uni3dEncoder& encoder, const PretrainSet& data, const PretrainOptions& o,
                                         const std::function<bool(const PretrainEpoch&)>& onEpoch = {});

}  // namespace inst3d
