// tests/unit/frontend_tensor_test.cpp — the tensor language: declarations,
// params, defs, @ and .T, reductions, the neural-network functions, and shape
// errors reported at the expression that caused them.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "frontend/frontend.h"
#include "ir/bind_dims.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/autodiff.h"
#include "runtime/interpreter.h"

using namespace gradc;
using frontend::SourceFile;
using runtime::Tensor;

namespace {

ir::Graph compile(const std::string& text) {
  return frontend::compile_to_ir(SourceFile("t.grad", text));
}

// The program's output at the given inputs (in g.inputs() order), dims bound first.
Tensor run(const std::string& text, const std::vector<Tensor>& at, const std::map<std::string, int64_t>& dims = {}) {
  const ir::Graph g = ir::bind_dims(compile(text), dims);
  INFO(ir::print(g));
  REQUIRE(ir::verify(g).empty());
  return runtime::interpret_tensors(g, at).at(0);
}

// The rendered error, or a marker if it compiled.
std::string error_of(const std::string& text) {
  const SourceFile src("t.grad", text);
  try {
    frontend::compile_to_ir(src);
  } catch (const frontend::CompileError& e) {
    return frontend::render(src, e.diag);
  }
  return "(compiled without error)\n";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

void check_near(const Tensor& t, const std::vector<int64_t>& shape, const std::vector<double>& data) {
  CHECK(t.shape == shape);
  REQUIRE(t.data.size() == data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    INFO("element " << i);
    CHECK(t.data[i] == Approx(data[i]).epsilon(1e-12).margin(1e-14));
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const Tensor A23{{2, 3}, {1, 2, 3, 4, 5, 6}};

}  // namespace

TEST_CASE("tensor language: declarations make shaped inputs and params", "[frontend][tensor]") {
  const ir::Graph g = compile(
      "input x[B, 784]\n"
      "input y[B] : int\n"
      "input t\n"
      "param W1[784, 256] = he()\n"
      "param b1[256] = zeros()\n"
      "param s = normal(0, 0.01)\n"
      "param u[3] = uniform(-1, 1.5)\n"
      "param c[2] = constant(-2)\n"
      "param q[2]\n"
      "f = sum(x) + t\n");
  REQUIRE(g.inputs().size() == 9);
  auto node = [&](const char* name) -> const ir::Node& { return g[g.find_input(name)]; };
  CHECK(g.type_string(g.find_input("x")) == "f64[B,784]");
  CHECK(g.type_string(g.find_input("y")) == "f64[B]");
  CHECK(node("y").integer);
  CHECK_FALSE(node("x").integer);
  CHECK(node("x").role == ir::Role::Input);
  CHECK(node("t").shape.is_scalar());
  CHECK(node("W1").role == ir::Role::Param);
  CHECK(node("W1").shape.dims == std::vector<int64_t>{784, 256});
  CHECK(node("W1").init == "he()");
  CHECK(node("b1").init == "zeros()");
  CHECK(node("s").init == "normal(0, 0.01)");
  CHECK(node("s").shape.is_scalar());
  CHECK(node("u").init == "uniform(-1, 1.5)");
  CHECK(node("c").init == "constant(-2)");
  CHECK(node("q").init.empty());
  CHECK(g.dim_names.names == std::vector<std::string>{"B"});
  // Inputs keep declaration order; the same dim name is the same symbol.
  CHECK(g.input_names() == std::vector<std::string>{"x", "y", "t", "W1", "b1", "s", "u", "c", "q"});
  CHECK(node("x").shape.dims[0] == node("y").shape.dims[0]);
  // input/param/def are keywords only before a name: old programs still work.
  CHECK(compile("input = 3; param = input * 2").outputs.size() == 1);
}

TEST_CASE("tensor language: @, .T, transpose and reshape", "[frontend][tensor]") {
  const Tensor w{{3, 2}, {1, 0, 0, 1, 1, 1}};
  // [[1,2,3],[4,5,6]] @ [[1,0],[0,1],[1,1]] = [[4,5],[10,11]]
  check_near(run("input a[2, 3]; input w[3, 2]; f = a @ w", {A23, w}), {2, 2}, {4, 5, 10, 11});
  // @ binds like *: a @ w * 2 is (a @ w) * 2, and 2 * a @ w is (2 * a) @ w.
  check_near(run("input a[2, 3]; input w[3, 2]; f = a @ w * 2 + 1", {A23, w}), {2, 2}, {9, 11, 21, 23});
  check_near(run("input a[2, 3]; input w[3, 2]; f = 2 * a @ w", {A23, w}), {2, 2}, {8, 10, 20, 22});
  // .T binds tightest: a.T @ a is (a.T) @ a; (a+1).T transposes the sum.
  check_near(run("input a[2, 3]; f = a.T", {A23}), {3, 2}, {1, 4, 2, 5, 3, 6});
  check_near(run("input a[2, 3]; f = (a + 1).T", {A23}), {3, 2}, {2, 5, 3, 6, 4, 7});
  check_near(run("input a[2, 3]; f = a.T @ a", {A23}), {3, 3}, {17, 22, 27, 22, 29, 36, 27, 36, 45});
  check_near(run("input a[2, 3]; f = a @ a.T", {A23}), {2, 2}, {14, 32, 32, 77});
  check_near(run("input a[2, 3]; f = a.T.T", {A23}), {2, 3}, {1, 2, 3, 4, 5, 6});
  check_near(run("input a[2, 3]; f = -a.T^2", {A23}), {3, 2}, {-1, -16, -4, -25, -9, -36});
  check_near(run("input a[2, 3]; f = transpose(a)", {A23}), {3, 2}, {1, 4, 2, 5, 3, 6});
  check_near(run("input a[2, 3]; f = transpose(a, [1, 0])", {A23}), {3, 2}, {1, 4, 2, 5, 3, 6});
  check_near(run("input a[2, 3]; f = transpose(a, axes=[0, 1])", {A23}), {2, 3}, {1, 2, 3, 4, 5, 6});
  check_near(run("input a[2, 3]; f = reshape(a, [3, -1])", {A23}), {3, 2}, {1, 2, 3, 4, 5, 6});
  check_near(run("input a[2, 3]; f = reshape(a, [6])", {A23}), {6}, {1, 2, 3, 4, 5, 6});
  // Vector @ vector is a dot product; matrix @ vector a vector.
  const Tensor v{{3}, {1, -1, 2}};
  check_near(run("input a[2, 3]; input v[3]; f = a @ v", {A23, v}), {2}, {5, 11});
  check_near(run("input v[3]; f = v @ v", {v}), {}, {6});
  // T is still an ordinary name.
  CHECK(run("f = T * 2", {Tensor::scalar(3)}).data[0] == 6);
}

TEST_CASE("tensor language: reductions with axis and keepdims", "[frontend][tensor]") {
  check_near(run("input a[2, 3]; f = sum(a)", {A23}), {}, {21});
  check_near(run("input a[2, 3]; f = sum(a, axis=1)", {A23}), {2}, {6, 15});
  check_near(run("input a[2, 3]; f = sum(a, 1)", {A23}), {2}, {6, 15});
  check_near(run("input a[2, 3]; f = sum(a, 0)", {A23}), {3}, {5, 7, 9});
  check_near(run("input a[2, 3]; f = sum(a, axis=-1, keepdims=true)", {A23}), {2, 1}, {6, 15});
  check_near(run("input a[2, 3]; f = sum(a, axis=[0, 1], keepdims=true)", {A23}), {1, 1}, {21});
  check_near(run("input a[2, 3]; f = sum(a, [0, 1], false)", {A23}), {}, {21});
  check_near(run("input a[2, 3]; f = mean(a)", {A23}), {}, {3.5});
  check_near(run("input a[2, 3]; f = mean(a, 1)", {A23}), {2}, {2, 5});
  check_near(run("input a[2, 3]; f = mean(a, axis=0, keepdims=true)", {A23}), {1, 3}, {2.5, 3.5, 4.5});
  check_near(run("input a[2, 3]; f = max(a)", {A23}), {}, {6});
  check_near(run("input a[2, 3]; f = max(a, axis=0)", {A23}), {3}, {4, 5, 6});
  check_near(run("input a[2, 3]; f = max(a, axis=1, keepdims=true)", {A23}), {2, 1}, {3, 6});
  // max with two positional arguments stays the elementwise max.
  check_near(run("input a[2, 3]; f = max(a, 3.5)", {A23}), {2, 3}, {3.5, 3.5, 3.5, 4, 5, 6});
  check_near(run("input a[2, 3]; f = min(a, 2)", {A23}), {2, 3}, {1, 2, 2, 2, 2, 2});
  CHECK(run("f = max(x, y)", {Tensor::scalar(1), Tensor::scalar(2)}).data[0] == 2);
  // Mean over a symbolic dim divides by its bound value.
  check_near(run("input x[B, 3]; f = mean(x, 0)", {A23}, {{"B", 2}}), {3}, {2.5, 3.5, 4.5});
}

TEST_CASE("tensor language: elementwise scalar functions and broadcasting", "[frontend][tensor]") {
  const Tensor m{{2, 2}, {-1, 0, 2, -3}};
  check_near(run("input m[2, 2]; f = relu(m)", {m}), {2, 2}, {0, 0, 2, 0});
  check_near(run("input m[2, 2]; f = abs m * 2", {m}), {2, 2}, {2, 0, 4, 6});
  check_near(run("input m[2, 2]; f = exp(m)", {m}), {2, 2}, {std::exp(-1), 1, std::exp(2), std::exp(-3)});
  // A row [3] broadcasts over [2, 3]; a column [2, 1] too.
  const Tensor row{{3}, {10, 20, 30}}, col{{2, 1}, {100, 200}};
  check_near(run("input a[2, 3]; input r[3]; f = a + r", {A23, row}), {2, 3}, {11, 22, 33, 14, 25, 36});
  check_near(run("input a[2, 3]; input c[2, 1]; f = a * c", {A23, col}), {2, 3}, {100, 200, 300, 800, 1000, 1200});
  // Free undeclared names stay scalar inputs and broadcast.
  check_near(run("input a[2, 3]; f = a * k", {A23, Tensor::scalar(2)}), {2, 3}, {2, 4, 6, 8, 10, 12});
}

TEST_CASE("tensor language: the neural-network functions", "[frontend][tensor][nn]") {
  const Tensor z{{2, 3}, {1, 2, 3, 0, 0, 0}};
  const double l0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), l1 = std::log(3.0);
  check_near(run("input z[2, 3]; f = softmax(z)", {z}), {2, 3},
             {std::exp(1 - l0), std::exp(2 - l0), std::exp(3 - l0), 1 / 3.0, 1 / 3.0, 1 / 3.0});
  check_near(run("input z[2, 3]; f = log_softmax(z, axis=-1)", {z}), {2, 3}, {1 - l0, 2 - l0, 3 - l0, -l1, -l1, -l1});
  check_near(run("input z[2, 3]; f = logsumexp(z)", {z}), {2}, {l0, l1});
  check_near(run("input z[2, 3]; f = logsumexp(z, axis=1, keepdims=true)", {z}), {2, 1}, {l0, l1});
  // Along axis 0: each column of [[1,2,3],[0,0,0]] sums to 1.
  const Tensor s0 = run("input z[2, 3]; f = sum(softmax(z, axis=0), axis=0)", {z});
  check_near(s0, {3}, {1, 1, 1});
  const Tensor v{{4}, {-2, -0.5, 0, 3}};
  check_near(run("input v[4]; f = leaky_relu(v)", {v}), {4}, {-0.02, -0.005, 0, 3});
  check_near(run("input v[4]; f = leaky_relu(v, 0.2)", {v}), {4}, {-0.4, -0.1, 0, 3});
  check_near(run("input v[4]; f = leaky_relu(v, slope=0.5)", {v}), {4}, {-1, -0.25, 0, 3});
  auto gelu = [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); };
  check_near(run("input v[4]; f = gelu(v)", {v}), {4}, {gelu(-2), gelu(-0.5), 0, gelu(3)});
  const Tensor p{{2}, {0.25, 0.5}}, t{{2}, {1, 0}};
  check_near(run("input p[2]; input t[2]; f = mse(p, t)", {p, t}), {}, {(0.5625 + 0.25) / 2});
  check_near(run("input p[2]; input t[2]; f = bce(p, t)", {p, t}), {}, {-(std::log(0.25) + std::log(0.5)) / 2});
  auto softplus = [](double x) { return std::log1p(std::exp(x)); };
  check_near(run("input p[2]; input t[2]; f = bce_with_logits(p, t)", {p, t}), {},
             {(softplus(0.25) - 0.25 + softplus(0.5)) / 2});
  // cross_entropy with integer labels: the mean of lse - z[label].
  const Tensor y{{2}, {2, 0}};
  check_near(run("input z[2, 3]; input y[2] : int; f = cross_entropy(z, y)", {z, y}), {}, {((l0 - 3) + l1) / 2});
  check_near(run("input y[2] : int; f = one_hot(y, 3)", {y}), {2, 3}, {0, 0, 1, 1, 0, 0});
  // With one-hot targets: the same loss.
  check_near(run("input z[2, 3]; input y[2] : int; f = cross_entropy(z, one_hot(y, 3))", {z, y}), {},
             {((l0 - 3) + l1) / 2});
}

TEST_CASE("tensor language: defs are inlined at each call", "[frontend][tensor][def]") {
  const std::string program =
      "input x[2, 3]\n"
      "param W[3, 2] = he()\n"
      "param b[2] = zeros()\n"
      "def dense(x, W, b) = relu(x @ W + b)\n"
      "def twice(v) = dense(v, W, b) * 2\n"
      "h = dense(x, W, b)\n"
      "f = h + twice(x)\n";
  const ir::Graph g = compile(program);
  REQUIRE(ir::verify(g).empty());
  // Nodes made inside a call carry the def's name as their group (the outermost call).
  int dense_nodes = 0, twice_nodes = 0;
  for (ir::NodeId id = 0; id < g.size(); ++id) {
    dense_nodes += g.group(id).rfind("dense#", 0) == 0;
    twice_nodes += g.group(id).rfind("twice#", 0) == 0;
  }
  CHECK(dense_nodes == 3);  // matmul, add, relu
  CHECK(twice_nodes == 5);  // the inner dense's three, the constant 2 and the mul
  const Tensor W{{3, 2}, {1, -1, 0, 1, 1, 0}}, b{{2}, {-5, 0.5}};
  // x@W = [[4,1],[10,1]]; + b = [[-1,1.5],[5,1.5]]; relu = [[0,1.5],[5,1.5]]; h + 2h = 3h
  check_near(run(program, {A23, W, b}), {2, 2}, {0, 4.5, 15, 4.5});
  // A def's params shadow the program's names; a def with no params is fine.
  CHECK(run("def sq(x) = x * x; x = 3; f = sq(x + 1)", {}).data[0] == 16);
  CHECK(run("input k; def k2() = k * 2; f = k2()", {Tensor::scalar(4)}).data[0] == 8);
}

TEST_CASE("tensor language: grad works on tensors", "[frontend][tensor]") {
  // d/dw sum(a @ w) = a^T @ ones = column sums of a, repeated per output column.
  const Tensor w{{3, 2}, {1, 0, 0, 1, 1, 1}};
  check_near(run("input a[2, 3]; input w[3, 2]; f = grad(sum(a @ w), w)", {A23, w}), {3, 2}, {5, 5, 7, 7, 9, 9});
  // A tensor output is seeded with ones: grad(a @ w, w) is the same.
  check_near(run("input a[2, 3]; input w[3, 2]; f = grad(a @ w, w)", {A23, w}), {3, 2}, {5, 5, 7, 7, 9, 9});
  check_near(run("input a[2, 3]; f = grad(sum(a^2), a)", {A23}), {2, 3}, {2, 4, 6, 8, 10, 12});
}

TEST_CASE("tensor language: the coursework-style MLP lowers and differentiates", "[frontend][tensor][mlp]") {
  const std::string program =
      "input x[B, 784]\n"
      "input y[B] : int\n"
      "param W1[784, 256] = he()\n"
      "param b1[256] = zeros()\n"
      "param W2[256, 10] = xavier()\n"
      "param b2[10] = zeros()\n"
      "def dense(x, W, b) = relu(x @ W + b)\n"
      "h = dense(x, W1, b1)\n"
      "logits = h @ W2 + b2\n"
      "loss = cross_entropy(logits, y)\n";
  const ir::Graph g = compile(program);
  REQUIRE(ir::verify(g).empty());
  REQUIRE(g.outputs.size() == 1);
  CHECK(g.outputs[0].name == "loss");
  CHECK(g[g.outputs[0].id].shape.is_scalar());
  CHECK(g.type_string(g.find_input("x")) == "f64[B,784]");
  CHECK(passes::default_wrt(g) == std::vector<std::string>{"W1", "b1", "W2", "b2"});
  passes::PassContext ctx;
  const ir::Graph d = passes::run_autodiff(g, ctx);
  REQUIRE(ir::verify(d).empty());
  REQUIRE(d.outputs.size() == 5);
  const std::vector<std::vector<int64_t>> shapes = {{}, {784, 256}, {256}, {256, 10}, {10}};
  for (size_t i = 0; i < shapes.size(); ++i) {
    INFO(d.outputs[i].name);
    CHECK(d[d.outputs[i].id].shape.dims == shapes[i]);
  }
  CHECK(d.outputs[1].name == "dloss/dW1");

  // A small copy of the same net, run with B bound to 2, against hand-computed values.
  const std::string small =
      "input x[B, 2]\n"
      "input y[B] : int\n"
      "param W1[2, 2] = he()\n"
      "param b1[2] = zeros()\n"
      "param W2[2, 3] = xavier()\n"
      "param b2[3] = zeros()\n"
      "def dense(x, W, b) = relu(x @ W + b)\n"
      "h = dense(x, W1, b1)\n"
      "logits = h @ W2 + b2\n"
      "loss = cross_entropy(logits, y)\n";
  ir::Graph sg = compile(small);
  passes::PassContext sctx;
  ir::Graph sd = ir::bind_dims(passes::run_autodiff(sg, sctx), {{"B", 2}});
  REQUIRE(ir::verify(sd).empty());
  const Tensor x{{2, 2}, {1, 2, -1, 1}}, y{{2}, {0, 2}};
  const Tensor W1{{2, 2}, {1, 0, 0, 1}}, b1{{2}, {0, -1}};
  const Tensor W2{{2, 3}, {1, 0, 0, 0, 1, 0}}, b2{{3}, {0, 0, 0}};
  const auto out = runtime::interpret_tensors(sd, std::vector<Tensor>{x, y, W1, b1, W2, b2});
  // h = relu(x + b1) = [[1,1],[0,0]]; logits = [[1,1,0],[0,0,0]]
  const double l0 = std::log(2 * std::exp(1.0) + 1), l1 = std::log(3.0);
  CHECK(out[0].data[0] == Approx(((l0 - 1) + (l1 - 0)) / 2).epsilon(1e-12));
  // dloss/db2 = mean over the batch of softmax(logits) - onehot(y)
  const double e = std::exp(1.0) / (2 * std::exp(1.0) + 1), o = 1 / (2 * std::exp(1.0) + 1);
  check_near(out[4], {3}, {((e - 1) + 1 / 3.0) / 2, (e + 1 / 3.0) / 2, (o + 1 / 3.0 - 1) / 2});
}

TEST_CASE("tensor language: the examples compile", "[frontend][tensor][examples]") {
  for (const char* name : {"mlp.grad", "coursework_004_q3.grad"}) {
    INFO(name);
    const auto path = std::filesystem::path(GRADC_SOURCE_DIR) / "examples" / name;
    REQUIRE(std::filesystem::exists(path));
    const ir::Graph g = frontend::compile_to_ir(SourceFile(name, read_file(path)));
    REQUIRE(ir::verify(g).empty());
    CHECK(g[g.outputs.at(0).id].shape.is_scalar());
    passes::PassContext ctx;
    const ir::Graph d = passes::run_autodiff(g, ctx);
    REQUIRE(ir::verify(d).empty());
    for (size_t i = 1; i < d.outputs.size(); ++i) {
      const std::string wrt = d.outputs[i].name.substr(d.outputs[i].name.find('/') + 2);
      CHECK(d[d.outputs[i].id].shape == g[g.find_input(wrt)].shape);
    }
  }
}

TEST_CASE("tensor language: coursework 004 Q3 gradients match the worked solution", "[frontend][tensor][examples]") {
  // dJ/db2 = yhat - y, dJ/dU = (yhat - y) h^T, dJ/db1 = U^T (yhat - y) * 1{h > 0}, dJ/dW = dJ/db1 x^T.
  const auto path = std::filesystem::path(GRADC_SOURCE_DIR) / "examples" / "coursework_004_q3.grad";
  const ir::Graph g = frontend::compile_to_ir(SourceFile("q3.grad", read_file(path)));
  passes::PassContext ctx;
  ctx.wrt = {"b2", "U", "b1", "W"};
  const ir::Graph d = ir::bind_dims(passes::run_autodiff(g, ctx), {{"n", 2}, {"m", 2}, {"k", 2}});
  REQUIRE(ir::verify(d).empty());
  std::vector<Tensor> at;
  const std::map<std::string, Tensor> values = {
      {"x", {{2}, {1, 2}}},        {"y", {{2}, {0, 1}}},        {"W", {{2, 2}, {1, 0, 0, -1}}},
      {"b1", {{2}, {0.5, 0}}},     {"U", {{2, 2}, {1, 2, 3, 4}}}, {"b2", {{2}, {0, 1}}}};
  for (const std::string& name : d.input_names()) at.push_back(values.at(name));
  const auto out = runtime::interpret_tensors(d, at);
  // z1 = [1.5, -2]; h = [1.5, 0]; z2 = [1.5, 5.5]; yhat = softmax(z2)
  const double s = 1 / (1 + std::exp(4.0)), yh0 = s, yh1 = 1 - s;
  CHECK(out[0].data[0] == Approx(-std::log(yh1)).epsilon(1e-12));
  const double d0 = yh0, d1 = yh1 - 1;  // delta1 = yhat - y
  check_near(out[1], {2}, {d0, d1});
  check_near(out[2], {2, 2}, {d0 * 1.5, 0, d1 * 1.5, 0});
  const double g0 = 1 * d0 + 3 * d1;  // (U^T delta1)[0]; h[1] = 0 masks the second
  check_near(out[3], {2}, {g0, 0});
  check_near(out[4], {2, 2}, {g0 * 1, g0 * 2, 0, 0});
}

TEST_CASE("tensor language: shape errors point at the expression", "[frontend][tensor][errors]") {
  CHECK(error_of("input x[B, 784]\nparam W[256, 10]\nf = x @ W\n") ==
        "t.grad:3:5: error: matmul: [B,784] @ [256,10]: inner dimensions 784 and 256 differ\n"
        "f = x @ W\n"
        "    ^~~~~\n");
  // Inside a def: the body's expression, and a note naming the call.
  const std::string in_def = error_of("input x[2, 3]\ndef lin(a) = a @ a\nf = lin(x)\n");
  CHECK(contains(in_def, "t.grad:2:14: error: matmul: [2,3] @ [2,3]"));
  CHECK(contains(in_def, "note: in the call to lin at 3:5"));
  CHECK(contains(error_of("input a[2, 3]; f = sum(a, axis=2)"), "1:32: error: sum: axis 2 is out of range"));
  CHECK(contains(error_of("input a[2, 3]; f = softmax(a, axis=-3)"), "error: softmax: axis -3 is out of range"));
  CHECK(contains(error_of("input a[2, 3]; f = transpose(a, [0])"), "error: transpose: permutation"));
  CHECK(contains(error_of("input a[2, 3]; f = reshape(a, [4, -1])"), "error: reshape: cannot reshape [2,3]"));
  CHECK(contains(error_of("input a[2, 3]; input b[3, 2]; f = mse(a, b)"), "mse: prediction [2,3] and target [3,2]"));
  CHECK(contains(error_of("input a[2, 3]; f = a.T + a"), "1:20: error: add: cannot broadcast shapes [3,2] and [2,3]"));
}

TEST_CASE("tensor language: option and declaration errors", "[frontend][tensor][errors]") {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"input a[2, 3]; f = sum(a, axis=1.5)", "the axis of sum must be an integer literal"},
      {"input a[2, 3]; k = 1; f = sum(a, axis=k)", "the axis of sum must be an integer literal"},
      {"input a[2, 3]; f = sum(a, axis=[0, x])", "each entry of the axis of sum must be an integer literal"},
      {"input a[2, 3]; f = softmax(a, axis=[0, 1])", "the axis of softmax must be one integer, not a list"},
      {"input a[2, 3]; f = sum(a, keepdims=1)", "the keepdims of sum must be true or false"},
      {"input a[2, 3]; f = sum(a, axs=1)", "sum has no keyword argument 'axs'"},
      {"input a[2, 3]; f = sum(a, axis=1, axis=0)", "axis is given twice"},
      {"input a[2, 3]; f = sum(a, 1, true, 3)", "sum expects at most 3 arguments, got 4"},
      {"input a[2, 3]; f = sum(axis=1)", "sum expects 1 argument before any keyword, got 0"},
      {"input a[2, 3]; f = sum(a, axis=1, 2)", "a positional argument cannot follow a keyword argument"},
      {"input a[2, 3]; f = relu(a, axis=1)", "relu takes no keyword arguments"},
      {"input a[2, 3]; f = gelu(a, slope=1)", "gelu takes no keyword arguments"},
      {"input y[2] : int; f = one_hot(y)", "one_hot needs its classes argument"},
      {"input y[2] : int; f = one_hot(y, 0)", "number of classes must be positive"},
      {"input y[2] : int; f = one_hot(y, n)", "the classes of one_hot must be an integer literal"},
      {"input a[2, 3]; f = reshape(a, 6)", "the shape of reshape must be a list"},
      {"input a[2, 3]; f = [a, a]", "unexpected '['"},
      {"input a[2, 3]; f = relu([1, 2])", "a list is not a value"},
      {"input a[2, 3]; f = a.x", "unknown attribute '.x'"},
      {"input a[2, 3]; f = sum a", "'sum' is a function; call it as sum("},
      {"input x; input x[3]; f = x", "'x' is already declared"},
      {"input x; param x[3]; f = x", "'x' is already declared"},
      {"f = x * 2\ninput x[3]\ng = x", "'x' is declared after its first use"},
      {"input x[3]; x = 2; f = x", "cannot assign to 'x': it is declared as an input"},
      {"param W[3]; W = 2; f = W", "cannot assign to 'W': it is declared as a param"},
      {"x = 2; input x[3]; f = x", "'x' is already assigned"},
      {"input x[0]; f = x", "a dimension must be positive, not 0"},
      {"input x[-3]; f = x", "a dimension must be positive"},
      {"input x[2.5]; f = x", "a dimension must be a whole number"},
      {"input x[1e19]; f = x", "a dimension must be at most 1000000000000000, not '1e19'"},
      {"input x[9223372036854775808]; f = x", "a dimension must be at most"},
      {"input x[]; f = x", "empty shape"},
      {"input x[3; f = x", "expected ']'"},
      {"input x(3); f = x", "unexpected '(' in a declaration"},
      {"input x[3] : str; f = x", "unknown type 'str'"},
      {"param W[3] : int; f = W", "a param cannot have a type"},
      {"input x[3] = he(); f = x", "an input has no initialiser"},
      {"param W[3] = hee(); f = W", "unknown initialiser 'hee'"},
      {"param W[3] = normal(0); f = W", "normal expects 2 arguments, got 1"},
      {"param W[3] = he; f = W", "expected '(' after 'he'"},
      {"param W[3] = constant(x); f = W", "an initialiser's arguments must be numbers"},
      {"input sum[3]; f = 1", "cannot declare 'sum': it is a function"},
      {"input x[3]", "the program computes nothing"},
      {"def f(x) = x; def f(y) = y; g = 1", "'f' is already defined"},
      {"def f(x, x) = x; g = 1", "parameter 'x' appears twice"},
      {"def f(x) = f(x); g = 1", "'f' cannot call itself"},
      {"def f(x) = g(x); def g(x) = x; h = f(1)", "unknown function 'g'"},
      {"def f(x) = x * z; h = f(1)", "'z' is not a parameter of f"},
      {"def f(x, y) = x * y; h = f(1)", "f expects 2 arguments, got 1"},
      {"def f(x) = x; h = f(x=1)", "f takes no keyword arguments"},
      {"def f(x) = x; f = 2", "cannot assign to 'f': it is a function"},
      {"def f(x) = x; h = f", "'f' is a function; call it as f(...)"},
      {"def relu(x) = x; h = 1", "cannot define 'relu': it is a function"},
      {"def f(x) = grad(x * x, x); h = f(1)", "it is a parameter of f"},
  };
  for (const auto& [text, message] : table) {
    INFO(text);
    CHECK(contains(error_of(text), message));
  }
}

TEST_CASE("tensor language: defs that double at each level stop at the graph size limit", "[frontend][tensor][def]") {
  std::string text = "def f0(x) = x + 1\n";
  for (int i = 1; i < 40; ++i) text += fmt::format("def f{}(x) = f{}(x) + f{}(x)\n", i, i - 1, i - 1);
  text += "y = f39(2)\n";
  CHECK(contains(error_of(text), "the program's graph is too large"));
  // A long chain of defs is fine (each inlines the previous one once) until the nesting limit.
  std::string chain = "def f0(x) = x + 1\n";
  for (int i = 1; i < 300; ++i) chain += fmt::format("def f{}(x) = f{}(x) * 1\n", i, i - 1);
  const std::string deep = error_of(chain + "y = f299(2)\n");
  CHECK(contains(deep, "defs call each other too deeply (limit 256)"));
  // The chain of calls is summarised, not 256 notes: the innermost few, a count, the outermost.
  size_t notes = 0;
  for (size_t at = deep.find("note: in the call to"); at != std::string::npos; at = deep.find("note: in the call", at + 1))
    ++notes;
  CHECK(notes <= 12);
  CHECK(contains(deep, "note: in the call to f299 at 301:5"));
  CHECK(contains(deep, "... 247 calls in between left out"));
  CHECK(error_of(chain + "y = f200(2)\n") == "(compiled without error)\n");
}
