// PLY reading is on the critical path of opening a scene (1M vertices, 2M faces in well under 0.2 s),
// so binary bodies are decoded from a memory map with per-field offsets computed once from the header,
// and the ScanNet layout (float xyz + uchar rgba, faces 'list uchar int') takes a tight loop.
#include "core/io/ply.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "core/common/error.h"
#include "core/common/file_util.h"

namespace inst3d {
namespace {

enum class PlyType { Int8, UInt8, Int16, UInt16, Int32, UInt32, Float32, Float64, Invalid };

PlyType parseType(const std::string& t) {
    if (t == "char" || t == "int8") return PlyType::Int8;
    if (t == "uchar" || t == "uint8") return PlyType::UInt8;
    if (t == "short" || t == "int16") return PlyType::Int16;
    if (t == "ushort" || t == "uint16") return PlyType::UInt16;
    if (t == "int" || t == "int32") return PlyType::Int32;
    if (t == "uint" || t == "uint32") return PlyType::UInt32;
    if (t == "float" || t == "float32") return PlyType::Float32;
    if (t == "double" || t == "float64") return PlyType::Float64;
    return PlyType::Invalid;
}

size_t typeSize(PlyType t) {
    switch (t) {
        case PlyType::Int8: case PlyType::UInt8: return 1;
        case PlyType::Int16: case PlyType::UInt16: return 2;
        case PlyType::Int32: case PlyType::UInt32: case PlyType::Float32: return 4;
        case PlyType::Float64: return 8;
        default: return 0;
    }
}

bool isFloatType(PlyType t) { return t == PlyType::Float32 || t == PlyType::Float64; }

struct Property {
    std::string name;
    PlyType type = PlyType::Invalid;
    bool isList = false;
    PlyType countType = PlyType::Invalid;
};

struct Element {
    std::string name;
    size_t count = 0;
    std::vector<Property> properties;
    bool hasList() const {
        return std::any_of(properties.begin(), properties.end(), [](const Property& p) { return p.isList; });
    }
    size_t fixedStride() const {
        size_t s = 0;
        for (const auto& p : properties) s += typeSize(p.type);
        return s;
    }
    int find(const std::string& n) const {
        for (size_t i = 0; i < properties.size(); ++i)
            if (properties[i].name == n) return static_cast<int>(i);
        return -1;
    }
};

struct Header {
    std::string format;
    std::vector<Element> elements;
    std::vector<std::string> comments;
    size_t bodyOffset = 0;
};

Header parseHeader(const uint8_t* data, size_t size, const std::string& path) {
    Header h;
    size_t pos = 0;
    auto nextLine = [&](std::string& line) {
        if (pos >= size) return false;
        const void* nl = std::memchr(data + pos, '\n', size - pos);
        size_t end = nl ? static_cast<const uint8_t*>(nl) - data : size;
        line.assign(reinterpret_cast<const char*>(data + pos), end - pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        pos = nl ? end + 1 : size;
        return true;
    };
    std::string line;
    if (!nextLine(line) || line != "ply") fail(path, "not a PLY file (first line is not 'ply')");
    bool ended = false;
    while (nextLine(line)) {
        std::vector<std::string> w = splitWhitespace(line);
        if (w.empty()) continue;
        if (w[0] == "end_header") { ended = true; break; }
        if (w[0] == "format") {
            if (w.size() < 2) fail(path, "malformed format line");
            h.format = w[1];
            if (h.format != "ascii" && h.format != "binary_little_endian" && h.format != "binary_big_endian")
                fail(path, "unknown PLY format '" + h.format + "'");
        } else if (w[0] == "comment" || w[0] == "obj_info") {
            h.comments.push_back(trim(line.substr(w[0].size())));
        } else if (w[0] == "element") {
            if (w.size() != 3) fail(path, "malformed element line '" + line + "'");
            Element e;
            e.name = w[1];
            char* end = nullptr;
            errno = 0;
            unsigned long long n = std::strtoull(w[2].c_str(), &end, 10);
            if (*end != '\0' || w[2][0] == '-' || errno == ERANGE)
                fail(path, "element '" + e.name + "' has a bad count '" + w[2] + "'");
            e.count = static_cast<size_t>(n);
            h.elements.push_back(e);
        } else if (w[0] == "property") {
            if (h.elements.empty()) fail(path, "property before any element");
            Property p;
            if (w.size() == 5 && w[1] == "list") {
                p.isList = true;
                p.countType = parseType(w[2]);
                p.type = parseType(w[3]);
                p.name = w[4];
                if (p.countType == PlyType::Invalid || isFloatType(p.countType))
                    fail(path, "list property '" + p.name + "' has a bad count type '" + w[2] + "'");
            } else if (w.size() == 3) {
                p.type = parseType(w[1]);
                p.name = w[2];
            } else {
                fail(path, "malformed property line '" + line + "'");
            }
            if (p.type == PlyType::Invalid) fail(path, "property '" + p.name + "' has an unknown type");
            h.elements.back().properties.push_back(p);
        } else {
            fail(path, "unknown header line '" + line + "'");
        }
    }
    if (!ended) fail(path, "header has no end_header (truncated file?)");
    if (h.format.empty()) fail(path, "header has no format line");
    h.bodyOffset = pos;
    return h;
}

// --- binary decoding ------------------------------------------------------------------------------

template <bool Swap>
double readScalar(const uint8_t* p, PlyType t) {
    uint8_t b[8];
    size_t n = typeSize(t);
    if (Swap) {
        for (size_t i = 0; i < n; ++i) b[i] = p[n - 1 - i];
    } else {
        std::memcpy(b, p, n);
    }
    switch (t) {
        case PlyType::Int8: { int8_t v; std::memcpy(&v, b, 1); return v; }
        case PlyType::UInt8: return b[0];
        case PlyType::Int16: { int16_t v; std::memcpy(&v, b, 2); return v; }
        case PlyType::UInt16: { uint16_t v; std::memcpy(&v, b, 2); return v; }
        case PlyType::Int32: { int32_t v; std::memcpy(&v, b, 4); return v; }
        case PlyType::UInt32: { uint32_t v; std::memcpy(&v, b, 4); return v; }
        case PlyType::Float32: { float v; std::memcpy(&v, b, 4); return v; }
        case PlyType::Float64: { double v; std::memcpy(&v, b, 8); return v; }
        default: return 0;
    }
}

// Field roles we extract from the vertex element.
enum Role { X, Y, Z, R, G, B, A, LABEL, NUM_ROLES };

std::array<int, NUM_ROLES> vertexRoles(const Element& e) {
    auto pick = [&](std::initializer_list<const char*> names) {
        for (const char* n : names) {
            int i = e.find(n);
            if (i >= 0) return i;
        }
        return -1;
    };
    return {pick({"x"}), pick({"y"}), pick({"z"}),
            pick({"red", "r", "diffuse_red"}), pick({"green", "g", "diffuse_green"}),
            pick({"blue", "b", "diffuse_blue"}), pick({"alpha", "a"}), pick({"label"})};
}

uint8_t toColorByte(double v, PlyType t) {
    if (isFloatType(t)) v *= 255.0;
    return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
}

struct Output {
    PlyData* data;
    MappedFile* file = nullptr;  // decoded pages are released as we go
    bool colors = false, alpha = false, label = false;
};

void allocateVertices(const Element& e, const std::array<int, NUM_ROLES>& roles, Output& out, const std::string& path) {
    if (roles[X] < 0 || roles[Y] < 0 || roles[Z] < 0) fail(path, "vertex element lacks x, y or z");
    out.colors = roles[R] >= 0 && roles[G] >= 0 && roles[B] >= 0;
    out.alpha = roles[A] >= 0;
    out.label = roles[LABEL] >= 0;
    out.data->mesh.xyz.resize(e.count * 3);
    if (out.colors) out.data->mesh.rgba.resize(e.count * 4);
    if (out.label) out.data->label.resize(e.count);
}

// The ScanNet layout: float x,y,z then uchar r,g,b,a [, ushort label], little-endian.
bool isScanNetLayout(const Element& e) {
    static const char* names[] = {"x", "y", "z", "red", "green", "blue", "alpha"};
    if (e.properties.size() < 7 || e.properties.size() > 8) return false;
    for (int i = 0; i < 7; ++i) {
        const Property& p = e.properties[i];
        if (p.isList || p.name != names[i] || p.type != (i < 3 ? PlyType::Float32 : PlyType::UInt8)) return false;
    }
    if (e.properties.size() == 8) {
        const Property& p = e.properties[7];
        return !p.isList && p.name == "label" && p.type == PlyType::UInt16;
    }
    return true;
}

void decodeScanNetVertices(const uint8_t* p, const Element& e, Output& out) {
    const size_t stride = e.fixedStride();
    float* xyz = out.data->mesh.xyz.data();
    uint8_t* rgba = out.data->mesh.rgba.data();
    uint16_t* label = out.label ? out.data->label.data() : nullptr;
    for (size_t i = 0; i < e.count; ++i, p += stride) {
        std::memcpy(xyz + 3 * i, p, 12);
        std::memcpy(rgba + 4 * i, p + 12, 4);
        if (label) std::memcpy(label + i, p + 16, 2);
        if ((i & 0xFFFF) == 0 && out.file) out.file->release(p);
    }
}

template <bool Swap>
void decodeGenericVertices(const uint8_t* p, const Element& e, const std::array<int, NUM_ROLES>& roles, Output& out) {
    std::vector<size_t> offsets(e.properties.size());
    size_t off = 0;
    for (size_t i = 0; i < e.properties.size(); ++i) {
        offsets[i] = off;
        off += typeSize(e.properties[i].type);
    }
    const size_t stride = off;
    auto field = [&](const uint8_t* rec, int role) {
        return readScalar<Swap>(rec + offsets[roles[role]], e.properties[roles[role]].type);
    };
    Mesh& m = out.data->mesh;
    for (size_t i = 0; i < e.count; ++i, p += stride) {
        for (int k = 0; k < 3; ++k) m.xyz[3 * i + k] = static_cast<float>(field(p, X + k));
        if (out.colors) {
            for (int k = 0; k < 3; ++k) m.rgba[4 * i + k] = toColorByte(field(p, R + k), e.properties[roles[R + k]].type);
            m.rgba[4 * i + 3] = out.alpha ? toColorByte(field(p, A), e.properties[roles[A]].type) : 255;
        }
        if (out.label) out.data->label[i] = static_cast<uint16_t>(field(p, LABEL));
    }
}

// Emits the triangles of one polygon (fan), checking indices.
inline void addPolygon(std::vector<uint32_t>& faces, const int64_t* idx, size_t n, size_t numVertices, size_t faceNo,
                       const std::string& path) {
    for (size_t k = 0; k < n; ++k)
        if (idx[k] < 0 || static_cast<uint64_t>(idx[k]) >= numVertices)
            fail(path, "face " + std::to_string(faceNo) + " references vertex " + std::to_string(idx[k]) +
                           " but there are only " + std::to_string(numVertices) + " vertices");
    for (size_t k = 1; k + 1 < n; ++k) {
        faces.push_back(static_cast<uint32_t>(idx[0]));
        faces.push_back(static_cast<uint32_t>(idx[k]));
        faces.push_back(static_cast<uint32_t>(idx[k + 1]));
    }
}

[[noreturn]] void truncated(const std::string& path, const std::string& element, size_t index, size_t count) {
    fail(path, "truncated: element '" + element + "' ends at record " + std::to_string(index) + " of " +
                   std::to_string(count));
}

template <bool Swap>
const uint8_t* decodeBinaryElement(const uint8_t* p, const uint8_t* end, const Element& e, Output& out,
                                   size_t numVertices, const std::string& path) {
    const bool isVertex = e.name == "vertex";
    const bool isFace = e.name == "face";
    if (!e.hasList()) {
        size_t stride = e.fixedStride();
        if (stride && static_cast<size_t>(end - p) / stride < e.count)
            truncated(path, e.name, static_cast<size_t>(end - p) / stride, e.count);
        if (isVertex) {
            auto roles = vertexRoles(e);
            allocateVertices(e, roles, out, path);
            if (!Swap && isScanNetLayout(e))
                decodeScanNetVertices(p, e, out);
            else
                decodeGenericVertices<Swap>(p, e, roles, out);
        }
        return p + stride * e.count;
    }
    if (isVertex) fail(path, "list properties in the vertex element are not supported");
    int indexProp = isFace ? std::max(e.find("vertex_indices"), e.find("vertex_index")) : -1;
    std::vector<uint32_t>& faces = out.data->mesh.faces;
    if (isFace) faces.reserve(e.count * 3);
    // Fast path: a face element that is only 'list uchar int|uint vertex_indices' holding triangles.
    const bool simpleFaces = isFace && e.properties.size() == 1 && indexProp == 0 &&
                             e.properties[0].countType == PlyType::UInt8 &&
                             (e.properties[0].type == PlyType::Int32 || e.properties[0].type == PlyType::UInt32);
    int64_t idx[256];
    for (size_t i = 0; i < e.count; ++i) {
        if ((i & 0xFFFF) == 0 && out.file) out.file->release(p);
        if (simpleFaces && !Swap) {
            if (p >= end) truncated(path, e.name, i, e.count);
            size_t n = *p++;
            if (static_cast<size_t>(end - p) < n * 4) truncated(path, e.name, i, e.count);
            if (n == 3) {
                uint32_t t[3];
                std::memcpy(t, p, 12);
                if (t[0] >= numVertices || t[1] >= numVertices || t[2] >= numVertices) {
                    idx[0] = static_cast<int32_t>(t[0]); idx[1] = static_cast<int32_t>(t[1]); idx[2] = static_cast<int32_t>(t[2]);
                    addPolygon(faces, idx, 3, numVertices, i, path);  // throws with a clear message
                }
                faces.insert(faces.end(), t, t + 3);
            } else {
                for (size_t k = 0; k < n; ++k) {
                    int32_t v;
                    std::memcpy(&v, p + 4 * k, 4);
                    idx[k] = e.properties[0].type == PlyType::UInt32 ? static_cast<int64_t>(static_cast<uint32_t>(v)) : v;
                }
                addPolygon(faces, idx, n, numVertices, i, path);
            }
            p += n * 4;
            continue;
        }
        for (size_t pi = 0; pi < e.properties.size(); ++pi) {
            const Property& prop = e.properties[pi];
            if (!prop.isList) {
                if (static_cast<size_t>(end - p) < typeSize(prop.type)) truncated(path, e.name, i, e.count);
                p += typeSize(prop.type);
                continue;
            }
            if (static_cast<size_t>(end - p) < typeSize(prop.countType)) truncated(path, e.name, i, e.count);
            double nd = readScalar<Swap>(p, prop.countType);
            p += typeSize(prop.countType);
            if (nd < 0) fail(path, "element '" + e.name + "' record " + std::to_string(i) + " has a negative list size");
            size_t n = static_cast<size_t>(nd);
            size_t bytes = n * typeSize(prop.type);
            if (static_cast<size_t>(end - p) < bytes) truncated(path, e.name, i, e.count);
            if (static_cast<int>(pi) == indexProp) {
                if (n > 256) fail(path, "face " + std::to_string(i) + " has " + std::to_string(n) + " vertices (max 256)");
                for (size_t k = 0; k < n; ++k) idx[k] = static_cast<int64_t>(readScalar<Swap>(p + k * typeSize(prop.type), prop.type));
                addPolygon(faces, idx, n, numVertices, i, path);
            }
            p += bytes;
        }
    }
    return p;
}

// --- ascii decoding -------------------------------------------------------------------------------

constexpr double kMaxListValue = 9.0e15;  // exactly representable integers in a double; vertex ids are 32-bit

struct AsciiCursor {
    const char* p;
    const char* end;
    const std::string& path;
    size_t line = 0;
    double next(const std::string& element, size_t index) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) ++p;
        if (p >= end) fail(path, "truncated: element '" + element + "' ends at record " + std::to_string(index));
        double v = 0;
        auto res = std::from_chars(p, end, v);
        if (res.ec != std::errc()) {
            // from_chars rejects "inf"/"nan" spelled differently and leading '+'; try strtod on a copy.
            const char* s = p;
            while (p < end && !(*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) ++p;
            std::string tok(s, p);
            char* e = nullptr;
            v = std::strtod(tok.c_str(), &e);
            if (e == tok.c_str() || *e != '\0')
                fail(path, "element '" + element + "' record " + std::to_string(index) + ": '" + tok + "' is not a number");
            return v;
        }
        p = res.ptr;
        return v;
    }
};

void decodeAscii(const uint8_t* body, const uint8_t* end, const Header& h, Output& out, const std::string& path) {
    AsciiCursor c{reinterpret_cast<const char*>(body), reinterpret_cast<const char*>(end), path};
    size_t numVertices = 0;
    for (const Element& e : h.elements) {
        const bool isVertex = e.name == "vertex", isFace = e.name == "face";
        std::array<int, NUM_ROLES> roles{};
        if (isVertex) {
            roles = vertexRoles(e);
            allocateVertices(e, roles, out, path);
            numVertices = e.count;
        }
        // Records without properties hold no text: skipped at once, as a header claiming 6e9 of them
        // would otherwise spin for minutes (found by tools/fuzz.sh).
        if (e.properties.empty()) continue;
        int indexProp = isFace ? std::max(e.find("vertex_indices"), e.find("vertex_index")) : -1;
        std::vector<double> values(e.properties.size());
        int64_t idx[256];
        for (size_t i = 0; i < e.count; ++i) {
            for (size_t pi = 0; pi < e.properties.size(); ++pi) {
                const Property& prop = e.properties[pi];
                if (!prop.isList) {
                    values[pi] = c.next(e.name, i);
                    continue;
                }
                double nd = c.next(e.name, i);
                // Written so that NaN fails too: idx holds 256 entries.
                if (!(nd >= 0 && nd <= 256) || nd != std::floor(nd))
                    fail(path, "element '" + e.name + "' record " + std::to_string(i) + " has a bad list size");
                size_t n = static_cast<size_t>(nd);
                for (size_t k = 0; k < n; ++k) {
                    const double v = c.next(e.name, i);  // NaN or 1e300 must not reach the integer cast
                    if (!(v > -kMaxListValue && v < kMaxListValue))
                        fail(path, "element '" + e.name + "' record " + std::to_string(i) + " has a list value out of range");
                    idx[k] = static_cast<int64_t>(v);
                }
                if (static_cast<int>(pi) == indexProp) addPolygon(out.data->mesh.faces, idx, n, numVertices, i, path);
            }
            if (!isVertex) continue;
            Mesh& m = out.data->mesh;
            for (int k = 0; k < 3; ++k) m.xyz[3 * i + k] = static_cast<float>(values[roles[X + k]]);
            if (out.colors) {
                for (int k = 0; k < 3; ++k) m.rgba[4 * i + k] = toColorByte(values[roles[R + k]], e.properties[roles[R + k]].type);
                m.rgba[4 * i + 3] = out.alpha ? toColorByte(values[roles[A]], e.properties[roles[A]].type) : 255;
            }
            if (out.label) out.data->label[i] = static_cast<uint16_t>(values[roles[LABEL]]);
        }
    }
}

void checkFinite(const Mesh& m, const std::string& path) {
    const float* p = m.xyz.data();
    const size_t n = m.xyz.size();
    // Summing is branch-free and vectorizes; only when the sum is not finite do we look for the culprit.
    float acc = 0;
    for (size_t i = 0; i < n; ++i) acc += p[i] * 0.0f;
    if (acc == 0.0f) return;
    for (size_t i = 0; i < n; ++i)
        if (!std::isfinite(p[i]))
            fail(path, "vertex " + std::to_string(i / 3) + " has a NaN or infinite coordinate");
}

// The fewest bytes one record of `e` can take: binary, its scalars and list counts (empty lists); ascii,
// one digit and one separator per value.
size_t minRecordBytes(const Element& e, bool ascii) {
    size_t bytes = 0;
    for (const Property& p : e.properties) bytes += ascii ? 2 : typeSize(p.isList ? p.countType : p.type);
    return bytes;
}

// Refuses element counts the body cannot hold before any array is sized from them: a header may claim
// 2^60 vertices in a 1 kB file (the allocation, or count * 3 wrapping around, would follow otherwise).
void checkCountsFit(const Header& h, size_t bodyBytes, const std::string& path) {
    const bool ascii = h.format == "ascii";
    size_t left = bodyBytes + (ascii ? 1 : 0);  // the last ascii value needs no separator
    for (const Element& e : h.elements) {
        const size_t each = minRecordBytes(e, ascii);
        if (each == 0) {
            if (e.count > 0 && e.name == "vertex") fail(path, "vertex element has no properties");
            continue;
        }
        if (e.count > left / each)
            fail(path, "truncated or a bad count: element '" + e.name + "' claims " + std::to_string(e.count) + " records but the file's " +
                           std::to_string(bodyBytes) + "-byte body holds at most " + std::to_string(left / each));
        left -= e.count * each;
    }
}

}  // namespace

PlyData readPly(const std::string& path) {
    MappedFile file(path);
    if (file.size() == 0) fail(path, "empty file");
    Header h = parseHeader(file.data(), file.size(), path);
    PlyData data;
    data.format = h.format;
    data.comments = h.comments;
    Output out{&data, &file};
    const uint8_t* p = file.data() + h.bodyOffset;
    const uint8_t* end = file.data() + file.size();
    const Element* vertex = nullptr;
    for (const auto& e : h.elements)
        if (e.name == "vertex") vertex = &e;
    if (!vertex) fail(path, "no vertex element");
    checkCountsFit(h, static_cast<size_t>(end - p), path);
    for (const auto& e : h.elements)
        if (e.name == "face" && &e < vertex) fail(path, "face element before vertex element is not supported");
    if (h.format == "ascii") {
        decodeAscii(p, end, h, out, path);
    } else {
        bool swap = h.format == "binary_big_endian";
        for (const Element& e : h.elements)
            p = swap ? decodeBinaryElement<true>(p, end, e, out, vertex->count, path)
                     : decodeBinaryElement<false>(p, end, e, out, vertex->count, path);
    }
    checkFinite(data.mesh, path);
    return data;
}

// --- writing --------------------------------------------------------------------------------------

void writePly(const std::string& path, const Mesh& mesh, const PlyWriteOptions& options) {
    const size_t nv = mesh.numVertices(), nf = mesh.numFaces();
    if (options.label && options.label->size() != nv)
        fail(path, "label array has " + std::to_string(options.label->size()) + " entries for " + std::to_string(nv) + " vertices");
    const bool colors = mesh.hasColors();
    std::ostringstream hdr;
    hdr << "ply\nformat " << (options.format == PlyFormat::Ascii ? "ascii" : "binary_little_endian") << " 1.0\n";
    if (!options.comment.empty()) hdr << "comment " << options.comment << "\n";
    hdr << "element vertex " << nv << "\nproperty float x\nproperty float y\nproperty float z\n";
    if (colors) {
        hdr << "property uchar red\nproperty uchar green\nproperty uchar blue\n";
        if (options.writeAlpha) hdr << "property uchar alpha\n";
    }
    if (options.label) hdr << "property ushort label\n";
    if (nf) hdr << "element face " << nf << "\nproperty list uchar int vertex_indices\n";
    hdr << "end_header\n";
    const std::string header = hdr.str();

    writeFileAtomic(path, [&](std::FILE* f) {
        std::fwrite(header.data(), 1, header.size(), f);
        if (options.format == PlyFormat::Ascii) {
            for (size_t i = 0; i < nv; ++i) {
                std::fprintf(f, "%.9g %.9g %.9g", mesh.xyz[3 * i], mesh.xyz[3 * i + 1], mesh.xyz[3 * i + 2]);
                if (colors) {
                    std::fprintf(f, " %u %u %u", mesh.rgba[4 * i], mesh.rgba[4 * i + 1], mesh.rgba[4 * i + 2]);
                    if (options.writeAlpha) std::fprintf(f, " %u", mesh.rgba[4 * i + 3]);
                }
                if (options.label) std::fprintf(f, " %u", (*options.label)[i]);
                std::fputc('\n', f);
            }
            for (size_t i = 0; i < nf; ++i)
                std::fprintf(f, "3 %u %u %u\n", mesh.faces[3 * i], mesh.faces[3 * i + 1], mesh.faces[3 * i + 2]);
            return;
        }
        const size_t stride = 12 + (colors ? (options.writeAlpha ? 4 : 3) : 0) + (options.label ? 2 : 0);
        std::vector<uint8_t> buf(stride * nv);
        for (size_t i = 0; i < nv; ++i) {
            uint8_t* r = buf.data() + i * stride;
            std::memcpy(r, &mesh.xyz[3 * i], 12);
            size_t o = 12;
            if (colors) {
                size_t nc = options.writeAlpha ? 4 : 3;
                std::memcpy(r + o, &mesh.rgba[4 * i], nc);
                o += nc;
            }
            if (options.label) std::memcpy(r + o, &(*options.label)[i], 2);
        }
        std::fwrite(buf.data(), 1, buf.size(), f);
        std::vector<uint8_t> fb(13 * nf);
        for (size_t i = 0; i < nf; ++i) {
            fb[13 * i] = 3;
            std::memcpy(&fb[13 * i + 1], &mesh.faces[3 * i], 12);
        }
        std::fwrite(fb.data(), 1, fb.size(), f);
    });
}

}  // namespace inst3d
