// torch.save checkpoints read without Python or LibTorch (core/io/zip_archive, core/io/torch_pickle) and
// the convert-weights verb, against real files written by Debian's torch 1.13
// (tests/data/torch_pickle/make_fixtures.py): every value as torch.load sees it (expected.json), every
// tensor's bytes (expected/*.safetensors, written by tools/convert_to_safetensors.py), and the error
// cases, each an Error naming the file and the problem, never a crash.
#include <QDir>
#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>
#include <random>

#include "core/cli/convert_weights.h"
#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/safetensors.h"
#include "core/io/torch_pickle.h"
#include "core/io/zip_archive.h"
#include "support/test_support.h"

using namespace inst3d;
using Kind = PickleValue::Kind;

namespace {
const std::string kData = INST3D_TEST_DATA_DIR "/torch_pickle/";

std::string hexOf(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) out += {digits[c >> 4], digits[c & 15]};
    return out;
}

// The value tree in make_fixtures.py's canon() form.
nlohmann::json canon(const PickleValue& v, const std::string& name = "") {
    auto join = [&](const std::string& k) { return name.empty() ? k : name + "." + k; };
    switch (v.kind()) {
        case Kind::None: return nullptr;
        case Kind::Bool: return v.asBool();
        case Kind::Int: return v.asInt();
        case Kind::Float: return v.asFloat();
        case Kind::String: return v.asString();
        case Kind::Bytes: return {{"bytes", hexOf(v.asString())}};
        case Kind::List: case Kind::Tuple: {
            nlohmann::json items = nlohmann::json::array();
            for (size_t i = 0; i < v.items().size(); ++i) items.push_back(canon(*v.items()[i], join(std::to_string(i))));
            return {{v.is(Kind::List) ? "list" : "tuple", items}};
        }
        case Kind::Dict: {
            nlohmann::json entries = nlohmann::json::array();
            for (const auto& [k, val] : v.entries()) {
                std::string key = k->is(Kind::String) ? k->asString() : k->is(Kind::Int) ? std::to_string(k->asInt()) : "?";
                entries.push_back({canon(*k), canon(*val, join(key))});
            }
            nlohmann::json out = {{v.typeName() == "OrderedDict" ? "OrderedDict" : "dict", entries}};
            if (v.state()) out["state"] = canon(*v.state());
            return out;
        }
        case Kind::Tensor: {
            const TensorRef& t = v.tensor();
            nlohmann::json out = {{"tensor", name.empty() ? "tensor" : name}, {"dtype", dtypeName(t.dtype)},
                                  {"shape", t.shape}, {"stride", t.stride}, {"offset", t.storageOffset}};
            if (t.numpy) out["numpy"] = true;
            return out;
        }
        case Kind::Object:
            return {{"object", v.objectName()}, {"state", v.state() ? canon(*v.state()) : nlohmann::json()}};
    }
    return nullptr;
}

// First difference between two JSON trees (types included: 3 is not 3.0), or "" when equal.
std::string firstDifference(const nlohmann::json& a, const nlohmann::json& b, const std::string& at = "$") {
    // Integers parse as signed or unsigned depending on the sign; that is no difference.
    auto category = [](const nlohmann::json& j) { return j.is_number_integer() ? nlohmann::json::value_t::number_integer : j.type(); };
    if (category(a) != category(b)) return at + ": " + a.dump() + " vs " + b.dump();
    if (a.is_object() || a.is_array()) {
        if (a.size() != b.size()) return at + ": size " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
        if (a.is_array()) {
            for (size_t i = 0; i < a.size(); ++i)
                if (auto d = firstDifference(a[i], b[i], at + "[" + std::to_string(i) + "]"); !d.empty()) return d;
        } else {
            for (auto it = a.begin(); it != a.end(); ++it) {
                if (!b.contains(it.key())) return at + ": key " + it.key() + " missing";
                if (auto d = firstDifference(it.value(), b[it.key()], at + "." + it.key()); !d.empty()) return d;
            }
        }
        return "";
    }
    return a == b ? "" : at + ": " + a.dump() + " vs " + b.dump();
}

std::vector<std::string> goodFixtures() {
    std::vector<std::string> names;
    const nlohmann::json expected = nlohmann::json::parse(readTextFile(kData + "expected.json"));
    for (const auto& [name, v] : expected.items()) names.push_back(name);
    return names;
}

std::string bytesOf(const uint8_t* p, size_t n) { return std::string(reinterpret_cast<const char*>(p), n); }

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

class TorchPickleTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::string tmp(const std::string& name) { return dir_.filePath(QString::fromStdString(name)).toStdString(); }

    void expectError(const std::function<void()>& f, const std::vector<std::string>& parts) {
        std::string e = test::errorOf(f);
        for (const auto& p : parts) QVERIFY2(contains(e, p), qPrintable(QString::fromStdString("'" + p + "' not in: " + e)));
    }

private Q_SLOTS:
    void valuesMatchTorchLoad() {
        nlohmann::json expected = nlohmann::json::parse(readTextFile(kData + "expected.json"));
        QVERIFY(expected.size() >= 10);
        for (const auto& [name, tree] : expected.items()) {
            TorchCheckpoint c(kData + name);
            std::string d = firstDifference(canon(c.root()), tree);
            QVERIFY2(d.empty(), qPrintable(QString::fromStdString(name + ": " + d)));
        }
    }

    void tensorBytesMatchTorch() {
        for (const std::string& name : goodFixtures()) {
            TorchCheckpoint c(kData + name);
            auto tensors = flattenTensors(c.root());
            SafetensorsFile ref(kData + "expected/" + name + ".safetensors");
            QCOMPARE(tensors.size(), ref.tensors().size());  // (file order is checked by the converter test)
            for (const auto& [tn, t] : tensors) {
                const TensorInfo& r = ref.get(tn);
                QCOMPARE(dtypeName(t.dtype), dtypeName(r.dtype));
                QCOMPARE(t.shape, r.shape);
                std::vector<uint8_t> got = t.contiguousBytes();
                QVERIFY2(bytesOf(got.data(), got.size()) == bytesOf(ref.data(r), r.end - r.begin), qPrintable(QString::fromStdString(name + ": " + tn)));
            }
        }
    }

    void viewsShareStorage() {
        TorchCheckpoint c(kData + "state_dict.pt");
        const PickleValue& sd = c.root();
        QCOMPARE(sd.typeName(), std::string("OrderedDict"));
        QVERIFY(sd.state() && sd.state()->find("_metadata"));  // the state_dict's attribute, not a key
        QVERIFY(!sd.find("_metadata"));
        const TensorRef& base = sd.at("view.base").tensor();
        const TensorRef& tr = sd.at("view.transposed").tensor();
        const TensorRef& sl = sd.at("view.sliced").tensor();
        QCOMPARE(tr.storage, base.storage);
        QCOMPARE(tr.storageKey, base.storageKey);
        QVERIFY(base.isContiguous() && !tr.isContiguous() && !sl.isContiguous());
        QCOMPARE(tr.stride, (std::vector<int64_t>{1, 6}));
        QCOMPARE(sl.storageOffset, int64_t(6));
        std::vector<uint8_t> b = sl.contiguousBytes();
        std::vector<float> f(b.size() / 4);
        std::memcpy(f.data(), b.data(), b.size());
        QCOMPARE(f, (std::vector<float>{6, 8, 10, 12, 14, 16}));
        QVERIFY(reinterpret_cast<uintptr_t>(base.data()) % 64 == 0);  // torch.save aligns storages
        QCOMPARE(sd.at("scalar").tensor().shape, std::vector<int64_t>{});
        QCOMPARE(sd.at("empty").tensor().numel(), int64_t(0));
    }

    void checkpointsInTheWild() {
        TorchCheckpoint nested(kData + "nested.pth");
        const PickleValue& n = nested.root();
        QCOMPARE(n.at("epoch").asInt(), int64_t(3));
        QCOMPARE(n.at("score").asFloat(), 0.25);  // a numpy float32 scalar
        const PickleValue& args = n.at("args");
        QCOMPARE(args.typeName(), std::string("argparse.Namespace object"));
        QCOMPARE(args.state()->at("lr").asFloat(), 0.001);
        QCOMPARE(args.state()->at("name").asString(), std::string("inst3d"));
        expectError([&] { args.tensor(); }, {"nested.pth", "expected a tensor", "argparse.Namespace"});
        expectError([&] { n.at("missing"); }, {"nested.pth", "'missing'"});
        auto flat = flattenTensors(n);
        QCOMPARE(flat.front().first, std::string("model.f32"));

        TorchCheckpoint masks(kData + "masks.pt");  // OpenMask3D: torch.save(masks.astype(np.float16))
        const TensorRef& m = masks.root().tensor();
        QVERIFY(m.numpy);
        QCOMPARE(m.dtype, DType::F16);
        QCOMPARE(m.shape, (std::vector<int64_t>{40, 5}));
        QCOMPARE(flattenTensors(masks.root()).front().first, std::string("tensor"));

        TorchCheckpoint pcd(kData + "pcd_all.pth");  // (coords, colors, [label], [[segment ids]])
        const auto& parts = pcd.root().items();
        QCOMPARE(parts.size(), size_t(4));
        QCOMPARE(parts[0]->tensor().shape, (std::vector<int64_t>{12, 3}));
        QCOMPARE(parts[2]->items()[1]->asString(), std::string("table"));
        QCOMPARE(parts[3]->items()[1]->items()[1]->asInt(), int64_t(4));

        TorchCheckpoint attrs(kData + "attributes.pt");  // Chat-Scene per-scene object attributes
        const PickleValue& s0 = attrs.root().at("scene0000_00");
        QCOMPARE(s0.at("objects").items()[0]->asString(), std::string("chair"));
        QCOMPARE(s0.at("locs").tensor().shape, (std::vector<int64_t>{2, 6}));

        TorchCheckpoint p5(kData + "protocol5.pt");  // numpy's protocol-5 _frombuffer path, Fortran order
        const TensorRef& fortran = p5.root().at("fortran").tensor();
        QCOMPARE(fortran.shape, (std::vector<int64_t>{3, 2}));
        QCOMPARE(fortran.stride, (std::vector<int64_t>{1, 3}));
    }

    void zip64AndArchiveStem() {
        ZipArchive zip(kData + "zip64.pt");
        QVERIFY(zip.find("archive/data.pkl"));
        QVERIFY(zip.find("archive/version"));
        ByteSpan v = zip.checkedData(*zip.find("archive/version"));
        QCOMPARE(bytesOf(v.data, v.size), std::string("3\n"));
        TorchCheckpoint c(kData + "zip64.pt");
        QCOMPARE(c.recordPrefix(), std::string("archive/"));
        QCOMPARE(flattenTensors(c.root()).size(), size_t(16));
    }

    void errorsNameFileAndProblem() {
        expectError([&] { TorchCheckpoint(kData + "legacy.pt"); },
                    {"legacy.pt", "not a zip archive (legacy torch.save format?)", "tools/convert_to_safetensors.py"});
        expectError([&] { TorchCheckpoint(kData + "bad_compressed.pt"); },
                    {"bad_compressed.pt", "entry 'one_key/data.pkl' is compressed (method 8); torch.save files are stored"});
        expectError([&] { TorchCheckpoint(kData + "bad_missing_storage.pt"); },
                    {"bad_missing_storage.pt", "one_key/data.pkl: storage '0' has no entry 'one_key/data/0'", "at byte"});
        expectError([&] { TorchCheckpoint(kData + "bad_opcode.pt"); },
                    {"bad_opcode.pt", "one_key/data.pkl: unknown pickle opcode 0xff at byte 2"});
        expectError([&] { TorchCheckpoint(kData + "bad_truncated_pkl.pt"); },
                    {"bad_truncated_pkl.pt", "data.pkl: unexpected end of data", "at byte"});
        expectError([&] { TorchCheckpoint(kData + "bad_byteorder.pt"); }, {"bad_byteorder.pt", "byteorder is 'big'"});
        expectError([&] { TorchCheckpoint(kData + "expected.json"); }, {"expected.json", "not a zip archive"});
        expectError([&] { TorchCheckpoint(kData + "no-such-file.pt"); }, {"no-such-file.pt", "cannot open"});

        // The file cut anywhere: an Error naming it, every time.
        std::string whole = readTextFile(kData + "state_dict.pt");
        for (size_t len = 0; len < whole.size(); len += 37) {
            test::writeBytes(tmp("cut.pt"), whole.substr(0, len));
            std::string e = test::errorOf([&] { TorchCheckpoint c(tmp("cut.pt")); });
            QVERIFY2(contains(e, "cut.pt: "), qPrintable(QString::number(len) + ": " + QString::fromStdString(e)));
        }
        test::writeBytes(tmp("cut.pt"), whole.substr(0, whole.size() - 10));
        expectError([&] { TorchCheckpoint(tmp("cut.pt")); }, {"cut.pt", "truncated zip archive"});
    }

    // data.pkl cut at every length and with random bytes changed: parsed or an Error, never a crash.
    void corruptPicklesNeverCrash() {
        ZipArchive zip(kData + "nested.pth");
        ByteSpan pkl = zip.checkedData(*zip.find("nested/data.pkl"));
        const std::string original = bytesOf(pkl.data, pkl.size);
        StorageResolver storages = [&](const std::string& key) {
            StorageBytes s;
            s.where = "nested/data/" + key;
            if (const ZipEntry* e = zip.find(s.where)) {
                ByteSpan b = zip.data(*e);
                s.found = true, s.data = b.data, s.size = b.size, s.owner = zip.file();
            }
            return s;
        };
        for (size_t len = 0; len < original.size(); ++len) {
            std::vector<uint8_t> cut(original.begin(), original.begin() + long(len));  // exact-size heap block
            std::string e = test::errorOf([&] { unpickle(cut.data(), cut.size(), "f.pt", "nested/data.pkl", storages); });
            QVERIFY2(contains(e, "f.pt: nested/data.pkl: ") && contains(e, " at byte "), qPrintable(QString::fromStdString(e)));
        }
        std::mt19937 rng(7);
        int parsed = 0, failed = 0;
        for (int round = 0; round < 3000; ++round) {
            std::vector<uint8_t> bad(original.begin(), original.end());
            for (int k = 0, n = 1 + int(rng() % 3); k < n; ++k) bad[rng() % bad.size()] = uint8_t(rng());
            try {
                PickleValuePtr v = unpickle(bad.data(), bad.size(), "f.pt", "nested/data.pkl", storages);
                flattenTensors(*v);
                ++parsed;
            } catch (const Error&) {
                ++failed;
            }
        }
        qInfo("corrupted pickles: %d parsed, %d rejected with an Error", parsed, failed);
        QVERIFY(failed > 0);

        // Hostile shapes: a list holding itself, 100000 nested lists, 2^40 paths through shared tuples.
        auto run = [&](const std::string& pkl) {
            return test::errorOf([&] {
                auto v = unpickle(reinterpret_cast<const uint8_t*>(pkl.data()), pkl.size(), "h.pt", "data.pkl", storages);
                flattenTensors(*v);
            });
        };
        // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND (the list into itself), STOP
        const std::string selfList("\x80\x02]q\x00h\x00" "a.", 9);
        QVERIFY(contains(run(selfList), "h.pt: data.pkl: a container holds itself"));
        QVERIFY(contains(run("\x80\x02" + std::string(100001, ']') + std::string(100000, 'a') + "."), "nested deeper than"));
        std::string bomb = "\x80\x02N";
        for (int i = 0; i < 40; ++i) bomb += "2\x86";  // DUP, TUPLE2
        QVERIFY(contains(run(bomb + "."), "more than 10 million values"));
        QVERIFY(contains(run(selfList.substr(0, 8) + "0N."), "<no error>"));  // the cycle popped: freed, no error
    }

    void convertWeightsMatchesPythonConverter() {
        // Byte-identical to tools/convert_to_safetensors.py's output (same names, order, header layout).
        for (const std::string& name : goodFixtures()) {
            std::string out = tmp(name + ".safetensors");
            convertTorchCheckpoint(kData + name, out);
            QVERIFY2(readTextFile(out) == readTextFile(kData + "expected/" + name + ".safetensors"), name.c_str());
        }
        auto stripped = convertTorchCheckpoint(kData + "nested.pth", tmp("stripped.safetensors"), "model.");
        QCOMPARE(stripped.front().name, std::string("f32"));
        SafetensorsFile f(tmp("stripped.safetensors"));
        QVERIFY(f.find("view.transposed") && f.find("blob") == nullptr);
        QCOMPARE(f.get("view.transposed").shape, (std::vector<int64_t>{6, 4}));
        QCOMPARE(f.metadata().at("format"), std::string("pt"));
    }

    void convertWeightsIndexKeepsTheSplit() {
        const std::string index = kData + "tiny-llama-bin-sharded/pytorch_model.bin.index.json";
        std::string outIndex = tmp("sharded/model.safetensors.index.json");
        auto tensors = convertTorchIndex(index, outIndex);
        using ojson = nlohmann::ordered_json;
        ojson in = ojson::parse(readTextFile(index)), out = ojson::parse(readTextFile(outIndex));
        std::vector<std::string> inOrder, outOrder;  // same order as the input, as the Python converter writes
        for (const auto& [name, shard] : in["weight_map"].items()) inOrder.push_back(name);
        for (const auto& [name, shard] : out["weight_map"].items()) outOrder.push_back(name);
        QCOMPARE(outOrder, inOrder);
        QCOMPARE(out["metadata"]["total_size"], in["metadata"]["total_size"]);
        for (const auto& [name, shard] : in["weight_map"].items())
            QCOMPARE(out["weight_map"][name].get<std::string>(), safetensorsShardName(shard.get<std::string>()));
        QCOMPARE(safetensorsShardName("pytorch_model-00001-of-00002.bin"), std::string("model-00001-of-00002.safetensors"));
        // Same tensors as the safetensors checkpoint the .bin files were made from (strided views copied).
        SafetensorsFile ref(INST3D_TEST_DATA_DIR "/llm/tiny-llama-mha/model.safetensors");
        for (const TensorInfo& r : ref.tensors()) {
            SafetensorsFile shard(tmp("sharded/" + out["weight_map"][r.name].get<std::string>()));
            const TensorInfo& t = shard.get(r.name);
            QCOMPARE(t.shape, r.shape);
            QVERIFY2(bytesOf(shard.data(t), t.end - t.begin) == bytesOf(ref.data(r), r.end - r.begin), r.name.c_str());
        }
        // A weight_map entry its shard does not hold.
        ojson broken = in;
        broken["weight_map"]["model.extra.weight"] = "pytorch_model-00001-of-00002.bin";
        std::string dir = tmp("broken");
        QDir().mkpath(QString::fromStdString(dir));
        for (const char* f : {"pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"})
            writeFileAtomic(dir + "/" + f, readTextFile(kData + "tiny-llama-bin-sharded/" + f));
        writeFileAtomic(dir + "/pytorch_model.bin.index.json", broken.dump());
        expectError([&] { convertTorchIndex(dir + "/pytorch_model.bin.index.json", dir + "/out/model.safetensors.index.json"); },
                    {"pytorch_model.bin.index.json", "'model.extra.weight'", "pytorch_model-00001-of-00002.bin"});
    }

    void convertWeightsVerb() {
        std::string out, err;
        QCOMPARE(test::runInst3d({"convert-weights", kData + "state_dict.pt", "--list"}, &out, &err), 0);
        QVERIFY2(contains(out, "view.transposed\tF32\t[6, 4]\tstrided") && contains(out, "bf16\tBF16\t[6]"), out.c_str());
        QCOMPARE(test::runInst3d({"convert-weights", kData + "masks.pt", tmp("masks.safetensors")}, &out, &err), 0);
        QCOMPARE(SafetensorsFile(tmp("masks.safetensors")).get("tensor").shape, (std::vector<int64_t>{40, 5}));
        QCOMPARE(test::runInst3d({"convert-weights", kData + "tiny-llama-bin-sharded/pytorch_model.bin.index.json", tmp("verb")}, &out, &err), 0);
        QVERIFY(fileExists(tmp("verb/model.safetensors.index.json")) && fileExists(tmp("verb/model-00002-of-00002.safetensors")));
        QCOMPARE(test::runInst3d({"convert-weights", kData + "legacy.pt", tmp("x.safetensors")}, &out, &err), 1);
        QVERIFY2(contains(err, "legacy.pt: not a zip archive (legacy torch.save format?)"), err.c_str());
        QCOMPARE(test::runInst3d({"convert-weights", kData + "state_dict.pt"}, &out, &err), 2);
        QCOMPARE(test::runInst3d({"--help"}, &out, &err), 0);
        QVERIFY(contains(out, "convert-weights"));
    }

    // A 33 kB pickle of 16384 references to one tensor converts to 16384 tensors, each its own copy
    // (time in docs/reliability.md: it was quadratic); a 4-byte storage viewed with stride 0 as 2^20
    // elements is refused rather than expanded to 4 MiB (or, crafted, to terabytes).
    void convertWeightsRefusesAmplification() {
        std::string out, err;
        QCOMPARE(test::runInst3d({"convert-weights", kData + "shared_refs.pt", tmp("refs.safetensors")}, &out, &err), 0);
        const SafetensorsFile refs(tmp("refs.safetensors"));
        QCOMPARE(refs.tensors().size(), size_t(16384));
        QCOMPARE(refs.get("16383").shape, (std::vector<int64_t>{1}));
        QCOMPARE(test::runInst3d({"convert-weights", kData + "expanded.pt", tmp("big.safetensors")}, &out, &err), 1);
        QVERIFY2(contains(err, "expanded.pt") && contains(err, "tensor 'big' is a view of 4194304 bytes over a 4-byte storage"),
                 err.c_str());
        QVERIFY(!fileExists(tmp("big.safetensors")));
    }

    // Pickles that would run a command under Python (Python's own pickle emits these bytes for an object
    // whose __reduce__ returns os.system and its argument): refused, naming the file and the global, and a
    // state dict holding one is not silently loaded without it. Data types a config holds stay readable.
    void picklesThatRunCodeAreRefused() {
        StorageResolver none = [](const std::string&) { return StorageBytes{}; };
        auto run = [&](const std::string& pkl) {
            return test::errorOf([&] {
                auto v = unpickle(reinterpret_cast<const uint8_t*>(pkl.data()), pkl.size(), "evil.pt", "data.pkl", none);
                flattenTensors(*v);
            });
        };
        auto str = [](const std::string& s) {  // BINUNICODE: 4-byte little-endian length, then the bytes
            uint32_t n = uint32_t(s.size());
            return "X" + std::string(reinterpret_cast<const char*>(&n), 4) + s;
        };
        const std::string proto2("\x80\x02", 2);
        // GLOBAL os.system, (arg,), REDUCE
        std::string e = run(proto2 + "cos\nsystem\n" + str("touch pwned") + "\x85R.");
        QVERIFY2(contains(e, "evil.pt: data.pkl: refusing to call 'os.system'") && contains(e, "allow-list"), e.c_str());
        // posix.system as a state dict's value: {'w': posix.system('ls')}
        e = run(proto2 + "}" + str("w") + "cposix\nsystem\n" + str("ls") + "\x85Rs.");
        QVERIFY2(contains(e, "refusing to call 'posix.system'"), e.c_str());
        // builtins.eval through protocol 4's STACK_GLOBAL, subprocess.Popen, Python 2's __builtin__.getattr
        e = run(std::string("\x80\x04\x8c\x08" "builtins\x8c\x04" "eval\x93") + str("__import__('os')") + "\x85R.");
        QVERIFY2(contains(e, "refusing to call 'builtins.eval'"), e.c_str());
        e = run(proto2 + "csubprocess\nPopen\n" + str("ls") + "\x85R.");
        QVERIFY2(contains(e, "refusing to call 'subprocess.Popen'"), e.c_str());
        e = run(proto2 + "c__builtin__\ngetattr\n" + str("os") + str("system") + "\x86R.");
        QVERIFY2(contains(e, "refusing to call 'builtins.getattr'"), e.c_str());
        // The same as torch.save writes it (make_fixtures.py's RunsACommand, beside a tensor): the
        // checkpoint is refused as a whole, and convert-weights writes nothing.
        expectError([&] { TorchCheckpoint(kData + "runs_command.pt"); },
                    {"runs_command.pt", "runs_command/data.pkl: refusing to call 'posix.system'"});
        std::string out, err;
        QCOMPARE(test::runInst3d({"convert-weights", kData + "runs_command.pt", tmp("pwned.safetensors")}, &out, &err), 1);
        QVERIFY2(contains(err, "refusing to call 'posix.system'"), err.c_str());
        QVERIFY(!fileExists(tmp("pwned.safetensors")));
        // A device and a path in a config: kept as values, not refused.
        QCOMPARE(run(proto2 + "}" + str("d") + "ctorch\ndevice\n" + str("cpu") + "\x85Rs."), std::string("<no error>"));
        QCOMPARE(run(proto2 + "cpathlib\nPosixPath\n" + str("a") + "\x85R."), std::string("<no error>"));
    }
};

QTEST_GUILESS_MAIN(TorchPickleTest)
#include "test_torch_pickle.moc"
