// runtime/trainer.h — training a model program on a data set: the library `gradc train` calls.
//
// One compiled step per batch size (forward, gradients and the optimiser update in one
// function, passes/update.h), JIT-compiled once: the full batch at construction, the partial
// last batch's size and the evaluation's forwards on a background thread meanwhile (so that
// the first step waits for one compile only). Parameters and optimiser state live in
// buffers the trainer owns and the step overwrites in place (its outputs alias its inputs),
// batches are gathered into preallocated buffers, so a step allocates nothing. Each
// epoch's batch order is a shuffle drawn from (seed, epoch) with gradc's own generator, so
// runs repeat bit for bit on a machine with the same thread count, and a resumed run
// continues the same sequence. Test (and validation) loss and accuracy come from a compiled
// forward graph. Progress goes to a TrainObserver; the state is a list of named arrays.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "passes/pass.h"
#include "runtime/dataset.h"
#include "runtime/layer_stats.h"
#include "runtime/train_model.h"

namespace gradc::runtime {

struct TrainConfig {
  int epochs = 10;                    // the total, counting epochs already done (resume)
  int64_t batch = 64;
  double lr = 1e-3;                   // the peak rate, before the schedule
  std::string schedule = "constant";  // constant; step: ×0.1 every max(1, epochs/3) epochs; cosine (per step, to 0)
  passes::OptimizerSpec optimizer;
  int opt_level = 2;                  // -O
  std::vector<std::string> passes;    // --passes: the step's custom list (update added after autodiff)
  uint64_t seed = 0;                  // initialisers and shuffles
  bool shuffle = true;                // false: batches in data order (comparisons with other frameworks)
  int threads = 1;                    // GEMM threads
  double validation = 0;              // fraction of the training set held out (its last examples)
  int64_t eval_batch = 1000;          // examples per compiled forward call when evaluating
  bool forward_only = false;          // compile no step (gradc predict): test_logits() only; the
                                      // data may hold only its test split (Splits::test_only)
};

struct Metrics {
  double loss = 0, accuracy = 0;  // mean loss per example; share of argmax(logits) == label (NaN: regression)
  int64_t n = 0;                  // examples; 0: not measured
};

struct StepReport {
  int epoch = 0;                 // 1-based
  int64_t step = 0;              // steps done in all, this one included
  int64_t batch_in_epoch = 0;    // 1-based
  int64_t batches_per_epoch = 0;
  int64_t examples = 0;          // in this batch
  float loss = 0;
  double lr = 0;
};

struct EpochReport {
  int epoch = 0;  // 1-based
  Metrics train;  // over the epoch's steps, each at the params of its step
  Metrics test, validation;
  double seconds = 0;  // the epoch's steps (evaluation not included)
  double lr = 0;       // at the epoch's last step
};

class TrainObserver {
 public:
  virtual ~TrainObserver() = default;
  virtual void on_step(const StepReport&) {}
  virtual void on_epoch(const EpochReport&) {}
  virtual bool stop_requested() { return false; }  // checked between steps (Ctrl-C)
};

// A piece of the training state, as a checkpoint holds it.
struct NamedArray {
  std::string name;  // a param's name, "<param>.m" etc. for optimiser state
  std::vector<int64_t> shape;
  std::vector<float>* data;  // owned by the trainer
};

// The full batch's step compiled before its Trainer exists: it needs the model and the
// config, not the data, so gradc train compiles it on a thread while the data loads, and the
// first step starts as soon as the data is in. A Trainer given one uses it if it was compiled
// from the same model and step settings for the batch size the Trainer needs (not when the
// training set is smaller than cfg.batch), and compiles afresh otherwise. For a forward_only
// config (gradc predict) it is the forward for cfg.eval_batch examples, used alike.
class StepAhead {
 public:
  StepAhead();  // none: the Trainer compiles its own
  StepAhead(const TrainModel& model, const TrainConfig& cfg);
  ~StepAhead();
  StepAhead(StepAhead&&) noexcept;
  StepAhead& operator=(StepAhead&&) noexcept;
  double seconds() const;  // how long its compile took (0 for none)

 private:
  friend class Trainer;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Trainer {
 public:
  // Draws the params from their initialisers (seed) and compiles the full-batch step (or
  // takes `ahead`'s) and, on a background thread, the evaluation forward. Throws TrainError
  // if the data does not fit the model. Keeps a reference to `data`, which must outlive it.
  Trainer(const TrainModel& model, const DataSplits& data, TrainConfig cfg, StepAhead ahead = {});
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Runs epochs epoch()+1 .. cfg.epochs; stops early (after a step) if the observer asks.
  void run(TrainObserver& obs);

  Metrics evaluate_test();
  // The logits of these test examples (at most eval_batch), row after row, at the current params.
  std::vector<float> test_logits(const std::vector<int64_t>& rows);
  Metrics evaluate_validation();
  // Per-layer statistics (runtime/layer_stats.h) at the current params on a fixed batch: the
  // first min(kLayerStatsBatch, training examples) examples in data order, so every
  // measurement of a run sees the same examples. The graph is compiled at the first call.
  static constexpr int64_t kLayerStatsBatch = 256;
  LayerStatsReport layer_stats(const std::string& when);

  int epoch() const;    // epochs completed
  int64_t step() const; // steps completed
  // Where a resumed run starts: after `epoch` epochs and `step` steps (step past
  // epoch * batches_per_epoch(): mid-epoch, the next batch of that epoch's order).
  void set_position(int epoch, int64_t step);
  // Params (graph input order), then optimiser state (<param>.buf / .m / .v).
  std::vector<NamedArray> state();
  // The learning rate of step `step` (0-based, over the whole run) of epoch `epoch` (0-based).
  double learning_rate(int epoch, int64_t step) const;
  int64_t batches_per_epoch() const;
  // Examples per step: TrainConfig::batch, or all the training examples if there are fewer.
  int64_t batch() const;

  // Compile time (pipeline + LLVM) spent on the calling thread: the first step's graph at
  // construction (the time to the first step; 0 when it came from a StepAhead), plus any
  // size compiled on demand later.
  double compile_seconds() const;
  bool used_step_ahead() const;
  // The graphs compiled on the background thread (the partial last batch's step, the
  // evaluation's forwards); waits for them.
  double background_compile_seconds();
  const std::string& pipeline_stats() const;  // passes::format_stats of the step's pipeline

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace gradc::runtime
