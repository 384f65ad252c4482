// ir/strides.h — element counts and row-major strides of concrete (bound) dims.
//
// One definition for the interpreter (runtime/interpreter.cpp) and codegen
// (codegen/emit_tensor.cpp), so that the two read a broadcast operand alike by construction.
#pragma once

#include <algorithm>
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

// numpy.matmul's layout: a 1-D left operand is a row, a 1-D right one a column, and the
// batch dims (all but the last two) broadcast. The strides step from one batch element's
// m×k, k×n and m×n matrices to the next.
struct MatmulLayout {
  int64_t m = 0, k = 0, n = 0;
  Dims batch;                    // the broadcast batch dims ([] for a plain 2-D product)
  Dims a_stride, b_stride, c_stride;  // per batch dim, in elements
};

inline MatmulLayout matmul_layout(Dims da, Dims db) {
  if (da.size() == 1) da.insert(da.begin(), 1);
  if (db.size() == 1) db.push_back(1);
  MatmulLayout l{da[da.size() - 2], da.back(), db.back(), {}, {}, {}, {}};
  const Dims batch_a(da.begin(), da.end() - 2), batch_b(db.begin(), db.end() - 2);
  l.batch.assign(std::max(batch_a.size(), batch_b.size()), 1);
  for (size_t i = 0; i < l.batch.size(); ++i) {
    const size_t ia = i + batch_a.size(), ib = i + batch_b.size();
    const int64_t x = ia >= l.batch.size() ? batch_a[ia - l.batch.size()] : 1;
    const int64_t y = ib >= l.batch.size() ? batch_b[ib - l.batch.size()] : 1;
    l.batch[i] = x == 1 ? y : x;
  }
  l.a_stride = broadcast_strides(batch_a, l.batch);
  l.b_stride = broadcast_strides(batch_b, l.batch);
  l.c_stride = strides_of(l.batch);
  for (int64_t& s : l.a_stride) s *= l.m * l.k;
  for (int64_t& s : l.b_stride) s *= l.k * l.n;
  for (int64_t& s : l.c_stride) s *= l.m * l.n;
  return l;
}

}  // namespace gradc::ir
