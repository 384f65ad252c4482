// frontend/source.h — a source file and positions in it.
//
// The text is held with its explicit length: it may contain NUL bytes, which
// the lexer diagnoses instead of stopping at.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ir/types.h"

namespace gradc::frontend {

using ir::SourceLoc;

struct LineCol {
  int line;  // 1-based
  int col;   // 1-based, in bytes
};

class SourceFile {
 public:
  SourceFile(std::string name, std::string text);

  const std::string& name() const { return name_; }
  std::string_view text() const { return text_; }
  LineCol line_col(uint32_t offset) const;
  std::string_view line_text(int line) const;  // without the newline

 private:
  std::string name_;
  std::string text_;
  std::vector<uint32_t> line_starts_;
};

}  // namespace gradc::frontend
