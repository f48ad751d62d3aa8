#include "render/color_mode.h"

#include "core/common/error.h"

namespace inst3d {

const char* toString(ColorMode mode) {
    switch (mode) {
        case ColorMode::Rgb: return "rgb";
        case ColorMode::Instances: return "instances";
        case ColorMode::Proposals: return "proposals";
        case ColorMode::Semantic: return "semantic";
    }
    return "?";
}

std::string displayName(ColorMode mode) {
    switch (mode) {
        case ColorMode::Rgb: return "RGB";
        case ColorMode::Instances: return "Instances";
        case ColorMode::Proposals: return "Proposals";
        case ColorMode::Semantic: return "Semantic Labels";
    }
    return "?";
}

const std::vector<ColorMode>& allColorModes() {
    static const std::vector<ColorMode> modes{ColorMode::Rgb, ColorMode::Instances, ColorMode::Proposals,
                                                ColorMode::Semantic};
    return modes;
}

ColorMode colorModeFromString(const std::string& name) {
    std::string choices;
    for (ColorMode mode : allColorModes()) {
        if (name == toString(mode)) return mode;
        choices += (choices.empty() ? "" : ", ") + std::string(toString(mode));
    }
    fail("", "unknown color mode '" + name + "' (choose one of: " + choices + ")");
}

}  // namespace inst3d
