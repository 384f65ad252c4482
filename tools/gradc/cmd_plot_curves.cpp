// tools/gradc/cmd_plot_curves.cpp — `gradc plot-curves`: several runs' metrics logs overlaid on
// one chart (coursework 003 section 6: depths, activations, learning rates compared).
//
// Each log is a file `gradc train --log` wrote (CSV or JSON, read by runtime/metrics_log.h);
// the chart is tools/gradc/plot.h's: loss on the left (train solid, test dashed), test
// accuracy on the right (left out when no log has one, as for regression), one colour per
// run, named in the legend by --label or else by the log's file name without its extension.
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "tools/gradc/commands.h"
#include "tools/gradc/plot.h"

namespace gradc::cli {

namespace {

struct PlotCurvesOptions {
  std::vector<std::string> logs, labels;
  std::string out, title = "gradc sweep";
};

int run_plot_curves(const PlotCurvesOptions& o) {
  if (!o.labels.empty() && o.labels.size() != o.logs.size())
    throw UsageError(fmt::format("--label: {} labels for {} logs (give one per log, in order, or none)",
                                 o.labels.size(), o.logs.size()));
  if (!o.out.ends_with(".svg") && !o.out.ends_with(".png"))
    throw UsageError(fmt::format("--out {}: the picture's name must end in .svg or .png", o.out));
  std::vector<CurveRun> runs;
  for (size_t i = 0; i < o.logs.size(); ++i) {
    const std::string label = o.labels.empty() ? std::filesystem::path(o.logs[i]).stem().string() : o.labels[i];
    runs.push_back({label, runtime::read_metrics(o.logs[i])});  // a bad log: MetricsError, exit 1
  }
  plot_training_curves(runs, o.title, o.out);
  fmt::print("{}: {} runs\n", o.out, runs.size());
  return 0;
}

}  // namespace

void register_plot_curves(CLI::App& app, Action& run) {
  auto opts = std::make_shared<PlotCurvesOptions>();
  CLI::App* cmd = app.add_subcommand("plot-curves", "Overlay the curves of several training runs' metrics logs on one chart");
  cmd->add_option("logs", opts->logs, "Metrics logs written by gradc train --log (.csv or .json)")->required();
  cmd->add_option("--out", opts->out, "The chart (.svg or .png)")->required();
  cmd->add_option("--label", opts->labels, "The runs' names in the legend, one per log (default: file names)");
  cmd->add_option("--title", opts->title, "The chart's title")->capture_default_str();
  cmd->footer(
      "\nExample:\n  gradc plot-curves depth1.csv depth2.csv depth3.csv --out sweep.svg\n"
      "  gradc plot-curves a.json b.json --label 'lr 0.1' --label 'lr 0.01' --out lr.png --title 'learning rates'");
  cmd->callback([opts, &run] { run = [opts] { return run_plot_curves(*opts); }; });
}

}  // namespace gradc::cli
