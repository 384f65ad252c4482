// runtime/atomic_file.cpp — temp file + fsync + rename.
#include "runtime/atomic_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace gradc::runtime {

namespace {
[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw FileError(fmt::format("{}: cannot write: {}", path, why));
}
}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  // stdio rather than ofstream: fwrite and fclose set errno, so the message says why.
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail(tmp, std::strerror(errno));
  int err = 0;
  if (std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) err = errno;
  if (err == 0 && std::fflush(f) != 0) err = errno;
  if (err == 0 && ::fsync(::fileno(f)) != 0 && errno != EINVAL) err = errno;  // EINVAL: no fsync here
  if (std::fclose(f) != 0 && err == 0) err = errno;  // a full disk may only show here
  if (err != 0) {
    std::remove(tmp.c_str());
    fail(tmp, std::strerror(err));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    fail(path, ec.message());
  }
}

}  // namespace gradc::runtime
