#include "core/synth/rasterizer.h"

#include <algorithm>
#include <cmath>

namespace inst3d {

namespace {

struct ScreenVertex {
    double u, v, invZ;     // screen position and 1/z
    double r, g, b;        // color / z, for perspective-correct interpolation
};

struct Target {
    int width, height;
    float* invZ;   // [H*W] 1/z of the nearest surface so far, 0 = empty (no divisions in the inner loop)
    float* rgb;    // [H*W*3] or null
    float shade;   // flat shading factor of the current triangle
};

// An affine function of the pixel position: a*x + b*y + c.
struct Plane {
    double a, b, c;
    double at(double x, double y) const { return a * x + b * y + c; }
};

// Barycentric weight of the vertex opposite edge p->q, as an affine function of the pixel position.
Plane weightPlane(const ScreenVertex& p, const ScreenVertex& q, double invArea) {
    return {-(q.v - p.v) * invArea, (q.u - p.u) * invArea, ((q.v - p.v) * p.u - (q.u - p.u) * p.v) * invArea};
}

Plane combine(const Plane w[3], double f0, double f1, double f2) {
    return {w[0].a * f0 + w[1].a * f1 + w[2].a * f2, w[0].b * f0 + w[1].b * f1 + w[2].b * f2,
            w[0].c * f0 + w[1].c * f1 + w[2].c * f2};
}

// Fills the pixels whose integer sample point lies inside (or on) the triangle, with the weights
// evaluated exactly per pixel (no tolerance): a drawn pixel's ray really hits this triangle.
void fillTriangle(const ScreenVertex& a, const ScreenVertex& b, const ScreenVertex& c, Target& t) {
    const double area = (b.u - a.u) * (c.v - a.v) - (b.v - a.v) * (c.u - a.u);
    if (!(std::fabs(area) > 1e-12)) return;
    const int x0 = std::max(0, static_cast<int>(std::ceil(std::min({a.u, b.u, c.u}))));
    const int x1 = std::min(t.width - 1, static_cast<int>(std::floor(std::max({a.u, b.u, c.u}))));
    const int y0 = std::max(0, static_cast<int>(std::ceil(std::min({a.v, b.v, c.v}))));
    const int y1 = std::min(t.height - 1, static_cast<int>(std::floor(std::max({a.v, b.v, c.v}))));
    if (x0 > x1 || y0 > y1) return;
    const double inv = 1.0 / area;
    const Plane w[3] = {weightPlane(b, c, inv), weightPlane(c, a, inv), weightPlane(a, b, inv)};
    const Plane invZ = combine(w, a.invZ, b.invZ, c.invZ);
    Plane r{}, g{}, bl{};
    if (t.rgb) {
        r = combine(w, a.r, b.r, c.r);
        g = combine(w, a.g, b.g, c.g);
        bl = combine(w, a.b, b.b, c.b);
    }
    for (int y = y0; y <= y1; ++y) {
        float* depthRow = t.invZ + static_cast<size_t>(y) * static_cast<size_t>(t.width);
        for (int x = x0; x <= x1; ++x) {
            if (w[0].at(x, y) < 0 || w[1].at(x, y) < 0 || w[2].at(x, y) < 0) continue;
            const double iz = invZ.at(x, y);
            if (!(iz > depthRow[x])) continue;
            depthRow[x] = static_cast<float>(iz);
            if (!t.rgb) continue;
            float* px = t.rgb + 3 * (static_cast<size_t>(y) * static_cast<size_t>(t.width) + static_cast<size_t>(x));
            const double s = t.shade / iz;
            px[0] = static_cast<float>(r.at(x, y) * s);
            px[1] = static_cast<float>(g.at(x, y) * s);
            px[2] = static_cast<float>(bl.at(x, y) * s);
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
    z.assign(pixels, 0.f);  // 1/z while rendering, z at the end
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
    // Each vertex is projected once per frame (only those in front of the near plane are used).
    std::vector<ScreenVertex> screen(cam.size());
    for (size_t i = 0; i < cam.size(); ++i)
        if (cam[i].z >= near_) screen[i] = project(cam[i]);

    const double maxU = k.width - 1, maxV = k.height - 1;
    const size_t nf = mesh_.numFaces();
    for (size_t f = 0; f < nf; ++f) {
        const uint32_t i0 = mesh_.faces[3 * f], i1 = mesh_.faces[3 * f + 1], i2 = mesh_.faces[3 * f + 2];
        const CamVertex* tri[3] = {&cam[i0], &cam[i1], &cam[i2]};
        const int inFront = (tri[0]->z >= near_) + (tri[1]->z >= near_) + (tri[2]->z >= near_);
        if (inFront == 0) continue;
        // Back faces: every primitive is closed or hides its open side against another surface, and
        // faces wind outward, so a triangle seen from behind is always covered by a front face.
        const Vec3 p0{tri[0]->x, tri[0]->y, tri[0]->z}, p1{tri[1]->x, tri[1]->y, tri[1]->z}, p2{tri[2]->x, tri[2]->y, tri[2]->z};
        const Vec3 normal = cross(p1 - p0, p2 - p0);
        if (dot(normal, p0) >= 0) continue;
        if (inFront == 3) {
            const ScreenVertex &a = screen[i0], &b = screen[i1], &c = screen[i2];
            if ((a.u < 0 && b.u < 0 && c.u < 0) || (a.u > maxU && b.u > maxU && c.u > maxU) ||
                (a.v < 0 && b.v < 0 && c.v < 0) || (a.v > maxV && b.v > maxV && c.v > maxV))
                continue;
        }
        if (rgb) {
            // Flat Lambert with the light at the camera: |n . view| of the triangle.
            const Vec3 view = normalized(p0 + p1 + p2);
            target.shade = static_cast<float>(0.4 + 0.6 * std::fabs(dot(normalized(normal), view)));
        }
        if (inFront == 3) {
            fillTriangle(screen[i0], screen[i1], screen[i2], target);
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
    for (float& v : z) v = v > 0 ? 1.0f / v : 0.f;
}

std::vector<float> MeshRasterizer::depthMeters(const Mat4& cameraToWorld, const Intrinsics& k) const {
    std::vector<float> z;
    render(cameraToWorld, k, z, nullptr);
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
        out.pixels[i] = static_cast<uint8_t>(std::clamp(rgb[i], 0.f, 255.f) + 0.5f);
    return out;
}

}  // namespace inst3d
