// runtime/idx.cpp — IDX files through a bounded, streaming gzip decoder (zlib's inflate).
//
// zlib's inflate is used directly rather than gzread so that files and bytes in memory go
// through the same decoder (the fuzz tests damage gzip bytes in memory) and so that every
// error keeps zlib's own message ("invalid block type", "incorrect data check"). The payload
// buffer grows only as decompressed bytes arrive, and the header's claim is checked against
// kMaxIdxBytes before anything is read: see the why-paragraph in idx.h.
#include "runtime/idx.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join

namespace gradc::runtime {

namespace {

constexpr size_t kInputChunk = size_t{1} << 16;     // compressed bytes read at a time
constexpr size_t kOutputChunk = size_t{1} << 20;    // payload bytes decoded at a time
constexpr size_t kInitialReserve = size_t{1} << 26;  // trust a header up to 64 MiB up front
constexpr uint8_t kUnsignedByteType = 0x08;
constexpr int kMaxIdxDims = 8;

[[noreturn]] void fail(const std::string& name, std::string_view problem) {
  throw DataError(fmt::format("{}: {}", name, problem));
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Where the raw (perhaps compressed) bytes come from: an open file or a span in memory.
class RawSource {
 public:
  RawSource(std::FILE* file, std::string name) : file_(file), name_(std::move(name)) {}
  RawSource(std::span<const std::byte> memory, std::string name)
      : memory_(memory), name_(std::move(name)) {}

  const std::string& name() const { return name_; }

  // Up to n bytes; fewer only at the end of the data.
  size_t read(std::byte* out, size_t n) {
    if (!file_) {
      const size_t got = std::min(n, memory_.size() - pos_);
      if (got) std::memcpy(out, memory_.data() + pos_, got);
      pos_ += got;
      return got;
    }
    const size_t got = std::fread(out, 1, n, file_);
    if (got < n && std::ferror(file_)) fail(name_, fmt::format("cannot read: {}", std::strerror(errno)));
    return got;
  }

 private:
  std::FILE* file_ = nullptr;
  std::span<const std::byte> memory_;
  size_t pos_ = 0;
  std::string name_;
};

// The decompressed bytes of a source: gzip (any number of members, as gzip writes them when
// files are concatenated) is inflated, anything else passes through unchanged.
class ByteStream {
 public:
  explicit ByteStream(RawSource& source) : source_(source) {
    refill();
    gzip_ = zs_.avail_in >= 2 && input_[0] == std::byte{0x1f} && input_[1] == std::byte{0x8b};
    // 16 + MAX_WBITS: a gzip wrapper, whose CRC-32 and length trailer inflate checks.
    if (gzip_ && inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK)
      fail(source_.name(), "cannot start the gzip decoder (out of memory)");
  }
  ~ByteStream() {
    if (gzip_) inflateEnd(&zs_);
  }
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;

  bool is_gzip() const { return gzip_; }

  // Up to n decompressed bytes; fewer only at the end of the data.
  size_t read(std::byte* out, size_t n) { return gzip_ ? inflate_into(out, n) : copy_into(out, n); }

 private:
  RawSource& source_;
  std::array<std::byte, kInputChunk> input_{};
  z_stream zs_{};  // for plain data, next_in/avail_in are just the unread part of input_
  bool gzip_ = false;
  bool source_done_ = false;
  bool finished_ = false;

  void refill() {
    zs_.next_in = reinterpret_cast<Bytef*>(input_.data());
    zs_.avail_in = static_cast<uInt>(source_.read(input_.data(), input_.size()));
    source_done_ = zs_.avail_in == 0;
  }

  size_t copy_into(std::byte* out, size_t n) {
    const size_t buffered = std::min<size_t>(n, zs_.avail_in);
    if (buffered) std::memcpy(out, zs_.next_in, buffered);
    zs_.next_in += buffered;
    zs_.avail_in -= static_cast<uInt>(buffered);
    return buffered + (buffered < n ? source_.read(out + buffered, n - buffered) : 0);
  }

  size_t inflate_into(std::byte* out, size_t n) {
    size_t done = 0;
    while (done < n && !finished_) {
      const size_t want = std::min(n - done, kOutputChunk);
      zs_.next_out = reinterpret_cast<Bytef*>(out + done);
      zs_.avail_out = static_cast<uInt>(want);
      if (zs_.avail_in == 0 && !source_done_) refill();
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      done += want - zs_.avail_out;
      if (rc == Z_STREAM_END) end_of_member();
      else if (rc != Z_OK) check_inflate_error(rc);
    }
    return done;
  }

  // Another gzip member may follow (concatenated .gz files are one valid .gz file).
  void end_of_member() {
    if (zs_.avail_in == 0) refill();
    if (zs_.avail_in == 0) finished_ = true;
    else inflateReset(&zs_);
  }

  // Z_BUF_ERROR only means "no progress": an error when the input has run out.
  void check_inflate_error(int rc) {
    if (rc == Z_BUF_ERROR && !(zs_.avail_in == 0 && source_done_)) return;
    if (rc == Z_BUF_ERROR)
      fail(source_.name(), "bad gz stream: unexpected end of file (the compressed data is truncated)");
    if (rc == Z_NEED_DICT) fail(source_.name(), "bad gz stream: it asks for a preset dictionary");
    fail(source_.name(), fmt::format("bad gz stream: {}", zs_.msg ? zs_.msg : zError(rc)));
  }
};

std::string dims_text(const std::vector<int64_t>& dims) {
  return fmt::format("({})", fmt::join(dims, ", "));
}

std::string_view idx_type_name(uint8_t type) {
  switch (type) {
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "not an IDX type";
  }
}

// Exactly n bytes, or a "truncated" error saying what was being read.
void read_exactly(ByteStream& in, std::byte* out, size_t n, const std::string& name,
                  std::string_view what) {
  const size_t got = in.read(out, n);
  if (got == n) return;
  if (got == 0 && what == "magic") fail(name, "empty file, not an IDX file");
  fail(name, fmt::format("truncated {}: expected {} bytes, found {}", what, n, got));
}

// The magic (00 00, type, dimension count) and the big-endian dimensions after it.
std::vector<int64_t> read_header(ByteStream& in, const std::string& name) {
  std::array<std::byte, 4> magic{};
  read_exactly(in, magic.data(), 4, name, "magic");
  const auto m = [&](int i) { return static_cast<uint8_t>(magic[static_cast<size_t>(i)]); };
  const uint32_t word = uint32_t{m(0)} << 24 | uint32_t{m(1)} << 16 | uint32_t{m(2)} << 8 | m(3);
  if (m(0) != 0 || m(1) != 0 || m(3) == 0 || m(3) > kMaxIdxDims)
    fail(name, fmt::format("bad magic 0x{:08x}: expected an IDX file, which starts 00 00 08 and a "
                           "dimension count (0x00000803 for images, 0x00000801 for labels)", word));
  if (m(2) != kUnsignedByteType)
    fail(name, fmt::format("IDX element type 0x{:02x} ({}) is not supported: expected 0x08 "
                           "(unsigned byte), as MNIST-style data sets use", m(2), idx_type_name(m(2))));
  std::vector<std::byte> raw(4 * static_cast<size_t>(m(3)));
  read_exactly(in, raw.data(), raw.size(), name,
               fmt::format("header ({} dimensions of 4 bytes after the magic)", m(3)));
  std::vector<int64_t> dims;
  for (size_t i = 0; i < raw.size(); i += 4) {
    uint32_t d = 0;
    for (size_t k = 0; k < 4; ++k) d = d << 8 | static_cast<uint8_t>(raw[i + k]);
    dims.push_back(d);
  }
  return dims;
}

uint64_t payload_bytes(const std::vector<int64_t>& dims, const std::string& name) {
  uint64_t bytes = 1;
  for (int64_t d : dims)
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes)) bytes = UINT64_MAX;
  if (bytes > kMaxIdxBytes)
    fail(name, fmt::format("the header's dimensions {} call for {} bytes, more than the {} GiB "
                           "limit", dims_text(dims), bytes, kMaxIdxBytes >> 30));
  return bytes;
}

// Reads up to `cap` bytes, growing only as bytes arrive (never by what a header claims past
// kInitialReserve). `expected` is the size to reserve for up front: a header's claim, or a
// file's size on disk (not the cap: a 100-byte CSV has no use for 64 MiB).
template <class Buffer>
Buffer read_up_to(ByteStream& in, uint64_t cap, uint64_t expected) {
  Buffer data;
  data.reserve(static_cast<size_t>(std::min({cap, expected, uint64_t{kInitialReserve}})));
  size_t filled = 0;
  while (filled < cap) {
    // What the reserve still holds (at least a page, at most kOutputChunk): a small file is
    // not zero-filled a megabyte at a time, and a large one grows geometrically.
    const size_t room = std::clamp<size_t>(data.capacity() - filled, 4096, kOutputChunk);
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(cap - filled, room));
    data.resize(filled + chunk);
    const size_t got = in.read(reinterpret_cast<std::byte*>(data.data() + filled), chunk);
    filled += got;
    if (got < chunk) break;
  }
  data.resize(filled);
  return data;
}

IdxArray read_idx_stream(RawSource& source) {
  const std::string& name = source.name();
  ByteStream in(source);
  IdxArray a;
  a.dims = read_header(in, name);
  const uint64_t expected = payload_bytes(a.dims, name);
  a.data = read_up_to<std::vector<uint8_t>>(in, expected, expected);
  const size_t header = 4 + 4 * a.dims.size();
  if (a.data.size() < expected)
    fail(name, fmt::format("truncated file: the dimensions {} need {} bytes of data after the "
                           "{}-byte header, found {}", dims_text(a.dims), expected, header,
                           a.data.size()));
  std::byte extra{};
  if (in.read(&extra, 1) != 0)  // also lets inflate reach the gzip trailer and check its CRC
    fail(name, fmt::format("data goes on after the {} bytes that the dimensions {} call for",
                           expected, dims_text(a.dims)));
  return a;
}

FilePtr open_for_reading(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not a data file");
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) fail(path, fmt::format("cannot open: {}", std::strerror(errno)));
  return f;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  FilePtr f = open_for_reading(path);
  RawSource source(f.get(), path);
  return read_idx_stream(source);
}

IdxArray parse_idx(std::span<const std::byte> bytes, const std::string& name_for_errors) {
  RawSource source(bytes, name_for_errors);
  return read_idx_stream(source);
}

std::string encode_idx(const std::vector<int64_t>& dims, std::span<const uint8_t> data) {
  std::string out{'\0', '\0', static_cast<char>(kUnsignedByteType), static_cast<char>(dims.size())};
  for (int64_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((d >> shift) & 0xff);
  out.append(reinterpret_cast<const char*>(data.data()), data.size());
  return out;
}

std::string read_maybe_gzip(const std::string& path, uint64_t max_bytes) {
  FilePtr f = open_for_reading(path);
  RawSource source(f.get(), path);
  ByteStream in(source);
  std::error_code ec;  // no size (a pipe): start small, grow as bytes arrive
  const uint64_t on_disk = std::filesystem::file_size(path, ec);
  std::string data = read_up_to<std::string>(in, max_bytes, ec ? 0 : on_disk);
  std::byte extra{};
  if (data.size() == max_bytes && in.read(&extra, 1) != 0)
    fail(path, fmt::format("larger than the {} MiB limit{}", max_bytes >> 20,
                           in.is_gzip() ? " once decompressed" : ""));
  return data;
}

}  // namespace gradc::runtime
