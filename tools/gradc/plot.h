// tools/gradc/plot.h — pictures of training: loss and accuracy curves (one run or a sweep
// overlaid) and predicted class probabilities beside each image, drawn by gnuplot.
//
// Why gnuplot (gnuplot-nox) rather than PLplot: see the README's dependency table. In short:
// a separate process, so a plotting failure can never take the trainer (and its checkpoint)
// down with it; anti-aliased cairo PNG and clean SVG with system fonts; one Debian package;
// when it is missing, gradc says so and what to install, and the metrics log is still there.
// The scripts are built as text (testable without gnuplot), then run from a file next to the
// picture, which is written under a temporary name and renamed when gnuplot succeeds.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/metrics_log.h"

namespace gradc::cli {

// "cannot draw <file>: <why>": gnuplot missing or failing, an unknown extension, bad data.
struct PlotError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One run's metrics (a MetricsLog's table or read_metrics of its file) and its legend label.
struct CurveRun {
  std::string label;
  runtime::MetricsTable metrics;
};

// Loss by epoch (train solid, test dashed) on the left, test accuracy on the right; several
// runs share the axes, one colour each. The format follows the extension: .svg or .png.
std::string training_curves_script(const std::vector<CurveRun>& runs, const std::string& title,
                                   const std::string& out_path);
void plot_training_curves(const std::vector<CurveRun>& runs, const std::string& title,
                          const std::string& out_path);

// One image and the model's class probabilities for it.
struct PredictionSample {
  std::vector<float> pixels;  // rows × cols, row-major, 0 (black) to 1 (white)
  int rows = 28, cols = 28;
  std::vector<double> probabilities;  // one per class
  int true_label = -1;                // -1 when unknown
  int64_t index = -1;                 // its index in the data set, as the table shows it (-1: unknown)
};

// A row per sample: the image (grayscale), then a horizontal bar per class with its name and
// probability; the predicted class is coloured (green when right, red when wrong) and the true
// class named in the titles.
std::string predictions_script(const std::vector<PredictionSample>& samples,
                               const std::vector<std::string>& class_names,
                               const std::string& out_path);
void plot_predictions(const std::vector<PredictionSample>& samples,
                      const std::vector<std::string>& class_names, const std::string& out_path);

// Runs gnuplot on `script`, whose output is out_path + ".tmp"; renames that to out_path on
// success. The program is $GRADC_GNUPLOT if set, else "gnuplot" on PATH.
void run_gnuplot(const std::string& script, const std::string& out_path);

}  // namespace gradc::cli
