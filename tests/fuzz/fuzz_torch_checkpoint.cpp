// torch.save checkpoints (.pt, .pth, pytorch_model.bin): the ZIP directory, data.pkl's pickle (no code
// runs: only the allow-listed constructors) and the tensors' storages, flattened as convert-weights does.
#include "core/io/torch_pickle.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return inst3d::fuzz::readAsFile(data, size, ".pt", [](const std::string& path) {
        inst3d::TorchCheckpoint checkpoint(path);
        volatile size_t sink = inst3d::flattenTensors(checkpoint.root()).size();
        (void)sink;
    });
}
