// bench/train_bench.cpp — seconds per training epoch of examples/mlp.grad on fashion-mnist:
// gradc's compiled step (runtime/trainer.h, the library `gradc train` uses) or the hand-written
// C++ step (bench/train_handwritten.h) on the same GEMM, or both interleaved. bench/train.sh
// runs it, one process per (batch, threads), next to PyTorch eager (bench/train_torch.py).
//
//   gradc_train_bench --impl gradc|handwritten|both --batch B --threads T --epochs N [--lr X]
//
// --impl both: one process, each of gradc's epochs followed by one of the hand-written
// step's, so that the two see the machine in the same minutes (a shared 2-core machine's
// speed drifts by 20 % from one minute to the next; separate processes compare minutes).
//
// Both: the data preloaded as float32 (runtime::load_data), plain SGD, a fresh shuffle each
// epoch, the same initial weights (gradc's initialisers, seed 0). An epoch's seconds cover
// its training steps only: the shuffle, each batch's gather and its step (gradc: what
// EpochReport::seconds counts; the test evaluation after it is not timed). Per epoch: its seconds, mean train loss, and the process's resident and peak
// resident memory (VmRSS, VmHWM) after it; the load time, the step's compile time (gradc
// compiles it while the data loads, as gradc train does) and how much of it came after the
// load, and the time its background thread spent compiling the other graphs. Output:
// {"results": [one object per implementation]}; with both, the memory figures are the
// process's, the hand-written step's few MiB of buffers included.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/train_handwritten.h"
#include "frontend/frontend.h"
#include "runtime/dataset.h"
#include "runtime/gemm.h"
#include "runtime/train_model.h"
#include "runtime/trainer.h"

#ifndef GRADC_MLP_GRAD
#error "GRADC_MLP_GRAD (the path of examples/mlp.grad) must be defined by the build"
#endif

using namespace gradc;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Options {
  std::string impl;
  int64_t batch = 64;
  int threads = 1, epochs = 5;
  double lr = 0.05;
};

struct Epoch {
  double seconds = 0, train_loss = 0;
  long rss_kib = 0, hwm_kib = 0;
};

// VmRSS and VmHWM (peak) of this process, in KiB, from /proc/self/status.
void read_memory(Epoch& e) {
  std::ifstream status("/proc/self/status");
  std::string key;
  long kib = 0;
  while (status >> key) {
    if (key == "VmRSS:" && status >> kib) e.rss_kib = kib;
    else if (key == "VmHWM:" && status >> kib) e.hwm_kib = kib;
  }
}

runtime::TrainModel mlp_model() {
  std::ifstream in(GRADC_MLP_GRAD, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " GRADC_MLP_GRAD);
  std::ostringstream text;
  text << in.rdbuf();
  frontend::SourceFile src("mlp.grad", text.str());
  return runtime::read_train_model(frontend::compile_to_ir(src, ir::DType::F32));
}

runtime::TrainConfig config(const Options& o, bool forward_only) {
  runtime::TrainConfig cfg;
  cfg.epochs = o.epochs;
  cfg.batch = o.batch;
  cfg.lr = o.lr;
  cfg.optimizer.kind = "sgd";
  cfg.threads = o.threads;
  cfg.forward_only = forward_only;
  return cfg;
}

// SplitMix64: the shuffle's generator (the same work as the trainer's).
uint64_t split_mix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The hand-written step's run: gradc's initial weights (seed 0, so that the loss curves can
// be compared), the same shuffle's work, one epoch per call.
class HandwrittenRun {
 public:
  HandwrittenRun(const Options& o, const runtime::TrainModel& m, const runtime::DataSplits& data)
      : o_(o), d_(data.train), net_(o.batch) {
    runtime::Trainer init(m, data, config(o, true));
    for (const runtime::NamedArray& a : init.state()) {
      const int layer = a.name[1] - '1';
      (a.name[0] == 'W' ? net_.W : net_.b)[layer] = *a.data;
    }
    const size_t f = static_cast<size_t>(d_.features);
    x_.resize(static_cast<size_t>(o.batch) * f);
    y_.resize(static_cast<size_t>(o.batch));
    order_.resize(static_cast<size_t>(d_.n));
  }

  Epoch epoch(int e) {
    runtime::set_gemm_threads(o_.threads);
    const Clock::time_point t0 = Clock::now();
    const size_t f = static_cast<size_t>(d_.features);
    uint64_t seed = 0x5851f42d4c957f2dULL * static_cast<uint64_t>(e + 1);
    for (size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<int64_t>(i);
    for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[split_mix(seed) % i]);
    double loss_sum = 0;
    int64_t correct = 0;
    for (int64_t s = 0; s < d_.n; s += o_.batch) {
      const int64_t count = std::min(o_.batch, d_.n - s);
      for (int64_t i = 0; i < count; ++i) {
        const int64_t r = order_[static_cast<size_t>(s + i)];
        std::copy_n(d_.images.data() + static_cast<size_t>(r) * f, f, x_.data() + static_cast<size_t>(i) * f);
        y_[static_cast<size_t>(i)] = d_.labels[static_cast<size_t>(r)];
      }
      loss_sum += static_cast<double>(net_.step(x_.data(), y_.data(), count, static_cast<float>(o_.lr), &correct)) *
                  static_cast<double>(count);
    }
    Epoch ep{seconds_since(t0), loss_sum / static_cast<double>(d_.n), 0, 0};
    read_memory(ep);
    return ep;
  }

 private:
  const Options& o_;
  const runtime::Dataset& d_;
  bench::HandwrittenMlp net_;
  std::vector<float> x_;
  std::vector<int32_t> y_;
  std::vector<int64_t> order_;
};

// Collects gradc's epochs; with a hand-written run, runs one of its epochs after each of
// gradc's (--impl both), so that both see the machine in the same minutes.
struct Collect : runtime::TrainObserver {
  std::vector<Epoch> epochs, hand_epochs;
  HandwrittenRun* hand = nullptr;
  void on_epoch(const runtime::EpochReport& r) override {
    Epoch e{r.seconds, r.train.loss, 0, 0};
    read_memory(e);
    epochs.push_back(e);
    if (hand) hand_epochs.push_back(hand->epoch(static_cast<int>(hand_epochs.size())));
  }
};

struct Runs {
  std::vector<Epoch> gradc, handwritten;
  double compile_seconds = 0, after_load_seconds = 0, background_seconds = 0;
};

// `ahead`: gradc's step, compiled while the data loaded (as gradc train does); `waited`: how
// long the caller waited for it after the load.
Runs run(const Options& o, const runtime::TrainModel& m, const runtime::DataSplits& data, runtime::StepAhead ahead,
         double waited) {
  Runs out;
  if (o.impl == "handwritten") {
    HandwrittenRun hand(o, m, data);
    for (int e = 0; e < o.epochs; ++e) out.handwritten.push_back(hand.epoch(e));
    return out;
  }
  std::unique_ptr<HandwrittenRun> hand;
  if (o.impl == "both") hand = std::make_unique<HandwrittenRun>(o, m, data);
  const double ahead_seconds = ahead.seconds();
  runtime::Trainer t(m, data, config(o, false), std::move(ahead));
  out.compile_seconds = t.used_step_ahead() ? ahead_seconds : t.compile_seconds();
  out.after_load_seconds = waited + t.compile_seconds();
  Collect c;
  c.hand = hand.get();
  t.run(c);
  out.background_seconds = t.background_compile_seconds();
  out.gradc = std::move(c.epochs);
  out.handwritten = std::move(c.hand_epochs);
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--impl") o.impl = v;
    else if (k == "--batch") o.batch = std::stoll(v);
    else if (k == "--threads") o.threads = std::stoi(v);
    else if (k == "--epochs") o.epochs = std::stoi(v);
    else if (k == "--lr") o.lr = std::stod(v);
    else throw std::invalid_argument("unknown option " + k);
  }
  if ((o.impl != "gradc" && o.impl != "handwritten" && o.impl != "both") || o.batch < 1 || o.threads < 1 || o.epochs < 1)
    throw std::invalid_argument("usage: gradc_train_bench --impl gradc|handwritten|both --batch B --threads T --epochs N [--lr X]");
  return o;
}

}  // namespace

int main(int argc, char** argv) try {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::logic_error& e) {  // std::stoi's and ours: bad usage
    std::fprintf(stderr, "gradc_train_bench: %s\n", e.what());
    return 2;
  }
  const runtime::TrainModel model = mlp_model();
  Clock::time_point t0 = Clock::now();
  std::future<runtime::StepAhead> ahead = std::async(std::launch::async, [&] {  // as gradc train does
    return o.impl == "handwritten" ? runtime::StepAhead() : runtime::StepAhead(model, config(o, false));
  });
  const runtime::DataSplits data = runtime::load_data("fashion-mnist");
  const double load_seconds = seconds_since(t0);
  const Clock::time_point t1 = Clock::now();
  runtime::StepAhead step = ahead.get();
  const Runs runs = run(o, model, data, std::move(step), seconds_since(t1));
  const auto rows = [](const std::vector<Epoch>& epochs) {
    std::string out;
    for (const Epoch& e : epochs)
      out += fmt::format("{}{{\"seconds\": {}, \"train_loss\": {}, \"rss_kib\": {}, \"hwm_kib\": {}}}",
                         out.empty() ? "" : ", ", e.seconds, e.train_loss, e.rss_kib, e.hwm_kib);
    return out;
  };
  std::vector<std::string> results;
  if (!runs.gradc.empty())
    results.push_back(fmt::format("{{\"impl\": \"gradc\", \"batch\": {}, \"threads\": {}, \"lr\": {}, \"load_seconds\": {}, "
                                  "\"compile_seconds\": {}, \"compile_after_load_seconds\": {}, \"background_compile_seconds\": {}, "
                                  "\"epochs\": [{}]}}",
                                  o.batch, o.threads, o.lr, load_seconds, runs.compile_seconds, runs.after_load_seconds,
                                  runs.background_seconds,
                                  rows(runs.gradc)));
  if (!runs.handwritten.empty())
    results.push_back(fmt::format("{{\"impl\": \"handwritten\", \"batch\": {}, \"threads\": {}, \"lr\": {}, "
                                  "\"load_seconds\": {}, \"epochs\": [{}]}}",
                                  o.batch, o.threads, o.lr, load_seconds, rows(runs.handwritten)));
  fmt::print("{{\"results\": [{}]}}\n", fmt::join(results, ", "));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "gradc_train_bench: %s\n", e.what());
  return 1;
}
