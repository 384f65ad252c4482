// ir/printer.h — the textual IR: one node per line, deterministic, for
// `gradc emit --emit ir`, `--print-after-all` and golden tests.
#pragma once

#include <string>

#include "ir/graph.h"

namespace gradc::ir {

// func @name(%x: f64[], ...) {
//   %0 = log %x : f64[]
//   %1 = mul %0, %y : f64[]        # f
//   return f = %1
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
