// passes/pass_manager.cpp — the pass registry and the pipeline runner.
#include "passes/pass_manager.h"

#include <fmt/format.h>

#include <chrono>

#include "ir/check.h"
#include "ir/verifier.h"
#include "passes/autodiff.h"
#include "passes/cse.h"
#include "passes/dce.h"
#include "passes/decompose.h"
#include "passes/fuse.h"
#include "passes/plan_memory.h"
#include "passes/simplify.h"
#include "passes/stabilize.h"
#include "passes/update.h"

namespace gradc::passes {

const std::vector<PassInfo>& all_passes() {
  static const std::vector<PassInfo> passes = {
#define PASS(name, fn, summary) {name, fn, summary},
#include "passes/passes.def"
#undef PASS
  };
  return passes;
}

const PassInfo* find_pass(std::string_view name) {
  for (const PassInfo& p : all_passes())
    if (p.name == name) return &p;
  return nullptr;
}

ir::Graph PassManager::run(ir::Graph g, PassContext& ctx) {
  using Clock = std::chrono::steady_clock;
  for (const std::string& name : pipeline_) {
    const PassInfo* pass = find_pass(name);
    GRADC_ASSERT(pass, "unknown pass in pipeline");
    const auto start = Clock::now();
    ir::Graph after = pass->run(g, ctx);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (auto errs = ir::verify(after); !errs.empty()) {
      std::string msg = fmt::format("pass '{}' broke the IR: {}", name, errs.front());
      GRADC_UNREACHABLE(msg.c_str());
    }
    const bool changed = !(after == g);
    records_.push_back({name, g.size(), after.size(), ms, changed});
    for (const AfterPass& hook : hooks_) hook(name, after, changed);
    g = std::move(after);
  }
  return g;
}

std::string format_stats(const std::vector<PassRecord>& records, const PassContext& ctx) {
  std::string out = fmt::format("{:<12} {:>9} {:>9} {:>10}\n", "pass", "nodes in", "nodes out", "ms");
  double total = 0;
  for (const PassRecord& r : records) {
    out += fmt::format("{:<12} {:>9} {:>9} {:>10.3f}{}\n", r.name, r.nodes_before, r.nodes_after, r.ms,
                       r.changed ? "" : "  (unchanged)");
    total += r.ms;
  }
  out += fmt::format("{:<12} {:>9} {:>9} {:>10.3f}\n", "total", "", "", total);
  for (const auto& [counter, value] : ctx.stats) out += fmt::format("  {} = {}\n", counter, value);
  return out;
}

}  // namespace gradc::passes
