// tools/gradc/program_options.cpp — the options that name the program, and
// turning its text into a graph with errors shown as the user needs them.
#include <fmt/format.h>

#include "frontend/frontend.h"
#include "tools/gradc/commands.h"

namespace gradc::cli {

void add_program_options(CLI::App& cmd, ProgramArgs& args) {
  cmd.add_option("FILE", args.file, "Program file (.grad)");
  cmd.add_option("-e,--expr", args.expr, "Program text, instead of a FILE");
  cmd.add_option("--dtype", args.dtype, "Compute type: f64 (default) or f32")
      ->check(CLI::IsMember({"f32", "f64"}));
}

ir::Graph compile_or_report(const frontend::SourceFile& src, ir::DType dtype) {
  try {
    return frontend::compile_to_ir(src, dtype);
  } catch (const frontend::CompileError& e) {
    std::fputs(frontend::render(src, e.diag).c_str(), stderr);
    throw;
  }
}

}  // namespace gradc::cli
