// frontend/diagnostics.cpp — renders a Diagnostic as file:line:col, source line, caret.
//
// The echoed line is made safe for a terminal (control bytes and invalid UTF-8
// become '?'), long lines are cut to a window around the caret, and the caret
// line copies the line's tabs so it stays aligned whatever the tab width.
#include "frontend/diagnostics.h"

#include <fmt/format.h>

#include <algorithm>

#include "frontend/utf8.h"

namespace gradc::frontend {

namespace {

constexpr size_t kMaxShown = 120;  // longer lines are cut to a window...
constexpr size_t kWindow = 100;    // ...of this many bytes...
constexpr size_t kBefore = 40;     // ...starting this far before the caret

// One displayed character: where it starts in the line and what is printed.
struct Cell {
  size_t begin;
  std::string shown;
};

std::vector<Cell> cells_of(std::string_view s) {
  std::vector<Cell> cells;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = utf8_sequence_length(s.substr(i));
    if (n > 1) {
      cells.push_back({i, std::string(s.substr(i, n))});
    } else {
      n = 1;
      const bool printable = c == '\t' || (c >= 0x20 && c < 0x7f);
      cells.push_back({i, printable ? std::string(1, static_cast<char>(c)) : "?"});
    }
    i += n;
  }
  return cells;
}

// The source line and caret line for a span starting at byte col0 of line.
std::pair<std::string, std::string> excerpt(std::string_view line, size_t col0, size_t len) {
  size_t begin = 0, end = line.size();
  if (line.size() > kMaxShown) {
    begin = col0 > kBefore ? col0 - kBefore : 0;
    end = std::min(line.size(), begin + kWindow);
    begin = end - std::min(end, kWindow);
    begin = char_boundary(line, begin);
    end = char_boundary(line, end);
  }
  const std::string_view shown_part = line.substr(begin, end - begin);
  std::string text = begin > 0 ? "..." : "", caret = begin > 0 ? "   " : "";
  size_t underlined = 0;
  for (const Cell& cell : cells_of(shown_part)) {
    const size_t at = begin + cell.begin;
    text += cell.shown;
    if (at < col0) caret += cell.shown == "\t" ? '\t' : ' ';
    else if (at < col0 + std::max<size_t>(len, 1)) caret += underlined++ ? '~' : '^';
  }
  if (end < line.size()) text += "...";
  if (underlined == 0) caret += '^';  // the span starts at the end of the line
  return {text, caret};
}

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Remark: return "remark";
  }
  return "error";
}

}  // namespace

std::string render(const SourceFile& src, const Diagnostic& d) {
  const LineCol lc = src.line_col(d.loc.offset);
  std::string out =
      fmt::format("{}:{}:{}: {}: {}\n", src.name(), lc.line, lc.col, severity_name(d.severity), d.message);
  const std::string_view line = src.line_text(lc.line);
  const size_t col0 = std::min(static_cast<size_t>(lc.col - 1), line.size());
  auto [text, caret] = excerpt(line, col0, d.loc.len);
  out += fmt::format("{}\n{}\n", text, caret);
  for (const std::string& note : d.notes) out += fmt::format("note: {}\n", note);
  return out;
}

}  // namespace gradc::frontend
