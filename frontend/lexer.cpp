// frontend/lexer.cpp — a hand-written scanner; every bad byte gets its own message.
#include "frontend/lexer.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <limits>

#include "frontend/utf8.h"

namespace gradc::frontend {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }

struct Lexer {
  std::string_view text;
  size_t pos = 0;
  uint32_t last_end = 0;  // just past the last token: where "end of input" points
  LexResult out;

  SourceLoc span(size_t begin, size_t end) const {
    return {static_cast<uint32_t>(begin), static_cast<uint32_t>(end - begin)};
  }
  void push(Tok kind, size_t begin, size_t end, double value = 0) {
    out.tokens.push_back({kind, span(begin, end), text.substr(begin, end - begin), value});
    if (kind != Tok::Newline) last_end = static_cast<uint32_t>(end);
  }
  // Ends the token list with an Error token carrying the diagnostic.
  void fail(size_t begin, size_t end, std::string message, std::vector<std::string> notes = {}) {
    out.error = Diagnostic{span(begin, end), std::move(message), std::move(notes)};
    out.tokens.push_back({Tok::Error, span(begin, end), text.substr(begin, end - begin), 0});
  }

  bool run();
  bool number();
  bool bad_character();
  bool punctuation(char c);
};

// [0-9]* ('.' [0-9]*)? ([eE] [+-]? [0-9]+)?, with at least one digit before the exponent.
bool Lexer::number() {
  const size_t begin = pos;
  int dots = 0;
  while (pos < text.size() && (is_digit(text[pos]) || text[pos] == '.')) dots += text[pos++] == '.';
  // "2exp(x)" is the number 2 then the name exp (and then a clear parse error),
  // not a malformed exponent.
  const bool exponent = pos < text.size() && (text[pos] == 'e' || text[pos] == 'E') &&
                        !(pos + 1 < text.size() && is_ident_start(text[pos + 1]));
  if (exponent) {
    const char e = text[pos++];
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) ++pos;
    if (pos >= text.size() || !is_digit(text[pos])) {
      fail(begin, pos, fmt::format("malformed number '{}': expected digits after '{}'",
                                   text.substr(begin, pos - begin), e));
      return false;
    }
    while (pos < text.size() && is_digit(text[pos])) ++pos;
  }
  // "1.2.3" and "1e5.2": swallow the rest so the message shows the whole thing.
  while (pos < text.size() && (is_digit(text[pos]) || text[pos] == '.')) dots += 2 * (text[pos++] == '.');
  const std::string_view spelled = text.substr(begin, pos - begin);
  if (dots > 1) {
    fail(begin, pos, fmt::format("malformed number '{}'", spelled),
         {"a number has at most one '.', as in 2.5 or .5"});
    return false;
  }
  double value = 0;
  auto [ptr, ec] = std::from_chars(spelled.data(), spelled.data() + spelled.size(), value);
  if (ec == std::errc::result_out_of_range) {
    fail(begin, pos, fmt::format("number '{}' is out of range for f64", spelled));
    return false;
  }
  if (ec != std::errc() || ptr != spelled.data() + spelled.size()) {
    fail(begin, pos, fmt::format("malformed number '{}'", spelled));
    return false;
  }
  push(Tok::Number, begin, pos, value);
  return true;
}

// A byte no token starts with: name it so the user can find it (\xNN for the invisible).
bool Lexer::bad_character() {
  const auto c = static_cast<unsigned char>(text[pos]);
  const size_t n = utf8_sequence_length(text.substr(pos));
  if (c == 0) {
    fail(pos, pos + 1, "unexpected NUL byte");
  } else if (c >= 0x80 && n == 0) {
    fail(pos, pos + 1, fmt::format("invalid UTF-8 byte '\\x{:02x}'", c),
         {"gradc source files are UTF-8 text"});
  } else if (c >= 0x80) {
    const uint32_t cp = utf8_decode(text.substr(pos), n);
    std::vector<std::string> notes;
    if (cp == 0x00D7 || cp == 0x00B7 || cp == 0x22C5 || cp == 0x2217) notes.push_back("write '*' for multiplication");
    if (cp == 0x2212 || cp == 0x2013) notes.push_back("write '-' (ASCII hyphen-minus) for minus");
    if (cp == 0x00F7 || cp == 0x2215) notes.push_back("write '/' for division");
    fail(pos, pos + n, fmt::format("unexpected character '{}' (U+{:04X})", text.substr(pos, n), cp),
         std::move(notes));
  } else if (c < 0x20 || c == 0x7f) {
    fail(pos, pos + 1, fmt::format("unexpected character '\\x{:02x}'", c));
  } else {
    std::vector<std::string> notes;
    if (c == '{' || c == '}') notes.push_back("use '(' and ')' for grouping");
    fail(pos, pos + 1, fmt::format("unexpected character '{}'", static_cast<char>(c)), std::move(notes));
  }
  return false;
}

bool Lexer::punctuation(char c) {
  const size_t begin = pos++;
  switch (c) {
    case '+': push(Tok::Plus, begin, pos); return true;
    case '-': push(Tok::Minus, begin, pos); return true;
    case '/': push(Tok::Slash, begin, pos); return true;
    case '^': push(Tok::Caret, begin, pos); return true;
    case '(': push(Tok::LParen, begin, pos); return true;
    case ')': push(Tok::RParen, begin, pos); return true;
    case ',': push(Tok::Comma, begin, pos); return true;
    case '@': push(Tok::At, begin, pos); return true;
    case '[': push(Tok::LBracket, begin, pos); return true;
    case ']': push(Tok::RBracket, begin, pos); return true;
    case '.': push(Tok::Dot, begin, pos); return true;  // x.T (".5" is a number)
    case ':': push(Tok::Colon, begin, pos); return true;
    case '=': push(Tok::Assign, begin, pos); return true;
    case ';': push(Tok::Semi, begin, pos); return true;
    case '\n': push(Tok::Newline, begin, pos); return true;
    case '*':
      if (pos < text.size() && text[pos] == '*') push(Tok::Caret, begin, ++pos);  // ** is ^
      else push(Tok::Star, begin, pos);
      return true;
    default: pos = begin; return bad_character();
  }
}

bool Lexer::run() {
  if (text.size() >= std::numeric_limits<uint32_t>::max()) {
    fail(0, 0, "source file is too large (4 GiB or more)");
    return false;
  }
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++pos;
    } else if (c == '#') {
      while (pos < text.size() && text[pos] != '\n') ++pos;
    } else if (is_digit(c) || (c == '.' && pos + 1 < text.size() && is_digit(text[pos + 1]))) {
      if (!number()) return false;
    } else if (is_ident_start(c)) {
      const size_t begin = pos;
      while (pos < text.size() && is_ident_char(text[pos])) ++pos;
      push(Tok::Ident, begin, pos);
    } else if (!punctuation(c)) {
      return false;
    }
  }
  out.tokens.push_back({Tok::Eof, {last_end, 0}, {}, 0});
  return true;
}

}  // namespace

LexResult lex(const SourceFile& src) {
  Lexer lexer;
  lexer.text = src.text();
  lexer.run();
  return std::move(lexer.out);
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::Number: return fmt::format("number '{}'", t.text);
    case Tok::Ident: return fmt::format("name '{}'", t.text);
    case Tok::Newline: return "end of line";
    case Tok::Eof: return "end of input";
    default: return fmt::format("'{}'", t.text);
  }
}

}  // namespace gradc::frontend
