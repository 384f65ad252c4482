// tests/unit/runtime_trainer_test.cpp — runtime::Trainer's checks of its configuration, for
// library callers (the CLI rejects the same numbers earlier, with exit 2: tests/cli).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "frontend/frontend.h"
#include "runtime/trainer.h"

using namespace gradc;
using namespace gradc::runtime;

namespace {

TrainModel linear_model() {
  const char* text = "input x[B, 3]\ninput y[B] : int\nparam W[3, 2] = xavier()\nloss = cross_entropy(x @ W, y)\n";
  return read_train_model(frontend::compile_to_ir(frontend::SourceFile("lin.grad", text), ir::DType::F32));
}

Dataset tiny(int64_t n) {
  Dataset d;
  d.n = n;
  d.features = 3;
  d.classes = 2;
  d.image_shape = {3};
  d.images_file = d.labels_file = "tiny";
  for (int64_t i = 0; i < n * 3; ++i) d.images.push_back(static_cast<float>(i % 7) / 7);
  for (int64_t i = 0; i < n; ++i) d.labels.push_back(static_cast<int32_t>(i % 2));
  return d;
}

DataSplits splits() {
  DataSplits s;
  s.train = tiny(10);
  s.test = tiny(4);
  return s;
}

std::string error_of(const TrainConfig& cfg) {
  const DataSplits data = splits();
  try {
    Trainer t(linear_model(), data, cfg);
  } catch (const TrainError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("trainer: optimiser numbers that cannot train are errors that name them", "[trainer]") {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = HUGE_VAL;
  TrainConfig c;
  CHECK(error_of(c).empty());
  c.lr = nan;
  CHECK(error_of(c) == "the learning rate must be a finite number >= 0, not nan");
  c.lr = -0.1;
  CHECK(error_of(c) == "the learning rate must be a finite number >= 0, not -0.1");
  c = {};
  c.optimizer.momentum = 1;
  CHECK(error_of(c) == "the momentum must be in [0, 1), not 1");
  c = {};
  c.optimizer.weight_decay = inf;
  CHECK(error_of(c) == "the weight decay must be a finite number >= 0, not inf");
  c = {};
  c.optimizer.beta2 = nan;
  CHECK(error_of(c) == "beta2 must be in [0, 1), not nan");
  c = {};
  c.optimizer.eps = 0;
  CHECK(error_of(c) == "epsilon must be a finite number > 0, not 0");
}

TEST_CASE("trainer: a batch larger than the training set is the whole set", "[trainer]") {
  TrainConfig c;
  c.batch = 1 << 20;
  c.validation = 0.2;  // 8 of the 10 examples train
  const DataSplits data = splits();
  Trainer t(linear_model(), data, c);
  CHECK(t.batch() == 8);
  CHECK(t.batches_per_epoch() == 1);
  c.batch = 3;
  Trainer u(linear_model(), data, c);
  CHECK(u.batch() == 3);
  CHECK(u.batches_per_epoch() == 3);
}

TEST_CASE("trainer: forward only (gradc predict), on the test split alone, with its forward compiled ahead",
          "[trainer]") {
  const TrainModel m = linear_model();
  DataSplits data = splits();
  TrainConfig c;
  c.forward_only = true;
  c.eval_batch = 2;
  const std::vector<int64_t> rows = {1, 0};
  Trainer whole(m, data, c);
  CHECK_FALSE(whole.used_step_ahead());
  const std::vector<float> want = whole.test_logits(rows);
  data.train = {};  // Splits::test_only: no training split
  for (bool ahead : {false, true}) {
    Trainer t(m, data, c, ahead ? StepAhead(m, c) : StepAhead());
    CHECK(t.used_step_ahead() == ahead);
    CHECK(t.test_logits(rows) == want);
  }
  TrainConfig other = c;  // compiled ahead for another count: compiled afresh, same logits
  other.eval_batch = 3;
  Trainer t(m, data, c, StepAhead(m, other));
  CHECK_FALSE(t.used_step_ahead());
  CHECK(t.test_logits(rows) == want);
  c.forward_only = false;  // training needs the training split
  CHECK_THROWS_WITH(Trainer(m, data, c), Catch::Contains("features per example"));
}

TEST_CASE("trainer: a step compiled ahead trains as one compiled in the constructor", "[trainer]") {
  TrainConfig c;
  c.batch = 3;
  c.epochs = 2;
  const TrainModel m = linear_model();
  const DataSplits data = splits();
  const auto params_after = [&](StepAhead ahead, bool expect_used) {
    Trainer t(m, data, c, std::move(ahead));
    CHECK(t.used_step_ahead() == expect_used);
    TrainObserver quiet;
    t.run(quiet);
    return *t.state()[0].data;
  };
  const std::vector<float> own = params_after({}, false);
  StepAhead ahead(m, c);
  CHECK(ahead.seconds() > 0);
  CHECK(params_after(std::move(ahead), true) == own);
  // Not for this Trainer (another batch, another optimiser): compiled afresh, same result.
  TrainConfig other = c;
  other.batch = 4;
  CHECK(params_after(StepAhead(m, other), false) == own);
  other = c;
  other.optimizer.kind = "adam";
  CHECK(params_after(StepAhead(m, other), false) == own);
}
