// tools/gradc/train_observer.h — what `gradc train` does while the trainer runs: the progress
// bar, the plain per-epoch line, --log-steps, --log (metrics), --plot (curves redrawn after
// every epoch), --save (a checkpoint after every epoch), and Ctrl-C (a flag read between steps).
#pragma once

#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include "runtime/metrics_log.h"
#include "runtime/trainer.h"
#include "tools/gradc/progress.h"

namespace gradc::cli {

// SIGINT sets a flag instead of killing the process; a second Ctrl-C kills it as usual.
void install_interrupt_flag();
bool interrupt_requested();

struct TrainOutputs {
  int epochs = 0;
  std::FILE* steps = nullptr;                     // --log-steps
  std::optional<runtime::MetricsLog> log;         // --log
  std::string plot;                               // --plot
  std::string plot_title;
  std::function<void()> save;                     // --save: writes the checkpoint (or nothing)
  // --layer-stats: measures them (Trainer::layer_stats), printed and logged after each epoch.
  std::function<runtime::LayerStatsReport(const std::string& when)> layer_stats;
  std::string layer_stats_init_json;              // at initialisation: into the first row's JSON
  bool accuracy = true;                           // false (regression): no accuracy printed or logged
};

class TrainObserverCli : public runtime::TrainObserver {
 public:
  explicit TrainObserverCli(TrainOutputs outputs);
  void on_step(const runtime::StepReport& r) override;
  void on_epoch(const runtime::EpochReport& r) override;
  bool stop_requested() override { return interrupt_requested(); }

 private:
  TrainOutputs out_;
  int bar_epoch_ = 0;
  ProgressBar bar_;
  runtime::MetricsTable curves_;  // for --plot without --log
  bool plot_failed_ = false;
  void record(const runtime::EpochReport& r, const std::string& json_members);
  std::string measure_layer_stats(int epoch);
};

}  // namespace gradc::cli
