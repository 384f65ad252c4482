// passes/pipelines.cpp — the -O levels as lists of pass names, and --passes parsing.
#include "passes/pipelines.h"

#include <fmt/format.h>

#include <algorithm>

#include "passes/pass_manager.h"

namespace gradc::passes {

namespace {

std::string valid_names() {
  std::vector<std::string_view> names;
  for (const PassInfo& p : all_passes()) names.push_back(p.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

// Where to insert a pass so that it runs after the last `name` (the front if none).
std::vector<std::string>::iterator after_last(std::vector<std::string>& list, const std::string& name) {
  auto it = std::find(list.rbegin(), list.rend(), name);
  return it == list.rend() ? list.begin() : it.base();
}

void check_level(int level) {
  if (level < 0 || level > kMaxOptLevel)
    throw PipelineError(fmt::format("-O must be 0, 1, 2 or 3, not {}", level));
}

}  // namespace

std::vector<std::string> level_pipeline(int level) {
  check_level(level);
  switch (level) {
    case 0: return {"autodiff", "decompose"};
    case 1: return {"autodiff", "decompose", "simplify", "cse", "dce"};
    default: return {"stabilize", "autodiff", "decompose", "simplify", "cse", "dce", "fuse", "plan-memory"};
  }
}

std::vector<std::string> parse_pass_list(std::string_view list) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string name(list.substr(start, comma - start));
    if (name.empty())
      throw PipelineError(fmt::format("--passes: empty pass name in '{}' (write a,b,c)", list));
    if (!find_pass(name))
      throw PipelineError(fmt::format("--passes: unknown pass '{}' (passes: {})", name, valid_names()));
    names.push_back(name);
    start = comma + 1;
  }
  return names;
}

std::vector<std::string> build_pipeline(const PipelineSpec& spec) {
  check_level(spec.level);
  std::vector<std::string> list = spec.custom.empty() ? level_pipeline(spec.level) : spec.custom;
  for (const std::string& name : list)
    if (!find_pass(name))
      throw PipelineError(fmt::format("--passes: unknown pass '{}' (passes: {})", name, valid_names()));
  const bool has_autodiff = std::find(list.begin(), list.end(), "autodiff") != list.end();
  if (!spec.differentiate) {
    if (!spec.custom.empty() && has_autodiff)
      throw PipelineError("--passes: 'autodiff' is for commands that differentiate (grad, jacobian, graph)");
    list.erase(std::remove(list.begin(), list.end(), "autodiff"), list.end());
  } else if (!has_autodiff) {
    list.insert(after_last(list, "stabilize"), "autodiff");
  }
  // Composite ops (softmax_cross_entropy, which stabilize makes) are known to autodiff and
  // the interpreter, not to codegen: every pipeline expands them, after autodiff (or after
  // stabilize, when nothing is differentiated). On a graph without them it changes nothing.
  if (std::find(list.begin(), list.end(), "decompose") == list.end())
    list.insert(after_last(list, spec.differentiate ? "autodiff" : "stabilize"), "decompose");
  return list;
}

std::vector<std::string> step_pipeline(PipelineSpec spec) {
  spec.differentiate = true;
  std::vector<std::string> list = build_pipeline(spec);
  if (std::find(list.begin(), list.end(), "update") == list.end()) list.insert(after_last(list, "autodiff"), "update");
  return list;
}

int llvm_opt_level(int level) {
  check_level(level);
  return level;
}

}  // namespace gradc::passes
