// ir/text_reader.cpp — tokens and positioned errors for the IR parser.
#include "ir/text_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "ir/text_syntax.h"

namespace gradc::ir::text {

namespace {

// Lines longer than this are shown as a window around the column.
constexpr size_t kShownWidth = 100;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_number_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '+' || c == '-';
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The line, cut to a window around `col` (0-based), and the caret under it.
std::string shown_line_and_caret(std::string_view line, size_t col) {
  size_t from = 0;
  std::string prefix, suffix;
  if (line.size() > kShownWidth) {
    from = col > kShownWidth / 2 ? col - kShownWidth / 2 : 0;
    if (from > 0) prefix = "...";
    if (from + kShownWidth < line.size()) suffix = "...";
    line = line.substr(from, kShownWidth);
  }
  std::string shown = prefix, caret(prefix.size(), ' ');
  for (size_t i = 0; i < line.size(); ++i) {
    const auto byte = static_cast<unsigned char>(line[i]);
    shown += byte < 0x20 && line[i] != '\t' ? '?' : line[i];  // a NUL must not end the message
    if (i < col - from) caret += line[i] == '\t' ? '\t' : ' ';
  }
  return shown + suffix + "\n" + caret + "^";
}

}  // namespace

void Reader::skip_space() {
  while (!at_end()) {
    const char c = peek();
    if (c == ' ' || c == '\t' || c == '\r') {
      ++pos_;
    } else if (c == '/' && text_.substr(pos_, 2) == "//") {
      while (!at_end() && peek() != '\n') ++pos_;
    } else {
      return;
    }
  }
}

void Reader::skip_blank() {
  for (skip_space(); peek() == '\n'; skip_space()) ++pos_;
}

bool Reader::accept(char c) {
  skip_space();
  if (at_end() || peek() != c) return false;
  ++pos_;
  return true;
}

bool Reader::accept_word(std::string_view w) {
  skip_space();
  const size_t end = pos_ + w.size();
  if (text_.substr(pos_, w.size()) != w || (end < text_.size() && is_name_char(text_[end]))) return false;
  pos_ = end;
  return true;
}

void Reader::expect(char c, std::string_view context) {
  if (!accept(c)) fail(fmt::format("expected '{}' {}", c, context));
}

void Reader::expect_word(std::string_view w, std::string_view context) {
  if (!accept_word(w)) fail(fmt::format("expected '{}' {}", w, context));
}

void Reader::end_of_line() {
  skip_space();
  if (at_end()) return;  // the caller decides whether more was needed
  if (peek() != '\n') fail("expected the end of the line");
  ++pos_;
}

std::string Reader::word(std::string_view what) {
  skip_space();
  const size_t start = pos_;
  while (!at_end() && is_name_char(peek()) && text_.substr(pos_, 2) != "//") {
    // '#' joins a word ("softmax#3") but never starts the notes' "# ..." inside one.
    if (peek() == '#' && (pos_ == start || pos_ + 1 >= text_.size() || !is_name_char(text_[pos_ + 1])))
      break;
    ++pos_;
  }
  if (pos_ == start) fail(fmt::format("expected {}", what));
  return std::string(text_.substr(start, pos_ - start));
}

bool Reader::next_is_name() const {
  return peek() == '"' || (is_name_char(peek()) && peek() != '#');
}

std::string Reader::name(std::string_view what) {
  skip_space();
  if (peek() != '"') return word(what);
  ++pos_;
  return quoted_string();
}

std::string Reader::quoted_string() {
  std::string out;
  for (;;) {
    if (at_end() || peek() == '\n') fail("unterminated string: expected '\"'");
    const char c = text_[pos_++];
    if (c == '"') return out;
    if (c != '\\') {
      out += c;
      continue;
    }
    const char e = peek();
    if (e == '"' || e == '\\') {
      out += e, ++pos_;
    } else if (e == 'x' && pos_ + 2 < text_.size() && hex_value(text_[pos_ + 1]) >= 0 &&
               hex_value(text_[pos_ + 2]) >= 0) {
      out += static_cast<char>(hex_value(text_[pos_ + 1]) * 16 + hex_value(text_[pos_ + 2]));
      pos_ += 3;
    } else {
      fail("unknown escape in a string (\\\" \\\\ and \\xNN are known)");
    }
  }
}

std::string Label::key() const { return numbered ? text : name_text(text); }

Label Reader::label(std::string_view what) {
  skip_space();
  if (peek() != '%') fail(fmt::format("expected {} (a value such as %0 or %x)", what));
  ++pos_;
  if (peek() == '"') {
    ++pos_;
    return {quoted_string(), false};
  }
  std::string w = word(fmt::format("{} after '%'", what));
  const bool numbered = is_digit(w[0]);
  return {std::move(w), numbered};
}

std::string_view Reader::token(std::string_view what) {
  skip_space();
  const size_t start = pos_;
  while (!at_end() && is_number_char(peek())) ++pos_;
  if (pos_ == start) fail(fmt::format("expected {}", what));
  return text_.substr(start, pos_ - start);
}

int64_t Reader::integer(std::string_view what) {
  const size_t start = (skip_space(), pos_);
  const std::string_view tok = token(what);
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
  if (ec == std::errc::result_out_of_range) fail_at(start, fmt::format("{} out of range: '{}'", what, tok));
  if (ec != std::errc() || end != tok.data() + tok.size())
    fail_at(start, fmt::format("expected {}, got '{}'", what, tok));
  return v;
}

double Reader::number(std::string_view what) {
  const size_t start = (skip_space(), pos_);
  const std::string_view tok = token(what);
  double v = 0;
  const auto [end, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
  if (ec == std::errc::result_out_of_range) fail_at(start, fmt::format("{} out of range: '{}'", what, tok));
  if (ec != std::errc() || end != tok.data() + tok.size())
    fail_at(start, fmt::format("expected {}, got '{}'", what, tok));
  return v;
}

std::string Reader::rest_of_call() {
  const size_t start = pos_;
  while (!at_end() && peek() != ')') {
    if (peek() == '\n' || peek() == '(' || peek() == '"') fail("expected ')' to close the initialiser");
    ++pos_;
  }
  if (at_end()) fail("expected ')' to close the initialiser");
  return std::string(text_.substr(start, pos_++ - start));
}

bool Reader::defined_later(std::string_view key) const {
  Reader r = *this;
  for (size_t line = text_.find('\n', pos_); line != std::string_view::npos; line = text_.find('\n', line + 1)) {
    r.seek(line + 1);
    r.skip_space();
    if (r.peek() != '%') continue;
    try {
      if (r.label("a value").key() == key && r.accept('=')) return true;
    } catch (const TextError&) {
      // not a definition: keep looking
    }
  }
  return false;
}

void Reader::fail_at(size_t pos, std::string_view message) const {
  pos = std::min(pos, text_.size());
  const size_t newline_before = pos == 0 ? std::string_view::npos : text_.rfind('\n', pos - 1);
  const size_t begin = newline_before == std::string_view::npos ? 0 : newline_before + 1;
  size_t end = text_.find('\n', begin);
  if (end == std::string_view::npos) end = text_.size();
  int line = 1;
  for (size_t i = 0; i < begin; ++i) line += text_[i] == '\n';
  const int col = static_cast<int>(pos - begin) + 1;
  std::string rendered = fmt::format("{}:{}:{}: error: {}\n{}", name_, line, col, message,
                                     shown_line_and_caret(text_.substr(begin, end - begin), pos - begin));
  throw TextError(std::move(rendered), line, col, std::string(message));
}

}  // namespace gradc::ir::text
