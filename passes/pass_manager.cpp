// passes/pass_manager.cpp — the pass registry and the pipeline runner.
#include "passes/pass_manager.h"

#include <fmt/format.h>

#include "ir/check.h"
#include "ir/verifier.h"
#include "passes/autodiff.h"
#include "passes/cse.h"
#include "passes/dce.h"
#include "passes/fuse.h"
#include "passes/plan_memory.h"
#include "passes/simplify.h"

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

std::vector<std::string> default_pipeline() { return {"simplify", "cse", "dce"}; }

ir::Graph PassManager::run(ir::Graph g, PassContext& ctx) const {
  for (const std::string& name : pipeline_) {
    const PassInfo* pass = find_pass(name);
    GRADC_ASSERT(pass, "unknown pass in pipeline");
    ir::Graph after = pass->run(g, ctx);
    if (auto errs = ir::verify(after); !errs.empty()) {
      std::string msg = fmt::format("pass '{}' broke the IR: {}", name, errs.front());
      GRADC_UNREACHABLE(msg.c_str());
    }
    const bool changed = !(after == g);
    for (const AfterPass& hook : hooks_) hook(name, after, changed);
    g = std::move(after);
  }
  return g;
}

}  // namespace gradc::passes
