// ir/shape.cpp — the shape rules of tensor ops (see shape.h for the contract of each).
#include "ir/shape.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <utility>

namespace gradc::ir {

namespace {

std::string dim_string(Dim d, const DimNames* names) {
  if (!is_symbolic(d)) return std::to_string(d);
  const int k = symbol_index(d);
  if (names && k < static_cast<int>(names->names.size())) return names->names[k];
  return fmt::format("?{}", k);
}

template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw ShapeError(fmt::format(f, std::forward<Args>(args)...));
}

// The broadcast of one pair of dims, or nothing if they clash. Symbols are equal only to
// themselves, so B against N, or B against 784, clashes; B against 1 gives B.
std::optional<Dim> broadcast_dim(Dim a, Dim b) {
  if (a == b || b == 1) return a;
  if (a == 1) return b;
  return std::nullopt;
}

// Right-aligned broadcast of two dim lists; `fail_at(i, da, db)` reports result axis i.
template <class Fail>
std::vector<Dim> broadcast_dims(const std::vector<Dim>& a, const std::vector<Dim>& b, Fail fail_at) {
  const size_t n = std::max(a.size(), b.size());
  std::vector<Dim> out(n);
  for (size_t i = 0; i < n; ++i) {
    // Axis i of the result lines up with a's axis i - (n - a.size()) when that exists.
    const Dim da = i + a.size() >= n ? a[i + a.size() - n] : 1;
    const Dim db = i + b.size() >= n ? b[i + b.size() - n] : 1;
    const auto d = broadcast_dim(da, db);
    if (!d) fail_at(static_cast<int>(i), da, db);
    out[i] = *d;
  }
  return out;
}

// An axis in [-rank, rank) made non-negative, or nothing if out of range.
std::optional<int> normalize_axis(int axis, int rank) {
  const int a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) return std::nullopt;
  return a;
}

// Checks that `axes` name distinct axes of `a`; returns them made non-negative.
std::vector<int> normalize_axes(std::string_view op, const Shape& a, const std::vector<int>& axes,
                                const DimNames* names) {
  std::vector<bool> seen(a.dims.size(), false);
  std::vector<int> out;
  for (int axis : axes) {
    const auto n = normalize_axis(axis, a.rank());
    if (!n) fail("{}: axis {} is out of range for shape {} (rank {})", op, axis, to_string(a, names), a.rank());
    if (seen[*n]) fail("{}: axis {} is repeated in ({}) for shape {}", op, axis, fmt::join(axes, ","), to_string(a, names));
    seen[*n] = true;
    out.push_back(*n);
  }
  return out;
}

}  // namespace

std::string to_string(const Shape& s, const DimNames* names) {
  std::string out = "[";
  for (size_t i = 0; i < s.dims.size(); ++i) {
    if (i) out += ',';
    out += dim_string(s.dims[i], names);
  }
  return out + "]";
}

Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b, const DimNames* names) {
  auto fail_at = [&](int i, Dim da, Dim db) {
    fail("{}: cannot broadcast shapes {} and {}: dimension {} is {} in the first and {} in the second",
         op, to_string(a, names), to_string(b, names), i, dim_string(da, names), dim_string(db, names));
  };
  return Shape{broadcast_dims(a.dims, b.dims, fail_at)};
}

BroadcastAxes broadcast_axes(const Shape& from, const Shape& to, const DimNames* names) {
  // Broadcasting only ever grows a shape, so `from` must broadcast to `to` itself: a check
  // that also rejects from = [3] against to = [1], which right-aligned rules would accept.
  auto wrong = [&] {
    fail("broadcast: shape {} does not broadcast to {}", to_string(from, names), to_string(to, names));
  };
  if (from.rank() > to.rank()) wrong();
  BroadcastAxes r{{}, from};
  const int lead = to.rank() - from.rank();
  for (int i = 0; i < to.rank(); ++i) {
    const Dim t = to.dims[i];
    if (i < lead) { r.sum_axes.push_back(i); continue; }
    const Dim f = from.dims[i - lead];
    if (f == t) continue;      // kept as is (including the same symbol, or 1 -> 1)
    if (f != 1) wrong();       // only a 1 can stretch
    r.sum_axes.push_back(i);
  }
  return r;
}

Shape matmul_shape(const Shape& a, const Shape& b, const DimNames* names) {
  const auto sa = to_string(a, names), sb = to_string(b, names);
  if (a.is_scalar() || b.is_scalar())
    fail("matmul: {} @ {}: operands must have at least one dimension (use * to scale)", sa, sb);
  // NumPy's rule: a vector on the left is a row [1,k], on the right a column [k,1]; the
  // unit dim is dropped from the result again.
  std::vector<Dim> da = a.dims, db = b.dims;
  if (a.rank() == 1) da.insert(da.begin(), 1);
  if (b.rank() == 1) db.push_back(1);
  const Dim ka = da.back(), kb = db[db.size() - 2];
  if (ka != kb)
    fail("matmul: {} @ {}: inner dimensions {} and {} differ", sa, sb, dim_string(ka, names), dim_string(kb, names));
  const std::vector<Dim> batch_a(da.begin(), da.end() - 2), batch_b(db.begin(), db.end() - 2);
  auto fail_at = [&](int, Dim, Dim) {
    fail("matmul: {} @ {}: batch dimensions {} and {} do not broadcast", sa, sb,
         to_string(Shape{batch_a}, names), to_string(Shape{batch_b}, names));
  };
  Shape out{broadcast_dims(batch_a, batch_b, fail_at)};
  if (a.rank() != 1) out.dims.push_back(da[da.size() - 2]);
  if (b.rank() != 1) out.dims.push_back(db.back());
  return out;
}

Shape reduce_shape(std::string_view op, const Shape& a, const std::vector<int>& axes, bool keepdims,
                   const DimNames* names) {
  std::vector<bool> reduced(a.dims.size(), axes.empty());
  for (int axis : normalize_axes(op, a, axes, names)) reduced[axis] = true;
  Shape out;
  for (size_t i = 0; i < a.dims.size(); ++i) {
    if (!reduced[i]) out.dims.push_back(a.dims[i]);
    else if (keepdims) out.dims.push_back(1);
  }
  return out;
}

Shape transpose_shape(const Shape& a, const std::vector<int>& perm, const DimNames* names) {
  Shape out;
  if (perm.empty()) {
    out.dims.assign(a.dims.rbegin(), a.dims.rend());
    return out;
  }
  if (static_cast<int>(perm.size()) != a.rank())
    fail("transpose: permutation ({}) has {} entries but shape {} has rank {}", fmt::join(perm, ","),
         perm.size(), to_string(a, names), a.rank());
  for (int axis : normalize_axes("transpose", a, perm, names)) out.dims.push_back(a.dims[axis]);
  return out;
}

Shape reshape_shape(const Shape& a, const std::vector<int64_t>& new_shape, const DimNames* names) {
  const auto sa = to_string(a, names);
  const auto sn = fmt::format("[{}]", fmt::join(new_shape, ","));
  for (Dim d : a.dims)
    if (is_symbolic(d)) fail("reshape: {} into {}: reshape of a symbolic dim is not supported yet", sa, sn);
  int infer = -1;
  Shape known;  // new_shape without its -1, to count its elements with the overflow check
  for (size_t i = 0; i < new_shape.size(); ++i) {
    const int64_t d = new_shape[i];
    if (d == -1 && infer < 0) { infer = static_cast<int>(i); continue; }
    if (d == -1) fail("reshape: {} into {}: only one dimension can be -1", sa, sn);
    if (d < 0) fail("reshape: {} into {}: dimension {} is {}; only -1 (infer) may be negative", sa, sn, i, d);
    known.dims.push_back(d);
  }
  const int64_t have = element_count(a, names), got = element_count(known, names);
  Shape out{new_shape};
  if (infer >= 0) {
    // 0 elements elsewhere leave -1 undetermined (NumPy rejects this as well).
    if (got == 0 || have % got != 0)
      fail("reshape: cannot reshape {} ({} elements) into {}", sa, have, sn);
    out.dims[infer] = have / got;
  } else if (have != got) {
    fail("reshape: cannot reshape {} ({} elements) into {} ({} elements)", sa, have, sn, got);
  }
  return out;
}

int64_t element_count(const Shape& s, const DimNames* names) {
  for (Dim d : s.dims)
    if (is_symbolic(d)) fail("element_count: shape {} has a symbolic dim", to_string(s, names));
  // A zero anywhere makes the product 0 even if the other dims alone would overflow.
  if (std::find(s.dims.begin(), s.dims.end(), 0) != s.dims.end()) return 0;
  int64_t n = 1;
  for (Dim d : s.dims)
    if (__builtin_mul_overflow(n, d, &n))
      fail("element_count: shape {} has more than {} elements", to_string(s, names), INT64_MAX);
  return n;
}

}  // namespace gradc::ir
