// ir/printer.h — the textual IR: one node per line, deterministic, for
// `gradc emit --emit ir`, `--print-after-all`, golden tests, and ir/text_parser.h,
// which reads it back (docs/ir.md describes the format).
//
// Why everything is printed: a pass's golden test starts from text, so the text
// must hold all a pass can see — types with named dims, which inputs are params
// and what initialises them, constants to the last bit, attributes, user names,
// roles, adjoint links and composite-call groups. Only source locations are left
// out: they point into a program text the IR does not carry.
#pragma once

#include <string>

#include "ir/graph.h"

namespace gradc::ir {

// func @f<B>(%x: f32[B,3], %y: f32[B] : int, param %W: f32[3,2] = he()) {
//   %0 = matmul %x, %W : f32[B,2]  # logits
//   %1 = const 1 : f32[]  # backward
//   ...
//   return loss = %9, dloss/dW = %14
// }
std::string print(const Graph& g, std::string_view func_name = "f");

// The printed name of a node's value: %x for inputs, %N (dense) otherwise.
class ValueNames {
 public:
  explicit ValueNames(const Graph& g);
  const std::string& operator[](NodeId id) const { return names_[id]; }

 private:
  std::vector<std::string> names_;
};

}  // namespace gradc::ir
