// ir/types.h — element types, shapes and source locations carried by every node.
//
// Shapes exist from day one so that tensors extend the IR instead of replacing it:
// a scalar is the rank-0 shape [].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/small_vector.h"

namespace gradc::ir {

enum class DType : uint8_t { F32, F64 };

inline const char* dtype_name(DType t) { return t == DType::F32 ? "f32" : "f64"; }

struct Shape {
  SmallVector<int64_t, 4> dims;  // [] is a scalar; rank <= 4 needs no heap block

  int rank() const { return static_cast<int>(dims.size()); }
  bool is_scalar() const { return dims.empty(); }
  bool operator==(const Shape&) const = default;
};

std::string to_string(const Shape& s);  // "[]", "[64,784]"

// A span of the user's source text: byte offset and length. The file itself is
// held by frontend::SourceFile; an empty loc (len 0, offset 0) means "no source".
struct SourceLoc {
  uint32_t offset = 0;
  uint32_t len = 0;
  bool operator==(const SourceLoc&) const = default;
};

}  // namespace gradc::ir
