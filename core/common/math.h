// Small fixed-size math for geometry code that must not depend on Eigen or torch.
#pragma once
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>

namespace inst3d {

struct Vec3 {
    double x = 0, y = 0, z = 0;
    Vec3() = default;
    Vec3(double x_, double y_, double z_) : x(x_), y(y_), z(z_) {}
    double operator[](int i) const { return i == 0 ? x : (i == 1 ? y : z); }
    double& operator[](int i) { return i == 0 ? x : (i == 1 ? y : z); }
    Vec3 operator+(const Vec3& o) const { return {x + o.x, y + o.y, z + o.z}; }
    Vec3 operator-(const Vec3& o) const { return {x - o.x, y - o.y, z - o.z}; }
    Vec3 operator*(double s) const { return {x * s, y * s, z * s}; }
    Vec3 operator/(double s) const { return {x / s, y / s, z / s}; }
    Vec3& operator+=(const Vec3& o) { x += o.x; y += o.y; z += o.z; return *this; }
    bool operator==(const Vec3& o) const { return x == o.x && y == o.y && z == o.z; }
};
inline double dot(const Vec3& a, const Vec3& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
inline Vec3 cross(const Vec3& a, const Vec3& b) { return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; }
inline double norm(const Vec3& a) { return std::sqrt(dot(a, a)); }
inline Vec3 normalized(const Vec3& a) { double n = norm(a); return n > 0 ? a / n : a; }
inline Vec3 vmin(const Vec3& a, const Vec3& b) { return {std::fmin(a.x, b.x), std::fmin(a.y, b.y), std::fmin(a.z, b.z)}; }
inline Vec3 vmax(const Vec3& a, const Vec3& b) { return {std::fmax(a.x, b.x), std::fmax(a.y, b.y), std::fmax(a.z, b.z)}; }

// Row-major 4x4, as ScanNet writes axisAlignment and poses: m[r*4+c].
struct Mat4 {
    std::array<double, 16> m{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};

    static Mat4 identity() { return Mat4{}; }
    double& operator()(int r, int c) { return m[r * 4 + c]; }
    double operator()(int r, int c) const { return m[r * 4 + c]; }
    Mat4 operator*(const Mat4& o) const {
        Mat4 out;
        for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 4; ++c) {
                double s = 0;
                for (int k = 0; k < 4; ++k) s += (*this)(r, k) * o(k, c);
                out(r, c) = s;
            }
        return out;
    }
    Vec3 transformPoint(const Vec3& p) const {
        return {m[0] * p.x + m[1] * p.y + m[2] * p.z + m[3], m[4] * p.x + m[5] * p.y + m[6] * p.z + m[7],
                m[8] * p.x + m[9] * p.y + m[10] * p.z + m[11]};
    }
    Vec3 transformVector(const Vec3& v) const {
        return {m[0] * v.x + m[1] * v.y + m[2] * v.z, m[4] * v.x + m[5] * v.y + m[6] * v.z,
                m[8] * v.x + m[9] * v.y + m[10] * v.z};
    }
    bool isFinite() const {
        for (double v : m)
            if (!std::isfinite(v)) return false;
        return true;
    }
    bool isIdentity(double tol = 0) const {
        Mat4 id;
        for (int i = 0; i < 16; ++i)
            if (std::fabs(m[i] - id.m[i]) > tol) return false;
        return true;
    }
    // Inverse of a rigid transform [R|t] (poses, axis alignment): [R^T | -R^T t].
    Mat4 rigidInverse() const {
        Mat4 out;
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 3; ++c) out(r, c) = (*this)(c, r);
        for (int r = 0; r < 3; ++r) out(r, 3) = -(out(r, 0) * m[3] + out(r, 1) * m[7] + out(r, 2) * m[11]);
        return out;
    }
    // General inverse (Gauss-Jordan), for matrices that may carry scale.
    Mat4 inverse() const;
};

inline Mat4 rotationZ(double radians, const Vec3& translation = {}) {
    Mat4 t;
    double c = std::cos(radians), s = std::sin(radians);
    t(0, 0) = c; t(0, 1) = -s; t(1, 0) = s; t(1, 1) = c;
    t(0, 3) = translation.x; t(1, 3) = translation.y; t(2, 3) = translation.z;
    return t;
}

// Axis-aligned box, as the ScanNet preprocessing computes it: center = (max+min)/2, size = max-min.
struct AABB {
    Vec3 min{std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
             std::numeric_limits<double>::infinity()};
    Vec3 max{-std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
             -std::numeric_limits<double>::infinity()};
    void extend(const Vec3& p) { min = vmin(min, p); max = vmax(max, p); }
    bool empty() const { return !(min.x <= max.x); }
    Vec3 center() const { return (max + min) * 0.5; }
    Vec3 size() const { return max - min; }
    double volume() const { Vec3 s = size(); return empty() ? 0 : s.x * s.y * s.z; }
};

}  // namespace inst3d
