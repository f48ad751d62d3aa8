// Eigen decomposition of the 3x3 covariance by cyclic Jacobi rotations: exact enough (1e-12 off-diagonal)
// and dependency-free; a few sweeps suffice for a symmetric 3x3 matrix.
#include "core/proposals/plane_fit.h"

#include <algorithm>

namespace inst3d {

double PlaneFit::thickness() const { return std::sqrt(std::max(0.0, eigen[0])); }

namespace {

// Jacobi on symmetric a (row-major 3x3); v receives the eigenvectors as columns.
void jacobi3(double a[3][3], double v[3][3]) {
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) v[i][j] = i == j ? 1 : 0;
    for (int sweep = 0; sweep < 50; ++sweep) {
        double off = std::fabs(a[0][1]) + std::fabs(a[0][2]) + std::fabs(a[1][2]);
        double scale = std::fabs(a[0][0]) + std::fabs(a[1][1]) + std::fabs(a[2][2]);
        if (off <= 1e-15 * std::max(scale, 1e-300)) return;
        for (int p = 0; p < 2; ++p)
            for (int q = p + 1; q < 3; ++q) {
                if (a[p][q] == 0) continue;
                const double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                const double t = (theta >= 0 ? 1 : -1) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
                const double c = 1 / std::sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < 3; ++k) {  // a = a * J
                    const double akp = a[k][p], akq = a[k][q];
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for (int k = 0; k < 3; ++k) {  // a = J^T * a
                    const double apk = a[p][k], aqk = a[q][k];
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for (int k = 0; k < 3; ++k) {
                    const double vkp = v[k][p], vkq = v[k][q];
                    v[k][p] = c * vkp - s * vkq;
                    v[k][q] = s * vkp + c * vkq;
                }
            }
    }
}

}  // namespace

PlaneFit fitPlane(const Moments& m) {
    PlaneFit f;
    if (m.n <= 0) return f;
    f.centroid = m.sum / m.n;
    if (m.n < 3) return f;
    const Vec3 c = f.centroid;
    double a[3][3] = {{m.xx / m.n - c.x * c.x, m.xy / m.n - c.x * c.y, m.xz / m.n - c.x * c.z},
                      {0, m.yy / m.n - c.y * c.y, m.yz / m.n - c.y * c.z},
                      {0, 0, m.zz / m.n - c.z * c.z}};
    a[1][0] = a[0][1];
    a[2][0] = a[0][2];
    a[2][1] = a[1][2];
    double v[3][3];
    jacobi3(a, v);
    int order[3] = {0, 1, 2};
    std::sort(order, order + 3, [&](int i, int j) { return a[i][i] < a[j][j]; });
    for (int k = 0; k < 3; ++k) f.eigen[k] = a[order[k]][order[k]];
    f.normal = normalized(Vec3{v[0][order[0]], v[1][order[0]], v[2][order[0]]});
    return f;
}

}  // namespace inst3d
