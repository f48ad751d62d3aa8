// Small in-memory scenes for the viewer tests: a gray floor with a red, a green and a blue box in a
// row along +X (instances 1, 2, 3), and a point cloud. Header-only: each test_*.cpp is its own binary.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include <QApplication>
#include <QColor>
#include <QImage>
#include <QMessageBox>
#include <QPointF>
#include <QTimer>

#include "core/scene/scene.h"

namespace inst3d::test {

// Error dialogs are modal (exec() blocks the test), so a timer reads and accepts the first one that
// appears; `text` holds its text and informative text once it has.
class ModalBoxReader {
public:
    ModalBoxReader() {
        QObject::connect(&timer_, &QTimer::timeout, [this] {
            if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) {
                text = box->text() + "\n" + box->informativeText();
                box->accept();
            }
        });
        timer_.start(50);
    }
    QString text;

private:
    QTimer timer_;
};

// Appends an axis-aligned box with outward-facing triangles (counter-clockwise seen from outside)
// and returns the indices of its vertices.
inline std::vector<uint32_t> addBox(Mesh& mesh, Vec3 lo, Vec3 hi, QColor color) {
    uint32_t base = static_cast<uint32_t>(mesh.numVertices());
    std::vector<uint32_t> ids;
    for (int i = 0; i < 8; ++i) {
        mesh.xyz.push_back(static_cast<float>(i & 1 ? hi.x : lo.x));
        mesh.xyz.push_back(static_cast<float>(i & 2 ? hi.y : lo.y));
        mesh.xyz.push_back(static_cast<float>(i & 4 ? hi.z : lo.z));
        mesh.rgba.insert(mesh.rgba.end(), {uint8_t(color.red()), uint8_t(color.green()), uint8_t(color.blue()), 255});
        ids.push_back(base + i);
    }
    // Corner i has bits (x, y, z). Two triangles per face, wound outwards.
    static const int quads[6][4] = {{0, 2, 3, 1}, {4, 5, 7, 6}, {0, 1, 5, 4}, {2, 6, 7, 3}, {0, 4, 6, 2}, {1, 3, 7, 5}};
    for (const auto& q : quads) {
        mesh.faces.insert(mesh.faces.end(), {base + q[0], base + q[1], base + q[2], base + q[0], base + q[2], base + q[3]});
    }
    return ids;
}

inline void addFloor(Mesh& mesh, double x0, double y0, double x1, double y1, QColor color) {
    uint32_t base = static_cast<uint32_t>(mesh.numVertices());
    const double corners[4][2] = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
    for (const auto& c : corners) {
        mesh.xyz.insert(mesh.xyz.end(), {float(c[0]), float(c[1]), 0.f});
        mesh.rgba.insert(mesh.rgba.end(), {uint8_t(color.red()), uint8_t(color.green()), uint8_t(color.blue()), 255});
    }
    mesh.faces.insert(mesh.faces.end(), {base, base + 1, base + 2, base, base + 2, base + 3});  // faces +Z
}

inline const QColor kRed(230, 20, 20), kGreen(20, 200, 30), kBlue(25, 40, 230), kFloor(150, 150, 150);

// Boxes 0.7 m wide along X at x = -1.3, 0, +1.3 on a 4.6 x 3 m floor.
inline std::shared_ptr<Scene> makeBoxesScene() {
    auto scene = std::make_shared<Scene>();
    scene->id = "boxes";
    scene->sourcePath = "memory:boxes";
    addFloor(scene->mesh, -2.3, -1.5, 2.3, 1.5, kFloor);
    const QColor colors[3] = {kRed, kGreen, kBlue};
    for (int i = 0; i < 3; ++i) {
        double cx = -1.3 + 1.3 * i;
        Instance inst;
        inst.id = i + 1;
        inst.label = "box";
        inst.vertices = addBox(scene->mesh, {cx - 0.35, -0.35, 0.0}, {cx + 0.35, 0.35, 0.7}, colors[i]);
        scene->instances.push_back(inst);
    }
    return scene;
}

// A 2 m x 2 m grid of yellow points on the floor.
inline std::shared_ptr<Scene> makePointCloudScene() {
    auto scene = std::make_shared<Scene>();
    scene->id = "points";
    for (int i = 0; i < 40; ++i)
        for (int j = 0; j < 40; ++j) {
            scene->mesh.xyz.insert(scene->mesh.xyz.end(), {-1.f + i * 0.05f, -1.f + j * 0.05f, 0.f});
            scene->mesh.rgba.insert(scene->mesh.rgba.end(), {240, 220, 20, 255});
        }
    return scene;
}

// Pixels whose chromaticity (r,g,b)/(r+g+b) is within `tol` of `color`'s and that are not too dark:
// lighting scales a color but keeps its chromaticity, so this finds shaded faces of a flat color.
struct ColorHits {
    int count = 0;
    QPointF centroid;
};

inline ColorHits findColor(const QImage& image, QColor color, double tol = 0.06) {
    double sum = color.red() + color.green() + color.blue();
    double cr = color.red() / sum, cg = color.green() / sum;
    ColorHits hits;
    double sx = 0, sy = 0;
    QImage img = image.convertToFormat(QImage::Format_RGB32);
    for (int y = 0; y < img.height(); ++y) {
        const QRgb* row = reinterpret_cast<const QRgb*>(img.constScanLine(y));
        for (int x = 0; x < img.width(); ++x) {
            double r = qRed(row[x]), g = qGreen(row[x]), b = qBlue(row[x]);
            double s = r + g + b;
            if (s < 90) continue;
            if (std::abs(r / s - cr) > tol || std::abs(g / s - cg) > tol) continue;
            ++hits.count;
            sx += x;
            sy += y;
        }
    }
    if (hits.count) hits.centroid = {sx / hits.count, sy / hits.count};
    return hits;
}

// Fraction of pixels that differ by more than `threshold` in any channel.
inline double differingFraction(const QImage& a, const QImage& b, int threshold = 24) {
    QImage ia = a.convertToFormat(QImage::Format_RGB32), ib = b.convertToFormat(QImage::Format_RGB32);
    if (ia.size() != ib.size()) return 1.0;
    long long n = 0;
    for (int y = 0; y < ia.height(); ++y)
        for (int x = 0; x < ia.width(); ++x) {
            QRgb p = ia.pixel(x, y), q = ib.pixel(x, y);
            if (std::abs(qRed(p) - qRed(q)) > threshold || std::abs(qGreen(p) - qGreen(q)) > threshold ||
                std::abs(qBlue(p) - qBlue(q)) > threshold)
                ++n;
        }
    return double(n) / (double(ia.width()) * ia.height());
}

// Fraction of pixels within `threshold` of the color at (x, y) (e.g. a background corner).
inline double fractionLike(const QImage& image, QRgb ref, int threshold = 6) {
    QImage img = image.convertToFormat(QImage::Format_RGB32);
    long long n = 0;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) {
            QRgb p = img.pixel(x, y);
            if (std::abs(qRed(p) - qRed(ref)) <= threshold && std::abs(qGreen(p) - qGreen(ref)) <= threshold &&
                std::abs(qBlue(p) - qBlue(ref)) <= threshold)
                ++n;
        }
    return double(n) / (double(img.width()) * img.height());
}

}  // namespace inst3d::test
