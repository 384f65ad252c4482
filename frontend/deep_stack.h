// frontend/deep_stack.h — running a recursive-descent step on a thread with a large stack.
//
// The parser recurses once per nesting level (about 600 bytes a level in a release build,
// several times that under ASan). kMaxNesting levels must fit whatever stack the caller's
// thread has (8 MiB for a main thread, often less elsewhere), so the parse runs on its own
// thread with a stack sized for the limit. Only the pages actually touched are committed.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>

namespace gradc::frontend {

// Enough for kMaxNesting levels under ASan, with room to spare.
inline constexpr size_t kDeepStackBytes = size_t{256} << 20;

// Runs fn on a fresh thread with a stack of `bytes`, waits for it, and returns its result
// or rethrows its exception. Falls back to the calling thread if no thread can be made.
void run_on_deep_stack(const std::function<void()>& fn, size_t bytes = kDeepStackBytes);

template <class T, class F>
T on_deep_stack(F&& f, size_t bytes = kDeepStackBytes) {
  std::optional<T> result;
  run_on_deep_stack([&] { result.emplace(f()); }, bytes);
  return std::move(*result);
}

}  // namespace gradc::frontend
