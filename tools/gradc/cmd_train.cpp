// tools/gradc/cmd_train.cpp — `gradc train`: a thin layer over runtime/trainer.h.
//
// Loads the data, reads the model's conventions (runtime/train_model.h), compiles the step,
// prints the data-loading and compile times apart, then one plain line per epoch. Per-step
// losses go to --log-steps FILE (CSV) for comparisons with other frameworks.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <cstdio>
#include <fstream>

#include "runtime/trainer.h"
#include "tools/gradc/commands.h"
#include "tools/gradc/tensor_args.h"

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
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string percent(double share) { return fmt::format("{:.2f} %", 100 * share); }

// One line per epoch on stdout; each step's loss to the --log-steps file.
class PlainObserver : public runtime::TrainObserver {
 public:
  PlainObserver(int epochs, std::FILE* steps) : epochs_(epochs), steps_(steps) {
    if (steps_) std::fputs("step,epoch,batch,examples,loss,lr\n", steps_);
  }
  void on_step(const runtime::StepReport& r) override {
    if (steps_) fmt::print(steps_, "{},{},{},{},{},{}\n", r.step, r.epoch, r.batch_in_epoch, r.examples, r.loss, r.lr);
  }
  void on_epoch(const runtime::EpochReport& r) override {
    std::string line = fmt::format("epoch {}/{}  train loss {:.4f}  test loss {:.4f}  test accuracy {}", r.epoch,
                                   epochs_, r.train.loss, r.test.loss, percent(r.test.accuracy));
    if (r.validation.n > 0)
      line += fmt::format("  validation loss {:.4f}  validation accuracy {}", r.validation.loss,
                          percent(r.validation.accuracy));
    fmt::print("{}  {:.2f} s\n", line, r.seconds);
    std::fflush(stdout);
  }

 private:
  int epochs_;
  std::FILE* steps_;
};

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

int run_train(TrainOptions o) {
  frontend::SourceFile src = load_source(o.program);
  ProgramArgs as_f32 = o.program;
  as_f32.dtype = "f32";  // training computes in f32
  const runtime::TrainModel model = runtime::read_train_model(compile_program(src, as_f32));
  o.cfg.opt_level = o.pipeline.level;
  o.cfg.passes = custom_passes(o.pipeline);
  o.cfg.shuffle = !o.no_shuffle;
  std::FILE* steps = nullptr;
  if (!o.log_steps.empty() && !(steps = std::fopen(o.log_steps.c_str(), "w")))
    throw UsageError(fmt::format("--log-steps: cannot write '{}'", o.log_steps));
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> close_steps(steps, &std::fclose);  // null: not called
  const Clock::time_point t0 = Clock::now();
  const runtime::DataSplits data = runtime::load_data(o.data);
  fmt::print("data: {} (loaded in {:.2f} s)\n", data.description, seconds_since(t0));
  runtime::Trainer trainer(model, data, o.cfg);
  set_initial_values(trainer, o.at);
  fmt::print("compile: {:.3f} s (step for batch {}, {} batches an epoch, {} optimiser, lr {})\n",
             trainer.compile_seconds(), o.cfg.batch, trainer.batches_per_epoch(), o.cfg.optimizer.kind, o.cfg.lr);
  std::fflush(stdout);
  if (o.pipeline.stats) std::fputs(trainer.pipeline_stats().c_str(), stderr);
  PlainObserver obs(o.cfg.epochs, steps);
  trainer.run(obs);
  return 0;
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
  cmd->add_option("--lr", o.cfg.lr, "Learning rate (the schedule's peak)")->capture_default_str();
  cmd->add_option("--momentum", o.cfg.optimizer.momentum, "Momentum (--optimizer momentum)")->capture_default_str();
  cmd->add_option("--weight-decay", o.cfg.optimizer.weight_decay,
                  "L2 weight decay (sgd, momentum, adam); decoupled for adamw")
      ->capture_default_str();
  cmd->add_option("--schedule", o.cfg.schedule,
                  "constant; step (x0.1 every epochs/3 epochs); cosine (per step, from --lr to 0)")
      ->capture_default_str()
      ->check(CLI::IsMember({"constant", "step", "cosine"}));
  cmd->add_option("--seed", o.cfg.seed, "Seed of the initialisers and the shuffles")->capture_default_str();
  cmd->add_option("--threads", o.cfg.threads, "GEMM threads")->capture_default_str()->check(CLI::Range(1, 1024));
  cmd->add_option("--validation", o.cfg.validation,
                  "Hold out this fraction of the training set (its last examples) and report on it each epoch")
      ->check(CLI::Range(0.0, 0.99));
  cmd->add_flag("--no-shuffle", o.no_shuffle, "Batches in the data's order (to compare with another framework)");
  cmd->add_option("--at", o.at, "Start a param from a value instead of its initialiser, NAME=FILE.npy");
  cmd->add_option("--log-steps", o.log_steps, "Write each step's loss to this CSV file");
  add_pipeline_options(*cmd, o.pipeline);
  cmd->footer(
      "\nExamples:\n  gradc train examples/mlp.grad --data fashion-mnist --epochs 10 --schedule cosine\n"
      "  gradc train net.grad --data dir --optimizer momentum --lr 0.05 --batch 128 --seed 3");
  cmd->callback([opts, &run] { run = [opts] { return run_train(*opts); }; });
}

}  // namespace gradc::cli
