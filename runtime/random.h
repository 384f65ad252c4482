// runtime/random.h — SplitMix64, the one generator behind param initialisers and the
// trainer's shuffles: small, well mixed, and defined by its few lines, so the same seed gives
// the same numbers on every machine and standard library (std:: distributions do not).
#pragma once

#include <cmath>
#include <cstdint>

namespace gradc::runtime {

struct SplitMix64 {
  uint64_t state;

  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  // Box–Muller: one standard normal from two uniforms (1 − u keeps the log finite).
  double normal() {
    const double u = 1.0 - uniform01(), v = uniform01();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * v);
  }
  // Uniform in [0, n), exactly: draws past the largest multiple of n are redrawn.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x = next();
    while (x >= limit) x = next();
    return x % n;
  }
};

}  // namespace gradc::runtime
