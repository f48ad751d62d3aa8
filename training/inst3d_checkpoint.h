// An Inst3D checkpoint folder: what training writes and evaluation / chat read.
//   checkpoint.json     format "inst3d-checkpoint/1", the model configuration (YAML text), the base LLM
//                       ("llm" = the folder inside, else a path), identifier tokens, the token layout,
//                       the encoders and fingerprints of the feature caches it was trained on, steps, tags
//   inst3d.safetensors  the scene encoder (models/inst3d)
//   adapter/            the LLM's LoRA and its embedding rows, PEFT's layout (peft 0.9 loads it)
//   tokenizer.model     SentencePiece vocabulary; <OBJ000>.. are added after it
//   llm/                the base LLM when it was made here (random, for synthetic worlds): HF folder
//   trainer_state.safetensors  optimizer moments, step, dropout generator (for --resume)
// Written into DIR.tmp-<pid> and renamed over DIR, so a kill never leaves half a checkpoint.
#pragma once
#include <map>
#include <string>

#include "training/inst3d_trainer.h"

namespace inst3d {

struct CheckpointInfo {
    std::string llmBase = "llm";                   // "llm" (inside) or an HF folder
    std::map<std::string, std::string> encoders;   // provenance of the feature caches (encoder_3d, ...)
    std::string tags;
    int64_t steps = 0;
    LoraConfig lora;
};

// The base LLM of a checkpoint made here: config.json + model.safetensors (no LoRA, no trained rows).
void saveLlamaFolder(const LlamaModel& llm, const std::string& dir);

// Writes the checkpoint (the trainer's state too when given); `baseLlmDir`, when not empty, is copied to
// DIR/llm (the random base LLM's folder).
void saveInst3dCheckpoint(const std::string& dir, const Inst3dStack& stack, const CheckpointInfo& info,
                          const Inst3dTrainer* trainer, const std::string& baseLlmDir);

// Reads a checkpoint: Error naming the file for a missing piece or shapes that do not match its config.
Inst3dStack loadInst3dCheckpoint(const std::string& dir, CheckpointInfo* info = nullptr, const std::string& device = "cpu");

// checkpoint.json alone (no weights read): what a caller needs to choose or make the feature caches.
CheckpointInfo readCheckpointInfo(const std::string& dir);

// "" when a cache of this provenance comes from the checkpoint's encoders, else what differs.
std::string encoderMismatch(const CheckpointInfo& info, const std::map<std::string, std::string>& provenance);

// Error naming `where` when the scenes' feature caches come from other encoders than the checkpoint's.
void checkCheckpointEncoders(const CheckpointInfo& info, const Inst3dData& data, const std::string& where);
void checkSceneEncoders(const CheckpointInfo& info, const SceneObjects& scene, const std::string& where);

}  // namespace inst3d
