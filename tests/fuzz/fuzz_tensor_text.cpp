// tests/fuzz/fuzz_tensor_text.cpp — what users type after --at: the input as a tensor literal
// (parse_tensor_literal, then its documented round trip through format_tensor_json, and the
// terminal display), and as a whole --at argument ("x=[1,2;3,4],s=2") bound to a program with
// a symbolic dim, integer labels and a param, as `gradc grad` binds it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "frontend/frontend.h"
#include "runtime/tensor_text.h"
#include "tests/fuzz/reject_cleanly.h"
#include "tools/gradc/driver.h"
#include "tools/gradc/tensor_args.h"

namespace {

using gradc::runtime::Tensor;

// x, labels y (4 classes through cross_entropy), a scalar and a param with an initialiser.
constexpr const char* kProgram =
    "input x[B, 3]\ninput y[B] : int\ninput s\nparam W[3, 4] = zeros()\n"
    "loss = cross_entropy(x @ W * s, y)\n";

const gradc::ir::Graph& program() {
  static const gradc::ir::Graph g =
      gradc::frontend::compile_to_ir(gradc::frontend::SourceFile("<fuzz>", kProgram), gradc::ir::DType::F32);
  return g;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape == b.shape && a.data.size() == b.data.size() &&
         std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(double)) == 0;
}

bool has_zero_dim(const Tensor& t) {
  for (int64_t d : t.shape)
    if (d == 0) return true;
  return false;
}

// tensor_text.h: what format_tensor_json prints reads back with the same shape and bits.
void check_round_trip(const Tensor& value) {
  const Tensor back = gradc::runtime::parse_tensor_literal(gradc::runtime::format_tensor_json(value, false));
  if (!has_zero_dim(value) && !same_bits(value, back)) {
    std::fprintf(stderr, "fuzz: format_tensor_json does not read back bit-identical\n");
    std::abort();
  }
  gradc::runtime::format_tensor_text(value, false);
  gradc::runtime::format_tensor_text(value, true);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gradc;
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::reject_cleanly<runtime::TensorTextError>([&] { check_round_trip(runtime::parse_tensor_literal(text)); });
  // A value naming a file is read as .npy (fuzz_npy covers that reader); a fuzzer that guessed
  // "/dev/zero" would only be testing the disk.
  if (text.find('/') != std::string::npos) return 0;
  fuzz::reject_cleanly<cli::UsageError>([&] { cli::bind_program(program(), {text}, {}); });
  return 0;
}
