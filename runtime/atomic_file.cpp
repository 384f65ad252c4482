// runtime/atomic_file.cpp — temp file + fsync + rename + fsync of the directory.
#include "runtime/atomic_file.h"

#include <fmt/format.h>
#include <fcntl.h>
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
// The rename lives in the directory: until the directory is on disk, a power cut may bring
// back the old file (or none). A filesystem without fsync on directories (EINVAL) is fine.
void sync_directory_of(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(path, fmt::format("cannot open its directory to sync it: {}", std::strerror(errno)));
  const int err = ::fsync(fd) != 0 && errno != EINVAL ? errno : 0;
  ::close(fd);
  if (err != 0) fail(path, fmt::format("cannot sync its directory: {}", std::strerror(err)));
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
  sync_directory_of(path);
}

}  // namespace gradc::runtime
