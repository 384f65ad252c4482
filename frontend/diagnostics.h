// frontend/diagnostics.h — errors that point at the user's source.
//
// Rendered as chibicc and clang do:
//   prog.grad:1:9: error: unknown function 'lnn'
//   f = lnn(x)
//       ^~~
// Errors are values (CompileError), never exit(): gradc is a library too.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "frontend/source.h"

namespace gradc::frontend {

enum class Severity : uint8_t { Error, Warning, Remark };

struct Diagnostic {
  SourceLoc loc;
  std::string message;
  std::vector<std::string> notes;  // printed as "note: ..." lines
  Severity severity = Severity::Error;
};

// "file:line:col: error: message" (or warning, remark), the source line, a caret under
// loc, then notes.
std::string render(const SourceFile& src, const Diagnostic& d);

class CompileError : public std::runtime_error {
 public:
  explicit CompileError(Diagnostic d) : std::runtime_error(d.message), diag(std::move(d)) {}
  Diagnostic diag;
};

}  // namespace gradc::frontend
