// tests/unit/cli_tensor_args_test.cpp — the tensor side of the command line without running
// it: --at values (numbers, literals, .npy files), --dim, unifying declared shapes with the
// values' shapes, label checks, one evaluation entry point, and `gradc jacobian` on the
// coursework 003 part 2 examples (graphs built with ir::Builder, so no frontend is needed).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <fmt/format.h>
#include <unistd.h>

#include "ir/bind_dims.h"
#include "ir/builder.h"
#include "ir/nn.h"
#include "runtime/interpreter.h"
#include "runtime/npy.h"
#include "tools/gradc/driver.h"
#include "tools/gradc/jacobian.h"
#include "tools/gradc/tensor_args.h"
#include "tools/gradc/tensor_output.h"
#include "tests/unit/temp_dir.h"

using namespace gradc;
using namespace gradc::cli;
using Catch::Matchers::Contains;
using runtime::Tensor;
namespace fs = std::filesystem;

namespace {

using gradc::testing::TempDir;

// input x[B,3]; input y[B] : int; f = sum(x) + one_hot(y, 3)-ish: enough to exercise binding.
struct Program {
  ir::Graph g;
  ir::NodeId x, y, labels;
  Program() {
    g.dim_names.names = {"B"};
    ir::Builder b(g, ir::DType::F64);
    x = b.input("x", ir::Shape{{ir::symbol_dim(0), 3}});
    y = b.input("y", ir::Shape{{ir::symbol_dim(0)}});
    labels = b.input("labels", ir::Shape{{ir::symbol_dim(0)}});
    g[labels].integer = true;
    const ir::NodeId oh = b.one_hot(labels, 3);
    const ir::NodeId f = b.add(b.sum(b.mul(x, oh)), b.sum(y));
    g.outputs.push_back({"f", f});
  }
};

Tensor mat(std::vector<int64_t> shape, std::vector<double> data) { return Tensor{std::move(shape), std::move(data)}; }

}  // namespace

TEST_CASE("cli: --at values: numbers, literals, nested lists, .npy files", "[cli]") {
  CHECK(parse_input_value("x", " 2.5 ", false) == Tensor::scalar(2.5));
  CHECK(std::isinf(parse_input_value("x", "-inf", false).data[0]));
  CHECK(parse_input_value("x", "[1,2;3,4]", false) == mat({2, 2}, {1, 2, 3, 4}));
  CHECK(parse_input_value("x", "[[1,2],[3,4]]", false) == mat({2, 2}, {1, 2, 3, 4}));
  CHECK_THROWS_AS(parse_input_value("x", "abc", false), UsageError);
  CHECK_THROWS_WITH(parse_input_value("x", "abc", false), Contains("is not a number"));
  CHECK_THROWS_WITH(parse_input_value("x", "[1,2;3]", false), Contains("bad value for input 'x'"));

  TempDir dir;
  runtime::write_npy(dir / "f4.npy", runtime::make_npy({2}, std::vector<float>{0.5f, 1.5f}));
  runtime::write_npy(dir / "f8.npy", runtime::make_npy({2, 1}, std::vector<double>{0.1, 2}));
  runtime::write_npy(dir / "i8.npy", runtime::make_npy({3}, std::vector<int64_t>{0, 2, 1}));
  runtime::write_npy(dir / "noext", runtime::make_npy({}, std::vector<double>{7}));
  CHECK(parse_input_value("x", dir / "f4.npy", false) == mat({2}, {0.5, 1.5}));
  CHECK(parse_input_value("x", dir / "f8.npy", false) == mat({2, 1}, {0.1, 2}));
  CHECK(parse_input_value("y", dir / "i8.npy", true) == mat({3}, {0, 2, 1}));
  CHECK(parse_input_value("x", dir / "noext", false) == Tensor::scalar(7));  // an existing file
  CHECK_THROWS_WITH(parse_input_value("x", dir / "missing.npy", false), Contains("cannot read input 'x'"));
  {  // an int16 array, as numpy writes it: refused with the dtypes that are accepted
    std::string header = "{'descr': '<i2', 'fortran_order': False, 'shape': (1,), }";
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
    bytes += static_cast<char>(header.size() & 0xff);
    bytes += static_cast<char>(header.size() >> 8);
    bytes += header;
    bytes.append(2, '\0');
    std::ofstream(dir / "i2.npy", std::ios::binary) << bytes;
    CHECK_THROWS_WITH(parse_input_value("x", dir / "i2.npy", false), Contains("unsupported dtype '<i2'"));
  }
  // Integer labels: whole numbers only, whether from a literal or a float file.
  CHECK(parse_input_value("y", "[0, 2]", true) == mat({2}, {0, 2}));
  CHECK_THROWS_WITH(parse_input_value("y", "[0, 1.5]", true), Contains("y[1] = 1.5 is not an integer"));
  CHECK_THROWS_WITH(parse_input_value("y", dir / "f4.npy", true), Contains("y[0] = 0.5 is not an integer"));
}

TEST_CASE("cli: --at bindings: commas inside brackets, missing, extra and repeated names", "[cli]") {
  Program p;
  auto v = parse_inputs({"x=[1,2,3;4,5,6], y=[1,2]", "labels=[0,2]"}, p.g);
  REQUIRE(v.size() == 3);
  CHECK(v[0] == mat({2, 3}, {1, 2, 3, 4, 5, 6}));
  CHECK(v[1] == mat({2}, {1, 2}));
  CHECK(v[2] == mat({2}, {0, 2}));
  CHECK_THROWS_WITH(parse_inputs({"x=[1,2,3]"}, p.g), Contains("no value for y, labels"));
  CHECK_THROWS_WITH(parse_inputs({"x=1,y=1,labels=1,q=2"}, p.g), Contains("'q' is not an input"));
  CHECK_THROWS_WITH(parse_inputs({"x=1,x=2"}, p.g), Contains("'x' is given twice"));
  CHECK_THROWS_WITH(parse_inputs({"x"}, p.g), Contains("expected NAME=VALUE"));
}

TEST_CASE("declared shapes are unified with the values' shapes", "[cli]") {
  Program p;
  auto dims = bind_input_dims(p.g, {mat({2, 3}, std::vector<double>(6)), mat({2}, {0, 0}), mat({2}, {0, 0})});
  CHECK(dims == std::map<std::string, int64_t>{{"B", 2}});
  CHECK_THROWS_WITH(bind_input_dims(p.g, {mat({6}, std::vector<double>(6)), mat({2}, {}), mat({2}, {})}),
                    Contains("input 'x' is declared [B,3] (rank 2), but its value has shape [6] (rank 1)"));
  CHECK_THROWS_WITH(bind_input_dims(p.g, {mat({2, 4}, std::vector<double>(8)), mat({2}, {}), mat({2}, {})}),
                    Contains("input 'x' is declared [B,3], but its value has shape [2,4]: dimension 1 is 3, not 4"));
  CHECK_THROWS_WITH(bind_input_dims(p.g, {mat({2, 3}, std::vector<double>(6)), mat({5}, {}), mat({2}, {})}),
                    Contains("dimension B is 2 from x but 5 from y"));
  CHECK_THROWS_WITH(bind_input_dims(p.g, {mat({2, 3}, std::vector<double>(6)), mat({2}, {}), mat({2}, {})},
                                    {{"B", 4}}),
                    Contains("dimension B is 4 from --dim but 2 from x"));
  CHECK(parse_dims({"B=64"}, p.g) == std::map<std::string, int64_t>{{"B", 64}});
  CHECK_THROWS_WITH(parse_dims({"N=3"}, p.g), Contains("'N' is not a dimension of the program (dimensions: B)"));
  CHECK_THROWS_WITH(parse_dims({"B=-1"}, p.g), Contains("whole number"));
  CHECK_THROWS_WITH(parse_dims({"B=2,B=3"}, p.g), Contains("given twice"));
  CHECK_THROWS_AS(bind_dims_or_report(p.g, {}), UsageError);
  CHECK_THROWS_WITH(bind_dims_or_report(p.g, {}), Contains("--dim B=N"));
  CHECK(bind_dims_or_report(p.g, {{"B", 7}})[p.x].shape.dims == std::vector<int64_t>{7, 3});
}

TEST_CASE("labels outside 0..classes-1 are named with their index", "[cli]") {
  Program p;
  const ir::Graph g = ir::bind_dims(p.g, {{"B", 3}});
  const std::vector<Tensor> ok{mat({3, 3}, std::vector<double>(9, 1)), mat({3}, {0, 0, 0}), mat({3}, {0, 2, 1})};
  CHECK_NOTHROW(check_labels(g, ok));
  auto bad = ok;
  bad[2] = mat({3}, {0, 3, 1});
  CHECK_THROWS_WITH(check_labels(g, bad), Contains("label labels[1] = 3 is out of range"));
  CHECK_THROWS_WITH(check_labels(g, bad), Contains("[0, 3)"));
  bad[2] = mat({3}, {0, 1, -1});
  CHECK_THROWS_WITH(check_labels(g, bad), Contains("labels[2] = -1"));
  CHECK(element_name("y", {2, 3}, 5) == "y[1,2]");
  CHECK(element_name("y", {}, 0) == "y");
}

TEST_CASE("evaluate_tensors: scalar graphs by the JIT, tensor graphs by the interpreter", "[cli]") {
  {
    ir::Graph g;
    ir::Builder b(g);
    const ir::NodeId x = b.input("x"), y = b.input("y");
    g.outputs.push_back({"f", b.add(b.unary(ir::Op::Log, x), b.mul(b.unary(ir::Op::Exp, y), x))});
    const std::vector<Tensor> in{Tensor::scalar(1), Tensor::scalar(3)};
    CHECK(evaluate_tensors(g, in, {false, 2}) == evaluate_tensors(g, in, {true, 2}));
    CHECK(evaluate_tensors(g, in, {false, 2})[0].data[0] == Approx(std::exp(3.0)));
  }
  Program p;
  const ir::Graph g = ir::bind_dims(p.g, {{"B", 2}});
  const std::vector<Tensor> in{mat({2, 3}, {1, 2, 3, 4, 5, 6}), mat({2}, {10, 20}), mat({2}, {2, 0})};
  CHECK(evaluate_tensors(g, in, {false, 2})[0] == Tensor::scalar(3 + 4 + 30));
}

TEST_CASE("jacobian: coursework 003 part 2 (Xw -> X, w∘w -> diag(2w), softmax -> diag(s) - ssᵀ)", "[cli]") {
  for (bool interpret : {false, true}) {
    {  // f(w) = X w: J = X, shape [2,3]
      ir::Graph g;
      ir::Builder b(g);
      const ir::NodeId X = b.input("X", ir::Shape{{2, 3}}), w = b.input("w", ir::Shape{{3}});
      g.outputs.push_back({"f", b.matmul(X, w)});
      const JacobianResult r =
          compute_jacobian(g, "w", {mat({2, 3}, {1, 2, 3, 4, 5, 6}), mat({3}, {1, -1, 2})}, {interpret, 2});
      CHECK(r.value == mat({2}, {5, 11}));
      CHECK(r.jacobian == mat({2, 3}, {1, 2, 3, 4, 5, 6}));
      // and with respect to X: ∂(Xw)_i/∂X_jk = δ_ij w_k, shape [2,2,3]
      const JacobianResult rx =
          compute_jacobian(g, "X", {mat({2, 3}, {1, 2, 3, 4, 5, 6}), mat({3}, {1, -1, 2})}, {interpret, 2});
      CHECK(rx.jacobian == mat({2, 2, 3}, {1, -1, 2, 0, 0, 0, 0, 0, 0, 1, -1, 2}));
    }
    {  // f(w) = w∘w: J = diag(2w)
      ir::Graph g;
      ir::Builder b(g);
      const ir::NodeId w = b.input("w", ir::Shape{{3}});
      g.outputs.push_back({"f", b.mul(w, w)});
      const JacobianResult r = compute_jacobian(g, "w", {mat({3}, {1, 2, 3})}, {interpret, 2});
      CHECK(r.value == mat({3}, {1, 4, 9}));
      CHECK(r.jacobian == mat({3, 3}, {2, 0, 0, 0, 4, 0, 0, 0, 6}));
    }
    {  // softmax: J = diag(s) - s sᵀ
      ir::Graph g;
      ir::Builder b(g);
      const ir::NodeId w = b.input("w", ir::Shape{{3}});
      g.outputs.push_back({"s", ir::nn::softmax(b, w)});
      const JacobianResult r = compute_jacobian(g, "w", {mat({3}, {1, 2, 3})}, {interpret, 2});
      const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
      const double s[3] = {std::exp(1.0) / z, std::exp(2.0) / z, std::exp(3.0) / z};
      REQUIRE(r.jacobian.shape == std::vector<int64_t>{3, 3});
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
          CHECK(r.jacobian.data[static_cast<size_t>(i * 3 + j)] ==
                Approx((i == j ? s[i] : 0) - s[i] * s[j]).margin(1e-15));
    }
    {  // a scalar output gives the gradient; a scalar wrt of a vector output gives a column
      ir::Graph g;
      ir::Builder b(g);
      const ir::NodeId w = b.input("w", ir::Shape{{3}}), c = b.input("c");
      g.outputs.push_back({"f", b.mul(w, c)});
      CHECK(compute_jacobian(g, "c", {mat({3}, {1, 2, 3}), Tensor::scalar(2)}, {interpret, 2}).jacobian ==
            mat({3}, {1, 2, 3}));
      ir::Graph h;
      ir::Builder hb(h);
      const ir::NodeId v = hb.input("v", ir::Shape{{2}});
      h.outputs.push_back({"n", hb.sum(hb.mul(v, v))});
      CHECK(compute_jacobian(h, "v", {mat({2}, {3, 4})}, {interpret, 2}).jacobian == mat({2}, {6, 8}));
    }
  }
  ir::Graph g;
  ir::Builder b(g);
  const ir::NodeId w = b.input("w", ir::Shape{{2}}), y = b.input("y", ir::Shape{{2}});
  g[y].integer = true;
  g.outputs.push_back({"f", b.mul(w, w)});
  CHECK_THROWS_WITH(compute_jacobian(g, "q", {mat({2}, {1, 2}), mat({2}, {0, 1})}, {true, 2}),
                    Contains("'q' is not an input of the program (inputs: w, y)"));
  CHECK_THROWS_WITH(compute_jacobian(g, "y", {mat({2}, {1, 2}), mat({2}, {0, 1})}, {true, 2}),
                    Contains("integer labels"));
}

TEST_CASE("results print NumPy-style, as nested JSON lists and as .npy of the compute type", "[cli]") {
  CHECK(text_result("f", Tensor::scalar(0.1), ir::DType::F64) == "f = 0.1");
  CHECK(text_result("f", Tensor::scalar(static_cast<float>(0.1)), ir::DType::F32) == "f = 0.1");
  CHECK(text_result("df/dw", mat({2}, {1, 2}), ir::DType::F32, 7) == "df/dw   = f32[2]\n[1, 2]");
  CHECK(json_result(mat({2, 1}, {1, NAN}), ir::DType::F64) == R"([[1], ["nan"]])");
  CHECK(json_result(Tensor::scalar(INFINITY), ir::DType::F64) == R"("inf")");
  TempDir dir;
  make_output_dir(dir / "a/b", "--save-dir");
  save_result(dir / "a/b", "v.npy", mat({2}, {0.1, 2}), ir::DType::F32);
  save_result(dir / "a/b", "w.npy", mat({2}, {0.1, 2}), ir::DType::F64);
  const runtime::NpyArray f4 = runtime::read_npy(dir / "a/b/v.npy"), f8 = runtime::read_npy(dir / "a/b/w.npy");
  CHECK(f4.dtype == runtime::NpyDType::F32);
  CHECK(f4.as<float>()[0] == 0.1f);
  CHECK(f8.dtype == runtime::NpyDType::F64);
  CHECK(f8.as<double>()[0] == 0.1);
  CHECK_THROWS_AS(make_output_dir("/dev/null/x", "--save-dir"), UsageError);
}
