// ir/check.cpp — the one place internal errors are reported.
#include "ir/check.h"

#include <cstdio>
#include <cstdlib>

namespace gradc {
void internal_error(const char* what, const char* file, int line) {
  std::fprintf(stderr, "gradc: internal error at %s:%d: %s\n", file, line, what);
  std::abort();
}
}  // namespace gradc
