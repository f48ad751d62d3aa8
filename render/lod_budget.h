// How many points the level-of-detail sample may have: adapted to the frame rate the view really
// reaches while the camera moves, as VTK's LOD actors adapt to an allotted render time. On llvmpipe a
// point costs ~1 us of CPU and the rest of a frame (Qt's composition, the blit) ~25 ms, so a sample
// that keeps 24 fps on an idle machine drops below 20 fps when other work shares the cores; on a real
// GPU the same view can afford far more points. Pure logic (no VTK, no clock): the view feeds it the
// paint-to-paint intervals of consecutive motion frames.
#pragma once
#include <cstddef>
#include <vector>

namespace inst3d {

class LodBudgetController {
public:
    struct Settings {
        double targetSeconds = 1.0 / 24;  // aim a little above the 20 fps the viewer promises
        size_t minPoints = 10000;         // below this a room is no longer recognizable
        size_t maxPoints = 400000;
        double shrinkAbove = 1.15;        // median interval > 1.15 x target: fewer points
        double growBelow = 0.6;           // median interval < 0.6 x target: more points
        int window = 5;                   // intervals per decision
        double pauseSeconds = 0.25;       // longer gaps are pauses in the drag, not frame times
    };

    explicit LodBudgetController(size_t initialPoints);
    LodBudgetController(size_t initialPoints, Settings settings);

    size_t budget() const { return budget_; }
    // A motion frame was drawn `seconds` after the previous one. Returns true when budget() changed.
    bool addFrameInterval(double seconds);
    // The camera stopped: the next interval would span the pause.
    void startNewDrag() { samples_.clear(); }

private:
    Settings settings_;
    size_t budget_;
    std::vector<double> samples_;
};

}  // namespace inst3d
