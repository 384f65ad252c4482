// tests/unit/temp_dir.h — a fresh directory for one test, removed with everything in it, and
// the two helpers the file-format tests share: a file's bytes, and a string seen as bytes.
#pragma once

#include <fmt/format.h>
#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace gradc::testing {

struct TempDir {
  std::filesystem::path path;

  explicit TempDir(std::string_view prefix = "gradc_test") {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() / fmt::format("{}_{}_{}", prefix, getpid(), counter++);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

inline std::string file_contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace gradc::testing
