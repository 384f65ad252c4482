// runtime/npz.cpp — .npz archives: a small zip writer (stored members, zip64 when needed) and a
// reader that bounds-checks every field before it uses it.
//
// Zip layout (PKWARE APPNOTE 6.3): per member a local header, its name and the data; then the
// central directory (one header per member, pointing at its local header); then, when a count,
// size or offset does not fit the 16/32-bit fields, the zip64 end record and its locator; last
// the end-of-central-directory record.
#include "runtime/npz.h"

#include "runtime/atomic_file.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace gradc::runtime {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr size_t kLocalSize = 30, kCentralSize = 46, kEndSize = 22;
constexpr size_t kZip64EndSize = 56, kZip64LocatorSize = 20;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint16_t kVersion20 = 20, kVersion45 = 45;  // 4.5: zip64
constexpr uint16_t kMadeByUnix = 3 << 8;
constexpr uint16_t kDosDate1980 = (1 << 5) | 1;       // 1980-01-01, as numpy.savez writes
constexpr uint32_t kFileMode0600 = 0100600u << 16;    // a regular file, rw------- (zipfile's)
constexpr uint16_t kFlagEncrypted = 1, kFlagUtf8 = 1 << 11;
constexpr uint16_t kStored = 0, kDeflated = 8;
constexpr uint64_t kMaxDeflateRatio = 1032;           // deflate cannot expand data further

[[noreturn]] void fail(const std::string& name, std::string_view problem) {
  throw NpzError(fmt::format("{}: {}", name, problem));
}

// ---- writing ----

class Writer {
 public:
  void u16(uint64_t v) { put(v, 2); }
  void u32(uint64_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void bytes(std::string_view s) { out_ += s; }
  size_t size() const { return out_.size(); }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  void put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xff);
  }
};

struct Member {
  std::string name;  // NAME.npy
  uint32_t crc = 0;
  uint64_t size = 0;
  uint64_t offset = 0;
};

bool has_non_ascii(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

uint16_t flags_for(const Member& m) { return has_non_ascii(m.name) ? kFlagUtf8 : 0; }

uint32_t crc32_of(std::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib's length is a uInt: feed it in pieces so members over 4 GiB are summed whole.
  for (size_t at = 0; at < data.size();) {
    const size_t n = std::min<size_t>(data.size() - at, 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + at), static_cast<uInt>(n));
    at += n;
  }
  return static_cast<uint32_t>(crc);
}

void write_local(Writer& w, const Member& m, uint64_t limit) {
  const bool zip64 = m.size >= limit;
  w.u32(kLocalSig);
  w.u16(zip64 ? kVersion45 : kVersion20);
  w.u16(flags_for(m));
  w.u16(kStored);
  w.u16(0);
  w.u16(kDosDate1980);
  w.u32(m.crc);
  w.u32(zip64 ? 0xffffffff : m.size);  // compressed size
  w.u32(zip64 ? 0xffffffff : m.size);  // uncompressed size
  w.u16(m.name.size());
  w.u16(zip64 ? 20 : 0);
  w.bytes(m.name);
  if (zip64) {  // local zip64 extra: both sizes, uncompressed first
    w.u16(kZip64ExtraId);
    w.u16(16);
    w.u64(m.size);
    w.u64(m.size);
  }
}

void write_central(Writer& w, const Member& m, uint64_t limit) {
  const bool big_size = m.size >= limit, big_offset = m.offset >= limit;
  const uint16_t extra = (big_size ? 16 : 0) + (big_offset ? 8 : 0);
  w.u32(kCentralSig);
  w.u16(kMadeByUnix | (extra ? kVersion45 : kVersion20));
  w.u16(extra ? kVersion45 : kVersion20);
  w.u16(flags_for(m));
  w.u16(kStored);
  w.u16(0);
  w.u16(kDosDate1980);
  w.u32(m.crc);
  w.u32(big_size ? 0xffffffff : m.size);
  w.u32(big_size ? 0xffffffff : m.size);
  w.u16(m.name.size());
  w.u16(extra ? extra + 4 : 0);
  w.u16(0);  // comment
  w.u16(0);  // disk
  w.u16(0);  // internal attributes
  w.u32(kFileMode0600);
  w.u32(big_offset ? 0xffffffff : m.offset);
  w.bytes(m.name);
  if (extra) {  // the fields that overflowed, in the order APPNOTE gives
    w.u16(kZip64ExtraId);
    w.u16(extra);
    if (big_size) {
      w.u64(m.size);
      w.u64(m.size);
    }
    if (big_offset) w.u64(m.offset);
  }
}

void write_end(Writer& w, uint64_t count, uint64_t cd_offset, uint64_t cd_size, uint64_t limit) {
  const bool zip64 = count >= std::min<uint64_t>(limit, 0xffff) || cd_offset >= limit ||
                     cd_size >= limit;
  if (zip64) {
    const uint64_t record_at = w.size();
    w.u32(kZip64EndSig);
    w.u64(kZip64EndSize - 12);  // the record's size, not counting these first 12 bytes
    w.u16(kMadeByUnix | kVersion45);
    w.u16(kVersion45);
    w.u32(0);
    w.u32(0);
    w.u64(count);
    w.u64(count);
    w.u64(cd_size);
    w.u64(cd_offset);
    w.u32(kZip64LocatorSig);
    w.u32(0);
    w.u64(record_at);
    w.u32(1);
  }
  w.u32(kEndSig);
  w.u16(0);
  w.u16(0);
  w.u16(zip64 ? 0xffff : count);
  w.u16(zip64 ? 0xffff : count);
  w.u32(zip64 ? 0xffffffff : cd_size);
  w.u32(zip64 ? 0xffffffff : cd_offset);
  w.u16(0);
}

// ---- reading ----

// Bounds-checked little-endian reads from the archive; every overrun is an error.
class Reader {
 public:
  Reader(std::span<const std::byte> bytes, const std::string& name) : bytes_(bytes), name_(name) {}

  size_t size() const { return bytes_.size(); }
  uint64_t le(uint64_t at, int n, std::string_view what) const {
    need(at, static_cast<uint64_t>(n), what);
    uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v |= uint64_t{std::to_integer<uint8_t>(bytes_[at + static_cast<uint64_t>(i)])} << (8 * i);
    return v;
  }
  std::string_view text(uint64_t at, uint64_t n, std::string_view what) const {
    need(at, n, what);
    return {reinterpret_cast<const char*>(bytes_.data()) + at, n};
  }
  void need(uint64_t at, uint64_t n, std::string_view what) const {
    if (at > bytes_.size() || n > bytes_.size() - at)
      fail(name_, fmt::format("truncated or corrupt archive: {} (bytes {}..{}) lies beyond the "
                              "end of the file ({} bytes)", what, at, at + n, bytes_.size()));
  }

 private:
  std::span<const std::byte> bytes_;
  const std::string& name_;
};

struct Directory {
  uint64_t count = 0, offset = 0, size = 0;
  uint64_t end = 0;  // where the records after the central directory start
};

// The end record is the last 22 bytes plus a comment of its stated length; search back for it.
uint64_t find_end_record(const Reader& r, const std::string& name) {
  if (r.size() < kEndSize)
    fail(name, fmt::format("not an .npz archive or truncated: {} bytes, shorter than a zip end "
                           "record", r.size()));
  const uint64_t last = r.size() - kEndSize;
  const uint64_t first = last > 0xffff ? last - 0xffff : 0;
  for (uint64_t at = last + 1; at-- > first;)
    if (r.le(at, 4, "end record") == kEndSig && at + kEndSize + r.le(at + 20, 2, "comment") == r.size())
      return at;
  const std::string_view head = r.text(0, std::min<uint64_t>(r.size(), 4), "start");
  if (head != std::string_view("PK\x03\x04", 4))
    fail(name, "not an .npz archive (it does not start with a zip member header 'PK\\x03\\x04')");
  fail(name, "truncated or corrupt archive: no zip end-of-central-directory record at its end");
}

Directory read_directory(const Reader& r, const std::string& name) {
  const uint64_t at = find_end_record(r, name);
  if (r.le(at + 4, 2, "end record") != 0 || r.le(at + 6, 2, "end record") != 0)
    fail(name, "multi-disk (split) zip archives are not supported");
  Directory d{r.le(at + 10, 2, "end record"), r.le(at + 16, 4, "end record"),
              r.le(at + 12, 4, "end record"), at};
  const bool locator = at >= kZip64LocatorSize &&
                       r.le(at - kZip64LocatorSize, 4, "zip64 locator") == kZip64LocatorSig;
  if (locator) {
    const uint64_t record = r.le(at - kZip64LocatorSize + 8, 8, "zip64 locator");
    if (record > at - kZip64LocatorSize || at - kZip64LocatorSize - record < kZip64EndSize ||
        r.le(record, 4, "zip64 end record") != kZip64EndSig)
      fail(name, "corrupt archive: the zip64 locator does not point at a zip64 end record");
    d = {r.le(record + 32, 8, "zip64 end record"), r.le(record + 48, 8, "zip64 end record"),
         r.le(record + 40, 8, "zip64 end record"), record};
  } else if (d.count == 0xffff || d.offset == 0xffffffff || d.size == 0xffffffff) {
    fail(name, "corrupt archive: the end record asks for zip64 but there is no zip64 locator");
  }
  if (d.offset > d.end || d.size != d.end - d.offset)
    fail(name, fmt::format("corrupt archive: the central directory (offset {}, size {}) does not "
                           "end where the end record starts (byte {})", d.offset, d.size, d.end));
  if (d.count > d.size / kCentralSize)
    fail(name, fmt::format("corrupt archive: {} members cannot fit a central directory of {} "
                           "bytes", d.count, d.size));
  return d;
}

struct Entry {
  std::string name;
  uint16_t flags = 0, method = 0;
  uint32_t crc = 0;
  uint64_t csize = 0, usize = 0, offset = 0;
};

// Replaces the 0xffffffff fields with the 64-bit values of the zip64 extra field.
void apply_zip64_extra(std::string_view extra, Entry& e, const std::string& name) {
  while (extra.size() >= 4) {
    const auto u = [&](size_t at, int n) {
      uint64_t v = 0;
      for (int i = 0; i < n; ++i) v |= uint64_t{static_cast<unsigned char>(extra[at + i])} << (8 * i);
      return v;
    };
    const uint64_t id = u(0, 2), len = u(2, 2);
    if (len > extra.size() - 4) fail(name, fmt::format("member '{}': corrupt extra field", e.name));
    if (id == kZip64ExtraId) {
      size_t at = 4;
      for (uint64_t* field : {&e.usize, &e.csize, &e.offset}) {
        if (*field != 0xffffffff) continue;
        if (at + 8 > 4 + len) fail(name, fmt::format("member '{}': corrupt zip64 field", e.name));
        *field = u(at, 8);
        at += 8;
      }
    }
    extra.remove_prefix(4 + len);
  }
}

Entry read_central(const Reader& r, uint64_t& at, const Directory& d, const std::string& name) {
  if (d.end - at < kCentralSize || r.le(at, 4, "central header") != kCentralSig)
    fail(name, fmt::format("corrupt archive: no central directory header at byte {}", at));
  Entry e;
  e.flags = static_cast<uint16_t>(r.le(at + 8, 2, "central header"));
  e.method = static_cast<uint16_t>(r.le(at + 10, 2, "central header"));
  e.crc = static_cast<uint32_t>(r.le(at + 16, 4, "central header"));
  e.csize = r.le(at + 20, 4, "central header");
  e.usize = r.le(at + 24, 4, "central header");
  const uint64_t name_len = r.le(at + 28, 2, "central header");
  const uint64_t extra_len = r.le(at + 30, 2, "central header");
  const uint64_t comment_len = r.le(at + 32, 2, "central header");
  const uint64_t disk = r.le(at + 34, 2, "central header");
  e.offset = r.le(at + 42, 4, "central header");
  const uint64_t total = kCentralSize + name_len + extra_len + comment_len;
  if (total > d.end - at) fail(name, "corrupt archive: a central directory header overruns it");
  e.name = std::string(r.text(at + kCentralSize, name_len, "member name"));
  apply_zip64_extra(r.text(at + kCentralSize + name_len, extra_len, "extra field"), e, name);
  if (disk != 0 && disk != 0xffff) fail(name, "multi-disk (split) zip archives are not supported");
  at += total;
  return e;
}

std::string method_name(uint16_t method) {
  switch (method) {
    case 1: return " (shrink)";
    case 6: return " (implode)";
    case 9: return " (deflate64)";
    case 12: return " (bzip2)";
    case 14: return " (lzma)";
    case 93: return " (zstd)";
    case 95: return " (xz)";
    default: return "";
  }
}

std::vector<std::byte> inflate_member(std::span<const std::byte> in, const Entry& e,
                                      const std::string& where) {
  if (e.usize > e.csize * kMaxDeflateRatio + 1024)
    fail(where, fmt::format("corrupt sizes: {} bytes cannot inflate to {}", e.csize, e.usize));
  std::vector<std::byte> out(e.usize);
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) fail(where, "cannot start zlib's inflate");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  int status = Z_OK;
  uint64_t in_left = in.size(), out_left = out.size();
  while (status == Z_OK) {  // zlib counts in uInt: hand it at most 1 GiB at a time
    const uInt in_step = static_cast<uInt>(std::min<uint64_t>(in_left, 1u << 30));
    const uInt out_step = static_cast<uInt>(std::min<uint64_t>(out_left, 1u << 30));
    z.avail_in = in_step;
    z.avail_out = out_step;
    status = inflate(&z, Z_FINISH);
    in_left -= in_step - z.avail_in;
    out_left -= out_step - z.avail_out;
    if (status == Z_BUF_ERROR && (in_left > 0 && out_left > 0)) status = Z_OK;  // more to feed
  }
  inflateEnd(&z);
  if (status != Z_STREAM_END || out_left != 0)
    fail(where, fmt::format("corrupt deflate data (zlib: {})",
                            status == Z_STREAM_END ? "shorter than its stated size"
                            : z.msg ? z.msg : "the data ends early or overflows its stated size"));
  return out;
}

// The member's bytes, checked against its local header and CRC-32.
std::vector<std::byte> member_data(const Reader& r, std::span<const std::byte> all, const Entry& e,
                                   const Directory& d, const std::string& name) {
  const std::string where = fmt::format("{}: member '{}'", name, e.name);
  if (e.flags & kFlagEncrypted) fail(where, "is encrypted");
  if (e.method != kStored && e.method != kDeflated)
    fail(where, fmt::format("unsupported compression method {}{}: only stored (0) and deflate (8)",
                            e.method, method_name(e.method)));
  if (e.offset > d.offset || d.offset - e.offset < kLocalSize ||
      r.le(e.offset, 4, "local header") != kLocalSig)
    fail(where, fmt::format("corrupt archive: no local header at byte {}", e.offset));
  const uint64_t name_len = r.le(e.offset + 26, 2, "local header");
  const uint64_t extra_len = r.le(e.offset + 28, 2, "local header");
  const uint64_t start = e.offset + kLocalSize + name_len + extra_len;
  if (start > d.offset || e.csize > d.offset - start)
    fail(where, fmt::format("corrupt archive: its data ({} bytes at byte {}) runs into the central "
                            "directory", e.csize, start));
  if (r.text(e.offset + kLocalSize, name_len, "local name") != e.name)
    fail(where, "corrupt archive: the local header names a different member");
  const auto data = all.subspan(start, e.csize);
  std::vector<std::byte> out;
  if (e.method == kDeflated) {
    out = inflate_member(data, e, where);
  } else {
    if (e.usize != e.csize)
      fail(where, fmt::format("corrupt sizes: stored {} bytes, stated {}", e.csize, e.usize));
    out.assign(data.begin(), data.end());
  }
  const uint32_t crc = crc32_of({reinterpret_cast<const char*>(out.data()), out.size()});
  if (crc != e.crc)
    fail(where, fmt::format("CRC-32 mismatch (stored {:08x}, computed {:08x}): the archive is "
                            "corrupt", e.crc, crc));
  return out;
}

std::string printable_name(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 100)) {
    const auto u = static_cast<unsigned char>(c);
    out += u >= 0x20 && u != 0x7f ? std::string(1, c) : fmt::format("\\x{:02x}", u);
  }
  return out;
}

}  // namespace

namespace detail {
std::string encode_npz(const NpzArchive& archive, uint64_t zip64_limit) {
  Writer w;
  std::vector<Member> members;
  for (const auto& [name, array] : archive.arrays()) {
    const std::string npy = encode_npy(array);
    Member m{name + ".npy", crc32_of(npy), npy.size(), w.size()};
    write_local(w, m, zip64_limit);
    w.bytes(npy);
    members.push_back(std::move(m));
  }
  const uint64_t cd_offset = w.size();
  for (const Member& m : members) write_central(w, m, zip64_limit);
  write_end(w, members.size(), cd_offset, w.size() - cd_offset, zip64_limit);
  return w.take();
}
}  // namespace detail

void NpzArchive::add(std::string name, NpyArray array) {
  if (name.empty() || name.find('\0') != std::string::npos || name.front() == '/' ||
      name.size() > 0xffff - 4)
    fail(source, fmt::format("unusable array name '{}'", printable_name(name)));
  if (find(name)) fail(source, fmt::format("two arrays named '{}'", printable_name(name)));
  arrays_.emplace_back(std::move(name), std::move(array));
}

const NpyArray* NpzArchive::find(std::string_view name) const {
  for (const auto& [n, a] : arrays_)
    if (n == name) return &a;
  return nullptr;
}

const NpyArray& NpzArchive::at(std::string_view name) const {
  if (const NpyArray* a = find(name)) return *a;
  fail(source, fmt::format("no array '{}' (it holds {})", name,
                           arrays_.empty() ? "none" : fmt::format("{}", fmt::join(names(), ", "))));
}

std::vector<std::string> NpzArchive::names() const {
  std::vector<std::string> out;
  for (const auto& entry : arrays_) out.push_back(entry.first);
  return out;
}

std::string encode_npz(const NpzArchive& archive) {
  return detail::encode_npz(archive, 0xffffffff);
}

NpzArchive parse_npz(std::span<const std::byte> bytes, const std::string& name) {
  const Reader r(bytes, name);
  const Directory d = read_directory(r, name);
  NpzArchive archive;
  archive.source = name;
  uint64_t at = d.offset;
  for (uint64_t i = 0; i < d.count; ++i) {
    const Entry e = read_central(r, at, d, name);
    if (!e.name.ends_with(".npy") || e.name.size() == 4)
      fail(name, fmt::format("member '{}' is not a .npy file (an .npz holds only NAME.npy "
                             "members)", printable_name(e.name)));
    const std::vector<std::byte> npy = member_data(r, bytes, e, d, name);
    const std::string array_name = e.name.substr(0, e.name.size() - 4);
    if (archive.find(array_name))
      fail(name, fmt::format("corrupt archive: two members named '{}'", printable_name(e.name)));
    archive.add(array_name, parse_npy(npy, fmt::format("{}: member '{}'", name, e.name)));
  }
  if (at != d.end)
    fail(name, fmt::format("corrupt archive: the central directory holds more than its {} "
                           "members", d.count));
  return archive;
}

NpzArchive read_npz(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not an .npz file");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) fail(path, fmt::format("cannot open: {}", std::strerror(errno)));
  std::vector<std::byte> bytes;
  std::vector<std::byte> chunk(1 << 16);
  size_t n;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), f.get())) > 0)
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + static_cast<ptrdiff_t>(n));
  if (std::ferror(f.get())) fail(path, fmt::format("cannot read: {}", std::strerror(errno)));
  return parse_npz(bytes, path);
}

void write_npz(const std::string& path, const NpzArchive& archive) {
  const std::string bytes = encode_npz(archive);  // first, so a bad array never touches the disk
  try {
    write_file_atomically(path, bytes);
  } catch (const FileError& e) {
    throw NpzError(e.what());
  }
}

}  // namespace gradc::runtime
