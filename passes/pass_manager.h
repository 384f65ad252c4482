// passes/pass_manager.h — runs passes by name, verifying and reporting after each.
//
// Instrumentation (MLIR's PassInstrumentation, LLVM's -print-after-all) is a
// callback after each pass: `gradc graph` draws a picture there, `gradc emit
// --print-after-all` prints the IR there. Every pass's result is verified; a
// broken invariant is an internal error, never a user's. Each run is recorded
// (nodes before and after, time) for --stats.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "passes/pass.h"

namespace gradc::passes {

struct PassInfo {
  std::string_view name;
  PassFn run;
  AppliesFn applies;  // null: always run
  std::string_view summary;
};

const std::vector<PassInfo>& all_passes();
const PassInfo* find_pass(std::string_view name);  // null if unknown

// What one pass did, for --stats: the graph's size before and after, its kernel form after
// (kernels: 0 without a kernel table) and, once planned, the workspace and the most bytes
// live at once (ir::MemoryPlan).
struct PassRecord {
  std::string name;
  size_t nodes_before = 0, nodes_after = 0;
  double ms = 0;
  bool changed = false;
  size_t kernels = 0;
  bool planned = false;
  uint64_t workspace_bytes = 0, peak_bytes = 0;
};

class PassManager {
 public:
  using AfterPass = std::function<void(std::string_view name, const ir::Graph& after, bool changed)>;

  explicit PassManager(std::vector<std::string> pipeline) : pipeline_(std::move(pipeline)) {}
  void after_each(AfterPass hook) { hooks_.push_back(std::move(hook)); }

  ir::Graph run(ir::Graph g, PassContext& ctx);
  const std::vector<PassRecord>& records() const { return records_; }

 private:
  // Records a pass's run for --stats and calls the hooks with the graph after it.
  void finished(const std::string& name, size_t nodes_before, const ir::Graph& after, double ms, bool changed);

  std::vector<std::string> pipeline_;
  std::vector<AfterPass> hooks_;
  std::vector<PassRecord> records_;
};

// The --stats table: one row per pass (nodes before → after, kernels, workspace and peak
// bytes once planned, ms), then the counters.
std::string format_stats(const std::vector<PassRecord>& records, const PassContext& ctx);
// 512 B, 241.9 KiB, 16.0 MiB: bytes in binary units.
std::string human_bytes(uint64_t bytes);

}  // namespace gradc::passes
