// tests/unit/fuse_test.cpp — the kernel form: fuse's partition, plan-memory's workspace, and
// the code generated from them against the reference interpreter.
//
// Golden files (tests/golden/kernels/) pin the kernel form of the MLP step and of
// softmax → GELU → MSE (GRADC_UPDATE_GOLDEN=1 rewrites them; read the diff).
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <fstream>
#include <random>
#include <sstream>

#include "codegen/codegen.h"
#include "frontend/frontend.h"
#include "ir/bind_dims.h"
#include "ir/dot.h"
#include "ir/builder.h"
#include "ir/kernel.h"
#include "ir/nn.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/autodiff.h"
#include "passes/pass_manager.h"
#include "runtime/interpreter.h"

using namespace gradc;
using ir::DType;
using ir::KernelKind;
using ir::NodeId;
using ir::Op;
using ir::Shape;
using runtime::Tensor;

namespace {

const char* kSoftmaxGeluMse =
    "input x[B, 1024]\n"
    "input t[B, 1024]\n"
    "loss = mse(gelu(softmax(x)), t)\n";

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Source text → value and gradient (w.r.t. `wrt`, empty: the params) through `passes`.
ir::Graph compile(const std::string& text, const std::vector<std::string>& passes,
                  const std::vector<std::string>& wrt = {}, std::map<std::string, int64_t> dims = {}) {
  frontend::SourceFile src("test.grad", text);
  ir::Graph g = frontend::compile_to_ir(src, DType::F32);
  if (!dims.empty()) g = ir::bind_dims(g, dims);
  passes::PassContext ctx;
  ctx.wrt = wrt;
  std::vector<std::string> pipeline{"autodiff"};
  pipeline.insert(pipeline.end(), passes.begin(), passes.end());
  return passes::PassManager(pipeline).run(std::move(g), ctx);
}

const std::vector<std::string> kO1{"simplify", "cse", "dce"};
const std::vector<std::string> kO2{"simplify", "cse", "dce", "fuse", "plan-memory"};

std::string mlp_text() { return read_file(std::filesystem::path(GRADC_SOURCE_DIR) / "examples/mlp.grad"); }

void check_golden(const std::string& name, const std::string& text) {
  const auto golden = std::filesystem::path(GRADC_SOURCE_DIR) / "tests/golden/kernels" / name;
  if (const char* u = std::getenv("GRADC_UPDATE_GOLDEN"); u && std::string(u) == "1") {
    std::filesystem::create_directories(golden.parent_path());
    std::ofstream(golden, std::ios::binary) << text;
  }
  REQUIRE(std::filesystem::exists(golden));
  CHECK(text == read_file(golden));
}

std::vector<Tensor> random_inputs(const ir::Graph& g, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  std::vector<Tensor> at;
  for (NodeId id : g.inputs()) {
    Tensor t{g[id].shape.dims, {}};
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    for (int64_t i = 0; i < n; ++i) t.data.push_back(g[id].integer ? static_cast<double>(rng() % 10) : normal(rng) * 0.3);
    at.push_back(std::move(t));
  }
  return at;
}

std::vector<Tensor> run_f32(const ir::Graph& g, const std::vector<Tensor>& inputs, size_t* workspace = nullptr) {
  codegen::CompiledTensorFunction fn = codegen::compile_tensors(g, {DType::F32});
  if (workspace) *workspace = fn.workspace_bytes();
  std::vector<std::vector<float>> in, out;
  for (const Tensor& t : inputs) in.emplace_back(t.data.begin(), t.data.end());
  for (const ir::Output& o : g.outputs) {
    int64_t n = 1;
    for (int64_t d : g[o.id].shape.dims) n *= d;
    out.emplace_back(static_cast<size_t>(n), -777.f);
  }
  std::vector<const float*> ip;
  std::vector<float*> op;
  for (auto& v : in) ip.push_back(v.data());
  for (auto& v : out) op.push_back(v.data());
  fn.run(ip.data(), op.data());
  std::vector<Tensor> res;
  for (size_t k = 0; k < out.size(); ++k)
    res.push_back(Tensor{g[g.outputs[k].id].shape.dims, std::vector<double>(out[k].begin(), out[k].end())});
  return res;
}

void check_against_interpreter(const ir::Graph& g, const std::vector<Tensor>& inputs) {
  const std::vector<Tensor> want = runtime::interpret_tensors(g, inputs);
  const std::vector<Tensor> got = run_f32(g, inputs);
  for (size_t k = 0; k < want.size(); ++k) {
    double scale = 0;
    for (double w : want[k].data) scale = std::max(scale, std::fabs(w));
    size_t bad = 0;
    for (size_t i = 0; i < want[k].data.size(); ++i)
      if (!(std::fabs(got[k].data[i] - want[k].data[i]) <= 1e-4 * (std::fabs(want[k].data[i]) + scale))) ++bad;
    INFO("output " << g.outputs[k].name);
    CHECK(bad == 0);
  }
}

size_t loop_kernels(const ir::Graph& g) {
  size_t n = 0;
  for (const ir::Kernel& k : g.kernels) n += ir::is_loop_kernel(k.kind);
  return n;
}

}  // namespace

TEST_CASE("fuse: golden kernel form of the MLP step (symbolic B)", "[fuse][golden]") {
  const ir::Graph g = compile(mlp_text(), kO2);
  CHECK(g.memory.empty());  // B is symbolic: codegen plans once it is bound
  check_golden("mlp.txt", ir::print_kernels(g));
}

TEST_CASE("fuse: golden kernel form of softmax -> GELU -> MSE and its gradient", "[fuse][golden]") {
  const ir::Graph g = compile(kSoftmaxGeluMse, kO2, {"x"});
  check_golden("softmax_gelu_mse.txt", ir::print_kernels(g));
}

TEST_CASE("fuse: softmax is one kernel of three passes over each row", "[fuse]") {
  ir::Graph g;
  ir::Builder b(g, DType::F32);
  NodeId x = b.input("x", Shape{{6, 9}});
  NodeId y = ir::nn::softmax(b, x);
  g.outputs.push_back({"y", y});
  passes::PassContext ctx;
  const ir::Graph f = passes::PassManager({"fuse", "plan-memory"}).run(g, ctx);
  INFO(ir::print_kernels(f));
  REQUIRE(f.kernels.size() == 1);
  const ir::Kernel& k = f.kernels[0];
  CHECK(k.kind == KernelKind::Reduce);
  CHECK(k.phases() == 3);  // the row max; exp and its sum; the division
  CHECK(k.outputs == std::vector<NodeId>{y});
  CHECK(ctx.stats["fuse.kernels"] == 1);
  // exp(x - max) is kept for the row between its phase and the division's: one row buffer.
  REQUIRE(ir::row_buffered(f, k).size() == 1);
  CHECK(f.memory.workspace_bytes == 64);
  check_against_interpreter(f, random_inputs(f, 3));
}

TEST_CASE("fuse: without row phases a reduction's users are another kernel", "[fuse]") {
  ir::Graph g;
  ir::Builder b(g, DType::F32);
  NodeId x = b.input("x", Shape{{6, 9}});
  NodeId s = b.sum(x, {0}, true);  // a column sum: not a row reduction
  g.outputs.push_back({"y", b.div(x, s)});
  passes::PassContext ctx;
  const ir::Graph f = passes::PassManager({"fuse", "plan-memory"}).run(g, ctx);
  INFO(ir::print_kernels(f));
  REQUIRE(f.kernels.size() == 2);
  CHECK(f.kernels[0].outputs == std::vector<NodeId>{s});
  check_against_interpreter(f, random_inputs(f, 3));
}

TEST_CASE("fuse: a chain of elementwise ops with a broadcast is one loop storing only its end", "[fuse]") {
  ir::Graph g;
  ir::Builder b(g, DType::F32);
  NodeId x = b.input("x", Shape{{5, 7}}), bias = b.input("bias", Shape{{7}});
  NodeId y = b.unary(Op::Tanh, b.mul(b.add(x, bias), b.unary(Op::Exp, b.broadcast_to(bias, Shape{{5, 7}}))));
  g.outputs.push_back({"y", y});
  passes::PassContext ctx;
  const ir::Graph fused = passes::PassManager({"fuse", "plan-memory"}).run(g, ctx);
  INFO(ir::print_kernels(fused));
  REQUIRE(fused.kernels.size() == 1);
  CHECK(fused.kernels[0].outputs == std::vector<NodeId>{y});
  CHECK(fused.kernels[0].inputs == std::vector<NodeId>{x, bias});
  CHECK(fused.memory.workspace_bytes == 0);  // nothing between the input and the output
  check_against_interpreter(fused, random_inputs(fused, 4));
}

// On a square domain a row sum without keepdims ([3] from [3,3]) has the shape of a row
// value, but broadcast back to [3,3] it aligns with the last axis: one value per column.
// It must not be read in the kernel as one value per row (a differential-test failure).
TEST_CASE("fuse: a row sum broadcast along the rows of a square domain is read per column", "[fuse]") {
  ir::Graph g;
  ir::Builder b(g, DType::F64);
  NodeId x = b.input("x", Shape{{3, 3}});
  NodeId s = b.sum(x, {1});                                   // [3]: the sum of each row
  NodeId y = b.mul(x, b.broadcast_to(s, Shape{{3, 3}}));      // y[i][j] = x[i][j] * s[j]
  g.outputs.push_back({"y", y});
  passes::PassContext ctx;
  const ir::Graph fused = passes::PassManager({"fuse", "plan-memory"}).run(g, ctx);
  INFO(ir::print_kernels(fused));
  check_against_interpreter(fused, random_inputs(fused, 4));
}

TEST_CASE("plan-memory: the MLP step at B=64 takes at most half the unfused workspace", "[fuse][plan-memory]") {
  const ir::Graph unfused = compile(mlp_text(), kO1, {}, {{"B", 64}});
  const ir::Graph fused = compile(mlp_text(), kO2, {}, {{"B", 64}});
  REQUIRE_FALSE(fused.memory.empty());
  CHECK(ir::check_memory_plan(fused, fused.memory).empty());
  const std::vector<Tensor> at = random_inputs(fused, 9);
  size_t ws_unfused = 0, ws_fused = 0;
  run_f32(unfused, at, &ws_unfused);
  run_f32(fused, at, &ws_fused);
  INFO("unfused " << ws_unfused << " bytes, fused " << ws_fused << " bytes, " << fused.kernels.size() << " kernels");
  CHECK(ws_fused == fused.memory.workspace_bytes);
  CHECK(2 * ws_fused <= ws_unfused);
  CHECK(fused.memory.peak_bytes <= fused.memory.workspace_bytes);
  CHECK(fused.memory.workspace_bytes < fused.memory.unplanned_bytes);
  check_against_interpreter(fused, at);
}

TEST_CASE("plan-memory: the overlap checker finds two live buffers in one place", "[fuse][plan-memory]") {
  const ir::Graph fused = compile(mlp_text(), kO2, {}, {{"B", 8}});
  REQUIRE(ir::check_memory_plan(fused, fused.memory).empty());
  // Put every buffer at offset 0: buffers live at once now overlap.
  ir::MemoryPlan bad = fused.memory;
  for (uint64_t& at : bad.offset)
    if (at != ir::MemoryPlan::kNone) at = 0;
  CHECK_FALSE(ir::check_memory_plan(fused, bad).empty());
  // A buffer past the end of the workspace.
  bad = fused.memory;
  bad.workspace_bytes = 64;
  CHECK_FALSE(ir::check_memory_plan(fused, bad).empty());
}

TEST_CASE("plan-memory: an elementwise kernel writes in place of an input it reads for the last time",
          "[fuse][plan-memory]") {
  ir::Graph g;
  ir::Builder b(g, DType::F32);
  NodeId x = b.input("x", Shape{{32, 16}}), w = b.input("w", Shape{{32, 32}});
  NodeId m = b.transpose(x);                  // a copy in the workspace (a GEMM's product would
  NodeId e = b.unary(Op::Exp, b.neg(m));      // take the loop as its epilogue); read once, here
  g.outputs.push_back({"y", b.matmul(e, w)});
  passes::PassContext ctx;
  const ir::Graph f = passes::PassManager({"fuse", "plan-memory"}).run(g, ctx);
  INFO(ir::print_kernels(f));
  REQUIRE(f.memory.offset[m] != ir::MemoryPlan::kNone);
  CHECK(f.memory.offset[e] == f.memory.offset[m]);
  CHECK(f.memory.workspace_bytes == 16 * 32 * 4);
  CHECK(ir::check_memory_plan(f, f.memory).empty());
  check_against_interpreter(f, random_inputs(f, 5));
}

TEST_CASE("fuse: symbolic dims are partitioned, then planned by codegen once bound", "[fuse]") {
  const ir::Graph sym = compile(kSoftmaxGeluMse, kO2, {"x"});
  REQUIRE_FALSE(sym.kernels.empty());
  CHECK(sym.memory.empty());
  const ir::Graph bound = ir::bind_dims(sym, {{"B", 3}});
  check_against_interpreter(bound, random_inputs(bound, 6));
  // And the same fused before binding as after.
  CHECK(compile(kSoftmaxGeluMse, {"simplify", "cse", "dce", "fuse"}, {"x"}, {{"B", 3}}).kernels.size() ==
        sym.kernels.size());
}

TEST_CASE("fuse: without fuse, the graph has no kernels and codegen emits one function per node", "[fuse]") {
  const ir::Graph g = compile(mlp_text(), kO1, {}, {{"B", 4}});
  CHECK(g.kernels.empty());
  CHECK(g.memory.empty());
  const std::string ll = codegen::emit_llvm(g, {DType::F32, 0});
  CHECK(ll.find("define internal void @n") != std::string::npos);
  CHECK(ll.find("@k0.") == std::string::npos);
  const ir::Graph fused = compile(mlp_text(), kO2, {}, {{"B", 4}});
  CHECK(loop_kernels(fused) > 0);
  CHECK(codegen::emit_llvm(fused, {DType::F32, 0}).find(".elementwise(") != std::string::npos);
}

TEST_CASE("verify: a kernel table out of order or with a node twice is reported", "[fuse][verify]") {
  const ir::Graph fused = compile(mlp_text(), kO2, {}, {{"B", 4}});
  REQUIRE(ir::verify(fused).empty());
  ir::Graph swapped = fused;
  std::swap(swapped.kernels[0], swapped.kernels[1]);  // the bias add before its GEMM
  CHECK_FALSE(ir::verify(swapped).empty());
  ir::Graph twice = fused;
  twice.kernels[1].nodes.push_back(twice.kernels[0].nodes.front());
  CHECK_FALSE(ir::verify(twice).empty());
  ir::Graph early = fused;  // a phase reading a row reduction of its own phase
  for (ir::Kernel& k : early.kernels)
    for (int& p : k.phase) p = 0;
  CHECK_FALSE(ir::verify(early).empty());
}

TEST_CASE("dot: after fusion each kernel is a cluster of its nodes", "[fuse][dot]") {
  const ir::Graph fused = compile(mlp_text(), kO2, {}, {{"B", 4}});
  const std::string dot = ir::to_dot(fused);
  for (size_t k = 0; k < fused.kernels.size(); ++k) {
    const size_t at = dot.find(fmt::format("subgraph cluster_k{} {{", k));
    REQUIRE(at != std::string::npos);
    const size_t end = dot.find("\n  }\n", at);
    for (NodeId id : fused.kernels[k].nodes)  // each node is drawn inside its kernel's cluster
      CHECK(dot.substr(at, end - at).find(fmt::format("\n    n{} [", id)) != std::string::npos);
  }
  CHECK(dot.find("gemm f32[4,10], 4 phases, epilogue") != std::string::npos);
  CHECK(dot.find("cluster_backward") == std::string::npos);
  CHECK(ir::to_dot(compile(mlp_text(), kO1, {}, {{"B", 4}})).find("cluster_k0") == std::string::npos);
}

TEST_CASE("fuse: phased kernels on rank-3 rows, unit axes and rows of one", "[fuse]") {
  namespace nn = ir::nn;
  struct Case {
    const char* what;
    Shape shape;
    std::function<NodeId(ir::Builder&, NodeId)> f;
  };
  const Case cases[] = {
      {"logsumexp [2,3,5] keepdims false", Shape{{2, 3, 5}}, [](ir::Builder& b, NodeId x) { return nn::logsumexp(b, x, -1, false); }},
      {"softmax [2,1,4]", Shape{{2, 1, 4}}, [](ir::Builder& b, NodeId x) { return nn::softmax(b, x); }},
      {"softmax [3,1] (rows of one)", Shape{{3, 1}}, [](ir::Builder& b, NodeId x) { return nn::softmax(b, x); }},
      {"log_softmax [7]", Shape{{7}}, [](ir::Builder& b, NodeId x) { return nn::log_softmax(b, x); }},
  };
  for (const Case& c : cases) {
    ir::Graph g;
    ir::Builder b(g, DType::F32);
    NodeId x = b.input("x", c.shape);
    NodeId y = c.f(b, x);
    NodeId r = b.input("r", b.shape(y));
    NodeId loss = b.sum(b.mul(y, r));
    g.outputs = {{"y", y}, {"L", loss}, {"dL/dx", passes::append_gradients(g, loss, {x}).wrt[0]}};
    passes::PassContext ctx;
    const ir::Graph f = passes::PassManager({"simplify", "cse", "dce", "fuse", "plan-memory"}).run(g, ctx);
    INFO(c.what << "\n" << ir::print_kernels(f));
    bool phased = false;
    for (const ir::Kernel& k : f.kernels) phased = phased || k.phases() > 1;
    CHECK(phased);
    CHECK(ir::check_memory_plan(f, f.memory).empty());
    check_against_interpreter(f, random_inputs(f, 8));
  }
}

// Seconds to fuse (with its gradient and memory plan) the sum f = x + x*y - y + x*y ... of
// `terms` terms; how many kernels that made.
static double fuse_sum_seconds(int terms, size_t& kernels) {
  std::string text = "f = x";
  for (int i = 1; i < terms; ++i) text += i % 2 ? " + x*y" : " - y";
  const auto t0 = std::chrono::steady_clock::now();
  frontend::SourceFile src("big.grad", text);
  ir::Graph g = frontend::compile_to_ir(src, DType::F64);
  passes::PassContext ctx;
  const ir::Graph f = passes::PassManager({"autodiff", "fuse", "plan-memory"}).run(std::move(g), ctx);
  kernels = f.kernels.size();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Linear, judged by growth rather than a time limit (which a loaded CI machine or a
// sanitizer build breaks): 10x the terms must cost well under 100x the time (about 20x here). Linear is
// 10x; a quadratic merge (it once took 80 s) is 100x. The small one is the best of three
// (a short run is the one a hiccup distorts most).
TEST_CASE("fuse: a 50,000-term scalar sum and its gradient is fused in linear time", "[fuse]") {
  size_t kernels_small = 0, kernels_big = 0;
  double small = 1e9;
  for (int rep = 0; rep < 3; ++rep) small = std::min(small, fuse_sum_seconds(5000, kernels_small));
  const double big = fuse_sum_seconds(50000, kernels_big);
  CHECK(kernels_small <= 4);
  CHECK(kernels_big <= 4);
  INFO("5,000 terms " << small << " s, 50,000 terms " << big << " s");
  CHECK(big < 50 * small);
}

// ---- GEMM epilogues and accumulation (ir/kernel.h GemmCall) ----

namespace {

size_t epilogues(const ir::Graph& g) {
  size_t n = 0;
  for (const ir::Kernel& k : g.kernels) n += ir::has_epilogue(k);
  return n;
}

const ir::Kernel* kernel_computing(const ir::Graph& g, NodeId id) {
  for (const ir::Kernel& k : g.kernels)
    if (std::find(k.nodes.begin(), k.nodes.end(), id) != k.nodes.end()) return &k;
  return nullptr;
}

bool stored(const ir::Graph& g, NodeId id) {
  for (const ir::Kernel& k : g.kernels)
    if (std::find(k.outputs.begin(), k.outputs.end(), id) != k.outputs.end()) return true;
  return false;
}

}  // namespace

TEST_CASE("epilogue: the MLP's bias adds, ReLUs, softmax and ReLU masks run on the GEMMs' blocks", "[fuse][epilogue]") {
  const ir::Graph g = compile(mlp_text(), kO2, {}, {{"B", 64}});
  INFO(ir::print_kernels(g));
  // Forward: three dense layers and the logits; backward: the three dX = dY·Wᵀ products.
  CHECK(epilogues(g) == 7);
  CHECK(g.kernels.size() == 27);
  for (const ir::Kernel& k : g.kernels) {
    if (!ir::has_epilogue(k)) continue;
    CHECK(k.kind == KernelKind::Gemm);
    CHECK_FALSE(k.gemm.accumulates());
    // Nothing else reads the product: it is never stored. It lives in the rows of the
    // epilogue's output (bias + ReLU, the masked dX), or, for the logits' phased softmax,
    // in one block of scratch.
    CHECK_FALSE(stored(g, k.gemm.product));
    CHECK(g.memory.offset[k.gemm.product] == ir::MemoryPlan::kNone);
    const bool home = ir::gemm_result_home(g, k) != ir::kNoNode;
    CHECK(home == (k.phases() == 1));
    CHECK((g.memory.scratch[k.gemm.product] != ir::MemoryPlan::kNone) == !home);
  }
  // The backward products' epilogues multiply by the ReLU mask, step(relu(z)), computed in
  // that epilogue from the stored activation: no mask is stored, the forward writes relu only.
  size_t masked = 0;
  for (const ir::Kernel& k : g.kernels) {
    for (NodeId id : k.nodes)
      if (ir::has_epilogue(k) && g[id].op == Op::Mul)
        for (NodeId x : g[id].inputs)
          if (g[x].op == Op::Step) {
            ++masked;
            CHECK(g[g[x].inputs[0]].op == Op::Relu);
            CHECK(std::find(k.nodes.begin(), k.nodes.end(), x) != k.nodes.end());
          }
    for (NodeId id : k.outputs) CHECK(g[id].op != Op::Step);
  }
  CHECK(masked == 3);
  CHECK(ir::check_memory_plan(g, g.memory).empty());
  check_against_interpreter(g, random_inputs(g, 11));
}

TEST_CASE("fuse: a cheap unary op of a value stored anyway runs where it is read; else beside its operand",
          "[fuse]") {
  // step(h) with h = relu(a + b) read by a GEMM (stored anyway): the step joins its reader's
  // kernel, and nothing but h is stored.
  ir::Graph g;
  ir::Builder b(g, DType::F32);
  const NodeId a = b.input("a", Shape{{8, 6}}), c = b.input("c", Shape{{8, 6}}), w = b.input("w", Shape{{6, 4}});
  const NodeId h = b.unary(Op::Relu, b.add(a, c));
  const NodeId mask = b.unary(Op::Step, h), masked = b.mul(mask, a);
  g.outputs = {{"y", b.matmul(h, w)}, {"m", b.sum(masked)}};
  passes::PassContext ctx;
  const ir::Graph f = passes::PassManager({"fuse", "plan-memory"}).run(g, ctx);
  INFO(ir::print_kernels(f));
  CHECK(kernel_computing(f, mask) == kernel_computing(f, masked));
  CHECK(kernel_computing(f, mask) != kernel_computing(f, h));
  CHECK_FALSE(stored(f, mask));
  check_against_interpreter(f, random_inputs(f, 31));

  // step(z) with z = a + c read only by loops: storing z for it would cost what storing the
  // mask does, so the step stays in z's kernel and z is not stored.
  ir::Graph g2;
  ir::Builder b2(g2, DType::F32);
  const NodeId a2 = b2.input("a", Shape{{8, 6}}), c2 = b2.input("c", Shape{{8, 6}});
  const NodeId z = b2.add(a2, c2);
  g2.outputs = {{"s", b2.mul(b2.unary(Op::Step, z), a2)}, {"t", b2.unary(Op::Exp, z)}};
  const ir::Graph f2 = passes::PassManager({"fuse", "plan-memory"}).run(g2, ctx);
  INFO(ir::print_kernels(f2));
  CHECK(f2.kernels.size() == 1);
  CHECK_FALSE(stored(f2, z));
  check_against_interpreter(f2, random_inputs(f2, 32));
}

TEST_CASE("epilogue: row blocks, a shorter last block and column sums across blocks agree with the interpreter",
          "[fuse][epilogue]") {
  // 256 rows of 256 floats fill a block (ir::kGemmBlockBytes, 256 KiB): B = 300 is one full
  // block and one of 44 rows, B = 600 two and one of 88.
  const int64_t rows = static_cast<int64_t>(ir::kGemmBlockBytes / (256 * sizeof(float)));
  REQUIRE(rows == 256);
  for (int64_t batch : {300, 600, 1}) {
    const ir::Graph g = compile(mlp_text(), kO2, {}, {{"B", batch}});
    INFO("B = " << batch << "\n" << ir::print_kernels(g));
    CHECK(ir::gemm_block_rows(*kernel_computing(g, g.kernels[0].gemm.product), 4) == std::min<int64_t>(batch, rows));
    CHECK(ir::check_memory_plan(g, g.memory).empty());
    check_against_interpreter(g, random_inputs(g, 12 + static_cast<uint64_t>(batch)));
  }
}

TEST_CASE("epilogue: c ± A@B and c ± s·(A@B) are one GEMM call with beta 1, in place of c where c dies",
          "[fuse][epilogue][accumulate]") {
  struct Case {
    const char* what;
    bool negate, scaled;
    std::function<NodeId(ir::Builder&, NodeId c, NodeId p, NodeId s)> f;
  };
  const Case cases[] = {
      {"c + p", false, false, [](ir::Builder& b, NodeId c, NodeId p, NodeId) { return b.add(c, p); }},
      {"p + c", false, false, [](ir::Builder& b, NodeId c, NodeId p, NodeId) { return b.add(p, c); }},
      {"c - p", true, false, [](ir::Builder& b, NodeId c, NodeId p, NodeId) { return b.sub(c, p); }},
      {"c + s*p", false, true, [](ir::Builder& b, NodeId c, NodeId p, NodeId s) { return b.add(c, b.mul(s, p)); }},
      {"c - p*s", true, true, [](ir::Builder& b, NodeId c, NodeId p, NodeId s) { return b.sub(c, b.mul(p, s)); }},
      {"c - 0.25*p", true, true,
       [](ir::Builder& b, NodeId c, NodeId p, NodeId) { return b.sub(c, b.mul(b.constant(0.25), p)); }},
  };
  for (const Case& c : cases) {
    ir::Graph g;
    ir::Builder b(g, DType::F32);
    NodeId z1 = b.input("z1", Shape{{12, 4}}), z2 = b.input("z2", Shape{{4, 7}});
    NodeId a = b.input("a", Shape{{12, 5}}), w = b.input("w", Shape{{5, 7}});
    NodeId s = b.input("s", Shape{}), w2 = b.input("w2", Shape{{7, 3}});
    // A product in the workspace (an elementwise base would take the add into its own loop).
    NodeId base = b.matmul(z1, z2);
    NodeId r = c.f(b, base, b.matmul(a, w), s);
    g.outputs.push_back({"y", b.matmul(r, w2)});  // r is stored: another GEMM reads it
    passes::PassContext ctx;
    const ir::Graph f = passes::PassManager({"fuse", "plan-memory"}).run(g, ctx);
    INFO(c.what << "\n" << ir::print_kernels(f));
    const ir::Kernel* k = kernel_computing(f, r);
    REQUIRE(k != nullptr);
    CHECK(k->kind == KernelKind::Gemm);
    CHECK(k->gemm.accumulates());
    CHECK(k->gemm.base == base);
    CHECK(k->gemm.result == r);
    CHECK(k->gemm.negate == c.negate);
    CHECK((k->gemm.scale != ir::kNoNode) == c.scaled);
    CHECK_FALSE(ir::has_epilogue(*k));
    CHECK(ctx.stats["fuse.gemm_accumulations"] == 1);
    CHECK(ir::print_kernels(f).find("beta=1 C=") != std::string::npos);
    // z1 @ z2 is read here for the last time: the GEMM accumulates into its buffer.
    CHECK(f.memory.offset[r] == f.memory.offset[base]);
    CHECK(ir::check_memory_plan(f, f.memory).empty());
    check_against_interpreter(f, random_inputs(f, 21));
  }
}

TEST_CASE("epilogue: an accumulation whose base is read later, or is a graph input, copies it first",
          "[fuse][epilogue][accumulate]") {
  SECTION("base read by a later kernel") {
    ir::Graph g;
    ir::Builder b(g, DType::F32);
    NodeId z1 = b.input("z1", Shape{{9, 2}}), z2 = b.input("z2", Shape{{2, 6}});
    NodeId a = b.input("a", Shape{{9, 4}}), w = b.input("w", Shape{{4, 6}});
    NodeId base = b.matmul(z1, z2);
    NodeId r = b.add(base, b.matmul(a, w));
    g.outputs = {{"y", b.matmul(b.transpose(r), base)}};  // base read after r's kernel
    passes::PassContext ctx;
    const ir::Graph f = passes::PassManager({"fuse", "plan-memory"}).run(g, ctx);
    INFO(ir::print_kernels(f));
    REQUIRE(kernel_computing(f, r)->gemm.accumulates());
    CHECK(f.memory.offset[r] != f.memory.offset[base]);
    CHECK(ir::check_memory_plan(f, f.memory).empty());
    check_against_interpreter(f, random_inputs(f, 22));
  }
  SECTION("W - lr * (Xᵀ @ dY), W a graph input (training's update, here into a new output)") {
    ir::Graph g;
    ir::Builder b(g, DType::F32);
    NodeId W = b.input("W", Shape{{5, 3}}), X = b.input("X", Shape{{8, 5}}), dY = b.input("dY", Shape{{8, 3}});
    NodeId r = b.sub(W, b.mul(b.constant(0.1), b.matmul(b.transpose(X), dY)));
    g.outputs = {{"W_next", r}};
    passes::PassContext ctx;
    const ir::Graph f = passes::PassManager({"fuse", "plan-memory"}).run(g, ctx);
    INFO(ir::print_kernels(f));
    const ir::Kernel* k = kernel_computing(f, r);
    REQUIRE(k->gemm.accumulates());
    CHECK(k->gemm.base == W);
    CHECK(k->gemm.negate);
    CHECK(f.memory.workspace_bytes == 0);  // no product, no copy of W: the call writes W_next
    check_against_interpreter(f, random_inputs(f, 23));
  }
}

TEST_CASE("epilogue: relu(c + A@B) accumulates in c's buffer, or in relu's, and runs the ReLU on each block",
          "[fuse][epilogue]") {
  for (bool base_dies : {true, false}) {
    ir::Graph g;
    ir::Builder b(g, DType::F32);
    NodeId z1 = b.input("z1", Shape{{1100, 3}}), z2 = b.input("z2", Shape{{3, 64}});
    NodeId a = b.input("a", Shape{{1100, 20}}), w = b.input("w", Shape{{20, 64}});
    NodeId base = b.matmul(z1, z2);
    NodeId r = b.add(base, b.matmul(a, w));
    NodeId y = b.unary(Op::Relu, r);
    g.outputs = {{"y", y}, {"col", b.sum(y, {0})}};
    if (!base_dies) g.outputs.push_back({"later", b.matmul(b.transpose(y), base)});
    passes::PassContext ctx;
    const ir::Graph f = passes::PassManager({"fuse", "plan-memory"}).run(g, ctx);
    INFO("base dies: " << base_dies << "\n" << ir::print_kernels(f));
    const ir::Kernel* k = kernel_computing(f, r);
    REQUIRE(k != nullptr);
    CHECK(ir::has_epilogue(*k));
    CHECK(k->gemm.accumulates());
    CHECK(ir::gemm_block_rows(*k, 4) == 1024);  // 256 KiB of 64 floats a row: 1024 rows, then 76
    if (base_dies) CHECK(f.memory.offset[r] == f.memory.offset[base]);
    else CHECK(ir::gemm_result_home(f, *k) == y);  // in y's rows, base copied there block by block
    CHECK(f.memory.scratch[r] == ir::MemoryPlan::kNone);
    CHECK(ir::check_memory_plan(f, f.memory).empty());
    check_against_interpreter(f, random_inputs(f, 24));
  }
}

TEST_CASE("verify: a GEMM call that does not compute what its kernel says is reported", "[fuse][epilogue][verify]") {
  ir::Graph g;
  ir::Builder b(g, DType::F32);
  NodeId c = b.input("c", Shape{{4, 3}}), a = b.input("a", Shape{{4, 2}}), w = b.input("w", Shape{{2, 3}});
  g.outputs = {{"y", b.unary(Op::Relu, b.sub(c, b.matmul(a, w)))}};
  passes::PassContext ctx;
  const ir::Graph f = passes::PassManager({"fuse"}).run(g, ctx);
  REQUIRE(ir::verify(f).empty());
  REQUIRE(f.kernels.size() == 1);
  ir::Graph wrong_sign = f;
  wrong_sign.kernels[0].gemm.negate = false;  // c + A@B
  CHECK_FALSE(ir::verify(wrong_sign).empty());
  ir::Graph no_base = f;
  no_base.kernels[0].gemm.base = ir::kNoNode;  // the subtraction would then be an epilogue reading the product
  CHECK_FALSE(ir::verify(no_base).empty());
  ir::Graph late = f;
  for (int& p : late.kernels[0].phase) p = 1;  // the call's nodes after the epilogue's first phase
  CHECK_FALSE(ir::verify(late).empty());
}
