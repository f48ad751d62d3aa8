// The CLIP vision tower and its preprocessing (models/vision/clip_*) against tools/clip_reference.py:
// our own PyTorch re-implementation of CLIPVisionModelWithProjection and of CLIPImageProcessor with real
// PIL bicubic resizing (transformers itself was not available; a transformers cross-check is left to the
// GPU machine). Goldens in tests/data/clip/: a tiny random checkpoint in HF layout, SHA-256 of the
// synthetic source images, of PIL's resized uint8 images and of the 336-pixel float tensors, plus the
// tiny-size pixel values, image embeddings and last hidden states.
#include <torch/torch.h>

#include <QtTest>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/common/sha256.h"
#include "models/vision/clip_preprocess.h"
#include "models/vision/clip_vision.h"
#include "models/weights/torch_weights.h"
#include "support/test_support.h"
#include "support/torch_test_support.h"

using namespace inst3d;

namespace {
const std::string kData = INST3D_TEST_DATA_DIR "/clip/";
const std::string kModel = kData + "tiny-clip-vision";

// tools/clip_reference.py source_image(): by thirds of the width a wrapping gradient, a hard 0/255
// checker and 32-bit hash noise.
ImageRGB8 sourceImage(int w, int h) {
    ImageRGB8 img{w, h, std::vector<uint8_t>(size_t(w) * h * 3)};
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 3; ++c) {
                const int region = 3 * x / w;
                const uint32_t noise = ((uint32_t(x) * 73856093u ^ uint32_t(y) * 19349663u ^ uint32_t(c) * 83492791u) >> 8) & 255u;
                const int grad = (x * 255 / std::max(w - 1, 1) + y * 3 + c * 40) % 256;
                const int checker = (x / 5 + y / 5 + c) % 2 == 1 ? 255 : 0;
                img.at(x, y)[c] = uint8_t(region == 0 ? grad : region == 1 ? checker : int(noise));
            }
    return img;
}

std::string sha(const void* data, size_t bytes) {
    Sha256 h;
    h.update(data, bytes);
    return h.hexDigest();
}

nlohmann::json golden() { return nlohmann::json::parse(readTextFile(kData + "golden.json")); }

torch::Tensor goldenTensor(const std::string& name) {
    auto f = std::make_shared<SafetensorsFile>(kData + "golden.safetensors");
    return loadTensor(f, name).clone();
}

ClipPreprocessConfig preprocessFor(const nlohmann::json& j) { return ClipPreprocessConfig::fromJson(j.dump(), "golden.json", {}); }


torch::Tensor asTensor(const std::vector<float>& v, std::vector<int64_t> shape) {
    return torch::tensor(v).reshape(shape);
}

}  // namespace

class ClipTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::string tmp(const std::string& name) { return test::makeSubdir(dir_, name); }

private Q_SLOTS:
    void sourceImagesMatchReference() {
        for (const auto& im : golden()["images"]) {
            ImageRGB8 img = sourceImage(im["width"], im["height"]);
            QCOMPARE(sha(img.pixels.data(), img.pixels.size()), im["source_sha256"].get<std::string>());
        }
    }

    // The uint8 image PIL returns to transformers, byte for byte, for downscaling, upscaling, the
    // identity (56 x 71 at size 56) and 3- and 1-pixel-thin crops.
    void resizeIsBitExactWithPil() {
        nlohmann::json g = golden();
        for (const auto& im : g["images"]) {
            ImageRGB8 img = sourceImage(im["width"], im["height"]);
            for (int size : {56, 336}) {
                std::string key = "resized" + std::to_string(size);
                ImageRGB8 r = clipResize(img, ClipPreprocessConfig::forImageSize(size));
                QCOMPARE(r.width, im[key][0].get<int>());
                QCOMPARE(r.height, im[key][1].get<int>());
                QVERIFY2(sha(r.pixels.data(), r.pixels.size()) == im[key + "_sha256"].get<std::string>(),
                         qPrintable(QString::fromStdString(im["name"].get<std::string>() + " at " + key)));
            }
        }
    }

    // PIL between arbitrary sizes: 45 pairs, ratios from 1/140 to 166.
    void resizeSweepIsBitExactWithPil() {
        for (const auto& c : golden()["resize_sweep"]) {
            ImageRGB8 r = resizeBicubicPil(sourceImage(c[0], c[1]), c[2], c[3]);
            QVERIFY2(sha(r.pixels.data(), r.pixels.size()) == c[4].get<std::string>(), qPrintable(QString::fromStdString(c.dump())));
        }
    }

    void pixelValuesMatchReference() {
        nlohmann::json g = golden();
        torch::Tensor tiny = goldenTensor("pixel_values");        // [N, 3, 56, 56]
        torch::Tensor sub336 = goldenTensor("pixels336_every12");  // [N, 3, 28, 28]
        ClipPreprocessConfig tinyCfg = preprocessFor(g["tiny_preprocessor"]);
        ClipPreprocessConfig vitl = ClipPreprocessConfig::forImageSize(336);
        for (size_t i = 0; i < g["images"].size(); ++i) {
            const auto& im = g["images"][i];
            ImageRGB8 img = sourceImage(im["width"], im["height"]);
            torch::Tensor p = asTensor(clipPreprocess(img, tinyCfg), {3, 56, 56});
            QVERIFY2(torch::equal(p, tiny[int64_t(i)]), qPrintable(QString::number(test::maxDiff(p, tiny[int64_t(i)]))));
            std::vector<float> full = clipPreprocess(img, vitl);  // [3, 336, 336]
            QCOMPARE(sha(full.data(), full.size() * sizeof(float)), im["pixels336_sha256"].get<std::string>());
            torch::Tensor every12 = asTensor(full, {3, 336, 336}).slice(1, 0, 336, 12).slice(2, 0, 336, 12);
            QVERIFY(torch::equal(every12, sub336[int64_t(i)]));
        }
        // A crop larger than the resized image: transformers' zero padding.
        ClipPreprocessConfig padded = preprocessFor(g["padded"]["preprocessor"]);
        torch::Tensor p = asTensor(clipPreprocess(sourceImage(97, 61), padded), {3, 56, 60});
        QVERIFY(torch::equal(p, goldenTensor("pixels_padded")));
    }

    void featuresMatchReference() {
        auto model = ClipVision::load(kModel);
        QCOMPARE(model->config().imageSize, int64_t(56));
        QCOMPARE(model->preprocessing().shortestEdge, 56);
        torch::Tensor last;
        torch::Tensor embeds = model->imageFeatures(goldenTensor("pixel_values"), &last);  // [N, 32]
        double d = test::maxDiff(embeds, goldenTensor("image_embeds"));
        qInfo("max |image_embeds - reference| = %.3g", d);
        QVERIFY2(d < 1e-4, qPrintable(QString::number(d)));
        QVERIFY(test::maxDiff(last, goldenTensor("last_hidden_state")) < 1e-4);

        // End to end through the CropEncoder: preprocessing + model + L2 normalisation, batches of 4.
        ClipCropEncoder enc(ClipVision::load(kModel), "clip", "test", 4);
        std::vector<ImageRGB8> crops;
        for (const auto& im : golden()["images"]) crops.push_back(sourceImage(im["width"], im["height"]));
        std::vector<std::vector<float>> feats = enc.encode(crops);
        QCOMPARE(feats.size(), crops.size());
        torch::Tensor ref = goldenTensor("features");
        for (size_t i = 0; i < feats.size(); ++i) {
            torch::Tensor f = torch::tensor(feats[i]);
            QVERIFY2(test::maxDiff(f, ref[int64_t(i)]) < 1e-4, qPrintable(QString::number(i)));
            QVERIFY(std::abs(f.norm().item<double>() - 1.0) < 1e-5);
        }
    }

    // A CLIPModel folder: CLIPConfig with vision_config and a top-level projection_dim, text tower and
    // logit_scale in the checkpoint, split over two shards with an index.
    // transformers 4.39.3's own CLIPImageProcessor (slow, PIL) and CLIPVisionModelWithProjection outputs
    // (tools/oracles/make_hf_goldens.py, tests/data/hf/clip-vision).
    void hfClipMatchesTransformers() {
        const std::string dir = INST3D_TEST_DATA_DIR "/hf/clip-vision";
        QVERIFY2(fileExists(dir + "/golden.json"),
                 "transformers goldens missing: regenerate with tools/oracles/make_hf_goldens.py (docs/building.md)");
        auto model = ClipVision::load(dir);
        auto file = std::make_shared<SafetensorsFile>(dir + "/golden.safetensors");
        torch::Tensor pixels = loadTensor(file, "pixel_values").clone();  // [N, 3, 56, 56]
        nlohmann::json g = nlohmann::json::parse(readTextFile(dir + "/golden.json"));
        for (size_t i = 0; i < g["images"].size(); ++i) {
            ImageRGB8 img = sourceImage(g["images"][i]["width"], g["images"][i]["height"]);
            torch::Tensor p = asTensor(clipPreprocess(img, model->preprocessing()), {3, 56, 56});
            const double d = test::maxDiff(p, pixels[int64_t(i)]);
            qInfo("image %zu: max |pixels - CLIPImageProcessor| = %.3g", i, d);
            QVERIFY2(d < 1e-6, qPrintable(QString::number(d)));
        }
        torch::Tensor last;
        torch::Tensor embeds = model->imageFeatures(pixels, &last);  // [N, P]
        const double d = test::maxDiff(embeds, loadTensor(file, "image_embeds"));
        qInfo("max |image_embeds - transformers| = %.3g", d);
        QVERIFY2(d < 1e-4, qPrintable(QString::number(d)));
        QVERIFY(test::maxDiff(last, loadTensor(file, "last_hidden_state")) < 1e-4);
    }

    void devices() {
        auto cpu = ClipVision::load(kModel, "cpu");
        QCOMPARE(QString::fromStdString(cpu->device()), QString("cpu"));
        QVERIFY(test::maxDiff(cpu->imageFeatures(goldenTensor("pixel_values")), goldenTensor("image_embeds")) < 1e-4);
        const QString bad = QString::fromStdString(test::errorOf([] { ClipVision::load(kModel, "cuda:x"); }));
        QVERIFY2(bad.contains("unknown device 'cuda:x'"), qPrintable(bad));
        if (!torch::cuda::is_available()) {
            const QString err = QString::fromStdString(test::errorOf([] { ClipCropEncoder::open("random:tiny", 4, "cuda"); }));
            QVERIFY2(err.contains("no CUDA or sees no GPU"), qPrintable(err));
            return;
        }
        // With a GPU (cuDNN's TF32 off, as the reference runs): the golden features within 1e-4, crops too.
        at::globalContext().setAllowTF32CuDNN(false);
        auto gpu = ClipVision::load(kModel, "cuda");
        QVERIFY(test::maxDiff(gpu->imageFeatures(goldenTensor("pixel_values")).cpu(), goldenTensor("image_embeds")) < 1e-4);
        ClipCropEncoder onGpu(ClipVision::load(kModel, "cuda"), "clip", "test", 4), onCpu(ClipVision::load(kModel), "clip", "test", 4);
        std::vector<ImageRGB8> crops = {sourceImage(97, 61), sourceImage(40, 70)};
        std::vector<std::vector<float>> a = onGpu.encode(crops), b = onCpu.encode(crops);
        for (size_t i = 0; i < a.size(); ++i)
            for (size_t j = 0; j < a[i].size(); ++j) QVERIFY(std::abs(a[i][j] - b[i][j]) < 1e-4);
    }

    void fullClipModelCheckpointLoads() {
        std::string d = tmp("clip-model");
        nlohmann::json vision = nlohmann::json::parse(readTextFile(kModel + "/config.json"));
        vision.erase("projection_dim");
        nlohmann::json cfg = {{"model_type", "clip"}, {"architectures", {"CLIPModel"}}, {"projection_dim", 32},
                              {"text_config", {{"hidden_size", 16}}}, {"vision_config", vision}};
        writeFileAtomic(d + "/config.json", cfg.dump(2));
        ClipVisionConfig parsed = ClipVisionConfig::load(d + "/config.json");
        QCOMPARE(parsed.projectionDim, int64_t(32));
        QCOMPARE(parsed.hiddenSize, int64_t(64));
        QCOMPARE(parsed.numLayers, int64_t(2));

        auto tensors = test::readAllTensors(kModel + "/model.safetensors");
        tensors.emplace_back("text_model.embeddings.token_embedding.weight", torch::randn({10, 16}));
        tensors.emplace_back("text_projection.weight", torch::randn({32, 16}));
        tensors.emplace_back("logit_scale", torch::tensor(2.6592f));
        const size_t half = tensors.size() / 2;
        std::vector<std::pair<std::string, torch::Tensor>> a(tensors.begin(), tensors.begin() + half),
            b(tensors.begin() + half, tensors.end());
        for (auto& [n, t] : b)
            if (t.is_floating_point()) t = t.to(torch::kFloat16).to(torch::kFloat32);  // same values as f16 would load
        saveTensors(d + "/model-00001-of-00002.safetensors", a);
        saveTensors(d + "/model-00002-of-00002.safetensors", b);
        nlohmann::json index = {{"metadata", nlohmann::json::object()}, {"weight_map", nlohmann::json::object()}};
        for (auto& [n, t] : a) index["weight_map"][n] = "model-00001-of-00002.safetensors";
        for (auto& [n, t] : b) index["weight_map"][n] = "model-00002-of-00002.safetensors";
        writeFileAtomic(d + "/model.safetensors.index.json", index.dump());
        // No preprocessor_config.json: shortest edge = crop = image_size.
        auto model = ClipVision::load(d);
        QCOMPARE(model->preprocessing().cropHeight, 56);
        QVERIFY(endsWith(model->weightsPath(), "model.safetensors.index.json"));
        torch::Tensor e = model->imageFeatures(goldenTensor("pixel_values"));
        QVERIFY2(test::maxDiff(e, goldenTensor("image_embeds")) < 2e-2, qPrintable(QString::number(test::maxDiff(e, goldenTensor("image_embeds")))));
    }

    void configAndPreprocessorForms() {
        ClipVisionConfig c = ClipVisionConfig::fromJson(R"({"model_type":"clip_vision_model"})", "c.json");
        QCOMPARE(c.imageSize, int64_t(224));  // CLIPVisionConfig defaults
        QCOMPARE(c.patchSize, int64_t(32));
        QCOMPARE(c.projectionDim, int64_t(512));
        QCOMPARE(c.hiddenAct, std::string("quick_gelu"));
        ClipVisionConfig n = ClipVisionConfig::fromJson(
            R"({"model_type":"clip","projection_dim":768,"vision_config":{"image_size":336,"patch_size":14,
                "hidden_size":1024,"intermediate_size":4096,"num_hidden_layers":24,"num_attention_heads":16}})", "c.json");
        ClipVisionConfig l = ClipVisionConfig::named("vit-l-14-336");
        QCOMPARE(n.numPositions(), int64_t(577));
        QCOMPARE(n.projectionDim, l.projectionDim);
        QCOMPARE(n.hiddenSize, l.hiddenSize);
        QVERIFY(QString::fromStdString(test::errorOf([] { ClipVisionConfig::fromJson(R"({"model_type":"llama"})", "c.json"); }))
                    .contains("c.json"));
        QVERIFY(QString::fromStdString(test::errorOf([] { ClipVisionConfig::fromJson(R"({"hidden_act":"relu"})", "c.json"); }))
                    .contains("relu"));

        // Old processor files: ints for size and crop_size.
        ClipPreprocessConfig p = ClipPreprocessConfig::fromJson(R"({"size":336,"crop_size":336,"resample":3})", "p.json", {});
        QCOMPARE(p.shortestEdge, 336);
        QCOMPARE(p.cropWidth, 336);
        ClipPreprocessConfig q = ClipPreprocessConfig::fromJson(
            R"({"size":{"height":20,"width":30},"do_center_crop":false,"image_mean":0.5,"image_std":[1,2,4]})", "p.json", {});
        QCOMPARE(q.shortestEdge, 0);
        std::vector<float> px = clipPreprocess(sourceImage(7, 9), q);
        QCOMPARE(px.size(), size_t(3 * 20 * 30));
        QVERIFY(QString::fromStdString(test::errorOf([] { ClipPreprocessConfig::fromJson(R"({"resample":2})", "p.json", {}); }))
                    .contains("p.json"));
    }

    void misshapenOrMissingTensorErrors() {
        std::string d = tmp("misshapen");
        writeFileAtomic(d + "/config.json", readTextFile(kModel + "/config.json"));
        auto tensors = test::readAllTensors(kModel + "/model.safetensors");
        for (auto& [n, t] : tensors)
            if (n == "vision_model.encoder.layers.1.mlp.fc1.weight") t = t.t().contiguous();
        saveTensors(d + "/model.safetensors", tensors);
        std::string e = test::errorOf([&] { ClipVision::load(d); });
        QVERIFY2(QString::fromStdString(e).contains("model.safetensors") &&
                     QString::fromStdString(e).contains("vision_model.encoder.layers.1.mlp.fc1.weight") &&
                     QString::fromStdString(e).contains("[64, 128], expected [128, 64]"),
                 e.c_str());

        std::string m = tmp("missing");
        writeFileAtomic(m + "/config.json", readTextFile(kModel + "/config.json"));
        tensors = test::readAllTensors(kModel + "/model.safetensors");
        tensors.erase(std::remove_if(tensors.begin(), tensors.end(), [](auto& p) { return p.first == "visual_projection.weight"; }),
                      tensors.end());
        saveTensors(m + "/model.safetensors", tensors);
        e = test::errorOf([&] { ClipVision::load(m); });
        QVERIFY2(QString::fromStdString(e).contains("model.safetensors") && QString::fromStdString(e).contains("visual_projection.weight"),
                 e.c_str());
    }

    void tinyAndEmptyCrops() {
        auto enc = ClipCropEncoder::open("random:tiny");
        ImageRGB8 one{1, 1, {200, 10, 30}};
        std::vector<std::vector<float>> f = enc->encode({one, sourceImage(1, 40), sourceImage(40, 1)});
        QCOMPARE(f.size(), size_t(3));
        for (const auto& v : f) QVERIFY(std::abs(torch::tensor(v).norm().item<double>() - 1.0) < 1e-5);
        QVERIFY(QString::fromStdString(test::errorOf([&] { enc->encode({sourceImage(4, 4), ImageRGB8{0, 5, {}}}); }))
                    .contains("crop 1 is empty"));
        QVERIFY(test::errorOf([&] { clipPreprocess(ImageRGB8{}, ClipPreprocessConfig{}); }) != "<no error>");
        QVERIFY(enc->encode({}).empty());
    }

    void randomEncoderIsDeterministicAndBatchInvariant() {
        auto a = ClipCropEncoder::open("random:tiny:7", 2);
        auto b = ClipCropEncoder::open("random:tiny:7", 16);
        auto c = ClipCropEncoder::open("random:tiny:8");
        QCOMPARE(a->dim(), 32);
        QCOMPARE(a->name(), std::string("clip-vit-d64-14-56"));
        QCOMPARE(a->checkpoint(), std::string("random:tiny:7"));
        std::vector<ImageRGB8> crops = {sourceImage(30, 20), sourceImage(64, 64), sourceImage(13, 90)};
        auto fa = a->encode(crops), fb = b->encode(crops), fc = c->encode(crops);
        for (size_t i = 0; i < crops.size(); ++i) {
            QVERIFY(test::maxDiff(torch::tensor(fa[i]), torch::tensor(fb[i])) < 1e-5);
            QVERIFY(test::maxDiff(torch::tensor(fa[i]), torch::tensor(fc[i])) > 1e-3);
        }
        // The random model's weights round-trip through its HF layout.
        std::string d = tmp("roundtrip");
        auto model = ClipVision::random(ClipVisionConfig::named("tiny"), 7);
        saveTensors(d + "/model.safetensors", model->stateDict());
        writeFileAtomic(d + "/config.json", nlohmann::json{{"model_type", "clip_vision_model"}, {"image_size", 56},
            {"patch_size", 14}, {"hidden_size", 64}, {"intermediate_size", 128}, {"num_hidden_layers", 2},
            {"num_attention_heads", 4}, {"projection_dim", 32}}.dump());
        ClipCropEncoder loaded(ClipVision::load(d), "clip", "x");
        auto fl = loaded.encode(crops);
        for (size_t i = 0; i < crops.size(); ++i) QVERIFY(test::maxDiff(torch::tensor(fa[i]), torch::tensor(fl[i])) < 1e-6);
    }
};

QTEST_GUILESS_MAIN(ClipTest)
#include "test_clip.moc"
