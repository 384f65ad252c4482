// tests/unit/codegen_jit_test.cpp — the JIT against the reference interpreter, op by op and end to end.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <thread>
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

// f32: relative 1e-5, or 4 float ulps, or both within float's subnormal range.
// Why the last: f32 code computes in float, the interpreter in double then
// rounds, so e.g. sigmoid(-92) = 1/(1+exp(92)) is 0 in float (exp overflows)
// but a subnormal 6.6e-41 through double.
bool close_f32(double got, double want) {
  if (std::isnan(got) || std::isnan(want)) return std::isnan(got) && std::isnan(want);
  if (std::isinf(got) || std::isinf(want)) return got == want;
  float g = static_cast<float>(got), w = static_cast<float>(want);
  if (std::fabs(got - want) <= 1e-5 * std::max(std::fabs(got), std::fabs(want))) return true;
  if (std::fabs(got - want) < std::numeric_limits<float>::min()) return true;
  auto key = [](float x) {
    auto i = std::bit_cast<int32_t>(x);
    return i < 0 ? int64_t{std::numeric_limits<int32_t>::min()} - i : int64_t{i};
  };
  return std::llabs(key(g) - key(w)) <= 4;
}

bool close_as(ir::DType t, double got, double want) {
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

TEST_CASE("compiling from several threads at once is safe", "[codegen]") {
  const double want = 2 * std::exp(3.0);
  std::vector<int> ok(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < ok.size(); ++t)
    threads.emplace_back([&ok, t, want] {
      for (int i = 0; i < 5; ++i) {
        codegen::CompiledFunction fn = codegen::compile(seed_graph(ir::DType::F64));
        double in[3] = {1, 3, 2}, out[1];
        fn.call(in, out);
        ok[t] += close_f64(out[0], want, 1);
      }
    });
  for (std::thread& th : threads) th.join();
  for (int n : ok) CHECK(n == 5);
}

// Above codegen's large-graph size the body is emitted once and both entries call
// it: the point entry with one-element columns that may overlap (in == out).
// 3,000 inputs each squared and summed, with 3,000 outputs (x_i + f): also more
// pointers than the kernel marks `noalias`, which once made inlining quadratic.
TEST_CASE("a large graph's point and batch entries match the interpreter, even in place", "[codegen]") {
  constexpr int kWide = 3000;
  ir::Graph g;
  ir::Builder b(g, ir::DType::F64);
  std::vector<ir::NodeId> xs;
  for (int i = 0; i < kWide; ++i) xs.push_back(b.input("x" + std::to_string(i)));
  ir::NodeId f = b.mul(xs[0], xs[0]);
  for (int i = 1; i < kWide; ++i) f = b.add(f, b.mul(xs[i], xs[i]));
  g.outputs.push_back({"f", f});
  for (int i = 1; i < kWide; ++i) g.outputs.push_back({"y" + std::to_string(i), b.add(xs[i], f)});
  REQUIRE(g.size() > 4000);
  std::vector<double> in(kWide);
  for (int i = 0; i < kWide; ++i) in[i] = 0.001 * i - 1;
  std::vector<double> want = runtime::interpret(g, in);
  codegen::CompiledFunction fn = codegen::compile(g);
  std::vector<double> out(kWide, kNaN);
  fn.call(in.data(), out.data());
  CHECK(out == want);
  std::vector<double> inout = in;
  fn.call(inout.data(), inout.data());
  CHECK(inout == want);
  std::vector<std::vector<double>> cols(kWide, std::vector<double>(3)), outs(kWide, std::vector<double>(3));
  std::vector<const double*> col_ptrs;
  std::vector<double*> out_ptrs;
  for (int i = 0; i < kWide; ++i) {
    cols[i] = {in[i], in[i], in[i]};
    col_ptrs.push_back(cols[i].data());
    out_ptrs.push_back(outs[i].data());
  }
  fn.call_batch(col_ptrs.data(), out_ptrs.data(), 3);
  for (int i = 0; i < kWide; ++i) CHECK(outs[i] == std::vector<double>(3, want[i]));
}

TEST_CASE("non-scalar graphs are refused with runtime_error", "[codegen]") {
  ir::Graph g = seed_graph(ir::DType::F64);
  g[g.outputs[0].id].shape.dims = {4};
  CHECK_THROWS_AS(codegen::compile(g), std::runtime_error);
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

// ---------------------------------------------------------------------------
// Property test: random programs, JIT (point and batch) against the interpreter.
//
// Why two kinds of check. End to end, the f64 point code makes the same libm
// calls in the same order as the interpreter, so it must agree within 4 ulp.
// The batch code uses libmvec (≤ 4 ulp per op) and f32 code uses float libm;
// a few ulp early in a program can be amplified without bound later (a
// cancelling subtraction, sin of a large value), so for those we check every
// node locally: the JIT's value of a node against the rule table applied to the
// JIT's own operand values. Every node is an output, so all are observable.
namespace {

constexpr int kRows = 37;  // not a multiple of any vector width: the tail runs too

struct Program {
  ir::Graph g;
  std::vector<std::vector<double>> rows;  // rows[r][i]: input i of row r
};

double interesting_value(std::mt19937_64& rng) {
  static const double kSpecial[] = {0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.0, 3.0, 1e-300, -1e-300,
                                    1e-7, 709.0, -745.0, 1e5, 1.5707963267948966, kNaN, kInf, -kInf};
  std::uniform_int_distribution<int> kind(0, 9);
  switch (kind(rng)) {
    case 0: return kSpecial[std::uniform_int_distribution<size_t>(0, std::size(kSpecial) - 1)(rng)];
    case 1: return std::uniform_real_distribution<double>(-1e-3, 1e-3)(rng);  // near kinks
    case 2: return std::uniform_real_distribution<double>(-50, 50)(rng);
    default: return std::uniform_real_distribution<double>(-3, 3)(rng);
  }
}

// The scalar ops: every elementwise op (the leaves Input and Const are skipped).
int scalar_op_count() {
  int n = 0;
  for (int k = 0; k < ir::kOpCount; ++k) n += ir::is_elementwise(static_cast<ir::Op>(k));
  return n;
}

ir::Op random_op(std::mt19937_64& rng) {
  for (;;) {
    std::uniform_int_distribution<int> pick(2, ir::kOpCount - 1);
    const auto op = static_cast<ir::Op>(pick(rng));
    if (ir::is_elementwise(op)) return op;
  }
}

Program random_program(uint64_t seed, ir::DType t, std::set<ir::Op>& seen) {
  std::mt19937_64 rng(seed);
  Program p;
  ir::Builder b(p.g, t);
  std::vector<ir::NodeId> pool;
  int n_in = std::uniform_int_distribution<int>(1, 4)(rng);
  for (int i = 0; i < n_in; ++i) pool.push_back(b.input("x" + std::to_string(i)));
  int n_ops = std::uniform_int_distribution<int>(1, 30)(rng);
  for (int k = 0; k < n_ops; ++k) {
    if (std::uniform_int_distribution<int>(0, 5)(rng) == 0) {
      double c = interesting_value(rng);
      pool.push_back(b.constant(std::isnan(c) ? 0.25 : c));
    }
    ir::Op op = random_op(rng);
    seen.insert(op);
    std::vector<ir::NodeId> args;
    // Prefer recent nodes so programs grow deep rather than wide.
    for (int a = 0; a < ir::arity(op); ++a) {
      size_t lo = pool.size() > 6 && (rng() & 1) ? pool.size() - 6 : 0;
      args.push_back(pool[std::uniform_int_distribution<size_t>(lo, pool.size() - 1)(rng)]);
    }
    ir::NodeId id = b.make(op, args);
    pool.push_back(id);
    p.g.outputs.push_back({"n" + std::to_string(id), id});
  }
  for (int r = 0; r < kRows; ++r) {
    std::vector<double> row;
    for (int i = 0; i < n_in; ++i) {
      // Sometimes repeat an earlier input: ties for max/min/ge.
      bool tie = i > 0 && std::uniform_int_distribution<int>(0, 7)(rng) == 0;
      double v = tie ? row[0] : interesting_value(rng);
      row.push_back(t == ir::DType::F32 ? static_cast<float>(v) : v);
    }
    p.rows.push_back(row);
  }
  return p;
}

// Each node's value in one row of a run: inputs and constants from the
// program, every other node from the JIT's outputs.
std::vector<double> node_values(const Program& p, int r, const std::vector<double>& outs) {
  std::vector<double> v(p.g.size(), 0.0);
  for (size_t i = 0; i < p.g.inputs().size(); ++i) v[p.g.inputs()[i]] = p.rows[r][i];
  for (ir::NodeId id = 0; id < p.g.size(); ++id)
    if (p.g[id].op == ir::Op::Const)
      v[id] = p.g[id].dtype == ir::DType::F32 ? static_cast<float>(p.g[id].value) : p.g[id].value;
  for (size_t k = 0; k < outs.size(); ++k) v[p.g.outputs[k].id] = outs[k];
  return v;
}

// Every op node's JIT value against the rule table on the JIT's own operands.
void check_locally(const Program& p, int r, const std::vector<double>& outs, const char* mode) {
  std::vector<double> v = node_values(p, r, outs);
  for (const ir::Output& o : p.g.outputs) {
    const ir::Node& n = p.g[o.id];
    double args[3] = {0, 0, 0};
    for (size_t a = 0; a < n.inputs.size(); ++a) args[a] = v[n.inputs[a]];
    double want = ir::eval_op(n.op, args);
    if (n.dtype == ir::DType::F32) want = static_cast<float>(want);
    if (!close_as(n.dtype, v[o.id], want)) {
      CAPTURE(mode, r, o.name, ir::mnemonic(n.op), args[0], args[1], args[2], v[o.id], want);
      FAIL_CHECK("JIT value differs from the rule table");
    }
  }
}

template <class T>
void check_program(const Program& p, ir::DType t) {
  codegen::CompiledFunction fn = codegen::compile(p.g, {t});
  size_t ni = p.g.inputs().size(), no = p.g.outputs.size();
  std::vector<std::vector<T>> in_cols(ni, std::vector<T>(kRows)), out_cols(no, std::vector<T>(kRows));
  for (int r = 0; r < kRows; ++r) {
    std::vector<T> in(ni), out(no);
    for (size_t i = 0; i < ni; ++i) in_cols[i][r] = in[i] = static_cast<T>(p.rows[r][i]);
    fn.call(in.data(), out.data());
    std::vector<double> got(out.begin(), out.end());
    if (t == ir::DType::F64) {  // end to end: same libm calls, same order
      std::vector<double> want = runtime::interpret(p.g, p.rows[r]);
      for (size_t k = 0; k < no; ++k) {
        CAPTURE(r, p.g.outputs[k].name, got[k], want[k]);
        CHECK(close_f64(got[k], want[k]));
      }
    } else {
      check_locally(p, r, got, "point");
    }
  }
  std::vector<const T*> ins;
  std::vector<T*> outs;
  for (auto& c : in_cols) ins.push_back(c.data());
  for (auto& c : out_cols) outs.push_back(c.data());
  fn.call_batch(ins.data(), outs.data(), kRows);
  for (int r = 0; r < kRows; ++r) {
    std::vector<double> got;
    for (size_t k = 0; k < no; ++k) got.push_back(out_cols[k][r]);
    check_locally(p, r, got, "batch");
  }
}

}  // namespace

TEST_CASE("random programs: JIT point and batch match the interpreter", "[codegen][property]") {
  constexpr uint64_t kBaseSeed = 0x6772616463;  // "gradc"
  constexpr int kPrograms = 300;
  std::set<ir::Op> seen;
  for (ir::DType t : {ir::DType::F64, ir::DType::F32}) {
    for (int i = 0; i < kPrograms; ++i) {
      uint64_t seed = kBaseSeed + static_cast<uint64_t>(i);
      Program p = random_program(seed, t, seen);
      INFO("seed " << seed << " dtype " << ir::dtype_name(t) << "\n" << ir::print(p.g));
      if (t == ir::DType::F64) check_program<double>(p, t);
      else check_program<float>(p, t);
    }
  }
  CHECK(seen.size() == static_cast<size_t>(scalar_op_count()));  // every scalar op was tried
}
