// tools/gradc/cmd_train.cpp — `gradc train`: a thin layer over runtime/trainer.h.
//
// Loads the data, reads the model's conventions (runtime/train_model.h), compiles the step,
// prints the data-loading and compile times apart, then one plain line per epoch. Per-step
// losses go to --log-steps FILE (CSV) for comparisons with other frameworks.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <cstdio>
#include <fstream>
#include <future>
#include <optional>

#include "runtime/checkpoint.h"
#include "runtime/trainer.h"
#include "tools/gradc/commands.h"
#include "tools/gradc/tensor_args.h"
#include "tools/gradc/train_observer.h"

namespace gradc::cli {

namespace {

struct TrainOptions {
  ProgramArgs program;
  std::string data;
  runtime::TrainConfig cfg;
  std::vector<std::string> at;
  std::string log_steps;
  bool no_shuffle = false;
  PipelineArgs pipeline;
  std::string save, resume, log, plot;
  bool layer_stats = false;
  const CLI::App* cmd = nullptr;  // which options were given (resume keeps the saved ones)
};

// The metrics log's columns after kMetricsColumns.
const std::vector<std::string> kLogExtras = {"train_accuracy", "validation_loss", "validation_accuracy", "lr"};
// A regression's: no accuracy columns (test_accuracy is left out of the first ones too).
const std::vector<std::string> kRegressionLogExtras = {"validation_loss", "lr"};

// Resuming continues the saved run: its optimiser, rate, schedule, seed, batch, shuffle and
// validation split. An option given on the command line that says otherwise is an error
// rather than silently ignored or silently a different run.
void adopt_saved_settings(TrainOptions& o, const runtime::Checkpoint& c) {
  runtime::TrainConfig& cfg = o.cfg;
  const auto keep = [&](const char* option, auto& mine, const auto& saved) {
    if (o.cmd->count(option) > 0 && mine != saved)
      throw UsageError(fmt::format("--resume {}: the run was saved with {} {}, the command line says {} "
                                   "(a resumed run keeps its settings; drop {})",
                                   o.resume, option, saved, mine, option));
    mine = saved;
  };
  keep("--optimizer", cfg.optimizer.kind, c.cfg.optimizer.kind);
  keep("--lr", cfg.lr, c.cfg.lr);
  keep("--momentum", cfg.optimizer.momentum, c.cfg.optimizer.momentum);
  keep("--weight-decay", cfg.optimizer.weight_decay, c.cfg.optimizer.weight_decay);
  keep("--schedule", cfg.schedule, c.cfg.schedule);
  keep("--seed", cfg.seed, c.cfg.seed);
  keep("--batch", cfg.batch, c.cfg.batch);
  keep("--validation", cfg.validation, c.cfg.validation);
  keep("--no-shuffle", o.no_shuffle, !c.cfg.shuffle);
  cfg.optimizer.beta1 = c.cfg.optimizer.beta1;
  cfg.optimizer.beta2 = c.cfg.optimizer.beta2;
  cfg.optimizer.eps = c.cfg.optimizer.eps;
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// --at NAME=FILE.npy (or a literal): a param's starting value instead of its initialiser.
void set_initial_values(runtime::Trainer& t, const std::vector<std::string>& at) {
  std::vector<runtime::NamedArray> state = t.state();
  for (const std::string& item : at) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos) throw UsageError(fmt::format("--at '{}': write NAME=VALUE", item));
    const std::string name = item.substr(0, eq);
    auto it = std::find_if(state.begin(), state.end(), [&](const runtime::NamedArray& a) { return a.name == name; });
    if (it == state.end()) throw UsageError(fmt::format("--at: '{}' is not a param of the model", name));
    const runtime::Tensor v = parse_input_value(name, item.substr(eq + 1), false);
    if (v.shape != it->shape)
      throw UsageError(fmt::format("--at: {} is [{}], the value given is [{}]", name, fmt::join(it->shape, ","),
                                   fmt::join(v.shape, ",")));
    it->data->assign(v.data.begin(), v.data.end());
  }
}

std::vector<std::string> custom_passes(const PipelineArgs& p) {
  try {
    std::vector<std::string> custom;
    if (!p.passes.empty()) custom = passes::parse_pass_list(p.passes);
    passes::step_pipeline({p.level, custom, true});  // validates -O and the list
    return custom;
  } catch (const passes::PipelineError& e) {
    throw UsageError(e.what());
  }
}

// --layer-stats: the table before the first step (or where a resumed run starts), then
// after every epoch through the observer. Only a fresh run's first table goes to the log
// (as the first row's layer_stats_init): a resumed run's is the last logged row's.
void add_layer_stats(runtime::Trainer& trainer, TrainOutputs& outputs) {
  const bool fresh = trainer.step() == 0;
  const runtime::LayerStatsReport init = trainer.layer_stats(
      fresh ? std::string("initialisation") : fmt::format("the resumed point (epoch {}, step {})", trainer.epoch(), trainer.step()));
  fmt::print("{}", runtime::format_layer_stats(init));
  std::fflush(stdout);
  if (fresh) outputs.layer_stats_init_json = runtime::layer_stats_json(init);
  outputs.layer_stats = [&trainer](const std::string& when) { return trainer.layer_stats(when); };
}

int run_train(TrainOptions o) {
  frontend::SourceFile src = load_source(o.program);
  ProgramArgs as_f32 = o.program;
  as_f32.dtype = "f32";  // training computes in f32
  const runtime::TrainModel model = runtime::read_train_model(compile_program(src, as_f32));
  std::optional<runtime::Checkpoint> resumed;
  if (!o.resume.empty()) {
    if (!o.at.empty()) throw UsageError("--at and --resume: a resumed run starts from the checkpoint's params");
    resumed = runtime::read_checkpoint(o.resume);
    adopt_saved_settings(o, *resumed);
  }
  o.cfg.opt_level = o.pipeline.level;
  o.cfg.passes = custom_passes(o.pipeline);
  o.cfg.shuffle = !o.no_shuffle;
  std::FILE* steps = nullptr;
  if (!o.log_steps.empty() && !(steps = std::fopen(o.log_steps.c_str(), "w")))
    throw UsageError(fmt::format("--log-steps: cannot write '{}'", o.log_steps));
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> close_steps(steps, &std::fclose);  // null: not called
  if (!o.plot.empty() && !o.plot.ends_with(".svg") && !o.plot.ends_with(".png"))
    throw UsageError(fmt::format("--plot {}: the picture's name must end in .svg or .png", o.plot));
  install_interrupt_flag();  // from here on Ctrl-C stops between steps (and saves with --save)
  const Clock::time_point t0 = Clock::now();
  // The step needs the model and the settings, not the data: it compiles on a thread while
  // the data loads. If that fails, the Trainer compiles again and reports the error.
  std::future<runtime::StepAhead> ahead = std::async(std::launch::async, [&] {
    try {
      return runtime::StepAhead(model, o.cfg);
    } catch (const std::exception&) {
      return runtime::StepAhead();
    }
  });
  const runtime::DataSplits data = runtime::load_data(o.data, model.regression);
  fmt::print("data: {} (loaded in {:.2f} s)\n", data.description, seconds_since(t0));
  const Clock::time_point t1 = Clock::now();
  runtime::StepAhead step = ahead.get();
  const double compile_ahead = step.seconds(), waited = seconds_since(t1);
  runtime::Trainer trainer(model, data, o.cfg, std::move(step));
  set_initial_values(trainer, o.at);
  if (resumed) {
    runtime::restore_checkpoint(*resumed, trainer, model, true);
    fmt::print("resume: {} (after epoch {}, step {})\n", o.resume, resumed->epoch, resumed->step);
  }
  const int64_t batches = trainer.batches_per_epoch();
  const std::string when = trainer.used_step_ahead()
                               ? fmt::format("{:.3f} s while the data loaded, {:.3f} s after it", compile_ahead, waited)
                               : fmt::format("{:.3f} s", trainer.compile_seconds());
  fmt::print("compile: {} (step for batch {}{}, {} batch{} an epoch, {} optimiser, lr {})\n", when, trainer.batch(),
             trainer.batch() < o.cfg.batch ? fmt::format(": all the training examples, fewer than --batch {}", o.cfg.batch) : "",
             batches, batches == 1 ? "" : "es", o.cfg.optimizer.kind, o.cfg.lr);
  std::fflush(stdout);
  if (o.pipeline.stats) std::fputs(trainer.pipeline_stats().c_str(), stderr);
  TrainOutputs outputs{.epochs = o.cfg.epochs, .steps = steps, .log = {}, .plot = o.plot,
                       .plot_title = o.program.file.empty() ? std::string("gradc train") : o.program.file, .save = {},
                       .layer_stats = {}, .layer_stats_init_json = {}, .accuracy = !model.regression};
  if (!o.log.empty())
  {
    const auto& extras = model.regression ? kRegressionLogExtras : kLogExtras;
    outputs.log = resumed ? runtime::MetricsLog::resume(o.log, extras, resumed->epoch, model.regression)
                          : runtime::MetricsLog(o.log, extras, model.regression);
  }
  if (!o.save.empty()) outputs.save = [&] { runtime::save_checkpoint(o.save, trainer, model, o.cfg); };
  if (o.layer_stats) add_layer_stats(trainer, outputs);
  if (trainer.epoch() >= o.cfg.epochs)
    fmt::print("nothing to do: the run is past epoch {} of --epochs {}\n", trainer.epoch(), o.cfg.epochs);
  TrainObserverCli obs(std::move(outputs));
  trainer.run(obs);
  if (!interrupt_requested()) return 0;
  // Ctrl-C: 130 (128 + SIGINT), as a shell reports a process the signal ended, so a script
  // sees that the run did not finish; the checkpoint holds the last step.
  std::string where = fmt::format("epoch {}, step {}", trainer.epoch() + 1, trainer.step());
  if (!o.save.empty()) {
    runtime::save_checkpoint(o.save, trainer, model, o.cfg);
    fmt::print(stderr, "interrupted in {}: checkpoint saved to {} (continue with --resume {})\n", where, o.save, o.save);
  } else {
    fmt::print(stderr, "interrupted in {} (no --save: nothing kept)\n", where);
  }
  return 130;
}

}  // namespace

void register_train(CLI::App& app, Action& run) {
  auto opts = std::make_shared<TrainOptions>();
  TrainOptions& o = *opts;
  o.cfg.optimizer.kind = "adam";
  CLI::App* cmd = app.add_subcommand("train", "Train a model program on a data set (compiled step, in place)");
  add_program_options(*cmd, o.program);
  cmd->add_option("--data", o.data, "fashion-mnist, mnist, or a directory of IDX, .npy or CSV files (docs/data.md)")
      ->required();
  cmd->add_option("--epochs", o.cfg.epochs, "Epochs in all")->capture_default_str()->check(CLI::Range(1, 1000000));
  cmd->add_option("--batch", o.cfg.batch, "Examples per step")->capture_default_str()->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--optimizer", o.cfg.optimizer.kind, "sgd, momentum, adam or adamw (as torch.optim)")
      ->capture_default_str()
      ->check(CLI::IsMember({"sgd", "momentum", "adam", "adamw"}));
  cmd->add_option("--lr", o.cfg.lr, "Learning rate (the schedule's peak)")
      ->capture_default_str()
      ->check(number_in(0, HUGE_VAL, true));
  cmd->add_option("--momentum", o.cfg.optimizer.momentum, "Momentum (--optimizer momentum)")
      ->capture_default_str()
      ->check(number_in(0, 1, true));
  cmd->add_option("--weight-decay", o.cfg.optimizer.weight_decay,
                  "L2 weight decay (sgd, momentum, adam); decoupled for adamw")
      ->capture_default_str()
      ->check(number_in(0, HUGE_VAL, true));
  cmd->add_option("--schedule", o.cfg.schedule,
                  "constant; step (x0.1 every epochs/3 epochs); cosine (per step, from --lr to 0)")
      ->capture_default_str()
      ->check(CLI::IsMember({"constant", "step", "cosine"}));
  cmd->add_option("--seed", o.cfg.seed, "Seed of the initialisers and the shuffles")
      ->capture_default_str()
      ->check(seed_number());
  cmd->add_option("--threads", o.cfg.threads, "GEMM threads")->capture_default_str()->check(CLI::Range(1, 1024));
  cmd->add_option("--validation", o.cfg.validation,
                  "Hold out this fraction of the training set (its last examples) and report on it each epoch")
      ->check(number_in(0, 0.99));
  cmd->add_flag("--no-shuffle", o.no_shuffle, "Batches in the data's order (to compare with another framework)");
  cmd->add_option("--at", o.at, "Start a param from a value instead of its initialiser, NAME=FILE.npy");
  cmd->add_option("--log-steps", o.log_steps, "Write each step's loss to this CSV file");
  cmd->add_option("--save", o.save, "Write a checkpoint (.npz) after every epoch and on Ctrl-C (docs/checkpoints.md)");
  cmd->add_option("--resume", o.resume, "Continue the run saved in this checkpoint (--epochs counts the total)");
  cmd->add_option("--log", o.log, "Write the metrics of every epoch to this file (.json: JSON, else CSV)");
  cmd->add_option("--plot", o.plot, "Draw the loss and accuracy curves here after every epoch (.svg or .png)");
  cmd->add_flag("--layer-stats", o.layer_stats,
                "Per layer: mean, variance and zeros of the values and gradients on a fixed batch, at "
                "initialisation and after every epoch (in the --log too, if .json)");
  add_pipeline_options(*cmd, o.pipeline);
  o.cmd = cmd;
  cmd->footer(
      "\nExamples:\n  gradc train examples/mlp.grad --data fashion-mnist --epochs 10 --schedule cosine\n"
      "  gradc train net.grad --data dir --optimizer momentum --lr 0.05 --batch 128 --seed 3\n"
      "  gradc train examples/mlp.grad --data fashion-mnist --save ckpt.npz --log m.csv --plot curves.svg\n"
      "  gradc train examples/mlp.grad --data fashion-mnist --resume ckpt.npz --epochs 20 --save ckpt.npz");
  cmd->callback([opts, &run] { run = [opts] { return run_train(*opts); }; });
}

}  // namespace gradc::cli
