// bench/gemm_rows_bench.cpp — a training step's two products of its shuffled batch, two ways:
//   gather + sgemm  the batch's rows copied into one buffer (with the trainer's prefetch of the
//                   next row), then gradc_gemm_f32 (oneDNN), as the hand-written step does;
//   by rows         gradc_gemm_rows_f32 on a table of pointers to the rows where they lie, as
//                   gradc's compiled step does (codegen's inputs passed by rows).
// The products: the forward X·W1 (batch×256×784) and the SGD update W1 -= lr·Xᵀ·dY
// (784×256×batch, beta = 1). X's rows are drawn at random from 60000 rows of 784 floats
// (188 MB, as fashion-mnist's training images), a fresh draw per repetition, so that they come
// from memory as in an epoch. Two sets of rows: uniform random numbers in [0, 1) (dense: no
// zero for the kernels to skip), and fashion-mnist's own images when Debian's
// dataset-fashion-mnist is installed (half of their pixels are 0: docs/gemm.md, "Skipping
// zeros"). The two ways run in turn, repetition by repetition (a shared machine's speed
// drifts); printed: the median microseconds of each and the median of the per-repetition
// ratios.
//
// Usage: gradc_gemm_rows_bench [--reps N]   (batch 64 and 256, 1 and 2 threads, each data set)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/dataset.h"
#include "runtime/gemm.h"

namespace {

constexpr int64_t kRows = 60000, kIn = 784, kOut = 256;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class F>
double micros(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
}

struct Data {
  std::vector<float> images, w, dy, batch;
  std::vector<const float*> rows;
};

void gather(const Data& d, int64_t b, float* out) {
  for (int64_t i = 0; i < b; ++i) {
    if (i + 1 < b)
      for (int64_t at = 0; at < kIn; at += 16) __builtin_prefetch(d.rows[static_cast<size_t>(i + 1)] + at);
    std::memcpy(out + i * kIn, d.rows[static_cast<size_t>(i)], kIn * sizeof(float));
  }
}

void run(Data& d, const char* data_name, int64_t b, int threads, int reps, std::mt19937_64& rng) {
  gradc::runtime::set_gemm_threads(threads);
  d.rows.resize(static_cast<size_t>(b));
  d.batch.resize(static_cast<size_t>(b * kIn));
  std::vector<float> h(static_cast<size_t>(b * kOut));
  std::vector<double> t_gather[2], t_rows[2], ratio[2];
  std::uniform_int_distribution<int64_t> pick(0, kRows - 1);
  auto draw = [&] {
    for (auto& r : d.rows) r = d.images.data() + pick(rng) * kIn;
  };
  for (int rep = 0; rep < reps; ++rep) {
    // forward: H = X·W1
    draw();
    const double fg = micros([&] {
      gather(d, b, d.batch.data());
      gradc_gemm_f32(0, 0, b, kOut, kIn, 1.0f, d.batch.data(), kIn, d.w.data(), kOut, 0.0f, h.data(), kOut);
    });
    draw();
    const double fr = micros([&] {
      gradc_gemm_rows_f32(0, 0, b, kOut, kIn, 1.0f, d.rows.data(), 0, d.w.data(), kOut, 0.0f, h.data(), kOut);
    });
    // the update: W1 -= lr·Xᵀ·dY (the batch already gathered for the forward, as in a step)
    const double ug = micros([&] {
      gradc_gemm_f32(1, 0, kIn, kOut, b, -1e-3f, d.batch.data(), kIn, d.dy.data(), kOut, 1.0f, d.w.data(), kOut);
    });
    const double ur = micros([&] {
      gradc_gemm_rows_f32(1, 0, kIn, kOut, b, -1e-3f, d.rows.data(), 0, d.dy.data(), kOut, 1.0f, d.w.data(), kOut);
    });
    if (rep < 3) continue;  // warm-up: pages, thread pools
    t_gather[0].push_back(fg), t_rows[0].push_back(fr), ratio[0].push_back(fr / fg);
    t_gather[1].push_back(ug), t_rows[1].push_back(ur), ratio[1].push_back(ur / ug);
  }
  const char* what[2] = {"forward X·W1 ", "update W1 -= Xᵀ·dY"};
  for (int i = 0; i < 2; ++i)
    std::printf("| %s | %ld | %d | %s | %.0f µs | %.0f µs | %.3f |\n", data_name, static_cast<long>(b), threads, what[i],
                median(t_gather[i]), median(t_rows[i]), median(ratio[i]));
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 300;
  if (argc == 3 && std::string(argv[1]) == "--reps") reps = std::max(5, std::atoi(argv[2]));
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<float> u(0, 1);
  Data d;
  d.w.resize(static_cast<size_t>(kIn * kOut));
  for (float& x : d.w) x = u(rng) - 0.5f;
  d.dy.resize(static_cast<size_t>(256 * kOut));
  for (float& x : d.dy) x = (u(rng) - 0.5f) * 1e-2f;
  std::printf("| rows | batch | threads | product | gather + sgemm | by rows | by rows ÷ gather + sgemm |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  const auto all = [&](const char* name) {
    for (int threads : {1, 2})
      for (int64_t b : {64, 256}) run(d, name, b, threads, reps, rng);
  };
  d.images.resize(static_cast<size_t>(kRows * kIn));
  for (float& x : d.images) x = u(rng);
  all("uniform");
  try {
    d.images = gradc::runtime::load_data("fashion-mnist").train.images;
  } catch (const std::exception& e) {
    std::printf("(fashion-mnist not measured: %s)\n", e.what());
    return 0;
  }
  all("fashion-mnist");
  return 0;
}
