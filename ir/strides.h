// ir/strides.h — element counts and row-major strides of concrete (bound) dims.
//
// One definition for the interpreter (runtime/interpreter.cpp) and codegen
// (codegen/emit_tensor.cpp), so that the two read a broadcast operand alike by construction.
#pragma once

#include <cstdint>
#include <vector>

namespace gradc::ir {

using Dims = std::vector<int64_t>;

inline int64_t element_count(const Dims& d) {
  int64_t n = 1;
  for (int64_t x : d) n *= x;
  return n;
}

inline Dims strides_of(const Dims& d) {  // row-major
  Dims s(d.size(), 1);
  for (size_t i = d.size(); i-- > 1;) s[i - 1] = s[i] * d[i];
  return s;
}

// Strides reading `from` as if broadcast to `to` (NumPy, right-aligned): 0 along the axes
// `from` lacks or has as 1.
inline Dims broadcast_strides(const Dims& from, const Dims& to) {
  Dims s(to.size(), 0);
  const Dims own = strides_of(from);
  const size_t off = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i) s[off + i] = from[i] == 1 ? 0 : own[i];
  return s;
}

}  // namespace gradc::ir
