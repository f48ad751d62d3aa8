#include "models/vision/scene_encoders.h"

#include "models/vision/clip_vision.h"
#include "models/vision/uni3d.h"
#include "core/features/feature_cache.h"

namespace inst3d {

namespace {

constexpr int kCropBatch = 16;  // crops per CLIP forward

// Uni3dEncoder behind the torch-free PointEncoder interface.
class Uni3dPointEncoder : public PointEncoder {
public:
    Uni3dPointEncoder(std::unique_ptr<Uni3dEncoder> model, std::string name, std::string checkpoint)
        : model_(std::move(model)), name_(std::move(name)), checkpoint_(std::move(checkpoint)) {}
    std::string name() const override { return name_; }
    std::string checkpoint() const override { return checkpoint_; }
    int dim() const override { return int(model_->config().embedDim); }
    std::vector<float> encode(const InstancePoints& p) override {
        return model_->encodeInstance(p.xyz, colourBytes(p));  // 8-bit mesh colours, exactly
    }

private:
    std::unique_ptr<Uni3dEncoder> model_;
    std::string name_, checkpoint_;
};

}  // namespace

std::unique_ptr<PointEncoder> openPointEncoder(const std::string& spec, const std::string& configName,
                                               const std::string& device) {
    if (spec == "none") return nullptr;
    const bool random = spec.rfind("random:", 0) == 0;
    const std::string config = random ? spec.substr(7) : configName;
    auto model = Uni3dEncoder::open(spec, configName, device);
    return std::make_unique<Uni3dPointEncoder>(std::move(model), "uni3d-" + config,
                                               random ? spec : checkpointFingerprint(spec));
}

std::unique_ptr<CropEncoder> openCropEncoder(const std::string& spec, const std::string& device) {
    if (spec == "none") return nullptr;
    return ClipCropEncoder::open(spec, kCropBatch, device);
}

}  // namespace inst3d
