// frontend/source.cpp — line tables for turning byte offsets into line:col.
#include "frontend/source.h"

#include <algorithm>

namespace gradc::frontend {

SourceFile::SourceFile(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n') line_starts_.push_back(static_cast<uint32_t>(i + 1));
}

LineCol SourceFile::line_col(uint32_t offset) const {
  offset = std::min<uint32_t>(offset, static_cast<uint32_t>(text_.size()));
  // The last line start at or before offset: binary search, so a diagnostic in
  // a huge file costs no scan.
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const auto line = static_cast<int>(it - line_starts_.begin());
  return {line, static_cast<int>(offset - line_starts_[static_cast<size_t>(line - 1)]) + 1};
}

std::string_view SourceFile::line_text(int line) const {
  if (line < 1 || static_cast<size_t>(line) > line_starts_.size()) return {};
  const size_t begin = line_starts_[static_cast<size_t>(line - 1)];
  size_t end = static_cast<size_t>(line) < line_starts_.size()
                   ? line_starts_[static_cast<size_t>(line)] - 1
                   : text_.size();
  if (end > begin && text_[end - 1] == '\r') --end;  // CRLF files
  return std::string_view(text_).substr(begin, end - begin);
}

}  // namespace gradc::frontend
