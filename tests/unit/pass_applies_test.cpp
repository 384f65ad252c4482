// tests/unit/pass_applies_test.cpp — a pass skipped as having nothing to do really has nothing to do.
//
// Why: the pass manager skips a pass whose applies_ check says no (passes/pass.h), and
// rewrite_to_fixpoint stops sweeping when no node may be rewritten. Either check saying
// "no" where the pass would have changed the graph silently drops a rewrite, so each is
// compared with running the pass anyway, over the random programs of the differential
// test and through the whole -O2 pipeline (after autodiff, where decompose has work).
#include <catch2/catch.hpp>

#include "ir/builder.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"
#include "tests/support/random_program.h"

using namespace gradc;

namespace {

// Runs `name` on g whatever its check says; CHECKs that a "no" left g as it was.
void check_pass_on(const std::string& name, const ir::Graph& g, int& skipped) {
  const passes::PassInfo* pass = passes::find_pass(name);
  REQUIRE(pass);
  if (!pass->applies || pass->applies(g)) return;
  ++skipped;
  passes::PassContext ctx;
  INFO("pass " << name);
  CHECK(pass->run(g, ctx) == g);
}

}  // namespace

TEST_CASE("passes skipped by their applies check would not have changed the graph", "[passes]") {
  int skipped = 0, ran_on = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    const difftest::RandomProgram p = difftest::generate_program(seed);
    INFO("seed " << seed);
    passes::PassManager pm(passes::build_pipeline({}));
    pm.after_each([&](std::string_view, const ir::Graph& after, bool) {
      if (!after.kernels.empty()) return;  // rewriting passes run before fusion
      for (const passes::PassInfo& pass : passes::all_passes())
        if (pass.name != "update") check_pass_on(std::string(pass.name), after, skipped);
      ++ran_on;
    });
    passes::PassContext ctx;
    pm.run(p.graph, ctx);
  }
  CHECK(ran_on > 1000);
  CHECK(skipped > 100);  // the checks do say no, so the comparison above is exercised
}

TEST_CASE("a pass with nothing to do is skipped and reported unchanged", "[passes]") {
  ir::Graph g;
  ir::Builder b(g);
  g.outputs.push_back({"f", b.mul(b.input("x"), b.input("y"))});
  passes::PassManager pm({"stabilize", "decompose"});
  passes::PassContext ctx;
  const ir::Graph after = pm.run(g, ctx);
  CHECK(after == g);
  REQUIRE(pm.records().size() == 2);
  for (const passes::PassRecord& r : pm.records()) CHECK_FALSE(r.changed);
  CHECK(ctx.stats.count("decompose.expanded") == 0);  // not run at all
}
