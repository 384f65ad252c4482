// ir/shape.h — the shape rules of tensor ops, as pure functions over ir::Shape.
//
// Why free functions and not members of Shape: the scalar pipeline keeps its Shape
// untouched, and the builder, the verifier and the VJP rules can all ask the same
// questions ("what does add give?", "which axes did this broadcast stretch?") without
// building a node. Every rule either returns the result or throws ShapeError whose
// message names the op and every shape involved, so the caller only adds the source loc.
//
// Dims are int64_t. A concrete dim is >= 0; a negative dim -1-k names the symbol k of a
// per-graph symbol table (B, N, ...). Two symbolic dims are equal only when they are the
// same symbol: nothing is known about B versus N until the program is run.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ir/types.h"

namespace gradc::ir {

using Dim = int64_t;

inline bool is_symbolic(Dim d) { return d < 0; }
inline Dim symbol_dim(int k) { return -1 - static_cast<Dim>(k); }  // symbol k as a dim
inline int symbol_index(Dim d) { return static_cast<int>(-1 - d); }  // inverse of symbol_dim

// Names of the symbolic dims, for printing only: dim -1-k is names[k].
struct DimNames {
  std::vector<std::string> names;
};

struct ShapeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "f32[B,784]"-style dims: "[B,784]". A symbol without a name (no table, or k past its
// end) prints as "?k" so that an error message is never misleading.
std::string to_string(const Shape& s, const DimNames* names);

// The `names` argument of every rule below is used only to word its error messages.

// NumPy broadcasting: right-aligned, a dim of 1 stretches to the other side's dim.
// Throws "add: cannot broadcast shapes [64,784] and [256]: dimension 1 is 784 in the
// first and 256 in the second" (dimension counted in the result).
Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b,
                       const DimNames* names = nullptr);

// What the VJP of a broadcast `from` -> `to` needs: sum the adjoint (shape `to`) over
// sum_axes without keepdims, then reshape the sum to reshaped_to (== from). sum_axes are
// the leading axes `to` added plus the axes where `from` had a 1 that was stretched, in
// increasing order. When sum_axes is empty nothing was broadcast (to == from): skip the
// sum, since reduce_shape reads empty axes as "all axes".
// Throws if `from` does not broadcast to exactly `to`.
struct BroadcastAxes {
  std::vector<int> sum_axes;
  Shape reshaped_to;
};
BroadcastAxes broadcast_axes(const Shape& from, const Shape& to, const DimNames* names = nullptr);

// numpy.matmul: 1-D @ 1-D -> [], [m,k] @ [k,n] -> [m,n], a 1-D operand gains then loses
// a unit dim, leading (batch) dims broadcast. Scalars are rejected, as NumPy does.
Shape matmul_shape(const Shape& a, const Shape& b, const DimNames* names = nullptr);

// sum / reduce_max / mean: axes may be negative (from the end); empty axes = all axes;
// a repeated or out-of-range axis is an error.
Shape reduce_shape(std::string_view op, const Shape& a, const std::vector<int>& axes,
                   bool keepdims, const DimNames* names = nullptr);

// Result dim i is a's dim perm[i]; empty perm reverses (what .T means). Negative
// entries count from the end; perm must be a permutation of a's axes.
Shape transpose_shape(const Shape& a, const std::vector<int>& perm = {},
                      const DimNames* names = nullptr);

// new_shape holds concrete dims and at most one -1, which is inferred so that the element
// count is unchanged. `a` must be concrete for now: reshaping a symbolic dim needs the
// symbol arithmetic (B*784) that the symbol table does not have yet.
Shape reshape_shape(const Shape& a, const std::vector<int64_t>& new_shape,
                    const DimNames* names = nullptr);

// Product of the dims; throws on a symbolic dim or if the product passes INT64_MAX.
int64_t element_count(const Shape& s, const DimNames* names = nullptr);

}  // namespace gradc::ir
