// runtime/idx.h — reading IDX files (the MNIST format), plain or gzip-compressed.
//
// Data sets arrive as downloads and Debian packages, so the reader trusts nothing: a bad magic,
// a short file, a header claiming 2^31 images or a corrupt gzip stream is a DataError naming the
// file and the problem, never a crash and never an allocation the data does not back. The gzip
// stream is inflated in chunks and the buffer only grows as decompressed bytes actually arrive,
// so a gzip bomb or a lying header costs at most the header's size, capped at kMaxIdxBytes.
// See docs/data.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace gradc::runtime {

// Every problem with a data file or data set: the message is "<file>: <what is wrong>".
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The largest payload an IDX file may declare (4 GiB of bytes, 16 GiB once made float).
inline constexpr uint64_t kMaxIdxBytes = uint64_t{1} << 32;

// An IDX array of unsigned bytes (type 0x08, the only type MNIST-style sets use).
struct IdxArray {
  std::vector<int64_t> dims;  // e.g. {60000, 28, 28} for images, {60000} for labels
  std::vector<uint8_t> data;  // row-major, product(dims) bytes
};

// Reads a whole IDX file; gzip is recognised by its magic bytes, whatever the file is called.
IdxArray read_idx(const std::string& path);

// The same, from bytes in memory (plain or gzip); `name_for_errors` starts every message.
IdxArray parse_idx(std::span<const std::byte> bytes, const std::string& name_for_errors);

// The plain IDX bytes of an unsigned-byte array (tests write data sets with it).
std::string encode_idx(const std::vector<int64_t>& dims, std::span<const uint8_t> data);

// A whole file's bytes, inflated if it is gzip; throws DataError past max_bytes (the CSV and
// .npy readers use it so that `train.csv.gz` works too).
std::string read_maybe_gzip(const std::string& path, uint64_t max_bytes);

}  // namespace gradc::runtime
