// tests/fuzz/fuzz_program.cpp — program text through parse, lower, autodiff and the -O2 pass
// pipeline, with the IR verifier after the frontend and after every pass. Nothing runs: any
// program up to libFuzzer's -max_len is fair game, whatever sizes it declares.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/program_pipeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto parsed = gradc::fuzz::lower_program(text)) gradc::fuzz::differentiate_o2(*parsed);
  return 0;
}
