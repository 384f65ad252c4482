// runtime/checkpoint.cpp — a training run as an .npz archive (runtime/checkpoint.h).
#include "runtime/checkpoint.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

namespace gradc::runtime {

namespace {

NpyArray text_array(const std::string& s) {
  return make_npy({static_cast<int64_t>(s.size())}, std::vector<uint8_t>(s.begin(), s.end()));
}
std::string text_of(const NpyArray& a) {
  const std::span<const uint8_t> b = a.as<uint8_t>();
  return std::string(b.begin(), b.end());
}
NpyArray scalar(double v) { return make_npy({}, std::vector<double>{v}); }
NpyArray scalar_i64(int64_t v) { return make_npy({}, std::vector<int64_t>{v}); }

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : "\n") + n;
  return out;
}
std::vector<std::string> split_names(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string shape_text(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

}  // namespace

NpzArchive checkpoint_archive(Trainer& trainer, const TrainModel& model, const TrainConfig& cfg) {
  NpzArchive a;
  for (const NamedArray& s : trainer.state()) a.add(s.name, make_npy(s.shape, *s.data));
  a.add("train.epoch", scalar_i64(trainer.epoch()));
  a.add("train.step", scalar_i64(trainer.step()));
  a.add("train.seed", make_npy({}, std::vector<uint64_t>{cfg.seed}));
  a.add("train.epochs", scalar_i64(cfg.epochs));
  a.add("train.batch", scalar_i64(cfg.batch));
  a.add("train.lr", scalar(cfg.lr));
  a.add("train.schedule", text_array(cfg.schedule));
  a.add("train.shuffle", scalar_i64(cfg.shuffle ? 1 : 0));
  a.add("train.validation", scalar(cfg.validation));
  a.add("optimizer.name", text_array(cfg.optimizer.kind));
  a.add("optimizer.momentum", scalar(cfg.optimizer.momentum));
  a.add("optimizer.weight_decay", scalar(cfg.optimizer.weight_decay));
  a.add("optimizer.beta1", scalar(cfg.optimizer.beta1));
  a.add("optimizer.beta2", scalar(cfg.optimizer.beta2));
  a.add("optimizer.eps", scalar(cfg.optimizer.eps));
  a.add("model.params", text_array(join_names(model.params)));
  return a;
}

void save_checkpoint(const std::string& path, Trainer& trainer, const TrainModel& model, const TrainConfig& cfg) {
  write_npz(path, checkpoint_archive(trainer, model, cfg));
}

Checkpoint read_checkpoint(const std::string& path) {
  Checkpoint c;
  c.arrays = read_npz(path);
  const NpzArchive& a = c.arrays;
  if (!a.find("train.step") || !a.find("model.params"))
    throw TrainError(fmt::format("{}: not a gradc checkpoint (no train.step or model.params; it holds {})", path,
                                 fmt::join(a.names(), ", ")));
  const auto one = [&](const char* name) -> const NpyArray& {  // a scalar: never index an empty array
    const NpyArray& v = a.at(name);
    if (v.count() != 1) throw TrainError(fmt::format("{}: corrupt checkpoint ({} holds {} values, not 1)", path, name, v.count()));
    return v;
  };
  const auto i64 = [&](const char* name) { return one(name).as<int64_t>()[0]; };
  const auto f64 = [&](const char* name) { return one(name).as<double>()[0]; };
  c.epoch = static_cast<int>(i64("train.epoch"));
  c.step = i64("train.step");
  c.cfg.seed = one("train.seed").as<uint64_t>()[0];
  c.cfg.epochs = static_cast<int>(i64("train.epochs"));
  c.cfg.batch = i64("train.batch");
  c.cfg.lr = f64("train.lr");
  c.cfg.schedule = text_of(a.at("train.schedule"));
  c.cfg.shuffle = i64("train.shuffle") != 0;
  c.cfg.validation = f64("train.validation");
  c.cfg.optimizer.kind = text_of(a.at("optimizer.name"));
  c.cfg.optimizer.momentum = f64("optimizer.momentum");
  c.cfg.optimizer.weight_decay = f64("optimizer.weight_decay");
  c.cfg.optimizer.beta1 = f64("optimizer.beta1");
  c.cfg.optimizer.beta2 = f64("optimizer.beta2");
  c.cfg.optimizer.eps = f64("optimizer.eps");
  c.params = split_names(text_of(a.at("model.params")));
  if (c.epoch < 0 || c.step < 0 || c.cfg.batch < 1)
    throw TrainError(fmt::format("{}: corrupt checkpoint (epoch {}, step {}, batch {})", path, c.epoch, c.step, c.cfg.batch));
  return c;
}

void restore_checkpoint(const Checkpoint& ckpt, Trainer& trainer, const TrainModel& model, bool with_optimizer_state) {
  std::vector<std::string> differences;
  for (const std::string& p : ckpt.params)
    if (std::find(model.params.begin(), model.params.end(), p) == model.params.end())
      differences.push_back(fmt::format("the checkpoint's {} is not a param of the model", p));
  std::vector<NamedArray> state = trainer.state();
  std::vector<std::pair<const NamedArray*, const NpyArray*>> copies;
  for (const NamedArray& s : state) {
    const bool is_param = std::find(model.params.begin(), model.params.end(), s.name) != model.params.end();
    if (!is_param && !with_optimizer_state) continue;
    const NpyArray* saved = ckpt.arrays.find(s.name);
    if (!saved) differences.push_back(fmt::format("the model's {} {} is not in the checkpoint", s.name, shape_text(s.shape)));
    else if (saved->shape != s.shape)
      differences.push_back(fmt::format("{} is {} in the model but {} in the checkpoint", s.name, shape_text(s.shape),
                                        shape_text(saved->shape)));
    else copies.emplace_back(&s, saved);
  }
  if (!differences.empty())
    throw TrainError(fmt::format("{} does not fit the model: {}", ckpt.arrays.source, fmt::join(differences, "; ")));
  for (auto [s, saved] : copies) {
    const std::span<const float> v = saved->as<float>();
    s->data->assign(v.begin(), v.end());
  }
  trainer.set_position(ckpt.epoch, ckpt.step);
}

}  // namespace gradc::runtime
