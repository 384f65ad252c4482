// passes/pass_manager.cpp — the pass registry and the pipeline runner.
#include "passes/pass_manager.h"

#include <fmt/format.h>

#include <chrono>
#include <iterator>

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
#define PASS(name, fn, applies, summary) {name, fn, applies, summary},
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

void PassManager::finished(const std::string& name, size_t nodes_before, const ir::Graph& after, double ms,
                           bool changed) {
  records_.push_back({name, nodes_before, after.size(), ms, changed, after.kernels.size(), !after.memory.empty(),
                      after.memory.workspace_bytes, after.memory.peak_bytes});
  for (const AfterPass& hook : hooks_) hook(name, after, changed);
}

ir::Graph PassManager::run(ir::Graph g, PassContext& ctx) {
  using Clock = std::chrono::steady_clock;
  for (const std::string& name : pipeline_) {
    const PassInfo* pass = find_pass(name);
    GRADC_ASSERT(pass, "unknown pass in pipeline");
    const auto start = Clock::now();
    const auto ms_since_start = [&] { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); };
    if (pass->applies && !pass->applies(g)) {  // nothing to do: the graph stays as it is
      finished(name, g.size(), g, ms_since_start(), false);
      continue;
    }
    ir::Graph after = pass->run(g, ctx);
    const double ms = ms_since_start();
    if (auto errs = ir::verify(after); !errs.empty()) {
      std::string msg = fmt::format("pass '{}' broke the IR: {}", name, errs.front());
      GRADC_UNREACHABLE(msg.c_str());
    }
    finished(name, g.size(), after, ms, !(after == g));
    g = std::move(after);
  }
  return g;
}

std::string human_bytes(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024;
  size_t u = 0;
  for (; v >= 1024 && u + 1 < std::size(units); ++u) v /= 1024;
  return fmt::format("{:.1f} {}", v, units[u]);
}

std::string format_stats(const std::vector<PassRecord>& records, const PassContext& ctx) {
  constexpr const char* kRow = "{:<12} {:>9} {:>9} {:>8} {:>11} {:>11} {:>10}";
  std::string out = fmt::format(fmt::runtime(kRow), "pass", "nodes in", "nodes out", "kernels", "workspace", "peak", "ms");
  out += "\n";
  double total = 0;
  for (const PassRecord& r : records) {
    const std::string kernels = r.kernels ? std::to_string(r.kernels) : "-";
    const std::string ws = r.planned ? human_bytes(r.workspace_bytes) : "-";
    const std::string peak = r.planned ? human_bytes(r.peak_bytes) : "-";
    out += fmt::format(fmt::runtime(kRow), r.name, r.nodes_before, r.nodes_after, kernels, ws, peak,
                       fmt::format("{:.3f}", r.ms));
    out += r.changed ? "\n" : "  (unchanged)\n";
    total += r.ms;
  }
  out += fmt::format(fmt::runtime(kRow), "total", "", "", "", "", "", fmt::format("{:.3f}", total)) + "\n";
  for (const auto& [counter, value] : ctx.stats) out += fmt::format("  {} = {}\n", counter, value);
  return out;
}

}  // namespace gradc::passes
