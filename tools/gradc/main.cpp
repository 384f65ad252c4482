// tools/gradc/main.cpp — the gradc command line: subcommands, errors, exit codes.
//
// Exit codes: 0 success, 1 a bad program (the message points into its source),
// 2 bad usage (unknown option, missing --at value, unreadable file).
#include <fmt/format.h>

#include <malloc.h>

#include <cstdio>

#include "codegen/codegen.h"
#include "frontend/diagnostics.h"
#include "frontend/functions.h"
#include "tools/gradc/commands.h"

namespace {

constexpr const char* kAbout =
    "gradc: a compiler for formulas and their gradients.\n"
    "Parses a formula into a graph, differentiates it in reverse mode, optimises it,\n"
    "JIT-compiles it with LLVM, and draws every step with Graphviz.";

constexpr const char* kExamples = R"(
Examples:
  gradc grad -e 'f = ln x + exp(y)*z' --at x=1,y=3,z=2
  gradc grad examples/seed.grad --at x=1,y=3,z=2 --json
  gradc graph examples/coursework_002_1_5b.grad --at x=1,y=2,z=3 --out pictures --format svg
  gradc emit -e 'sin(x)*exp(x)' --emit asm
  gradc jacobian -e 'input w[3]; f = w * w' --wrt w --at 'w=[1,2,3]'

Run 'gradc COMMAND --help' for a command's options.)";


// Every pass builds a new graph; a 10⁵-node graph is tens of MB. glibc serves blocks
// that large with fresh mmaps and returns them on free, so each pass would fault its
// whole arena in again (on a VM, page faults cost more than the pass's own work). Keep
// freed memory in the heap for the next pass instead.
void keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
}

std::string version_text() {
  return fmt::format("gradc {} (LLVM {})", GRADC_VERSION, gradc::codegen::llvm_version());
}

// CLI11 reads an unknown word where a command belongs as a stray argument and answers "A
// subcommand is required" (and `gradc nosuch --help` prints the main help, exit 0). Name
// the word instead, with the command it most resembles, as git does.
bool reject_unknown_command(CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return false;
  const std::string_view word = argv[1];
  std::vector<std::string_view> names;
  for (const CLI::App* c : app.get_subcommands([](CLI::App*) { return true; })) {
    if (c->get_name() == word) return false;
    names.push_back(c->get_name());
  }
  fmt::print(stderr, "gradc: error: unknown command '{}'\n", word);
  if (const std::string_view g = gradc::frontend::suggest(word, names); !g.empty())
    fmt::print(stderr, "  did you mean '{}'?\n", g);
  fmt::print(stderr, "Run 'gradc --help' for the commands.\n");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gradc::cli;
  keep_freed_memory();
  CLI::App app(kAbout, "gradc");
  app.footer(kExamples);
  app.require_subcommand(1);
  Action run;
  register_eval(app, run);
  register_grad(app, run);
  register_graph(app, run);
  register_emit(app, run);
  register_jacobian(app, run);
  register_train(app, run);
  register_predict(app, run);
  register_plot_curves(app, run);
  app.set_version_flag("--version", version_text(), "Print gradc's version and exit");
  if (reject_unknown_command(app, argc, argv)) return kExitBadUsage;
  try {
    app.parse(argc, argv);
    return run();
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    fmt::print(stderr, "gradc: error: {}\nRun 'gradc --help' for usage.\n", e.what());
    return kExitBadUsage;
  } catch (const gradc::frontend::CompileError&) {
    return kExitBadProgram;  // already rendered by the command, which holds the source
  } catch (const UsageError& e) {
    fmt::print(stderr, "gradc: error: {}\n", e.what());
    return kExitBadUsage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "gradc: error: {}\n", e.what());
    return kExitBadProgram;
  }
}
