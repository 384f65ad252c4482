// ir/text_syntax.cpp — names, numbers, dims and roles as the IR text spells them.
#include "ir/text_syntax.h"

#include <fmt/format.h>

#include <array>

namespace gradc::ir::text {

namespace {

constexpr std::array<std::string_view, 7> kKeywords = {"input", "param", "const", "forward",
                                                        "backward", "adjoint", "in"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// '#' may not start or end a name (it starts the notes) and "//" may not appear in
// one (it starts a comment).
bool is_bare(std::string_view name) {
  if (name.empty() || is_digit(name[0]) || name[0] == '#' || name.back() == '#' || is_keyword(name))
    return false;
  for (char c : name)
    if (!is_name_char(c)) return false;
  return name.find("//") == std::string_view::npos;
}

// "he()", "normal(0, 0.01)": a name, then arguments without parens, quotes or newlines.
bool reads_as_call(std::string_view s) {
  const size_t open = s.find('(');
  if (open == 0 || open == std::string_view::npos || s.back() != ')' || is_digit(s[0])) return false;
  for (char c : s.substr(0, open))
    if (!is_name_char(c) || c == '#') return false;
  return s.substr(open + 1, s.size() - open - 2).find_first_of("()\"\\\n") == std::string_view::npos;
}

}  // namespace

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '.' ||
         c == '\'' || c == '/' || c == '#';
}

bool is_keyword(std::string_view word) {
  for (std::string_view k : kKeywords)
    if (k == word) return true;
  return false;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') out += {'\\', c};
    else if (byte < 0x20 || byte == 0x7f) out += fmt::format("\\x{:02x}", byte);
    else out += c;  // UTF-8 passes through: names stay readable
  }
  return out + "\"";
}

std::string name_text(std::string_view name) { return is_bare(name) ? std::string(name) : quoted(name); }

std::string init_text(std::string_view init) { return reads_as_call(init) ? std::string(init) : quoted(init); }

std::string number_text(double v) { return fmt::format("{}", v); }

std::string dims_text(const std::vector<int64_t>& dims, const DimNames& names) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) out += ',';
    const int64_t d = dims[i];
    if (!is_symbolic(d)) out += std::to_string(d);
    else if (const int k = symbol_index(d); k < static_cast<int>(names.names.size()))
      out += name_text(names.names[k]);
    else out += fmt::format("?{}", k);
  }
  return out + "]";
}

std::string type_text(const Node& n, const DimNames& names) {
  return std::string(dtype_name(n.dtype)) + dims_text(n.shape.dims, names);
}

std::string_view attr_key(Op op) {
  if (op == Op::Transpose) return "perm";
  if (op == Op::OneHot) return "classes";
  if (op == Op::Const) return "count";
  return "axes";
}

Role default_role(Op op) { return op == Op::Const ? Role::Const : Role::Forward; }

std::string_view role_word(Role role) {
  switch (role) {
    case Role::Input: return "input";
    case Role::Param: return "param";
    case Role::Const: return "const";
    case Role::Forward: return "forward";
    case Role::Backward: return "backward";
  }
  return "forward";
}

std::optional<Role> role_from_word(std::string_view word) {
  for (Role r : {Role::Input, Role::Param, Role::Const, Role::Forward, Role::Backward})
    if (role_word(r) == word) return r;
  return std::nullopt;
}

}  // namespace gradc::ir::text
