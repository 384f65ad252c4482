// tools/gradc/progress.h — the progress bar of `gradc train`.
//
// On a terminal: one line, redrawn in place at most every 0.1 s,
//   epoch 3/10 [=========>          ] 412/938 loss 0.4213 18.2k samples/s ETA 0:03
// fitted to the terminal's width (parts dropped, then the bar shortened, as it narrows) and
// cleared when the epoch ends, so the trainer's plain per-epoch line takes its place. Not on a
// terminal (a pipe, a log file): nothing per step at all.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace gradc::cli {

class ProgressBar {
 public:
  struct Options {
    std::ostream* out = nullptr;
    bool terminal = false;                // false: the bar draws nothing
    std::function<int()> columns;         // the terminal's width now (it may be resized)
    std::function<double()> clock;        // seconds, monotonic
    double min_redraw_seconds = 0.1;
    double loss_smoothing = 0.98;         // EMA weight of the past, bias-corrected
  };

  explicit ProgressBar(Options options);

  // A bar on std::cerr, active when stderr is a terminal; width from COLUMNS, else the
  // terminal (ioctl), else 80; the steady clock.
  static ProgressBar for_stderr();

  bool active() const { return options_.terminal; }

  void start_epoch(int64_t epoch, int64_t epochs, int64_t steps);
  // After a step: `samples` in that step (the last batch may be partial) and its loss.
  void step(double loss, int64_t samples);
  // Clears the line (on a terminal), ready for the trainer's per-epoch line.
  void finish_epoch();

  // The line for the current state at `width` columns (at most width - 1 characters, so the
  // cursor never wraps); public for tests.
  std::string line(int width) const;

 private:
  Options options_;
  int64_t epoch_ = 0, epochs_ = 0, steps_ = 0, done_ = 0, samples_ = 0;
  double start_ = 0, last_draw_ = 0, ema_ = 0, ema_weight_ = 0;
  bool drawn_ = false;
  void draw();
};

// COLUMNS if it holds a positive number, else the width of the terminal on `fd`, else 80.
int terminal_columns(int fd);

}  // namespace gradc::cli
