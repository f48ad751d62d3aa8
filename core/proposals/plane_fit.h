// Least-squares planes from point moments: point-cloud normals (kNN patches) and segment planes.
#pragma once
#include "core/common/math.h"

namespace inst3d {

// Running first and second moments of a point set; mergeable, so segment groups combine exactly.
struct Moments {
    double n = 0;
    Vec3 sum;
    double xx = 0, xy = 0, xz = 0, yy = 0, yz = 0, zz = 0;
    void add(const Vec3& p) {
        n += 1;
        sum += p;
        xx += p.x * p.x; xy += p.x * p.y; xz += p.x * p.z;
        yy += p.y * p.y; yz += p.y * p.z; zz += p.z * p.z;
    }
    void merge(const Moments& o) {
        n += o.n;
        sum += o.sum;
        xx += o.xx; xy += o.xy; xz += o.xz; yy += o.yy; yz += o.yz; zz += o.zz;
    }
};

struct PlaneFit {
    Vec3 centroid;
    Vec3 normal{0, 0, 1};    // unit eigenvector of the smallest covariance eigenvalue; sign arbitrary
    double eigen[3] = {0, 0, 0};  // covariance eigenvalues, ascending
    double thickness() const;     // RMS distance to the plane: sqrt(eigen[0])
};

// Plane through the centroid; for fewer than 3 points the normal is +z and the eigenvalues 0.
PlaneFit fitPlane(const Moments& m);

}  // namespace inst3d
