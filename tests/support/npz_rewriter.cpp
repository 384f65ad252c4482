// tests/support/npz_rewriter.cpp — rewrites an .npz checkpoint forever, for the kill -9 test in
// tests/unit/runtime_npz_test.cpp: version v holds {"version": v, "payload": 64Ki floats = v}.
// Usage: gradc_npz_rewriter PATH FIRST_VERSION
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "runtime/npz.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: gradc_npz_rewriter PATH FIRST_VERSION\n");
    return 2;
  }
  using namespace gradc::runtime;
  try {
    for (int64_t v = std::atoll(argv[2]);; ++v) {
      NpzArchive a;
      a.add("version", make_npy({}, std::vector<int64_t>{v}));
      // 256 KiB, so that a write takes long enough for kills to land inside it.
      a.add("payload", make_npy({1 << 16}, std::vector<float>(1 << 16, static_cast<float>(v))));
      write_npz(argv[1], a);
    }
  } catch (const NpyError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
