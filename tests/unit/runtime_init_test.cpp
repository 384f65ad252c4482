// tests/unit/runtime_init_test.cpp — param initialisers: fans from the matmul that uses a
// param, the spread of each draw, and reproducibility.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "frontend/frontend.h"
#include "ir/bind_dims.h"
#include "runtime/init.h"

using namespace gradc;

namespace {

ir::Graph program(const std::string& text) {
  return frontend::compile_to_ir(frontend::SourceFile("<test>", text), ir::DType::F32);
}

double mean(const runtime::Tensor& t) {
  double s = 0;
  for (double x : t.data) s += x;
  return s / static_cast<double>(t.data.size());
}

double stddev(const runtime::Tensor& t) {
  const double m = mean(t);
  double s = 0;
  for (double x : t.data) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(t.data.size()));
}

}  // namespace

TEST_CASE("init: fan-in is the dim the param's matmul contracts", "[runtime][init]") {
  ir::Graph g = program(
      "input x[B, 784]\ninput v[64]\nparam W[784, 256] = he()\nparam b[256] = zeros()\n"
      "param U[10, 64] = xavier()\nparam T[32, 256] = he()\n"
      "f = sum(x @ W + b) + sum(U @ v) + sum((x @ W) @ T.T)");
  g = ir::bind_dims(g, {{"B", 2}});
  auto fans = [&](const char* name) { return runtime::param_fans(g, g.find_input(name)); };
  CHECK(fans("W").in == 784);  // x @ W
  CHECK(fans("W").out == 256);
  CHECK(fans("U").in == 64);   // U @ v
  CHECK(fans("U").out == 10);
  CHECK(fans("T").in == 256);  // h @ T.T: T's columns are contracted
  CHECK(fans("T").out == 32);
  CHECK(fans("b").in == 256);  // outside any matmul: its element count
}

TEST_CASE("init: each initialiser draws with its documented spread", "[runtime][init]") {
  const runtime::Fans f{784, 256};
  const std::vector<int64_t> shape{784, 256};
  const runtime::Tensor he = runtime::draw_initial("he()", shape, f, 1, "W");
  CHECK(mean(he) == Approx(0).margin(0.002));
  CHECK(stddev(he) == Approx(std::sqrt(2.0 / 784)).epsilon(0.01));
  const runtime::Tensor xavier = runtime::draw_initial("xavier()", shape, f, 1, "W");
  const double bound = std::sqrt(6.0 / (784 + 256));
  double largest = 0;
  for (double x : xavier.data) largest = std::max(largest, std::fabs(x));
  CHECK(largest <= bound);
  CHECK(largest > 0.99 * bound);
  CHECK(stddev(xavier) == Approx(bound / std::sqrt(3.0)).epsilon(0.01));
  CHECK(stddev(runtime::draw_initial("xavier_normal()", shape, f, 1, "W")) ==
        Approx(std::sqrt(2.0 / (784 + 256))).epsilon(0.01));
  const runtime::Tensor n = runtime::draw_initial("normal(3, 0.5)", shape, f, 1, "W");
  CHECK(mean(n) == Approx(3).epsilon(0.001));
  CHECK(stddev(n) == Approx(0.5).epsilon(0.01));
  const runtime::Tensor u = runtime::draw_initial("uniform(-2, 1)", shape, f, 1, "W");
  const auto [lo, hi] = std::minmax_element(u.data.begin(), u.data.end());
  CHECK(*lo >= -2);
  CHECK(*hi < 1);
  CHECK(runtime::draw_initial("constant(0.25)", {3}, f, 1, "b").data == std::vector<double>{0.25, 0.25, 0.25});
  CHECK(runtime::draw_initial("zeros()", {2}, f, 1, "b").data == std::vector<double>{0, 0});
  CHECK(runtime::draw_initial("ones()", {2}, f, 1, "b").data == std::vector<double>{1, 1});
  CHECK_THROWS_AS(runtime::draw_initial("orthogonal()", {2}, f, 1, "b"), std::invalid_argument);
}

TEST_CASE("init: the same seed gives the same values; each param has its own stream", "[runtime][init]") {
  const runtime::Fans f{10, 10};
  const auto a = runtime::draw_initial("he()", {10, 10}, f, 7, "W1");
  CHECK(a == runtime::draw_initial("he()", {10, 10}, f, 7, "W1"));
  CHECK(a != runtime::draw_initial("he()", {10, 10}, f, 8, "W1"));
  CHECK(a != runtime::draw_initial("he()", {10, 10}, f, 7, "W2"));
  // SplitMix64 and Box–Muller are gradc's own: this value is the same on every machine.
  CHECK(runtime::draw_initial("uniform(0, 1)", {1}, f, 0, "w").data[0] ==
        runtime::draw_initial("uniform(0, 1)", {1}, f, 0, "w").data[0]);
}
