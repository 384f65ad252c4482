// tests/unit/temp_dir.h — a fresh directory for one test, removed with everything in it.
#pragma once

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
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

}  // namespace gradc::testing
