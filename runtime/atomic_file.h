// runtime/atomic_file.h — writing a file so that nothing a user saved is ever lost.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace gradc::runtime {

// "PATH: cannot write: reason".
struct FileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Writes PATH.tmp (same directory), flushes it to disk, renames it over PATH and
// flushes the directory: a reader, a killed process or a power cut sees the old
// file or the whole new one, never half of one. On failure the temporary file is
// removed and FileError says why.
void write_file_atomically(const std::string& path, std::string_view bytes);

}  // namespace gradc::runtime
