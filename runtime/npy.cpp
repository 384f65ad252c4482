// runtime/npy.cpp — .npy files: a small hand-written header parser and a numpy-identical writer.
//
// numpy reads the header with ast.literal_eval; we accept the same dict literals numpy writes
// (and hand-edited variants: any key order, either quote, extra spaces, trailing commas) with
// a single forward scan, so no input can make parsing slow, deep or out of bounds.
#include "runtime/npy.h"

#include "runtime/atomic_file.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join

namespace gradc::runtime {

// Data bytes are used as they lie in the file, and '=' in a descr means "little": both need a
// little-endian host.
static_assert(std::endian::native == std::endian::little, "npy.cpp assumes a little-endian host");

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr size_t kAlign = 64;                     // numpy's ARRAY_ALIGN: data starts 64-aligned
constexpr size_t kMaxHeaderV2 = size_t{1} << 20;  // v1's 2-byte length caps it at 64 KiB anyway
constexpr size_t kMaxDims = 64;                   // numpy 2's NPY_MAXDIMS
constexpr size_t kGrowthAxisMaxDigits = 21;       // numpy pads the header so shape[0] can grow

[[noreturn]] void fail(const std::string& name, std::string_view problem) {
  throw NpyError(fmt::format("{}: {}", name, problem));
}

// Header bytes may be anything (a corrupt file): escape what would garble a terminal. The
// padding numpy appends is dropped, it would only push the interesting part off the screen.
std::string printable(std::string_view s, size_t limit = 100) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.remove_suffix(1);
  std::string out;
  for (size_t i = 0; i < s.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
    else out += fmt::format("\\x{:02x}", c);
  }
  if (s.size() > limit) out += "...";
  return out;
}

// Python's repr of the shape tuple: "()", "(5,)", "(2, 3)".
std::string shape_repr(std::span<const int64_t> shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

// Element count and byte size, or an error if the shape is negative or does not fit int64.
size_t checked_bytes(std::span<const int64_t> shape, NpyDType dtype, const std::string& name) {
  if (shape.size() > kMaxDims)
    fail(name, fmt::format("too many dimensions ({} > {})", shape.size(), kMaxDims));
  for (int64_t d : shape)
    if (d < 0) fail(name, fmt::format("negative dimension in shape {}", shape_repr(shape)));
  for (int64_t d : shape)
    if (d == 0) return 0;  // a zero anywhere: empty, whatever the other dimensions say
  int64_t bytes = static_cast<int64_t>(npy_itemsize(dtype));
  for (int64_t d : shape)
    if (__builtin_mul_overflow(bytes, d, &bytes))
      fail(name, fmt::format("shape {} is too large: its byte size overflows 64 bits",
                             shape_repr(shape)));
  return static_cast<size_t>(bytes);
}

// ---- header dict parsing ----

struct Header {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  // {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }, then only whitespace.
  Header parse() {
    Header h;
    bool seen[3] = {false, false, false};
    skip_ws();
    expect('{', "at the start of the header");
    for (skip_ws(); !eat('}'); skip_ws()) {
      parse_entry(h, seen);
      skip_ws();
      if (!eat(',')) {
        expect('}', "after a value");
        break;
      }
    }
    skip_ws();
    if (pos_ != text_.size()) malformed("unexpected text after the closing '}'");
    const char* keys[3] = {"descr", "fortran_order", "shape"};
    for (int i = 0; i < 3; ++i)
      if (!seen[i])
        fail(name_, fmt::format("header has no '{}' key: {}", keys[i], printable(text_)));
    return h;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  const std::string& name_;

  [[noreturn]] void malformed(std::string_view what) {
    fail(name_, fmt::format("malformed header: {} (at byte {} of {})", what, pos_,
                            printable(text_)));
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool at_end() const { return pos_ >= text_.size(); }
  void skip_ws() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
      ++pos_;
  }
  bool eat(char c) {
    if (at_end() || peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c, std::string_view where) {
    if (!eat(c)) malformed(fmt::format("expected '{}' {}", c, where));
  }

  void parse_entry(Header& h, bool seen[3]) {
    const std::string key = parse_string("as a key");
    skip_ws();
    expect(':', fmt::format("after key '{}'", printable(key)));
    skip_ws();
    int index = key == "descr" ? 0 : key == "fortran_order" ? 1 : key == "shape" ? 2 : -1;
    if (index < 0)
      fail(name_, fmt::format("unexpected key '{}' in header (expected 'descr', "
                              "'fortran_order' and 'shape')", printable(key)));
    if (seen[index]) fail(name_, fmt::format("duplicate key '{}' in header", key));
    seen[index] = true;
    if (index == 0) h.descr = parse_descr();
    else if (index == 1) h.fortran_order = parse_bool();
    else h.shape = parse_shape();
  }

  // A Python string literal in either quote; numpy never writes escapes, so we reject them.
  std::string parse_string(std::string_view what) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') malformed(fmt::format("expected a quoted string {}", what));
    const size_t start = ++pos_;
    while (!at_end() && peek() != quote) {
      if (peek() == '\\') malformed("escape sequences in strings are not supported");
      ++pos_;
    }
    if (at_end()) malformed("unterminated string");
    return std::string(text_.substr(start, pos_++ - start));
  }

  std::string parse_descr() {
    if (peek() == '[') fail(name_, "structured dtypes (record arrays) are not supported");
    return parse_string("as the value of 'descr'");
  }

  bool parse_bool() {
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      if (text_.substr(pos_).starts_with(word)) {
        pos_ += std::strlen(word);
        return value;
      }
    }
    malformed("'fortran_order' must be True or False");
  }

  // (), (5,), (2, 3) and (2, 3,); (5) is an int in Python, not a tuple, so it is an error.
  std::vector<int64_t> parse_shape() {
    std::vector<int64_t> shape;
    expect('(', "to start 'shape' (a tuple)");
    skip_ws();
    if (eat(')')) return shape;
    for (;;) {
      if (shape.size() == kMaxDims)
        fail(name_, fmt::format("too many dimensions (> {})", kMaxDims));
      shape.push_back(parse_dim());
      skip_ws();
      const bool comma = eat(',');
      skip_ws();
      if (eat(')')) {
        if (shape.size() == 1 && !comma) malformed("a one-dimensional shape is written (n,)");
        return shape;
      }
      if (!comma) malformed("expected ',' or ')' in 'shape'");
    }
  }

  int64_t parse_dim() {
    if (peek() == '-')
      fail(name_, fmt::format("negative dimension in shape: {}", printable(text_)));
    if (peek() < '0' || peek() > '9') malformed("expected a dimension (an integer) in 'shape'");
    int64_t value = 0;
    while (peek() >= '0' && peek() <= '9') {
      const int digit = peek() - '0';
      if (value > (std::numeric_limits<int64_t>::max() - digit) / 10)
        fail(name_, "a dimension in 'shape' is too large for 64 bits");
      value = value * 10 + digit;
      ++pos_;
    }
    if (peek() == '.' || peek() == 'e' || peek() == 'E')
      malformed("dimensions in 'shape' must be integers");
    eat('L');  // Python 2's long suffix, as in files numpy wrote under Python 2
    return value;
  }
};

// ---- descr, prefix, dtype tables ----

struct DTypeName {
  NpyDType dtype;
  std::string_view code;  // the descr without its byte-order character
  size_t itemsize;
  char order;             // what numpy writes: '|' (no byte order) for one-byte types
};
constexpr DTypeName kDTypes[] = {
    {NpyDType::F32, "f4", 4, '<'}, {NpyDType::F64, "f8", 8, '<'}, {NpyDType::I64, "i8", 8, '<'},
    {NpyDType::I32, "i4", 4, '<'}, {NpyDType::U8, "u1", 1, '|'},  {NpyDType::U64, "u8", 8, '<'}};

NpyDType dtype_from_descr(const std::string& descr, const std::string& name) {
  const char order = descr.empty() ? '\0' : descr[0];
  const bool has_order = order == '<' || order == '>' || order == '=' || order == '|';
  const std::string_view code = std::string_view(descr).substr(has_order ? 1 : 0);
  if (code == "O") fail(name, "object arrays ('|O') are not supported: they hold pickled "
                              "Python objects, not numbers");
  for (const DTypeName& t : kDTypes) {
    if (code != t.code || !has_order) continue;
    if (order == '>' && t.itemsize > 1)
      fail(name, fmt::format("big-endian arrays are not supported; convert with "
                             "arr.astype('<{}')", t.code));
    return t.dtype;  // '<', and '=' or '|', which mean little-endian here
  }
  fail(name, fmt::format("unsupported dtype '{}': only '<f4' (float32), '<f8' (float64), "
                         "'<i8' (int64), '<i4' (int32), '|u1' (uint8) and '<u8' (uint64) are "
                         "supported", printable(descr)));
}

struct Prefix {
  size_t header_start;  // after magic, version and length field
  size_t header_len;
};

// The header's length field: 2 bytes little-endian after version 1.x's magic, 4 after 2.x
// and 3.x's; `p` holds at least 8 + length_field_bytes(p[6]) bytes.
size_t length_field_bytes(int major) { return major == 1 ? 2 : 4; }
size_t read_length_field(const unsigned char* p) {
  size_t len = 0;
  for (size_t i = 0; i < length_field_bytes(p[6]); ++i) len |= size_t{p[8 + i]} << (8 * i);
  return len;
}

Prefix parse_prefix(std::span<const std::byte> bytes, const std::string& name) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::string_view start(reinterpret_cast<const char*>(p), std::min(bytes.size(), size_t{6}));
  if (!kMagic.starts_with(start))
    fail(name, fmt::format("not a .npy file (bad magic: starts with '{}')", printable(start)));
  if (bytes.size() < 8) fail(name, fmt::format("truncated header ({} bytes)", bytes.size()));
  const int major = p[6], minor = p[7];
  if (major < 1 || major > 3 || minor != 0)
    fail(name, fmt::format("unsupported .npy format version {}.{}", major, minor));
  const size_t len_bytes = length_field_bytes(major);
  if (bytes.size() < 8 + len_bytes)
    fail(name, fmt::format("truncated header ({} bytes)", bytes.size()));
  const size_t len = read_length_field(p);
  if (len > kMaxHeaderV2)
    fail(name, fmt::format("header length {} exceeds the 1 MiB limit", len));
  const size_t header_start = 8 + len_bytes;
  if (len > bytes.size() - header_start)
    fail(name, fmt::format("header length {} goes beyond the end of the file ({} bytes)", len,
                           bytes.size()));
  return {header_start, len};
}

// Version 1.0 magic, length field and the dict padded as numpy's _wrap_header does: spaces
// then '\n' up to the next multiple of 64, a whole 64 more when already aligned. With at most
// kMaxDims dimensions the dict stays far below 1.0's 64 KiB limit, so 2.0 is never needed.
std::string wrap_header(const std::string& dict) {
  const size_t prefix = kMagic.size() + 4;  // magic, version 1.0, 2-byte length
  const size_t padded = dict.size() + 1 + (kAlign - (prefix + dict.size() + 1) % kAlign);
  std::string out(kMagic);
  out += '\x01';
  out += '\0';
  for (size_t i = 0; i < 2; ++i) out += static_cast<char>((padded >> (8 * i)) & 0xff);
  out += dict;
  out.append(padded - dict.size() - 1, ' ');
  out += '\n';
  return out;
}

template <class T>
NpyArray make_typed(std::vector<int64_t> shape, const std::vector<T>& values) {
  NpyArray a;
  a.dtype = npy_dtype_of<T>();
  a.shape = std::move(shape);
  if (a.count() != values.size())
    throw NpyError(fmt::format("make_npy: shape {} holds {} values, got {}", shape_repr(a.shape),
                               a.count(), values.size()));
  a.data.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(a.data.data(), values.data(), a.data.size());
  return a;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

size_t npy_itemsize(NpyDType dtype) {
  for (const DTypeName& t : kDTypes)
    if (t.dtype == dtype) return t.itemsize;
  return 1;  // not reached: every enumerator is in the table
}

std::string npy_descr(NpyDType dtype) {
  for (const DTypeName& t : kDTypes)
    if (t.dtype == dtype) return t.order + std::string(t.code);
  return "<?";
}

size_t NpyArray::count() const {
  const size_t bytes = checked_bytes(shape, dtype, "array");
  return bytes / npy_itemsize(dtype);
}

void NpyArray::check_view(NpyDType wanted) const {
  if (wanted != dtype)
    throw NpyError(
        fmt::format("array: dtype is '{}', not '{}'", npy_descr(dtype), npy_descr(wanted)));
  if (data.size() != count() * npy_itemsize(dtype))
    throw NpyError(fmt::format("array: shape {} needs {} bytes of data, has {}", shape_repr(shape),
                               count() * npy_itemsize(dtype), data.size()));
}

NpyArray make_npy(std::vector<int64_t> shape, const std::vector<double>& values) {
  return make_typed(std::move(shape), values);
}
NpyArray make_npy(std::vector<int64_t> shape, const std::vector<float>& values) {
  return make_typed(std::move(shape), values);
}
NpyArray make_npy(std::vector<int64_t> shape, const std::vector<int64_t>& values) {
  return make_typed(std::move(shape), values);
}
NpyArray make_npy(std::vector<int64_t> shape, const std::vector<int32_t>& values) {
  return make_typed(std::move(shape), values);
}
NpyArray make_npy(std::vector<int64_t> shape, const std::vector<uint8_t>& values) {
  return make_typed(std::move(shape), values);
}
NpyArray make_npy(std::vector<int64_t> shape, const std::vector<uint64_t>& values) {
  return make_typed(std::move(shape), values);
}

std::vector<double> npy_to_doubles(const NpyArray& a) {
  const auto convert = [](auto values) { return std::vector<double>(values.begin(), values.end()); };
  switch (a.dtype) {
    case NpyDType::F32: return convert(a.as<float>());
    case NpyDType::F64: return convert(a.as<double>());
    case NpyDType::I64: return convert(a.as<int64_t>());
    case NpyDType::I32: return convert(a.as<int32_t>());
    case NpyDType::U8: return convert(a.as<uint8_t>());
    case NpyDType::U64: return convert(a.as<uint64_t>());
  }
  return {};  // not reached
}

namespace {

// What the prefix and header say: the array's type and shape, and where its data lies.
struct Layout {
  NpyDType dtype;
  std::vector<int64_t> shape;
  size_t data_start, data_bytes;
};

// `bytes` must hold the prefix and the whole header (parse_prefix says so when not).
Layout parse_layout(std::span<const std::byte> bytes, const std::string& name) {
  if (bytes.empty()) fail(name, "empty file, not a .npy file");
  const Prefix prefix = parse_prefix(bytes, name);
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()) + prefix.header_start,
                              prefix.header_len);
  Header h = HeaderParser(text, name).parse();
  Layout l{dtype_from_descr(h.descr, name), std::move(h.shape), prefix.header_start + prefix.header_len, 0};
  if (h.fortran_order)
    fail(name, "Fortran-order arrays are not supported; save with np.ascontiguousarray");
  l.data_bytes = checked_bytes(l.shape, l.dtype, name);
  return l;
}

// Where the header ends once `bytes` holds the prefix and the length field; nullopt before.
std::optional<size_t> header_end(std::span<const std::byte> bytes) {
  if (bytes.size() < 12) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  return 8 + length_field_bytes(p[6]) + read_length_field(p);
}

}  // namespace

NpyArray parse_npy(std::span<const std::byte> bytes, const std::string& name) {
  Layout l = parse_layout(bytes, name);
  const size_t got = bytes.size() - l.data_start;
  if (got != l.data_bytes)
    fail(name, fmt::format("data is {}: shape {} of '{}' needs {} bytes, got {}",
                           got < l.data_bytes ? "truncated" : "too long", shape_repr(l.shape),
                           npy_descr(l.dtype), l.data_bytes, got));
  NpyArray a;
  a.dtype = l.dtype;
  a.shape = std::move(l.shape);
  a.data.assign(bytes.begin() + static_cast<ptrdiff_t>(l.data_start), bytes.end());
  return a;
}

NpyArray read_npy(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not a .npy file");
  // A file that is not regular (a device, a pipe) may never end: `--at x=/dev/zero` read until
  // memory ran out. Such a file is read only as far as its header says, plus one byte to tell
  // that it goes on; a regular file whole, so "too long" can say by how much.
  const bool may_not_end = !std::filesystem::is_regular_file(path, ec);
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) fail(path, fmt::format("cannot open: {}", std::strerror(errno)));
  std::vector<std::byte> bytes;
  std::byte chunk[1 << 16];
  size_t limit = SIZE_MAX;  // for a file that may not end: known once its header is in
  size_t n;
  while (bytes.size() < limit &&
         (n = std::fread(chunk, 1, std::min(sizeof chunk, limit - bytes.size()), f.get())) > 0) {
    bytes.insert(bytes.end(), chunk, chunk + n);
    if (!may_not_end || limit != SIZE_MAX) continue;
    if (const auto end = header_end(bytes); end && bytes.size() >= *end) {
      const Layout l = parse_layout(bytes, path);
      limit = l.data_start + l.data_bytes + 1;
    } else if (bytes.size() > 12 + kMaxHeaderV2) {
      parse_layout(bytes, path);  // a header that never ends: its error
    }
  }
  if (std::ferror(f.get())) fail(path, fmt::format("cannot read: {}", std::strerror(errno)));
  if (bytes.size() >= limit)  // the first chunk may hold more than the header asks for
    fail(path, fmt::format("data is too long: the header and data end after {} bytes, and the file "
                           "goes on", limit - 1));
  return parse_npy(bytes, path);
}

std::string encode_npy(const NpyArray& a) {
  const size_t bytes = checked_bytes(a.shape, a.dtype, "array");
  if (a.data.size() != bytes)
    throw NpyError(fmt::format("array: shape {} needs {} bytes of data, has {}",
                               shape_repr(a.shape), bytes, a.data.size()));
  // Keys sorted, each "'key': repr(value), " as numpy's _write_array_header writes them.
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                 npy_descr(a.dtype), shape_repr(a.shape));
  if (!a.shape.empty()) {
    const size_t digits = fmt::formatted_size("{}", a.shape[0]);
    dict.append(kGrowthAxisMaxDigits > digits ? kGrowthAxisMaxDigits - digits : 0, ' ');
  }
  std::string out = wrap_header(dict);
  out.append(reinterpret_cast<const char*>(a.data.data()), a.data.size());
  return out;
}

void write_npy(const std::string& path, const NpyArray& array) {
  const std::string bytes = encode_npy(array);  // first, so a bad array never touches the disk
  try {
    write_file_atomically(path, bytes);
  } catch (const FileError& e) {
    throw NpyError(e.what());
  }
}

}  // namespace gradc::runtime
