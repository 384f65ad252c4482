// ir/check.h — internal-error checks. A failed check is a gradc bug, never a
// user error: it prints "internal error" with the place and aborts.
#pragma once

namespace gradc {
[[noreturn]] void internal_error(const char* what, const char* file, int line);
}

#define GRADC_ASSERT(cond, what) \
  do { if (!(cond)) ::gradc::internal_error(what, __FILE__, __LINE__); } while (0)
#define GRADC_UNREACHABLE(what) ::gradc::internal_error(what, __FILE__, __LINE__)
