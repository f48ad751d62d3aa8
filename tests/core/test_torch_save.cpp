// The torch.save writer (core/io/torch_save.h): every value kind and dtype read back through our own
// reader (core/io/torch_pickle.h) and, where this machine has Python + torch, through real torch.load
// (tests/support/torch_digest.h); ZIP64 and alignment as torch writes them; errors name the file.
#include <QTemporaryDir>
#include <QtTest>
#include <cstring>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/torch_pickle.h"
#include "core/io/torch_save.h"
#include "core/io/zip_archive.h"
#include "support/test_support.h"
#include "support/torch_digest.h"

using namespace inst3d;

namespace {

template <typename T>
SaveValue typed(DType dtype, std::vector<int64_t> shape, const std::vector<T>& values) {
    std::vector<uint8_t> bytes(values.size() * sizeof(T));
    if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    return SaveValue::tensor(dtype, std::move(shape), std::move(bytes));
}

// One of everything the writer supports.
SaveValue sample() {
    const float f[6] = {0.5f, -1.25f, 3.f, 1e-3f, 7.f, -0.f};
    SaveValue root = SaveValue::dict();
    root.set("f32", SaveValue::floatTensor({2, 3}, f));
    root.set("f16", typed<uint16_t>(DType::F16, {3}, {0x3C00, 0xC000, 0x3555}));  // 1, -2, ~0.333
    root.set("bf16", typed<uint16_t>(DType::BF16, {2}, {0x3F80, 0xC040}));        // 1, -3
    root.set("i64", typed<int64_t>(DType::I64, {2}, {-5, int64_t(1) << 40}));
    root.set("i32", typed<int32_t>(DType::I32, {1, 2}, {7, -8}));
    root.set("u8", typed<uint8_t>(DType::U8, {3}, {0, 128, 255}));
    root.set("bool", typed<uint8_t>(DType::Bool, {2}, {1, 0}));
    root.set("scalar", SaveValue::floatTensor({}, f + 2));
    root.set("empty", SaveValue::floatTensor({0, 4}, nullptr));
    SaveValue misc = SaveValue::list({SaveValue::fromInt(0), SaveValue::fromInt(255), SaveValue::fromInt(256),
                                      SaveValue::fromInt(65536), SaveValue::fromInt(-1),
                                      SaveValue::fromInt(int64_t(1) << 50), SaveValue::fromFloat(2.5),
                                      SaveValue::fromBool(true), SaveValue::fromBool(false), SaveValue::none(),
                                      SaveValue::fromString("scène \"x\"")});
    root.set("misc", std::move(misc));
    root.set("tuples", SaveValue::tuple({SaveValue::tuple(), SaveValue::tuple({SaveValue::fromInt(1)}),
                                         SaveValue::tuple({SaveValue::fromInt(1), SaveValue::fromInt(2), SaveValue::fromInt(3),
                                                           SaveValue::fromInt(4)})}));
    SaveValue nested = SaveValue::dict();
    nested.set("objects", SaveValue::list({SaveValue::fromString("chair")}));
    nested.set("inner", SaveValue::dict());
    root.set("nested", std::move(nested));
    return root;
}

// > 65535 entries (a ScanNet-wide feature dict has ~120k): ZIP64 end records.
SaveValue manyEntries() {
    SaveValue root = SaveValue::dict();
    const float one = 1.f;
    for (int i = 0; i < 66000; ++i) root.set("k" + std::to_string(i), SaveValue::floatTensor({1}, &one));
    return root;
}

void compareDigests(const nlohmann::json& got, const nlohmann::json& want) {
    if (got != want) QFAIL(("digest differs:\n got  " + got.dump() + "\n want " + want.dump()).c_str());
}

}  // namespace

class TestTorchSave : public QObject {
    Q_OBJECT
private slots:
    void roundTripOwnReader() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("all.pt").toStdString();
        const SaveValue root = sample();
        torchSave(path, root);
        TorchCheckpoint ckpt(path);
        QCOMPARE(ckpt.recordPrefix(), std::string("archive/"));
        compareDigests(test::digestOf(ckpt.root()), test::digestOf(root));
    }

    void entriesAlignedAndNamedAsTorch() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("layout.pt").toStdString();
        torchSave(path, sample());
        ZipArchive zip(path);
        std::vector<std::string> names;
        for (const ZipEntry& e : zip.entries()) {
            names.push_back(e.name);
            QCOMPARE(int(e.method), 0);
            const ByteSpan s = zip.checkedData(e);  // CRC-32 verified
            QCOMPARE(uint64_t(s.data - zip.file()->data()) % 64, uint64_t(0));
        }
        QCOMPARE(names.front(), std::string("archive/data.pkl"));
        QCOMPARE(names[1], std::string("archive/byteorder"));
        QCOMPARE(names[2], std::string("archive/data/0"));
        QCOMPARE(names.back(), std::string("archive/version"));
        QCOMPARE(names.size(), size_t(3 + 9));  // 9 tensors
    }

    void zip64RoundTrip() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("z64.pt").toStdString();
        TorchSaveOptions o;
        o.forceZip64 = true;
        o.stem = "z64";
        torchSave(path, sample(), o);
        TorchCheckpoint ckpt(path);
        QCOMPARE(ckpt.recordPrefix(), std::string("z64/"));
        compareDigests(test::digestOf(ckpt.root()), test::digestOf(sample()));
    }

    void manyEntriesUseZip64EndRecords() {  // > 65535 entries (a ScanNet-wide feature dict has ~120k)
        QTemporaryDir dir;
        const std::string path = dir.filePath("many.pt").toStdString();
        const SaveValue root = manyEntries();
        torchSave(path, root);
        TorchCheckpoint ckpt(path);
        QCOMPARE(ckpt.root().entries().size(), size_t(66000));
        QCOMPARE(ckpt.root().at("k65999").tensor().numel(), int64_t(1));
    }

    void manyEntriesTorchLoad() {  // the same > 65535-entry file through real torch.load
        INST3D_REQUIRE_TORCH_PYTHON();
        QTemporaryDir dir;
        const std::string path = dir.filePath("many.pt").toStdString();
        const SaveValue root = manyEntries();
        torchSave(path, root);
        compareDigests(test::torchLoadDigest(path), test::digestOf(root));
    }

    void realTorchLoad() {
        INST3D_REQUIRE_TORCH_PYTHON();
        QTemporaryDir dir;
        const std::string path = dir.filePath("all.pt").toStdString();
        torchSave(path, sample());
        compareDigests(test::torchLoadDigest(path), test::digestOf(sample()));
    }

    void realTorchLoadZip64() {
        INST3D_REQUIRE_TORCH_PYTHON();
        QTemporaryDir dir;
        const std::string path = dir.filePath("z64.pt").toStdString();
        TorchSaveOptions o;
        o.forceZip64 = true;
        torchSave(path, sample(), o);
        compareDigests(test::torchLoadDigest(path), test::digestOf(sample()));
    }

    void errorsNameTheFile() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("dup.pt").toStdString();
        SaveValue root = SaveValue::dict();
        root.set("a", SaveValue::fromInt(1));
        root.set("a", SaveValue::fromInt(2));
        QCOMPARE(test::errorOf([&] { torchSave(path, root); }), path + ": torch.save: duplicate dict key 'a'");
        QVERIFY(!fileExists(path));
        QVERIFY(test::errorOf([] { SaveValue::tensor(DType::F32, {2}, std::vector<uint8_t>(7)); }).find("given 7 bytes") !=
                std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestTorchSave)
#include "test_torch_save.moc"
