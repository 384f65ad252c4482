// tools/gradc/cmd_predict.cpp — `gradc predict`: a trained model's class probabilities for a
// few test images (coursework 001 problem 3), as a table (or --json) and as a picture.
//
// The model's compiled forward (no step is compiled) runs at the checkpoint's params on
// --show test examples drawn by --seed; softmax of the logits, in double, gives the
// probabilities. The checkpoint's optimiser state is not read.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <future>
#include <memory>
#include <random>

#include "runtime/checkpoint.h"
#include "runtime/trainer.h"
#include "tools/gradc/commands.h"
#include "tools/gradc/plot.h"
#include "tools/gradc/predict_output.h"

namespace gradc::cli {

namespace {

struct PredictOptions {
  ProgramArgs program;
  std::string load, data, out;
  int64_t show = 3;
  uint64_t seed = 0;
  bool json = false;
};

// `count` distinct test examples, the same for a seed on every machine (mt19937_64's sequence
// is fixed by the standard; the distributions are not, so none is used).
std::vector<int64_t> chosen_examples(int64_t n, int64_t count, uint64_t seed) {
  std::vector<int64_t> all(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) all[static_cast<size_t>(i)] = i;
  std::mt19937_64 gen(seed);
  for (int64_t i = 0; i < count; ++i)
    std::swap(all[static_cast<size_t>(i)], all[static_cast<size_t>(i + static_cast<int64_t>(gen() % static_cast<uint64_t>(n - i)))]);
  all.resize(static_cast<size_t>(count));
  return all;
}

std::vector<double> softmax(const float* logits, int64_t classes) {
  const double top = *std::max_element(logits, logits + classes);
  std::vector<double> p(static_cast<size_t>(classes));
  double sum = 0;
  for (int64_t c = 0; c < classes; ++c) sum += p[static_cast<size_t>(c)] = std::exp(logits[c] - top);
  for (double& v : p) v /= sum;
  return p;
}

int run_predict(const PredictOptions& o) {
  if (!o.out.empty() && !o.out.ends_with(".png") && !o.out.ends_with(".svg"))
    throw UsageError(fmt::format("--out {}: the picture's name must end in .png or .svg", o.out));
  frontend::SourceFile src = load_source(o.program);
  ProgramArgs as_f32 = o.program;
  as_f32.dtype = "f32";
  const runtime::TrainModel model = runtime::read_train_model(compile_program(src, as_f32));
  if (model.regression)
    throw runtime::TrainError("gradc predict shows class probabilities, and this model is a regression (no "
                              "integer labels, no logits); evaluate it with gradc eval --at");
  const runtime::Checkpoint ckpt = runtime::read_checkpoint(o.load);
  runtime::TrainConfig cfg;
  cfg.forward_only = true;
  cfg.eval_batch = std::max<int64_t>(o.show, 1);
  cfg.optimizer.kind = "sgd";  // no state: only the params are read
  // The forward compiles on a thread while the data loads (as gradc train's step does); if
  // that fails, the Trainer compiles again and reports the error.
  std::future<runtime::StepAhead> ahead = std::async(std::launch::async, [&model, cfg] {  // cfg: a copy
    try {
      return runtime::StepAhead(model, cfg);
    } catch (const std::exception&) {
      return runtime::StepAhead();
    }
  });
  // Only the test split: the training split is six times larger in fashion-mnist, and unused.
  const runtime::DataSplits data = runtime::load_data(o.data, false, runtime::Splits::test_only);
  if (data.test.n < 1) throw runtime::TrainError(fmt::format("{}: no test examples", o.data));
  const int64_t count = std::min(o.show, data.test.n);
  cfg.eval_batch = std::max<int64_t>(count, 1);  // fewer test examples than --show: compiled afresh
  runtime::Trainer trainer(model, data, cfg, ahead.get());
  runtime::restore_checkpoint(ckpt, trainer, model, false);
  const std::vector<int64_t> rows = chosen_examples(data.test.n, count, o.seed);
  const std::vector<float> logits = trainer.test_logits(rows);
  std::vector<Prediction> predictions;
  std::vector<PredictionSample> pictures;
  const std::vector<int64_t>& shape = data.test.image_shape;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto r = static_cast<size_t>(rows[i]);
    const int label = data.test.labels[r];
    std::vector<double> p = softmax(logits.data() + static_cast<int64_t>(i) * model.classes, model.classes);
    predictions.push_back({rows[i], p, label});
    const float* px = data.test.images.data() + r * static_cast<size_t>(data.test.features);
    const int rows_px = shape.size() == 2 ? static_cast<int>(shape[0]) : 1;
    pictures.push_back({std::vector<float>(px, px + data.test.features), rows_px,
                        static_cast<int>(data.test.features / rows_px), std::move(p), label, rows[i]});
  }
  // A class per logit: a set whose test labels stop short of the last class (its count is
  // inferred from them) is named on by number.
  std::vector<std::string> names = data.class_names;
  for (auto c = static_cast<int64_t>(names.size()); c < model.classes; ++c) names.push_back(std::to_string(c));
  fmt::print("{}", o.json ? prediction_json(predictions, names) + "\n" : prediction_table(predictions, names));
  if (!o.out.empty()) plot_predictions(pictures, names, o.out);
  return 0;
}

}  // namespace

void register_predict(CLI::App& app, Action& run) {
  auto opts = std::make_shared<PredictOptions>();
  PredictOptions& o = *opts;
  CLI::App* cmd = app.add_subcommand("predict", "Class probabilities of a trained model for a few test images");
  add_program_options(*cmd, o.program);
  cmd->add_option("--load", o.load, "The checkpoint whose params to use (gradc train --save)")->required();
  cmd->add_option("--data", o.data, "fashion-mnist, mnist, or a directory (docs/data.md): its test split")->required();
  cmd->add_option("--show", o.show, "How many test images")->capture_default_str()->check(CLI::Range(1, 1000));
  cmd->add_option("--seed", o.seed, "Which test images (drawn by this seed)")->capture_default_str()->check(seed_number());
  cmd->add_option("--out", o.out, "Draw each image beside its probabilities (.png or .svg)");
  cmd->add_flag("--json", o.json, "Print JSON instead of the table");
  cmd->footer("\nExample:\n  gradc predict examples/mlp.grad --load ckpt.npz --data fashion-mnist --show 3 --out probs.png");
  cmd->callback([opts, &run] { run = [opts] { return run_predict(*opts); }; });
}

}  // namespace gradc::cli
