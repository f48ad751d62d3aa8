#include "core/synth/rasterizer.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace inst3d {

namespace {

struct ScreenVertex {
    double u, v, invZ;     // screen position and 1/z
    double r, g, b;        // color / z, for perspective-correct interpolation
};

struct Target {
    int width, height;
    float* z;      // [H*W], +inf = empty
    float* rgb;    // [H*W*3] or null
    float shade;   // flat shading factor of the current triangle
};

double edge(double ax, double ay, double bx, double by, double px, double py) {
    return (bx - ax) * (py - ay) - (by - ay) * (px - ax);
}

// Fills the pixels whose integer sample point lies inside (or on) the triangle. Edge functions are
// evaluated exactly per pixel (no tolerance): a drawn pixel's ray really hits this triangle.
void fillTriangle(const ScreenVertex& a, const ScreenVertex& b, const ScreenVertex& c, Target& t) {
    const double area = edge(a.u, a.v, b.u, b.v, c.u, c.v);
    if (!(std::fabs(area) > 1e-12)) return;
    const int x0 = std::max(0, static_cast<int>(std::ceil(std::min({a.u, b.u, c.u}))));
    const int x1 = std::min(t.width - 1, static_cast<int>(std::floor(std::max({a.u, b.u, c.u}))));
    const int y0 = std::max(0, static_cast<int>(std::ceil(std::min({a.v, b.v, c.v}))));
    const int y1 = std::min(t.height - 1, static_cast<int>(std::floor(std::max({a.v, b.v, c.v}))));
    if (x0 > x1 || y0 > y1) return;
    const double inv = 1.0 / area;
    for (int y = y0; y <= y1; ++y) {
        for (int x = x0; x <= x1; ++x) {
            const double w0 = edge(b.u, b.v, c.u, c.v, x, y) * inv;
            const double w1 = edge(c.u, c.v, a.u, a.v, x, y) * inv;
            const double w2 = edge(a.u, a.v, b.u, b.v, x, y) * inv;
            if (w0 < 0 || w1 < 0 || w2 < 0) continue;
            const double invZ = w0 * a.invZ + w1 * b.invZ + w2 * c.invZ;
            if (!(invZ > 0)) continue;
            const float z = static_cast<float>(1.0 / invZ);
            const size_t i = static_cast<size_t>(y) * static_cast<size_t>(t.width) + static_cast<size_t>(x);
            if (!(z < t.z[i])) continue;
            t.z[i] = z;
            if (!t.rgb) continue;
            const double s = t.shade / invZ;
            t.rgb[3 * i] = static_cast<float>((w0 * a.r + w1 * b.r + w2 * c.r) * s);
            t.rgb[3 * i + 1] = static_cast<float>((w0 * a.g + w1 * b.g + w2 * c.g) * s);
            t.rgb[3 * i + 2] = static_cast<float>((w0 * a.b + w1 * b.b + w2 * c.b) * s);
        }
    }
}

}  // namespace

MeshRasterizer::MeshRasterizer(const Mesh& mesh, double nearPlane) : mesh_(mesh), near_(nearPlane) {}

void MeshRasterizer::transform(const Mat4& cameraToWorld, std::vector<CamVertex>& out) const {
    // Poses may carry a tiny non-orthonormal part (a 6-decimal axis alignment), so invert generally.
    const Mat4 w2c = cameraToWorld.inverse();
    const size_t n = mesh_.numVertices();
    out.resize(n);
    const bool colors = mesh_.hasColors();
    for (size_t i = 0; i < n; ++i) {
        Vec3 p = w2c.transformPoint(mesh_.vertex(i));
        CamVertex& v = out[i];
        v.x = p.x;
        v.y = p.y;
        v.z = p.z;
        v.r = colors ? mesh_.rgba[4 * i] : 200.f;
        v.g = colors ? mesh_.rgba[4 * i + 1] : 200.f;
        v.b = colors ? mesh_.rgba[4 * i + 2] : 200.f;
    }
}

void MeshRasterizer::render(const Mat4& cameraToWorld, const Intrinsics& k, std::vector<float>& z,
                            std::vector<float>* rgb) const {
    const size_t pixels = static_cast<size_t>(k.width) * static_cast<size_t>(k.height);
    z.assign(pixels, std::numeric_limits<float>::infinity());
    if (rgb) rgb->assign(pixels * 3, 0.f);
    Target target{k.width, k.height, z.data(), rgb ? rgb->data() : nullptr, 1.f};

    std::vector<CamVertex> cam;
    transform(cameraToWorld, cam);
    auto project = [&](const CamVertex& v) {
        ScreenVertex s;
        s.invZ = 1.0 / v.z;
        s.u = k.fx * v.x * s.invZ + k.cx;
        s.v = k.fy * v.y * s.invZ + k.cy;
        s.r = v.r * s.invZ;
        s.g = v.g * s.invZ;
        s.b = v.b * s.invZ;
        return s;
    };
    auto lerp = [](const CamVertex& a, const CamVertex& b, double t) {
        CamVertex o;
        o.x = a.x + (b.x - a.x) * t;
        o.y = a.y + (b.y - a.y) * t;
        o.z = a.z + (b.z - a.z) * t;
        o.r = static_cast<float>(a.r + (b.r - a.r) * t);
        o.g = static_cast<float>(a.g + (b.g - a.g) * t);
        o.b = static_cast<float>(a.b + (b.b - a.b) * t);
        return o;
    };

    const size_t nf = mesh_.numFaces();
    for (size_t f = 0; f < nf; ++f) {
        const CamVertex* tri[3] = {&cam[mesh_.faces[3 * f]], &cam[mesh_.faces[3 * f + 1]], &cam[mesh_.faces[3 * f + 2]]};
        const int inFront = (tri[0]->z >= near_) + (tri[1]->z >= near_) + (tri[2]->z >= near_);
        if (inFront == 0) continue;
        if (rgb) {
            // Flat Lambert with the light at the camera: |n . view| of the triangle.
            Vec3 p0{tri[0]->x, tri[0]->y, tri[0]->z}, p1{tri[1]->x, tri[1]->y, tri[1]->z}, p2{tri[2]->x, tri[2]->y, tri[2]->z};
            Vec3 n = normalized(cross(p1 - p0, p2 - p0));
            Vec3 view = normalized((p0 + p1 + p2) / 3.0);
            target.shade = static_cast<float>(0.4 + 0.6 * std::fabs(dot(n, view)));
        }
        if (inFront == 3) {
            fillTriangle(project(*tri[0]), project(*tri[1]), project(*tri[2]), target);
            continue;
        }
        // Sutherland-Hodgman against z = near: the polygon keeps at most 4 vertices.
        CamVertex poly[4];
        int count = 0;
        for (int i = 0; i < 3; ++i) {
            const CamVertex& a = *tri[i];
            const CamVertex& b = *tri[(i + 1) % 3];
            const bool aIn = a.z >= near_, bIn = b.z >= near_;
            if (aIn) poly[count++] = a;
            if (aIn != bIn) {
                CamVertex c = lerp(a, b, (near_ - a.z) / (b.z - a.z));
                c.z = near_;
                poly[count++] = c;
            }
        }
        const ScreenVertex s0 = project(poly[0]);
        for (int i = 1; i + 1 < count; ++i) fillTriangle(s0, project(poly[i]), project(poly[i + 1]), target);
    }
}

std::vector<float> MeshRasterizer::depthMeters(const Mat4& cameraToWorld, const Intrinsics& k) const {
    std::vector<float> z;
    render(cameraToWorld, k, z, nullptr);
    for (float& v : z)
        if (!std::isfinite(v)) v = 0.f;
    return z;
}

ImageDepth16 MeshRasterizer::depth(const Mat4& cameraToWorld, const Intrinsics& k, double depthShift) const {
    std::vector<float> z = depthMeters(cameraToWorld, k);
    ImageDepth16 out;
    out.width = k.width;
    out.height = k.height;
    out.pixels.resize(z.size());
    for (size_t i = 0; i < z.size(); ++i) {
        const double v = std::round(z[i] * depthShift);
        out.pixels[i] = v > 0 && v <= 65535 ? static_cast<uint16_t>(v) : 0;
    }
    return out;
}

ImageRGB8 MeshRasterizer::color(const Mat4& cameraToWorld, const Intrinsics& k) const {
    std::vector<float> z, rgb;
    render(cameraToWorld, k, z, &rgb);
    ImageRGB8 out;
    out.width = k.width;
    out.height = k.height;
    out.pixels.resize(rgb.size());
    for (size_t i = 0; i < rgb.size(); ++i)
        out.pixels[i] = static_cast<uint8_t>(std::clamp(std::lround(rgb[i]), 0L, 255L));
    return out;
}

}  // namespace inst3d
