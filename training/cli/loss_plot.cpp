#include "training/cli/loss_plot.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/common/error.h"
#include "core/io/image_codec.h"
#include "core/io/json_file.h"

namespace inst3d {

namespace {

constexpr int kWidth = 900, kHeight = 450, kMargin = 40;  // pixels
constexpr uint8_t kTaskColors[][3] = {{31, 119, 180}, {44, 160, 44}, {255, 127, 14}, {148, 103, 189}, {140, 86, 75}, {23, 190, 207}};

struct Series {
    std::vector<std::pair<double, double>> points;  // (step, loss)
};

struct Canvas {
    ImageRGB8 img;
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;  // data range (y in log10)
    Canvas() {
        img.width = kWidth;
        img.height = kHeight;
        img.pixels.assign(size_t(kWidth) * kHeight * 3, 255);
    }
    void put(int x, int y, const uint8_t* c) {
        if (x < 0 || y < 0 || x >= kWidth || y >= kHeight) return;
        std::copy(c, c + 3, img.at(x, y));
    }
    int px(double step) const { return kMargin + int((step - x0) / std::max(1e-9, x1 - x0) * (kWidth - 2 * kMargin)); }
    int py(double loss) const {
        const double l = std::log10(std::max(loss, 1e-6));
        return kHeight - kMargin - int((l - y0) / std::max(1e-9, y1 - y0) * (kHeight - 2 * kMargin));
    }
    void line(int xa, int ya, int xb, int yb, const uint8_t* c) {
        const int n = std::max({std::abs(xb - xa), std::abs(yb - ya), 1});
        for (int i = 0; i <= n; ++i) put(xa + (xb - xa) * i / n, ya + (yb - ya) * i / n, c);
    }
    void curve(const Series& s, const uint8_t* c) {
        for (size_t i = 1; i < s.points.size(); ++i)
            line(px(s.points[i - 1].first), py(s.points[i - 1].second), px(s.points[i].first), py(s.points[i].second), c);
    }
    void squares(const Series& s, const uint8_t* c) {
        for (const auto& [x, y] : s.points)
            for (int dx = -2; dx <= 2; ++dx)
                for (int dy = -2; dy <= 2; ++dy) put(px(x) + dx, py(y) + dy, c);
    }
};

void readLog(const std::string& path, Series& train, Series& val, std::map<std::string, Series>& tasks) {
    std::ifstream in(path);
    if (!in) fail(path, "cannot read the training log");
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        const nlohmann::json j = parseJsonText(line, path, "log line");
        const double step = j.value("step", 0.0);
        if (j.contains("loss")) train.points.emplace_back(step, j["loss"].get<double>());
        if (j.contains("val_loss") && j["val_loss"].is_number()) val.points.emplace_back(step, j["val_loss"].get<double>());
        if (j.contains("tasks"))
            for (const auto& [task, v] : j["tasks"].items()) tasks[task].points.emplace_back(step, v.get<double>());
    }
}

}  // namespace

void writeLossPlot(const std::string& jsonlPath, const std::string& pngPath) {
    Series train, val;
    std::map<std::string, Series> tasks;
    readLog(jsonlPath, train, val, tasks);
    Canvas cv;
    double lo = INFINITY, hi = -INFINITY;
    std::vector<const Series*> all = {&train, &val};
    for (const auto& [name, s] : tasks) all.push_back(&s);
    for (const Series* s : all)
        for (const auto& [x, y] : s->points) {
            cv.x1 = std::max(cv.x1, x);
            lo = std::min(lo, std::log10(std::max(y, 1e-6)));
            hi = std::max(hi, std::log10(std::max(y, 1e-6)));
        }
    cv.y0 = std::isfinite(lo) ? std::floor(lo) : 0;
    cv.y1 = std::isfinite(hi) ? std::ceil(hi) : 1;
    if (cv.y1 <= cv.y0) cv.y1 = cv.y0 + 1;
    const uint8_t grid[3] = {225, 225, 225}, axis[3] = {0, 0, 0}, red[3] = {214, 39, 40};
    for (double d = cv.y0; d <= cv.y1; d += 1) cv.line(kMargin, cv.py(std::pow(10, d)), kWidth - kMargin, cv.py(std::pow(10, d)), grid);
    cv.line(kMargin, kHeight - kMargin, kWidth - kMargin, kHeight - kMargin, axis);
    cv.line(kMargin, kMargin, kMargin, kHeight - kMargin, axis);
    size_t t = 0;
    for (const auto& [name, s] : tasks) cv.curve(s, kTaskColors[t++ % 6]);
    cv.curve(train, axis);
    cv.squares(val, red);
    writeColorImage(pngPath, cv.img);
}

}  // namespace inst3d
