// runtime/npz.h — numpy's .npz archives: named .npy arrays in a zip file (checkpoints).
//
// The writer produces what numpy.savez writes (stored members NAME.npy, CRC-32, zip64 where a
// size or offset needs it) and replaces the file atomically, so a process killed at any instant
// leaves the previous archive or the new one, whole. The reader never trusts the file: every
// malformed archive is an NpzError "<file>: <what is wrong>", never a crash. See
// docs/checkpoints.md.
#pragma once

#include "runtime/npy.h"

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gradc::runtime {

// A problem with an archive; an NpyError too, so one handler catches both.
class NpzError : public NpyError {
 public:
  using NpyError::NpyError;
};

// Named arrays in the order they were added (numpy.load lists them in that order).
class NpzArchive {
 public:
  // Throws NpzError for a duplicate or unusable name (empty, a NUL, a leading '/').
  void add(std::string name, NpyArray array);

  const NpyArray* find(std::string_view name) const;  // nullptr when absent
  // Throws NpzError "<archive name>: no array 'NAME' (it holds a, b, c)" when absent.
  const NpyArray& at(std::string_view name) const;

  const std::vector<std::pair<std::string, NpyArray>>& arrays() const { return arrays_; }
  std::vector<std::string> names() const;
  size_t size() const { return arrays_.size(); }

  std::string source = "archive";  // the file it was read from, for error messages

 private:
  std::vector<std::pair<std::string, NpyArray>> arrays_;
};

// The archive's bytes: one stored (uncompressed) member NAME.npy per array.
std::string encode_npz(const NpzArchive& archive);

// Parses an archive from memory; `name_for_errors` starts every error message. Members may be
// stored or deflated (numpy.savez_compressed); every member must be a .npy file.
NpzArchive parse_npz(std::span<const std::byte> bytes, const std::string& name_for_errors);

NpzArchive read_npz(const std::string& path);

namespace detail {
// encode_npz with zip64 fields wherever a size, offset or count reaches `zip64_limit` (and
// 0xffff members), so tests can check the zip64 layout without writing 4 GiB.
std::string encode_npz(const NpzArchive& archive, uint64_t zip64_limit);
}  // namespace detail

// Writes PATH.tmp in the same directory, fsyncs it, renames it over PATH and fsyncs the
// directory. On failure the temporary file is removed and PATH is untouched.
void write_npz(const std::string& path, const NpzArchive& archive);

}  // namespace gradc::runtime
