// ir/text_reader.h — the IR parser's cursor over the text: tokens, and errors that
// point at a line and column.
//
// Why apart from the grammar (ir/text_parser.cpp): skipping blanks and comments,
// reading names, quoted strings and numbers, and rendering "name:line:col: error:"
// with the line and a caret are the same for every rule, and each is a loop over
// characters, never a recursion. ir/ may not use frontend/, so the rendering here is
// a small copy of frontend/diagnostics' layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ir/text_parser.h"

namespace gradc::ir::text {

// A value's label after '%'. Labels made of digits (%0, %17) are the printer's
// numbering; any other label is a name, known by its printed spelling, so %x and
// %"x" are the same value while %0 and %"0" are not.
struct Label {
  std::string text;  // as decoded: x, 0, a b
  bool numbered = false;
  std::string key() const;  // how the parser's symbol table knows it
  std::string shown() const { return "%" + key(); }
};

class Reader {
 public:
  Reader(std::string_view text, std::string_view name) : text_(text), name_(name) {}

  size_t pos() const { return pos_; }
  void seek(size_t pos) { pos_ = pos; }  // back to a saved pos(): one token of lookahead
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_space();  // spaces, tabs, CRs and `//` comments, not newlines
  void skip_blank();  // the same and newlines

  // After skip_space: consume `c` (or the whole word `w`) if it is next.
  bool accept(char c);
  bool accept_word(std::string_view w);
  void expect(char c, std::string_view context);
  void expect_word(std::string_view w, std::string_view context);
  void end_of_line();  // nothing but space or a comment before the newline

  // A run of name chars (letters, digits, _ . ' / #); fails naming `what` if none.
  std::string word(std::string_view what);
  // A bare word or a "quoted" string (with \" \\ \xNN escapes).
  std::string name(std::string_view what);
  bool next_is_name() const;
  // "%x", "%0", "%\"a b\"".
  Label label(std::string_view what);
  int64_t integer(std::string_view what);
  double number(std::string_view what);
  // Everything up to the ')' that closes a '(' just read (a param's initialiser).
  std::string rest_of_call();

  [[noreturn]] void fail(std::string_view message) const { fail_at(pos_, message); }
  [[noreturn]] void fail_at(size_t pos, std::string_view message) const;

  // Whether some later line defines `%key` (only for error messages: "defined later").
  bool defined_later(std::string_view key) const;

 private:
  std::string quoted_string();
  std::string_view token(std::string_view what);  // a run of number chars

  std::string_view text_;
  std::string_view name_;
  size_t pos_ = 0;
};

}  // namespace gradc::ir::text
