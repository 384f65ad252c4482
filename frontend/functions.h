// frontend/functions.h — the built-in functions a program may call.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ir/op.h"

namespace gradc::frontend {

struct Function {
  std::string_view name;
  int arity;
  std::optional<ir::Op> op;  // none for grad, which is not an IR op
  std::string_view usage;    // "max(a, b)", for messages
};

const Function* find_function(std::string_view name);  // nullptr if not a function

// The function whose name is a likely misspelling of `name`, if any.
const Function* suggest_function(std::string_view name);

}  // namespace gradc::frontend
