// `inst3d lora-merge`: a LLaMA folder plus a PEFT LoRA adapter -> one merged Hugging Face folder.
#pragma once
#include "core/cli/command.h"

namespace inst3d {
void registerLoraCommand(CommandRegistry& registry);
}
