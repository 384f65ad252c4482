// tests/fuzz/program_pipeline.cpp — see program_pipeline.h.
#include "tests/fuzz/program_pipeline.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "frontend/frontend.h"
#include "ir/shape.h"
#include "ir/verifier.h"
#include "tests/fuzz/reject_cleanly.h"
#include "tools/gradc/driver.h"
#include "tools/gradc/tensor_args.h"

namespace gradc::fuzz {

std::optional<ir::Graph> lower_program(std::string_view text) {
  const frontend::SourceFile src("<fuzz>", std::string(text));
  std::optional<ir::Graph> g;
  // The CLI's compile_program, minus its rendering of the diagnostic to stderr.
  reject_cleanly<frontend::CompileError>([&] {
    g = frontend::compile_to_ir(src, ir::DType::F64);
    if (!cli::has_only_scalar_inputs(*g)) g = frontend::compile_to_ir(src, ir::DType::F32);
  });
  if (!g) return g;
  if (const auto errs = ir::verify(*g); !errs.empty()) {
    std::fprintf(stderr, "fuzz: the frontend built a broken IR: %s\n", errs.front().c_str());
    std::abort();
  }
  return g;
}

std::optional<ir::Graph> differentiate_o2(const ir::Graph& parsed) {
  std::optional<ir::Graph> g;
  reject_cleanly<cli::UsageError>([&] {
    g = cli::run_pipeline(parsed, nullptr, cli::PipelineArgs{}, cli::Differentiation::of({}));
  });
  return g;
}

}  // namespace gradc::fuzz
