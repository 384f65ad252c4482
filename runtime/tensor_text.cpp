// runtime/tensor_text.cpp — parsing tensor literals and printing tensors as JSON or for people.
//
// The parser is a loop over characters with an explicit stack of open brackets (never
// recursion), so a hostile --at value can only cost memory proportional to its length. Both
// printers walk the elements in C order with an odometer over the indices, again without
// recursion, so rank does not matter.
#include "runtime/tensor_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

namespace gradc::runtime {

namespace {

constexpr size_t kMaxDepth = 32;  // deeper nesting is a typo, not a tensor anyone types
constexpr size_t kEdgeItems = 3;  // summarised axes show this many entries at each end

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_delimiter(char c) { return is_space(c) || c == '[' || c == ']' || c == ',' || c == ';'; }

// The text for an error message: all of it when short, else a window around the column, so a
// megabyte literal does not become a megabyte message.
std::string excerpt(std::string_view text, size_t col) {
  constexpr size_t kWindow = 30;
  if (text.size() <= 2 * kWindow) return std::string(text);
  const size_t at = std::min(col - 1, text.size());
  const size_t from = at > kWindow ? at - kWindow : 0;
  const size_t to = std::min(text.size(), at + kWindow);
  return (from > 0 ? "..." : "") + std::string(text.substr(from, to - from)) +
         (to < text.size() ? "..." : "");
}

std::string shape_str(const std::vector<int64_t>& s) {
  return fmt::format("[{}]", fmt::join(s, ","));
}

// One token as a double: decimal numbers via from_chars (correctly rounded, so the shortest
// round-trip output of fmt reads back bit-identical), plus nan/inf, bare or JSON-quoted.
std::optional<double> to_number(std::string_view tok, bool& out_of_range) {
  if (tok.size() >= 2 && tok.front() == '"' && tok.back() == '"') {
    tok = tok.substr(1, tok.size() - 2);
    if (tok != "nan" && tok != "inf" && tok != "-inf") return std::nullopt;
  }
  if (tok == "nan") return NAN;
  if (tok == "inf" || tok == "+inf") return INFINITY;
  if (tok == "-inf") return -INFINITY;
  if (tok.size() > 1 && tok[0] == '+' && tok[1] != '-') tok.remove_prefix(1);  // from_chars: no '+'
  double v = 0;
  const auto [end, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
  if (end != tok.data() + tok.size() || tok.empty()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) out_of_range = true;
  else if (ec != std::errc()) return std::nullopt;
  // from_chars also reads "-nan" and "nan(123)": one NaN whatever the spelling, since every NaN
  // prints as "nan" and must read back bit-identical (a sign bit broke that; found by fuzzing).
  return std::isnan(v) ? NAN : v;
}

enum class Prev { Open, Element, Comma, Semi };  // last inside a bracket: what may follow

// One open '[' on the parser's stack.
struct Frame {
  size_t open_col = 0;
  Prev prev = Prev::Open;
  int64_t count = 0;     // elements in the current row (the whole list when there is no ';')
  int64_t rows = 0;      // rows finished by ';'
  int64_t row_len = -1;  // length of the first row, which every later row must match
  bool has_scalar = false, has_list = false;
  std::vector<int64_t> child_shape;  // shape shared by the nested lists seen so far
  size_t child_col = 0;              // where the first nested list opened, for messages
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  TensorValue run() {
    while (pos_ < text_.size()) step();
    if (!stack_.empty()) fail(stack_.back().open_col, "'[' is never closed");
    if (!done_) fail(text_.size() + 1, "expected a number or '['");
    return {std::move(shape_), std::move(data_)};
  }

 private:
  [[noreturn]] void fail(size_t col, const std::string& what) const {
    throw TensorTextError(fmt::format("'{}' at column {}: {}", excerpt(text_, col), col, what));
  }

  size_t col() const { return pos_ + 1; }

  void step() {
    const char c = text_[pos_];
    if (is_space(c)) {
      space_ = true;
      ++pos_;
      return;
    }
    if (done_) fail(col(), "unexpected characters after the value");
    if (stack_.empty() && (c == ',' || c == ';')) fail(col(), "expected a number or '['");
    if (c == '[') open();
    else if (c == ']') close();
    else if (c == ',') comma();
    else if (c == ';') semicolon();
    else number();  // the only handler that moves past its own token
    if (c == '[' || c == ']' || c == ',' || c == ';') ++pos_;
    space_ = false;
  }

  // An element may start after '[', ',' or ';', or after an element when a space separates them.
  void check_element_start() const {
    if (stack_.empty()) return;
    const Frame& f = stack_.back();
    if (f.prev == Prev::Element && !space_) fail(col(), "missing ',' or space between elements");
  }

  void open() {
    check_element_start();
    if (stack_.size() == kMaxDepth)
      fail(col(), fmt::format("nesting deeper than {} levels", kMaxDepth));
    stack_.emplace_back();
    stack_.back().open_col = col();
  }

  void comma() {
    Frame& f = stack_.back();
    if (f.prev != Prev::Element) fail(col(), "empty element");
    f.prev = Prev::Comma;
  }

  void semicolon() {
    Frame& f = stack_.back();
    if (f.has_list) fail(col(), "';' cannot be mixed with nested brackets in one list");
    if (f.prev == Prev::Comma) fail(col(), "empty element");
    if (f.prev != Prev::Element) fail(col(), "empty row");
    end_row(f);
    f.prev = Prev::Semi;
  }

  void end_row(Frame& f) {
    if (f.row_len < 0) f.row_len = f.count;
    else if (f.count != f.row_len)
      fail(col(), fmt::format("rows have different lengths ({} and {})", f.row_len, f.count));
    ++f.rows;
    f.count = 0;
  }

  void close() {
    if (stack_.empty()) fail(col(), "']' without a matching '['");
    Frame f = std::move(stack_.back());
    if (f.prev == Prev::Comma) fail(col(), "empty element");
    if (f.prev == Prev::Semi) fail(col(), "empty row");
    std::vector<int64_t> shape;
    if (f.rows > 0) {
      end_row(f);
      shape = {f.rows, f.row_len};
    } else {
      shape = {f.count};
      shape.insert(shape.end(), f.child_shape.begin(), f.child_shape.end());
    }
    stack_.pop_back();
    add_list(std::move(shape), f.open_col);
  }

  // A finished list becomes an element of the enclosing one, or the whole value.
  void add_list(std::vector<int64_t> shape, size_t open_col) {
    if (stack_.empty()) {
      shape_ = std::move(shape);
      done_ = true;
      return;
    }
    Frame& f = stack_.back();
    if (f.rows > 0) fail(open_col, "';' cannot be mixed with nested brackets in one list");
    if (f.has_scalar) fail(open_col, "a list mixes numbers and nested lists");
    if (!f.has_list) {
      f.child_shape = std::move(shape);
      f.child_col = open_col;
    } else if (shape != f.child_shape) {
      fail(open_col, fmt::format("nested lists have different shapes ({} at column {} and {})",
                                 shape_str(f.child_shape), f.child_col, shape_str(shape)));
    }
    f.has_list = true;
    ++f.count;
    f.prev = Prev::Element;
  }

  void number() {
    check_element_start();
    const size_t start = pos_;
    while (pos_ < text_.size() && !is_delimiter(text_[pos_])) ++pos_;
    const std::string_view tok = text_.substr(start, pos_ - start);
    bool out_of_range = false;
    const std::optional<double> v = to_number(tok, out_of_range);
    if (!v || out_of_range)
      fail(start + 1, fmt::format("'{}' is {}", excerpt(tok, 1),
                                  v ? "out of range for a double" : "not a number"));
    data_.push_back(*v);
    if (stack_.empty()) {
      done_ = true;  // a bare number: shape []
      return;
    }
    Frame& f = stack_.back();
    if (f.has_list) fail(start + 1, "a list mixes numbers and nested lists");
    f.has_scalar = true;
    ++f.count;
    f.prev = Prev::Element;
  }

  std::string_view text_;
  size_t pos_ = 0;
  bool space_ = false;  // whitespace since the last token
  bool done_ = false;   // the top-level value is complete; only whitespace may follow
  std::vector<Frame> stack_;
  std::vector<int64_t> shape_;
  std::vector<double> data_;
};

// The element count of a TensorValue, checked against its data, so printers index safely.
size_t checked_count(const TensorValue& v) {
  size_t n = 1;
  for (int64_t d : v.shape) {
    if (d < 0 || (d != 0 && n > SIZE_MAX / static_cast<size_t>(d)))
      throw TensorTextError(fmt::format("shape {} has a negative or too large dimension",
                                        shape_str(v.shape)));
    n *= static_cast<size_t>(d);
  }
  if (n != v.data.size())
    throw TensorTextError(fmt::format("shape {} needs {} values, data has {}", shape_str(v.shape),
                                      n, v.data.size()));
  return n;
}

// Bare number text: shortest round-trip decimal, of the float when the program is f32.
std::string number_text(double v, bool f32) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  return f32 ? fmt::format("{}", static_cast<float>(v)) : fmt::format("{}", v);
}

// Advances a C-order odometer; returns how many trailing axes wrapped around to 0.
size_t advance(std::vector<size_t>& idx, const std::vector<size_t>& dims) {
  size_t wrapped = 0;
  for (size_t a = dims.size(); a-- > 0;) {
    if (++idx[a] < dims[a]) break;
    idx[a] = 0;
    ++wrapped;
  }
  return wrapped;
}

// Nested lists of `dims` (all non-zero) whose i-th leaf in C order is leaf(i).
template <class Leaf>
std::string nest(const std::vector<size_t>& dims, size_t leaves, Leaf leaf) {
  if (dims.empty()) return leaf(0);
  std::string out(dims.size(), '[');
  std::vector<size_t> idx(dims.size(), 0);
  for (size_t i = 0; i < leaves; ++i) {
    out += leaf(i);
    const size_t k = i + 1 == leaves ? dims.size() : advance(idx, dims);
    out.append(k, ']');
    if (i + 1 < leaves) out.append(", ").append(k, '[');
  }
  return out;
}

// JSON lists; a zero dimension ends the nesting with "[]" leaves (shape [2,0] is "[[], []]").
std::string json_body(const TensorValue& v, bool f32) {
  size_t leaves = 1;
  std::vector<size_t> prefix;
  for (size_t a = 0; a < v.shape.size() && v.shape[a] != 0; ++a)
    leaves *= prefix.emplace_back(static_cast<size_t>(v.shape[a]));
  if (checked_count(v) == 0) return nest(prefix, leaves, [](size_t) { return std::string("[]"); });
  return nest(prefix, v.data.size(), [&](size_t i) {
    const std::string s = number_text(v.data[i], f32);
    return std::isfinite(v.data[i]) ? s : "\"" + s + "\"";  // gradc's JSON spells nan "nan"
  });
}

// The entries shown along an axis of length d; kNone marks the "..." between the two ends.
constexpr size_t kNone = SIZE_MAX;
std::vector<size_t> shown_entries(size_t d) {
  std::vector<size_t> out;
  const bool summarise = d > 2 * kEdgeItems;
  for (size_t i = 0; i < d; ++i) {
    if (summarise && i == kEdgeItems) {
      out.push_back(kNone);
      i = d - kEdgeItems;
    }
    out.push_back(i);
  }
  return out;
}

// The display grid: which entries each axis shows, their strides, the shown numbers' width.
struct Grid {
  std::vector<std::vector<size_t>> shown;
  std::vector<size_t> strides;
  size_t width = 0;  // of the widest shown number; "..." is never padded, as in NumPy
};

Grid make_grid(const TensorValue& v, bool f32) {
  Grid g;
  const size_t rank = v.shape.size();
  g.strides.assign(rank, 1);
  for (size_t a = rank; a-- > 1;) g.strides[a - 1] = g.strides[a] * static_cast<size_t>(v.shape[a]);
  std::vector<size_t> dims;
  for (int64_t d : v.shape)
    dims.push_back(g.shown.emplace_back(shown_entries(static_cast<size_t>(d))).size());
  // Width over the shown numbers only: summarising must not cost a pass over every element.
  std::vector<size_t> idx(rank, 0);
  do {
    size_t flat = 0;
    bool gap = false;
    for (size_t a = 0; a < rank; ++a) {
      gap |= g.shown[a][idx[a]] == kNone;
      if (!gap) flat += g.shown[a][idx[a]] * g.strides[a];
    }
    if (!gap) g.width = std::max(g.width, number_text(v.data[flat], f32).size());
  } while (advance(idx, dims) < rank);
  return g;
}

// One innermost row, "[  1,   2, ...,   9]", given the flat offset of its first element.
std::string row_text(const TensorValue& v, bool f32, const Grid& g, size_t base) {
  std::string out = "[";
  const auto& last = g.shown.back();
  for (size_t j = 0; j < last.size(); ++j) {
    if (j > 0) out += ", ";
    if (last[j] == kNone) {
      out += "...";
      continue;
    }
    const std::string s = number_text(v.data[base + last[j]], f32);
    out.append(g.width - s.size(), ' ').append(s);
  }
  return out + "]";
}

// How many trailing outer axes (of the first `outer`) sit at their first shown entry.
size_t opening(const std::vector<size_t>& idx, size_t outer) {
  size_t k = 0;
  while (k < outer && idx[outer - 1 - k] == 0) ++k;
  return k;
}

// How many trailing outer axes sit at their last shown entry: the blocks this row closes.
size_t closing(const std::vector<size_t>& idx, size_t outer, const Grid& g) {
  size_t k = 0;
  while (k < outer && idx[outer - 1 - k] + 1 == g.shown[outer - 1 - k].size()) ++k;
  return k;
}

// The rows of a rank >= 1 tensor, NumPy-style: brackets open and close around blocks, a
// summarised block is one "..." line, blocks of rank r >= 2 are separated by r-1 blank lines.
std::string text_body(const TensorValue& v, bool f32) {
  const Grid g = make_grid(v, f32);
  const size_t rank = v.shape.size(), outer = rank - 1;
  std::vector<size_t> dims, idx(outer, 0);
  for (size_t a = 0; a < outer; ++a) dims.push_back(g.shown[a].size());
  std::string out;
  for (;;) {
    size_t gap_axis = outer, base = 0;
    for (size_t a = 0; a < outer && gap_axis == outer; ++a) {
      if (g.shown[a][idx[a]] == kNone) gap_axis = a;
      else base += g.shown[a][idx[a]] * g.strides[a];
    }
    size_t closed = 0;
    if (gap_axis < outer) {
      // Everything under the gap is elided: one "..." line, then skip to the block's end.
      out.append(gap_axis + 1, ' ').append("...");
      for (size_t a = gap_axis + 1; a < outer; ++a) idx[a] = dims[a] - 1;
      closed = outer - gap_axis - 1;
    } else {
      const size_t opens = opening(idx, outer);  // row_text adds the row's own '['
      out.append(outer - opens, ' ').append(opens, '[').append(row_text(v, f32, g, base));
      closed = closing(idx, outer, g);
      out.append(closed, ']');
      if (closed == outer) return out;
    }
    out.append(",\n").append(closed, '\n');
    advance(idx, dims);
  }
}

}  // namespace

TensorValue parse_tensor_literal(std::string_view text) { return Parser(text).run(); }

std::string format_tensor_json(const TensorValue& value, bool f32) { return json_body(value, f32); }

std::string format_tensor_text(const TensorValue& value, bool f32) {
  const size_t n = checked_count(value);
  if (value.shape.empty()) return number_text(value.data[0], f32);
  const std::string header = fmt::format("{}{}\n", f32 ? "f32" : "f64", shape_str(value.shape));
  if (n == 0) return header + json_body(value, f32);  // nothing to align: "[[], []]"
  return header + text_body(value, f32);
}

}  // namespace gradc::runtime
