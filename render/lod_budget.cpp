#include "render/lod_budget.h"

#include <algorithm>

namespace inst3d {

LodBudgetController::LodBudgetController(size_t initialPoints) : LodBudgetController(initialPoints, Settings()) {}

LodBudgetController::LodBudgetController(size_t initialPoints, Settings settings)
    : settings_(settings), budget_(initialPoints) {}

bool LodBudgetController::addFrameInterval(double seconds) {
    if (seconds <= 0 || seconds > settings_.pauseSeconds) return false;
    samples_.push_back(seconds);
    if (static_cast<int>(samples_.size()) < settings_.window) return false;
    std::nth_element(samples_.begin(), samples_.begin() + std::ptrdiff_t(samples_.size() / 2), samples_.end());
    const double median = samples_[samples_.size() / 2];
    samples_.clear();
    size_t next = budget_;
    // Point cost is roughly linear in the budget on top of a fixed frame cost: step by a quarter, not
    // in proportion, so the fixed part cannot drive the budget to an extreme in one decision.
    if (median > settings_.targetSeconds * settings_.shrinkAbove && budget_ > settings_.minPoints)
        next = std::max(settings_.minPoints, budget_ * 3 / 4);
    else if (median < settings_.targetSeconds * settings_.growBelow && budget_ < settings_.maxPoints)
        next = std::min(settings_.maxPoints, budget_ * 5 / 4);
    if (next == budget_) return false;
    budget_ = next;
    return true;
}

}  // namespace inst3d
