// Sizes and switches of the Inst3D-LMM model (docs/model.md), read from resources/config/model/*.yaml.
#pragma once
#include <string>

namespace inst3d {

enum class SpatialFusion { Mul, Bias, Add };   // vil3dref's fusion of pairwise features into attention
enum class TokenLayout { Interleaved, Slots }; // the released per-object order, or the two <REPLACE> slots
enum class ViewFusion { Mean, Views };          // MCMF's 2D input: the mean crop feature, or every crop

struct Inst3dConfig {
    std::string name = "tiny";
    int dim3d = 32, dim2d = 24, dimScene = 16, dimLlm = 32;
    int mcmfHeads = 4;
    int spatialLayers = 1, spatialHeads = 4, spatialFfn = 64;
    SpatialFusion spatialFusion = SpatialFusion::Mul;
    int relationLayers = 2, relationHeads = 4, relationFfn = 64;
    int maxObjects = 8;         // object slots per scene
    int identifierTokens = 8;   // <OBJ000>.. rows added to the LLM vocabulary (>= maxObjects)
    TokenLayout tokenLayout = TokenLayout::Interleaved;
    // MCMF's two self-attentions replace each object's feature by the attention output (released code:
    // no residual), so at initialisation every object's token is close to the scene average. true adds
    // the input back (x + attn(x)): each object keeps its own feature from the first step.
    bool mcmfResidual = false;
    // Mean (released code): the 2D attention with the global token runs across the objects' mean crop
    // features. Views (the paper's "multi-view" wording, brief §1.11 step 3): the same layer runs across
    // each object's own crops [V x L], the global token as the aggregator, and the crops' outputs are
    // averaged into the object's 2D feature. Needs the cache's feat_2d_crops.
    ViewFusion viewFusion = ViewFusion::Mean;
    // Chat-Scene's fuse_with_id: the identifier embedding E(<OBJ j>) is added to each of object j's tokens
    // instead of standing before them as a token of its own (3 tokens per object instead of 4), so every
    // object token carries its identifier and grounding reads it out with one attention step.
    bool fuseWithId = false;
    // none (released code): object tokens enter the LLM at whatever scale the projectors give them.
    // rms: each object token is scaled to the RMS of the identifier embeddings (docs/model.md step 7), so
    // that a from-scratch LLM, whose word embeddings are ~0.02, sees tokens of the same size as its words
    // and an E(<OBJ j>) added by fuse_with_id is not drowned by a token a thousand times larger.
    bool tokenRmsNorm = false;
    double spatialDropout = 0.1, relationDropout = 0.05;  // training only

    // A YAML mapping of the keys in docs/model.md. Unknown keys, non-positive sizes, widths that the
    // heads do not divide, and unknown enum values are errors naming `path` and the key.
    static Inst3dConfig fromYaml(const std::string& text, const std::string& path);
    static Inst3dConfig load(const std::string& path);
    // resources/config/model/<name>.yaml ("tiny", "inst3d-7b"), or a path to a .yaml file.
    static Inst3dConfig named(const std::string& nameOrPath);
    std::string toYaml() const;
};

const char* spatialFusionName(SpatialFusion f);
const char* tokenLayoutName(TokenLayout t);
const char* viewFusionName(ViewFusion v);

}  // namespace inst3d
