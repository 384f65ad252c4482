// runtime/trainer.cpp — the training loop around one compiled step (runtime/trainer.h).
#include "runtime/trainer.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <map>

#include "codegen/codegen.h"
#include "ir/bind_dims.h"
#include "ir/printer.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"
#include "passes/update.h"
#include "runtime/gemm.h"
#include "runtime/init.h"
#include "runtime/random.h"

namespace gradc::runtime {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Epoch e's order depends on (seed, e) alone, so a resumed run draws the same orders.
void shuffle_for_epoch(std::vector<int64_t>& order, uint64_t seed, int epoch) {
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  SplitMix64 gen{seed ^ (0x5851f42d4c957f2dULL * static_cast<uint64_t>(epoch + 1))};
  gen.next();
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[gen.below(i)]);
}

// One compiled graph for one batch size, its pointers wired to the trainer's buffers.
struct Compiled {
  codegen::CompiledTensorFunction fn;
  std::vector<const float*> in;
  std::vector<float*> out;
  void run() const { fn.run(in.data(), out.data()); }
};

size_t element_count(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

// Asks for the cache lines of [p, p + bytes) without waiting for them.
void prefetch(const float* p, size_t bytes) {
  const char* c = reinterpret_cast<const char*>(p);
  for (size_t at = 0; at < bytes; at += 64) __builtin_prefetch(c + at);
}

// The optimiser's numbers as torch.optim accepts them, and momentum and betas below 1 (at 1
// the running sums never forget and grow without bound). NaN fails every check.
void check_optimizer(const TrainConfig& c) {
  const passes::OptimizerSpec& o = c.optimizer;
  auto require = [](bool ok, const char* rule, double v) {
    if (!ok) throw TrainError(fmt::format("{}, not {}", rule, v));
  };
  require(c.lr >= 0 && std::isfinite(c.lr), "the learning rate must be a finite number >= 0", c.lr);
  require(o.momentum >= 0 && o.momentum < 1, "the momentum must be in [0, 1)", o.momentum);
  require(o.weight_decay >= 0 && std::isfinite(o.weight_decay), "the weight decay must be a finite number >= 0",
          o.weight_decay);
  require(o.beta1 >= 0 && o.beta1 < 1, "beta1 must be in [0, 1)", o.beta1);
  require(o.beta2 >= 0 && o.beta2 < 1, "beta2 must be in [0, 1)", o.beta2);
  require(o.eps > 0 && std::isfinite(o.eps), "epsilon must be a finite number > 0", o.eps);
}

// One graph of the model (the step, or the forward alone) compiled for one batch size, with
// the names of its inputs and outputs; the Trainer binds them to its buffers.
struct CompiledGraph {
  codegen::CompiledTensorFunction fn;
  std::vector<std::string> inputs, outputs;
  std::string stats;  // passes::format_stats, if asked for
  double seconds = 0;
  bool images_by_rows = false;  // the images input takes a table of row pointers
};

// `rows_input`: an input the caller passes by rows (a table of pointers to its examples).
codegen::CodegenOptions codegen_options(const TrainConfig& cfg, ir::NodeId rows_input = ir::kNoNode) {
  codegen::CodegenOptions opts;
  opts.dtype = ir::DType::F32;
  opts.opt_level = passes::llvm_opt_level(cfg.opt_level);
  opts.gemm_f32 = reinterpret_cast<void*>(&gradc_gemm_f32);
  if (rows_input != ir::kNoNode) {
    opts.inputs_by_rows = {rows_input};
    opts.gemm_rows_f32 = reinterpret_cast<void*>(&gradc_gemm_rows_f32);
  }
  return opts;
}

// The model with its batch dim bound to `batch`.
ir::Graph bound(const TrainModel& model, int64_t batch) {
  return ir::bind_dims(model.graph, {{model.batch_dim, batch}});
}

// Thread-safe: reads only the model and the config.
CompiledGraph compile_graph(const TrainModel& model, const TrainConfig& cfg, int64_t batch, bool step_graph,
                            bool record_stats) {
  const Clock::time_point t0 = Clock::now();
  passes::PipelineSpec spec{cfg.opt_level, step_graph ? cfg.passes : std::vector<std::string>{}, step_graph};
  passes::PassContext ctx;
  ctx.optimizer = cfg.optimizer;
  passes::PassManager pm(step_graph ? passes::step_pipeline(spec) : passes::build_pipeline(spec));
  const ir::Graph g = pm.run(bound(model, batch), ctx);
  // The step reads its shuffled examples where they lie (Trainer::Impl::point_at_batch) where
  // gradc_gemm_rows_f32 reads rows in place; elsewhere one gather per step beats one per GEMM.
  const ir::NodeId images = step_graph && gemm_rows_in_place() ? g.find_input(model.images) : ir::kNoNode;
  CompiledGraph out{codegen::compile_tensors(g, codegen_options(cfg, images)), {}, {}, {}, 0, images != ir::kNoNode};
  if (record_stats) out.stats = passes::format_stats(pm.records(), ctx);
  for (ir::NodeId id : g.inputs()) out.inputs.push_back(g[id].name);
  for (const ir::Output& o : g.outputs) out.outputs.push_back(o.name);
  out.seconds = seconds_since(t0);
  return out;
}

// What a step's compile depends on: the model as the program printed it, the batch, and
// every setting the pipeline reads. A StepAhead serves a Trainer whose key is its own.
std::string step_key(const TrainModel& model, const TrainConfig& cfg, int64_t batch) {
  const passes::OptimizerSpec& o = cfg.optimizer;
  return fmt::format("{}\nbatch {} -O{} passes {} optimizer {} {} {} {} {} {}", ir::print(model.graph), batch,
                     cfg.opt_level, fmt::join(cfg.passes, ","), o.kind, o.momentum, o.beta1, o.beta2, o.eps,
                     o.weight_decay);
}

// A forward_only config's graph is the forward for eval_batch examples; its key says so.
std::string ahead_key(const TrainModel& model, const TrainConfig& cfg) {
  return cfg.forward_only ? "forward\n" + step_key(model, cfg, cfg.eval_batch) : step_key(model, cfg, cfg.batch);
}

int64_t argmax_row(const float* row, int64_t n) {
  int64_t best = 0;
  for (int64_t c = 1; c < n; ++c)
    if (row[c] > row[best]) best = c;
  return best;
}

}  // namespace

struct Trainer::Impl {
  TrainModel model;
  const DataSplits& data;
  TrainConfig cfg;
  int64_t n_train = 0;  // training examples (the rest of the training split validates)
  std::map<std::string, std::vector<float>> arrays;  // params and optimiser state
  std::vector<std::string> state_names;              // params, then state, in checkpoint order
  std::map<std::string, std::vector<int64_t>> shapes;
  // Batch buffers: training and evaluation, sized once. Where the step reads its images by
  // rows, they are not copied: x_rows points at each example where the data set holds it.
  const bool by_rows = gemm_rows_in_place();
  std::vector<const float*> x_rows;
  std::vector<float> x, y, logits, eval_x, eval_y, eval_logits;
  float scalars[3] = {0, 1, 1};  // step.lr, step.bc1, step.bc2
  float loss = 0;
  std::map<int64_t, Compiled> steps, forwards;  // by batch size
  std::vector<int64_t> order;
  int epoch = 0;
  int64_t step = 0;
  double compile_seconds = 0;     // before the first step
  bool used_step_ahead = false;
  double background_seconds = 0;  // compile_in_background's, once joined
  std::string stats;

  Impl(const TrainModel& m, const DataSplits& d, TrainConfig c) : model(m), data(d), cfg(std::move(c)) {}

  void draw_params() {
    const ir::Graph g = bound(model, 1);
    for (const std::string& p : model.params) {
      const ir::NodeId id = g.find_input(p);
      if (g[id].init.empty())
        throw TrainError(fmt::format("param {} has no initialiser: declare it as param {}[...] = he() (or zeros(), ...)", p, p));
      const Tensor t = draw_initial(g[id].init, g[id].shape.dims, param_fans(g, id), cfg.seed, p);
      arrays[p].assign(t.data.begin(), t.data.end());
      shapes[p] = g[id].shape.dims;
      state_names.push_back(p);
    }
    for (const std::string& k : passes::optimizer_states(cfg.optimizer.kind))
      for (const std::string& p : model.params) {
        const std::string name = p + "." + k;
        arrays[name].assign(arrays[p].size(), 0.0f);
        shapes[name] = shapes[p];
        state_names.push_back(name);
      }
  }

  // The buffer an input or output of a compiled graph reads or writes.
  float* buffer_for(const std::string& name, bool eval) {
    if (name == model.images) return eval ? eval_x.data() : x.data();
    if (name == model.labels) return eval ? eval_y.data() : y.data();
    if (name == "logits") return eval ? eval_logits.data() : logits.data();
    if (name == "loss") return &loss;
    if (name == "step.lr") return &scalars[0];
    if (name == "step.bc1") return &scalars[1];
    if (name == "step.bc2") return &scalars[2];
    std::string key = name;
    if (!key.empty() && key.back() == '\'') key.pop_back();  // an updated value: over its input
    auto it = arrays.find(key);
    if (it == arrays.end()) throw std::logic_error("trainer: the compiled step has an unknown value " + name);
    return it->second.data();
  }

  // Binds a compiled graph's inputs and outputs to the trainer's buffers.
  Compiled wire(CompiledGraph&& g, bool eval) {
    Compiled c{std::move(g.fn), {}, {}};
    for (const std::string& name : g.inputs)
      c.in.push_back(g.images_by_rows && name == model.images ? reinterpret_cast<const float*>(x_rows.data())
                                                              : buffer_for(name, eval));
    for (const std::string& name : g.outputs) c.out.push_back(buffer_for(name, eval));
    return c;
  }

  // Compiles the step (or the forward graph) for this batch size; `seconds` gets the time it took.
  // Runs on the background thread too: it reads the model, the config and the buffers' addresses
  // (which never change once allocated), and writes nothing else (stats only if asked).
  Compiled build(int64_t batch, bool step_graph, bool record_stats, double& seconds) {
    CompiledGraph g = compile_graph(model, cfg, batch, step_graph, record_stats);
    if (record_stats) stats = std::move(g.stats);
    seconds = g.seconds;
    return wire(std::move(g), !step_graph);
  }

  Compiled& compiled(int64_t batch, bool step_graph) {
    auto& cache = step_graph ? steps : forwards;
    if (auto it = cache.find(batch); it != cache.end()) return it->second;
    join_background();
    if (auto it = cache.find(batch); it != cache.end()) return it->second;
    double seconds = 0;
    Compiled c = build(batch, step_graph, step_graph && stats.empty(), seconds);
    compile_seconds += seconds;
    return cache.emplace(batch, std::move(c)).first->second;
  }

  // The graphs the first step does not need (the last partial batch's step, the evaluation's
  // forwards) compile on one background thread while training starts, so that the time to
  // the first step is one compile; the first use of any of them waits for all.
  struct Built {
    int64_t batch;
    bool step_graph;
    Compiled c;
    double seconds;
  };
  void compile_in_background(std::vector<std::pair<int64_t, bool>> wanted) {
    if (wanted.empty()) return;
    background = std::async(std::launch::async, [this, wanted] {
      std::vector<Built> done;
      for (auto [batch, step_graph] : wanted) {
        double seconds = 0;
        Compiled c = build(batch, step_graph, false, seconds);
        done.push_back({batch, step_graph, std::move(c), seconds});
      }
      return done;
    });
  }
  void join_background() {
    if (!background.valid()) return;
    for (Built& b : background.get()) {
      (b.step_graph ? steps : forwards).emplace(b.batch, std::move(b.c));
      background_seconds += b.seconds;
    }
  }

  // Example r's label (as a float, the step's label input) or regression target.
  float target_of(const Dataset& d, size_t r) const {
    return model.regression ? d.targets[r] : static_cast<float>(d.labels[r]);
  }

  // Copies the batch's rows. Shuffled rows are scattered through the data set (fashion-mnist:
  // 188 MB of floats), so each comes from memory: the next row's cache lines are requested
  // while this one is copied, and the two rows' misses overlap instead of queueing
  // (an epoch's gather at batch 64: 47 -> 34 ms, docs/training.md).
  void gather(const Dataset& d, const int64_t* rows, int64_t count, float* xs, float* ys) const {
    const size_t f = static_cast<size_t>(d.features);
    auto example = [&](int64_t i) { return static_cast<size_t>(rows ? rows[i] : i); };
    for (int64_t i = 0; i < count; ++i) {
      const size_t r = example(i);
      if (i + 1 < count) prefetch(d.images.data() + example(i + 1) * f, f * sizeof(float));
      std::copy_n(d.images.data() + r * f, f, xs + static_cast<size_t>(i) * f);
      ys[i] = target_of(d, r);
    }
  }

  // The step's batch: a pointer to each example's image (read in place by the step's GEMMs)
  // and a copy of its label. The rows' first cache lines are requested now, so that their
  // misses overlap rather than queue inside the GEMM.
  void point_at_batch(const Dataset& d, const int64_t* rows, int64_t count) {
    const size_t f = static_cast<size_t>(d.features);
    for (int64_t i = 0; i < count; ++i) {
      const size_t r = static_cast<size_t>(rows[i]);
      x_rows[static_cast<size_t>(i)] = d.images.data() + r * f;
      __builtin_prefetch(x_rows[static_cast<size_t>(i)]);
      y[static_cast<size_t>(i)] = target_of(d, r);
    }
  }

  int64_t correct(const float* lg, const float* ys, int64_t count) const {
    int64_t right = 0;
    if (model.regression) return 0;  // no classes: accuracy() is NaN
    for (int64_t i = 0; i < count; ++i)
      right += argmax_row(lg + i * model.classes, model.classes) == static_cast<int64_t>(ys[i]);
    return right;
  }

  double accuracy(int64_t right, int64_t n) const {
    return model.regression ? std::nan("") : static_cast<double>(right) / static_cast<double>(n);
  }

  Metrics evaluate(const Dataset& d, int64_t begin, int64_t end) {
    Metrics m;
    double loss_sum = 0;
    int64_t right = 0;
    for (int64_t s = begin; s < end; s += cfg.eval_batch) {
      const int64_t count = std::min(cfg.eval_batch, end - s);
      const Compiled& c = compiled(count, false);
      const int64_t rows_begin = s;
      for (int64_t i = 0; i < count; ++i) order_scratch[static_cast<size_t>(i)] = rows_begin + i;
      gather(d, order_scratch.data(), count, eval_x.data(), eval_y.data());
      c.run();
      loss_sum += static_cast<double>(loss) * static_cast<double>(count);
      right += correct(eval_logits.data(), eval_y.data(), count);
    }
    m.n = end - begin;
    if (m.n > 0) {
      m.loss = loss_sum / static_cast<double>(m.n);
      m.accuracy = accuracy(right, m.n);
    }
    return m;
  }
  std::vector<int64_t> order_scratch;

  // --layer-stats: its graph, compiled on first use, with its own batch and output buffers.
  struct Stats {
    Compiled fn;
    int64_t batch = 0;
    std::vector<float> x, y;
    std::vector<std::string> names;               // the graph's outputs
    std::vector<std::vector<int64_t>> shapes;
    std::vector<std::vector<float>> out;
  };
  std::unique_ptr<Stats> layer_stats;

  // Declared last, so destroyed first: its destructor waits for the thread, which uses the rest.
  std::future<std::vector<Built>> background;

  Stats& stats_graph() {
    if (layer_stats) return *layer_stats;
    join_background();  // one compile at a time: the background thread's may still run
    const Clock::time_point t0 = Clock::now();
    auto s = std::make_unique<Stats>();
    s->batch = std::min(Trainer::kLayerStatsBatch, n_train);
    const ir::Graph g = layer_stats_graph(model, s->batch, cfg.opt_level);
    s->x.resize(static_cast<size_t>(s->batch * model.features));
    s->y.resize(static_cast<size_t>(s->batch));
    gather(data.train, nullptr, s->batch, s->x.data(), s->y.data());
    s->fn.fn = codegen::compile_tensors(g, codegen_options(cfg));
    for (ir::NodeId id : g.inputs()) {
      const std::string& name = g[id].name;
      s->fn.in.push_back(name == model.images ? s->x.data() : name == model.labels ? s->y.data() : buffer_for(name, false));
    }
    for (const ir::Output& o : g.outputs) {
      s->names.push_back(o.name);
      s->shapes.push_back(g[o.id].shape.dims);
      s->out.emplace_back(element_count(g[o.id].shape.dims));
    }
    for (auto& buffer : s->out) s->fn.out.push_back(buffer.data());
    compile_seconds += seconds_since(t0);
    layer_stats = std::move(s);
    return *layer_stats;
  }

  double learning_rate(int ep, int64_t st) const {
    if (cfg.schedule == "step") {
      const int every = std::max(1, cfg.epochs / 3);
      return cfg.lr * std::pow(0.1, ep / every);
    }
    if (cfg.schedule == "cosine") {
      const double total = static_cast<double>(batches_per_epoch()) * cfg.epochs;
      return cfg.lr * 0.5 * (1 + std::cos(M_PI * static_cast<double>(st) / total));
    }
    return cfg.lr;
  }

  int64_t batches_per_epoch() const { return (n_train + cfg.batch - 1) / cfg.batch; }

  // Adam's bias corrections for step t (1-based), as torch computes them (in double).
  void set_scalars(double lr, int64_t t) {
    scalars[0] = static_cast<float>(lr);
    scalars[1] = static_cast<float>(1 - std::pow(cfg.optimizer.beta1, static_cast<double>(t)));
    scalars[2] = static_cast<float>(1 - std::pow(cfg.optimizer.beta2, static_cast<double>(t)));
  }

  bool run_epoch(TrainObserver& obs) {
    const Clock::time_point t0 = Clock::now();
    if (cfg.shuffle) shuffle_for_epoch(order, cfg.seed, epoch);
    else for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
    EpochReport r;
    r.epoch = epoch + 1;
    double loss_sum = 0;
    int64_t right = 0, seen = 0;
    const int64_t batches = batches_per_epoch();
    // A run resumed from a checkpoint saved mid-epoch (Ctrl-C) continues at the next batch
    // of the same order; its train metrics then cover this process's steps only.
    const int64_t first = std::clamp<int64_t>(step - static_cast<int64_t>(epoch) * batches, 0, batches);
    for (int64_t b = first; b < batches; ++b) {
      if (obs.stop_requested()) return false;
      const int64_t start = b * cfg.batch, count = std::min(cfg.batch, n_train - start);
      const Compiled& c = compiled(count, true);
      if (by_rows) point_at_batch(data.train, order.data() + start, count);
      else gather(data.train, order.data() + start, count, x.data(), y.data());
      r.lr = learning_rate(epoch, step);
      set_scalars(r.lr, step + 1);
      c.run();
      ++step;
      loss_sum += static_cast<double>(loss) * static_cast<double>(count);
      right += correct(logits.data(), y.data(), count);
      seen += count;
      obs.on_step({epoch + 1, step, b + 1, batches, count, loss, r.lr});
    }
    r.seconds = seconds_since(t0);
    if (seen > 0)
      r.train = {loss_sum / static_cast<double>(seen), accuracy(right, seen), seen};
    ++epoch;
    r.test = evaluate(data.test, 0, data.test.n);
    r.validation = evaluate(data.train, n_train, data.train.n);
    obs.on_epoch(r);
    return true;
  }
};

struct StepAhead::Impl {
  std::string key;
  CompiledGraph graph;
};

StepAhead::StepAhead() = default;
StepAhead::StepAhead(const TrainModel& model, const TrainConfig& cfg)
    : impl_(new Impl{ahead_key(model, cfg), cfg.forward_only ? compile_graph(model, cfg, cfg.eval_batch, false, false)
                                                             : compile_graph(model, cfg, cfg.batch, true, true)}) {}
StepAhead::~StepAhead() = default;
StepAhead::StepAhead(StepAhead&&) noexcept = default;
StepAhead& StepAhead::operator=(StepAhead&&) noexcept = default;
double StepAhead::seconds() const { return impl_ ? impl_->graph.seconds : 0; }

Trainer::Trainer(const TrainModel& model, const DataSplits& data, TrainConfig cfg, StepAhead ahead)
    : impl_(std::make_unique<Impl>(model, data, std::move(cfg))) {
  Impl& t = *impl_;
  // gradc predict reads only the test split (Splits::test_only): no training split to check.
  const bool test_only = t.cfg.forward_only && data.train.n == 0;
  if (!test_only) check_data_fits(model, data.train);
  check_data_fits(model, data.test);
  if (t.cfg.batch < 1) throw TrainError("the batch size must be at least 1");
  if (!(t.cfg.validation >= 0 && t.cfg.validation < 1)) throw TrainError("the validation fraction must be in [0, 1)");
  t.n_train = data.train.n - static_cast<int64_t>(std::llround(t.cfg.validation * static_cast<double>(data.train.n)));
  if (t.n_train < 1 && !test_only) throw TrainError(fmt::format("no training examples left ({} in all)", data.train.n));
  // A batch larger than the training set is the whole set: buffers for more would be wasted
  // (--batch 1048576 would zero 3 GiB for fashion-mnist's 60000 examples).
  t.cfg.batch = std::max<int64_t>(1, std::min(t.cfg.batch, t.n_train));
  check_optimizer(t.cfg);
  set_gemm_threads(t.cfg.threads);
  const size_t f = static_cast<size_t>(model.features), c = static_cast<size_t>(model.classes);
  const size_t b = static_cast<size_t>(t.cfg.batch), e = static_cast<size_t>(t.cfg.eval_batch);
  if (t.by_rows) t.x_rows.resize(b);
  else t.x.resize(b * f);
  t.y.resize(b);
  t.logits.resize(b * c);
  t.eval_x.resize(e * f);
  t.eval_y.resize(e);
  t.eval_logits.resize(e * c);
  t.order.resize(static_cast<size_t>(t.n_train));
  t.order_scratch.resize(e);
  t.draw_params();
  // `ahead`'s graph, if it is this Trainer's: the step for its batch, or (forward_only) the
  // forward for eval_batch examples.
  if (ahead.impl_ && ahead.impl_->key == ahead_key(model, t.cfg)) {
    const bool forward = t.cfg.forward_only;
    if (!forward) t.stats = std::move(ahead.impl_->graph.stats);
    (forward ? t.forwards : t.steps)
        .emplace(forward ? t.cfg.eval_batch : t.cfg.batch, t.wire(std::move(ahead.impl_->graph), forward));
    t.used_step_ahead = true;
  }
  if (t.cfg.forward_only) return;  // any other forward is compiled on demand by test_logits()
  // The first step's graph now; every other size a run needs (the last partial batch, the
  // evaluation's) on a background thread meanwhile.
  if (!t.used_step_ahead) t.compiled(t.cfg.batch, true);
  std::vector<std::pair<int64_t, bool>> later;
  if (t.n_train > t.cfg.batch && t.n_train % t.cfg.batch) later.emplace_back(t.n_train % t.cfg.batch, true);
  for (int64_t n : {data.test.n, data.train.n - t.n_train}) {
    if (n > 0) later.emplace_back(std::min(t.cfg.eval_batch, n), false);
    if (n > t.cfg.eval_batch && n % t.cfg.eval_batch) later.emplace_back(n % t.cfg.eval_batch, false);
  }
  std::sort(later.begin(), later.end());
  later.erase(std::unique(later.begin(), later.end()), later.end());
  t.compile_in_background(std::move(later));
}

Trainer::~Trainer() = default;

void Trainer::run(TrainObserver& obs) {
  while (impl_->epoch < impl_->cfg.epochs)
    if (!impl_->run_epoch(obs)) return;
}

std::vector<float> Trainer::test_logits(const std::vector<int64_t>& rows) {
  Impl& t = *impl_;
  const int64_t count = static_cast<int64_t>(rows.size());
  if (count < 1 || count > t.cfg.eval_batch) throw TrainError(fmt::format("test_logits: 1 to {} rows, not {}", t.cfg.eval_batch, count));
  for (int64_t r : rows)
    if (r < 0 || r >= t.data.test.n) throw TrainError(fmt::format("test example {} out of range (0 to {})", r, t.data.test.n - 1));
  const Compiled& c = t.compiled(count, false);
  t.gather(t.data.test, rows.data(), count, t.eval_x.data(), t.eval_y.data());
  c.run();
  return {t.eval_logits.begin(), t.eval_logits.begin() + count * t.model.classes};
}

LayerStatsReport Trainer::layer_stats(const std::string& when) {
  Impl& t = *impl_;
  Impl::Stats& s = t.stats_graph();
  s.fn.run();
  LayerStatsReport r{when, t.epoch, s.batch, 0, {}};
  const auto output = [&](const std::string& name) -> std::optional<size_t> {
    for (size_t i = 0; i < s.names.size(); ++i)
      if (s.names[i] == name) return i;
    return std::nullopt;
  };
  const auto stats_of = [&](const std::string& name) -> std::optional<TensorStats> {
    if (const auto i = output(name)) return tensor_stats(s.out[*i]);
    return std::nullopt;
  };
  r.loss = s.out[*output("loss")][0];
  r.layers.push_back({t.model.images, "input", {s.batch, t.model.features}, tensor_stats(s.x), std::nullopt});
  for (const std::string& h : activation_layers(t.model))
    if (const auto i = output(h)) r.layers.push_back({h, "activation", s.shapes[*i], tensor_stats(s.out[*i]), stats_of("dloss/d" + h)});
  for (const std::string& p : t.model.params)
    r.layers.push_back({p, "param", t.shapes[p], tensor_stats(t.arrays[p]), stats_of("dloss/d" + p)});
  return r;
}

Metrics Trainer::evaluate_test() { return impl_->evaluate(impl_->data.test, 0, impl_->data.test.n); }
Metrics Trainer::evaluate_validation() { return impl_->evaluate(impl_->data.train, impl_->n_train, impl_->data.train.n); }
int Trainer::epoch() const { return impl_->epoch; }
int64_t Trainer::step() const { return impl_->step; }
void Trainer::set_position(int epoch, int64_t step) {
  impl_->epoch = epoch;
  impl_->step = step;
}
double Trainer::learning_rate(int epoch, int64_t step) const { return impl_->learning_rate(epoch, step); }
int64_t Trainer::batches_per_epoch() const { return impl_->batches_per_epoch(); }
int64_t Trainer::batch() const { return impl_->cfg.batch; }
double Trainer::compile_seconds() const { return impl_->compile_seconds; }
bool Trainer::used_step_ahead() const { return impl_->used_step_ahead; }
double Trainer::background_compile_seconds() {
  impl_->join_background();
  return impl_->background_seconds;
}
const std::string& Trainer::pipeline_stats() const { return impl_->stats; }

std::vector<NamedArray> Trainer::state() {
  std::vector<NamedArray> out;
  for (const std::string& name : impl_->state_names)
    out.push_back({name, impl_->shapes[name], &impl_->arrays[name]});
  return out;
}

}  // namespace gradc::runtime
