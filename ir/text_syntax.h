// ir/text_syntax.h — the lexical rules that the IR printer and the IR parser share.
//
// Why one place: the text format is only useful if what ir::print writes,
// ir::parse_ir reads back unchanged. Which names may be written bare, how a
// number is spelt, which attribute key an op takes and which role a line need
// not mention are each decided here once, so the two sides cannot drift apart.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"

namespace gradc::ir::text {

// Letters, digits and _ . ' / # may appear in a bare name ("W1", "dJ/dW", "softmax#3").
bool is_name_char(char c);

// `s` in double quotes, with \" \\ and \xNN escapes.
std::string quoted(std::string_view s);

// A name as it is written: bare when it is plain (name chars, not starting with a digit,
// not a keyword), else quoted with \" \\ and \xNN escapes, so any string round-trips.
std::string name_text(std::string_view name);

// The words that may not be bare names, because the notes after '#' use them.
bool is_keyword(std::string_view word);

// The shortest decimal that reads back to the same double: "0.1", "1e+300", "-0", "nan", "-inf".
std::string number_text(double v);

// "[B,784]": concrete dims as integers, symbols by their name (or "?k" when unnamed).
std::string dims_text(const std::vector<int64_t>& dims, const DimNames& names);

// A param's initialiser: bare when it reads as a call ("he()", "normal(0, 0.01)"), else quoted.
std::string init_text(std::string_view init);

// "f32[B,784]".
std::string type_text(const Node& n, const DimNames& names);

// The key a node's attr is printed under: perm (transpose), classes (one_hot),
// count (a const counting elements of symbolic dims), axes (sum, reduce_max).
std::string_view attr_key(Op op);

// The role a node has unless its line says otherwise: const for constants, forward else.
Role default_role(Op op);
std::string_view role_word(Role role);
std::optional<Role> role_from_word(std::string_view word);

}  // namespace gradc::ir::text
