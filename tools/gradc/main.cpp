// tools/gradc/main.cpp — the gradc command line: subcommands, errors, exit codes.
//
// Exit codes: 0 success, 1 a bad program (the message points into its source),
// 2 bad usage (unknown option, missing --at value, unreadable file).
#include <fmt/format.h>

#include <malloc.h>

#include <cstdio>

#include "frontend/diagnostics.h"
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
