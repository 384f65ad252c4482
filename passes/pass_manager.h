// passes/pass_manager.h — runs passes by name, verifying and reporting after each.
//
// Instrumentation (MLIR's PassInstrumentation, LLVM's -print-after-all) is a
// callback after each pass: `gradc graph` draws a picture there, `gradc emit
// --print-after-all` prints the IR there. Every pass's result is verified; a
// broken invariant is an internal error, never a user's.
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
  std::string_view summary;
};

const std::vector<PassInfo>& all_passes();
const PassInfo* find_pass(std::string_view name);  // null if unknown

// The optimisation pipeline run after autodiff: simplify, cse, dce.
std::vector<std::string> default_pipeline();

class PassManager {
 public:
  using AfterPass = std::function<void(std::string_view name, const ir::Graph& after, bool changed)>;

  explicit PassManager(std::vector<std::string> pipeline) : pipeline_(std::move(pipeline)) {}
  void after_each(AfterPass hook) { hooks_.push_back(std::move(hook)); }

  ir::Graph run(ir::Graph g, PassContext& ctx) const;

 private:
  std::vector<std::string> pipeline_;
  std::vector<AfterPass> hooks_;
};

}  // namespace gradc::passes
