// tests/fuzz/reject_cleanly.h — what every fuzz target means by "handled": bad input is
// rejected with the reader's own documented error, and nothing else escapes.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

namespace gradc::fuzz {

// Runs body. An exception of one of the Clean types is the expected end for most fuzz inputs
// (the reader's error, which names the problem). Any other exception is a bug even though the
// CLI would catch it: its message ("vector::_M_range_check", "stoll") tells the user nothing,
// so it aborts, and libFuzzer records the input as a crash.
template <class... Clean, class Body>
void reject_cleanly(Body&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    if ((dynamic_cast<const Clean*>(&e) || ...)) return;
    std::fprintf(stderr, "fuzz: unexpected exception %s: %s\n", typeid(e).name(), e.what());
    std::abort();
  }
}

}  // namespace gradc::fuzz
