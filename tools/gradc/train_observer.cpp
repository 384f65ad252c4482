// tools/gradc/train_observer.cpp — gradc train's observer (train_observer.h).
#include "tools/gradc/train_observer.h"

#include <fmt/format.h>

#include <signal.h>

#include <csignal>
#include <cmath>
#include <utility>

#include "tools/gradc/plot.h"

namespace gradc::cli {

namespace {

volatile std::sig_atomic_t interrupted = 0;

extern "C" void on_sigint(int) { interrupted = 1; }

std::string percent(double share) { return fmt::format("{:.2f} %", 100 * share); }

double missing_if_unmeasured(const runtime::Metrics& m, double v) { return m.n > 0 ? v : std::nan(""); }

}  // namespace

void install_interrupt_flag() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // the second Ctrl-C is the default: the process ends at once
  sigaction(SIGINT, &sa, nullptr);
}

bool interrupt_requested() { return interrupted != 0; }

TrainObserverCli::TrainObserverCli(TrainOutputs outputs)
    : out_(std::move(outputs)), bar_(ProgressBar::for_stderr()) {
  if (out_.steps) std::fputs("step,epoch,batch,examples,loss,lr\n", out_.steps);
  curves_.columns = runtime::kMetricsColumns;
}

void TrainObserverCli::on_step(const runtime::StepReport& r) {
  if (out_.steps)
    fmt::print(out_.steps, "{},{},{},{},{},{}\n", r.step, r.epoch, r.batch_in_epoch, r.examples, r.loss, r.lr);
  if (bar_epoch_ != r.epoch) {
    bar_epoch_ = r.epoch;
    // The steps left in this epoch: all of them, but fewer in one resumed mid-epoch.
    bar_.start_epoch(r.epoch, out_.epochs, r.batches_per_epoch - r.batch_in_epoch + 1);
  }
  bar_.step(r.loss, r.examples);
}

void TrainObserverCli::on_epoch(const runtime::EpochReport& r) {
  bar_.finish_epoch();
  std::string line = fmt::format("epoch {}/{}  train loss {:.4f}  test loss {:.4f}", r.epoch, out_.epochs,
                                 r.train.loss, r.test.loss);
  if (out_.accuracy) line += "  test accuracy " + percent(r.test.accuracy);
  if (r.validation.n > 0) line += fmt::format("  validation loss {:.4f}", r.validation.loss);
  if (r.validation.n > 0 && out_.accuracy) line += "  validation accuracy " + percent(r.validation.accuracy);
  fmt::print("{}  {:.2f} s\n", line, r.seconds);
  std::fflush(stdout);
  if (out_.save) out_.save();  // first: the checkpoint matters more than the pictures
  record(r, measure_layer_stats(r.epoch));
}

// --layer-stats after an epoch: the table on stdout, and the JSON members of the log's row.
std::string TrainObserverCli::measure_layer_stats(int epoch) {
  if (!out_.layer_stats) return {};
  const runtime::LayerStatsReport stats = out_.layer_stats(fmt::format("epoch {}", epoch));
  fmt::print("{}", runtime::format_layer_stats(stats));
  std::fflush(stdout);
  std::string members = "\"layer_stats\": " + runtime::layer_stats_json(stats);
  if (!out_.layer_stats_init_json.empty())
    members = "\"layer_stats_init\": " + std::exchange(out_.layer_stats_init_json, {}) + ", " + members;
  return members;
}

// The metrics row to --log, and the curves to --plot. A plot that fails (no gnuplot) is said
// once and training goes on: the log and the checkpoint are still written.
void TrainObserverCli::record(const runtime::EpochReport& r, const std::string& json_members) {
  std::vector<std::pair<std::string, double>> row = {
      {"train_loss", missing_if_unmeasured(r.train, r.train.loss)},
      {"test_loss", missing_if_unmeasured(r.test, r.test.loss)},
      {"test_accuracy", missing_if_unmeasured(r.test, r.test.accuracy)},
      {"seconds", r.seconds},
      {"train_accuracy", missing_if_unmeasured(r.train, r.train.accuracy)},
      {"validation_loss", missing_if_unmeasured(r.validation, r.validation.loss)},
      {"validation_accuracy", missing_if_unmeasured(r.validation, r.validation.accuracy)},
      {"lr", r.lr}};
  if (out_.log) {
    auto logged = row;
    if (!out_.accuracy)  // a regression's log has no accuracy columns (the curves' NaNs leave the panel out)
      std::erase_if(logged, [](const auto& kv) { return kv.first.ends_with("accuracy"); });
    out_.log->append(r.epoch, logged, json_members);
  }
  if (out_.plot.empty() || plot_failed_) return;
  if (!out_.log) {
    std::vector<double> values = {static_cast<double>(r.epoch)};
    for (size_t i = 0; i + 1 < runtime::kMetricsColumns.size(); ++i) values.push_back(row[i].second);
    curves_.rows.push_back(values);
  }
  try {
    plot_training_curves({{"run", out_.log ? out_.log->table() : curves_}}, out_.plot_title, out_.plot);
  } catch (const PlotError& e) {
    fmt::print(stderr, "gradc: warning: {} (training goes on; no more curves this run)\n", e.what());
    plot_failed_ = true;
  }
}

}  // namespace gradc::cli
