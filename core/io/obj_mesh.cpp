#include "core/io/obj_mesh.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {
namespace {

struct LineReader {
    const char* p;
    const char* end;
    bool skipSpace() {
        while (p < end && (*p == ' ' || *p == '\t')) ++p;
        return p < end && *p != '\n' && *p != '\r';
    }
    bool number(double& v) {
        if (!skipSpace()) return false;
        auto r = std::from_chars(p, end, v);
        if (r.ec != std::errc()) return false;
        p = r.ptr;
        return true;
    }
    std::string token() {
        skipSpace();
        const char* s = p;
        while (p < end && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') ++p;
        return std::string(s, p);
    }
    void toNextLine() {
        while (p < end && *p != '\n') ++p;
        if (p < end) ++p;
    }
};

}  // namespace

Mesh readObj(const std::string& path) {
    MappedFile file(path);
    LineReader in{reinterpret_cast<const char*>(file.data()), reinterpret_cast<const char*>(file.data()) + file.size()};
    Mesh mesh;
    std::vector<uint8_t> rgb;
    bool anyColor = false;
    size_t lineNo = 0;
    std::vector<int64_t> poly;
    auto where = [&]() { return "line " + std::to_string(lineNo); };
    while (in.p < in.end) {
        ++lineNo;
        std::string tag = in.token();
        if (tag == "v") {
            double c[6];
            int n = 0;
            while (n < 6 && in.number(c[n])) ++n;
            if (n != 3 && n != 6) fail(path, where() + ": vertex needs 3 coordinates (or 3 + r g b)");
            for (int k = 0; k < 3; ++k) {
                if (!std::isfinite(c[k])) fail(path, where() + ": vertex has a NaN or infinite coordinate");
                mesh.xyz.push_back(static_cast<float>(c[k]));
            }
            if (n == 6) anyColor = true;
            for (int k = 0; k < 3; ++k) {
                double v = n == 6 ? c[3 + k] : 0.7;
                rgb.push_back(static_cast<uint8_t>(std::lround(std::fmin(std::fmax(v, 0.0), 1.0) * 255)));
            }
        } else if (tag == "f") {
            poly.clear();
            while (in.skipSpace()) {
                std::string t = in.token();
                int64_t idx = 0;
                auto r = std::from_chars(t.data(), t.data() + t.size(), idx);
                if (r.ec != std::errc()) fail(path, where() + ": bad face index '" + t + "'");
                const int64_t nv = static_cast<int64_t>(mesh.xyz.size() / 3);
                if (idx < 0) idx = nv + idx;  // negative indices count back from the last vertex
                else idx -= 1;                // OBJ indices start at 1
                if (idx < 0 || idx >= nv) fail(path, where() + ": face references vertex " + t + " which is not defined");
                poly.push_back(idx);
            }
            if (poly.size() < 3) fail(path, where() + ": face with fewer than 3 vertices");
            for (size_t k = 1; k + 1 < poly.size(); ++k) {
                mesh.faces.push_back(static_cast<uint32_t>(poly[0]));
                mesh.faces.push_back(static_cast<uint32_t>(poly[k]));
                mesh.faces.push_back(static_cast<uint32_t>(poly[k + 1]));
            }
        }
        in.toNextLine();
    }
    if (mesh.xyz.empty()) fail(path, "no vertices ('v' lines) found");
    if (anyColor) {
        mesh.rgba.resize(mesh.numVertices() * 4);
        for (size_t i = 0; i < mesh.numVertices(); ++i) {
            for (int k = 0; k < 3; ++k) mesh.rgba[4 * i + k] = rgb[3 * i + k];
            mesh.rgba[4 * i + 3] = 255;
        }
    }
    return mesh;
}

void writeObj(const std::string& path, const Mesh& mesh) {
    writeFileAtomic(path, [&](std::FILE* f) {
        std::fprintf(f, "# inst3d\n");
        for (size_t i = 0; i < mesh.numVertices(); ++i) {
            std::fprintf(f, "v %.9g %.9g %.9g", mesh.xyz[3 * i], mesh.xyz[3 * i + 1], mesh.xyz[3 * i + 2]);
            if (mesh.hasColors())
                std::fprintf(f, " %.6f %.6f %.6f", mesh.rgba[4 * i] / 255.0, mesh.rgba[4 * i + 1] / 255.0,
                             mesh.rgba[4 * i + 2] / 255.0);
            std::fputc('\n', f);
        }
        for (size_t i = 0; i < mesh.numFaces(); ++i)
            std::fprintf(f, "f %u %u %u\n", mesh.faces[3 * i] + 1, mesh.faces[3 * i + 1] + 1, mesh.faces[3 * i + 2] + 1);
    });
}

}  // namespace inst3d
