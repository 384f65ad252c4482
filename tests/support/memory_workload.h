// tests/support/memory_workload.h — what the memory checks do and how they measure it.
//
// A library user compiles many functions in one process and calls them for a long time:
// memory must stay bounded. The unit test (tests/unit/memory_test.cpp, small counts) and
// gradc_memory_bench (bench/memory.sh, 10,000 functions, 10^6 calls) run the same
// workloads, defined here once:
//   - compile and drop: formula number i (a different program for every i) compiled,
//     checked once and destroyed, through gradc::Function (scalar) or
//     runtime::TensorJit (tensor); with `kept` the function is kept alive instead,
//     which is the leak the test must be able to see;
//   - long runs: one compiled function called many times.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/compile.h"
#include "runtime/tensor.h"
#include "runtime/tensor_jit.h"

namespace gradc::memcheck {

// The process's memory now. Free heap is first handed back to the system (malloc_trim),
// so that what allocator caching keeps does not read as growth.
struct Memory {
  double rss_mib = 0;   // resident set (VmRSS): heap, JIT code pages, everything
  double anon_mib = 0;  // its anonymous part (RssAnon): without library pages read in late
  double heap_mib = 0;  // bytes malloc has handed out and not got back (mallinfo2)
};
Memory measure();
double peak_rss_mib();  // VmHWM: the most the process has had resident so far

// Compiles scalar formula number i through gradc::Function, checks its value at one point
// (throws std::runtime_error if wrong) and drops it, or moves it into *kept.
void scalar_cycle(int i, std::vector<Function>* kept = nullptr);
// The same for a small tensor program (a matmul, its gradient) through runtime::TensorJit.
void tensor_cycle(int i, std::vector<runtime::TensorJit>* kept = nullptr);

// Value and gradient of `program` (dtype f32, -O2, gradients by its params), with the
// symbolic dim B bound to `batch` when the program uses it.
ir::Graph tensor_gradient_graph(const std::string& program, int64_t batch);

// One compiled gradient and fixed inputs for it (params from their shapes, labels in
// 0..9): the long tensor run calls step() over and over.
class TensorSteps {
 public:
  explicit TensorSteps(const ir::Graph& g);
  double step() const;  // runs the compiled gradient once; returns the first output's first element

 private:
  runtime::TensorJit jit_;
  std::vector<runtime::Tensor> inputs_;
};

// Calls f.value_and_grad n times at varying points; returns a sum of the values (so that
// no call can be skipped).
double call_many(const Function& f, int64_t n);

}  // namespace gradc::memcheck
