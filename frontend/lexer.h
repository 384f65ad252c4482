// frontend/lexer.h — program text → tokens.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "frontend/diagnostics.h"
#include "frontend/source.h"
#include "ir/huge_pages.h"

namespace gradc::frontend {

enum class Tok : uint8_t {
  Number, Ident,
  Plus, Minus, Star, Slash, Caret,  // Caret is written ^ or **
  At,                               // @, matrix product
  LParen, RParen, LBracket, RBracket, Comma, Assign, Dot, Colon,
  Newline, Semi,                    // both end a statement
  Eof,
  Error,                            // a bad character; the diagnostic is in LexResult
};

struct Token {
  Tok kind = Tok::Eof;
  SourceLoc loc;
  std::string_view text;  // views the SourceFile's text
  double value = 0;       // Number
};

// The whole file is lexed up front (a 100k-character file is ~50k tokens).
// A lexical error does not throw here: it ends the token list with an Error
// token, and the parser throws `error` only when it reaches that token, so an
// earlier syntax error is still the one reported first.
struct LexResult {
  std::vector<Token, ir::HugePageAllocator<Token>> tokens;  // ends with Eof or Error; ir/huge_pages.h
  std::optional<Diagnostic> error;
};

LexResult lex(const SourceFile& src);

// "name 'x'", "number '2'", "'+'", "end of line": how messages name a token.
std::string describe(const Token& t);

}  // namespace gradc::frontend
