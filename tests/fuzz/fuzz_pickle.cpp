// The pickle machine alone, on raw bytes (no ZIP around it): every opcode sequence must end in a value or
// an Error, never a read outside the buffer. Storages resolve to a 64-byte block, so tensor views of any
// shape and offset are checked against a real size.
#include <array>

#include "core/io/torch_pickle.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::array<uint8_t, 64> storage{};
    auto resolve = [](const std::string& key) {
        inst3d::StorageBytes bytes;
        bytes.found = true;
        bytes.where = "data/" + key;
        bytes.data = storage.data();
        bytes.size = storage.size();
        return bytes;
    };
    try {
        inst3d::PickleValuePtr root = inst3d::unpickle(data, size, "fuzz.pkl", "data.pkl", resolve);
        volatile size_t sink = inst3d::flattenTensors(*root).size();
        (void)sink;
    } catch (const inst3d::Error&) {
    }
    return 0;
}
