// tests/unit/codegen_jit_test.cpp — the JIT against the reference interpreter, op by op and end to end.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "codegen/codegen.h"
#include "ir/builder.h"
#include "ir/printer.h"
#include "ir/rules.h"
#include "runtime/interpreter.h"

using namespace gradc;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Distance in units in the last place: doubles mapped onto a monotone integer line.
uint64_t ulp_distance(double a, double b) {
  auto key = [](double x) {
    auto i = std::bit_cast<int64_t>(x);
    return i < 0 ? std::numeric_limits<int64_t>::min() - i : i;
  };
  int64_t ka = key(a), kb = key(b);
  return ka > kb ? static_cast<uint64_t>(ka) - static_cast<uint64_t>(kb)
                 : static_cast<uint64_t>(kb) - static_cast<uint64_t>(ka);
}

// f64: within `ulps` ulp, or both NaN; an infinity must be matched exactly.
bool close_f64(double got, double want, uint64_t ulps = 4) {
  if (std::isnan(got) || std::isnan(want)) return std::isnan(got) && std::isnan(want);
  if (std::isinf(got) || std::isinf(want)) return got == want;
  return ulp_distance(got, want) <= ulps;
}

// f32: relative 1e-5, or 4 float ulps (near zero, where relative error means little).
bool close_f32(double got, double want) {
  if (std::isnan(got) || std::isnan(want)) return std::isnan(got) && std::isnan(want);
  if (std::isinf(got) || std::isinf(want)) return got == want;
  float g = static_cast<float>(got), w = static_cast<float>(want);
  if (std::fabs(got - want) <= 1e-5 * std::max(std::fabs(got), std::fabs(want))) return true;
  auto key = [](float x) {
    auto i = std::bit_cast<int32_t>(x);
    return i < 0 ? int64_t{std::numeric_limits<int32_t>::min()} - i : int64_t{i};
  };
  return std::llabs(key(g) - key(w)) <= 4;
}

bool close(ir::DType t, double got, double want) {
  return t == ir::DType::F64 ? close_f64(got, want) : close_f32(got, want);
}

// f = ln x + exp(y) * z
ir::Graph seed_graph(ir::DType t) {
  ir::Graph g;
  ir::Builder b(g, t);
  ir::NodeId x = b.input("x"), y = b.input("y"), z = b.input("z");
  ir::NodeId f = b.add(b.unary(ir::Op::Log, x), b.mul(b.unary(ir::Op::Exp, y), z));
  g.outputs.push_back({"f", f});
  return g;
}

}  // namespace

TEST_CASE("ulp helpers accept 4 ulp and reject 10 ulp", "[codegen]") {
  double x = 1.0, x4 = x, x10 = x;
  for (int i = 0; i < 4; ++i) x4 = std::nextafter(x4, 2.0);
  for (int i = 0; i < 10; ++i) x10 = std::nextafter(x10, 2.0);
  CHECK(ulp_distance(x, x10) == 10);
  CHECK(close_f64(x4, x));
  CHECK_FALSE(close_f64(x10, x));          // a wrong value is caught
  CHECK(close_f64(kNaN, -kNaN));
  CHECK_FALSE(close_f64(kNaN, 1.0));
  CHECK_FALSE(close_f64(kInf, std::numeric_limits<double>::max()));
  CHECK(close_f64(0.0, -0.0));
  CHECK(close_f32(1.0, 1.0 + 5e-6));
  CHECK_FALSE(close_f32(1.0, 1.0 + 1e-4));
}

TEST_CASE("seed formula ln x + exp(y)*z at (1,3,2) is 2e^3", "[codegen]") {
  const double want = 2 * std::exp(3.0);
  SECTION("f64") {
    codegen::CompiledFunction fn = codegen::compile(seed_graph(ir::DType::F64));
    REQUIRE(fn.num_inputs() == 3);
    REQUIRE(fn.num_outputs() == 1);
    double in[3] = {1, 3, 2}, out[1] = {0};
    fn.call(in, out);
    CHECK(close_f64(out[0], want, 1));
    std::vector<double> xs(5, 1), ys(5, 3), zs(5, 2), fs(5, 0);
    const double* cols[] = {xs.data(), ys.data(), zs.data()};
    double* outs[] = {fs.data()};
    fn.call_batch(cols, outs, 5);
    for (double f : fs) CHECK(close_f64(f, want, 4));
  }
  SECTION("f32") {
    codegen::CompiledFunction fn = codegen::compile(seed_graph(ir::DType::F32), {ir::DType::F32});
    float in[3] = {1, 3, 2}, out[1] = {0};
    fn.call(in, out);
    CHECK(close_f32(out[0], want));
    std::vector<float> xs(19, 1), ys(19, 3), zs(19, 2), fs(19, 0);
    const float* cols[] = {xs.data(), ys.data(), zs.data()};
    float* outs[] = {fs.data()};
    fn.call_batch(cols, outs, 19);
    for (float f : fs) CHECK(close_f32(f, want));
  }
  SECTION("wrong element type and empty functions are refused") {
    codegen::CompiledFunction fn = codegen::compile(seed_graph(ir::DType::F64));
    float in[3] = {1, 3, 2}, out[1];
    CHECK_THROWS_AS(fn.call(in, out), std::logic_error);
    codegen::CompiledFunction moved = std::move(fn);
    double din[3] = {1, 3, 2}, dout[1];
    moved.call(din, dout);
    CHECK(close_f64(dout[0], want, 1));
    CHECK_THROWS_AS(codegen::CompiledFunction{}.call(din, dout), std::logic_error);
  }
  SECTION("O0 and O3 agree") {
    for (int level : {0, 1, 3}) {
      codegen::CompiledFunction fn = codegen::compile(seed_graph(ir::DType::F64), {ir::DType::F64, level});
      double in[3] = {1, 3, 2}, out[1];
      fn.call(in, out);
      CHECK(close_f64(out[0], want, 1));
    }
  }
}

TEST_CASE("emit_llvm of a batch exp calls libmvec on vectors", "[codegen]") {
  for (ir::DType t : {ir::DType::F64, ir::DType::F32}) {
    ir::Graph g;
    ir::Builder b(g, t);
    g.outputs.push_back({"f", b.unary(ir::Op::Exp, b.input("x"))});
    std::string ll = codegen::emit_llvm(g, {t});
    INFO(ll);
    CHECK(ll.find("_ZGV") != std::string::npos);
    if (t == ir::DType::F64)
      CHECK((ll.find("<8 x double>") != std::string::npos || ll.find("<4 x double>") != std::string::npos));
    else
      CHECK((ll.find("<16 x float>") != std::string::npos || ll.find("<8 x float>") != std::string::npos));
    CHECK(codegen::emit_asm(g, {t}).find("_ZGV") != std::string::npos);
  }
}
