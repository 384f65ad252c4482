// tests/fuzz/fuzz_npy.cpp — the .npy and .npz readers on the same bytes (a seed of either
// kind reaches the other reader's first check). An array that parses must encode and parse
// back equal, and its elements must convert (what --at and the data loader do with them).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "runtime/npy.h"
#include "runtime/npz.h"
#include "tests/fuzz/reject_cleanly.h"

namespace {

void check_array(const gradc::runtime::NpyArray& a) {
  gradc::runtime::npy_to_doubles(a);
  const std::string bytes = gradc::runtime::encode_npy(a);
  const gradc::runtime::NpyArray back =
      gradc::runtime::parse_npy(std::as_bytes(std::span(bytes.data(), bytes.size())), "<re-encoded>");
  if (back.dtype != a.dtype || back.shape != a.shape || back.data != a.data) {
    std::fprintf(stderr, "fuzz: an .npy array does not survive encode_npy then parse_npy\n");
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gradc::runtime;
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  gradc::fuzz::reject_cleanly<NpyError>([&] { check_array(parse_npy(bytes, "<fuzz.npy>")); });
  gradc::fuzz::reject_cleanly<NpyError>([&] {
    const NpzArchive archive = parse_npz(bytes, "<fuzz.npz>");
    for (const auto& [name, array] : archive.arrays()) check_array(array);
  });
  return 0;
}
