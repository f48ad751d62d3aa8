#include "models/cli/model_commands.h"

#include "models/cli/extract_command.h"
#include "models/cli/lora_command.h"
#include "models/cli/model_verbs.h"
#include "models/weights/torch_runtime.h"

namespace inst3d {

void registerModelCommands(CommandRegistry& registry) {
    registry.addVersionLine(torchVersionLine);
    CommandRegistry models;
    models.add({"tokenize", "LLaMA token ids of a text (with the <OBJ###> tokens)", runTokenize});
    models.add({"weights", "list (and check) the tensors of a safetensors file", runWeights});
    models.add({"bench", "measure a neural component here (bench: BLAS, threads, matmul rate; bench llm: time to first token, tokens/s, peak RSS; bench extract: per-stage times; bench encoders: CLIP / Uni3D throughput)", runBench});
    registerExtractCommand(models);
    registerLoraCommand(models);
    models.add({"chat-llm", "chat with a LLaMA / Vicuna model in the terminal (Vicuna v1.1 template, streamed)", runChat});
    // Every neural verb starts with the process-wide CPU setup: all CPUs this process may use (LibTorch
    // alone takes one per physical core, 1 on a 2-vCPU machine), $INST3D_THREADS overriding. Inside the
    // verb, so a bad $INST3D_THREADS is reported like any other error.
    for (const Command& c : models.commands())
        registry.add({c.name, c.summary, [run = c.run](const std::vector<std::string>& args) {
                          applyDefaultThreads();
                          return run(args);
                      }});
}

}  // namespace inst3d
