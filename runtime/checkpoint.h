// runtime/checkpoint.h — a training run as an .npz archive (`gradc train --save/--resume`,
// `gradc predict --load`); the layout is in docs/checkpoints.md.
//
// Every array of Trainer::state() under its own name (params `W1`, optimiser state `W1.m`),
// then the run's position and settings under names holding a `.` (which a param's name cannot),
// so they never clash: train.epoch, train.step, train.seed (the generator state: every shuffle
// and initialiser is drawn from the seed and the epoch), the optimiser and its
// hyper-parameters, and model.params (the param names, so a checkpoint of another model is
// named as such rather than read half).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/npz.h"
#include "runtime/trainer.h"

namespace gradc::runtime {

struct Checkpoint {
  NpzArchive arrays;
  int epoch = 0;      // epochs completed
  int64_t step = 0;   // steps completed (past epoch * batches_per_epoch when saved mid-epoch)
  TrainConfig cfg;    // optimiser, lr, schedule, seed, batch, shuffle, validation, epochs
  std::vector<std::string> params;  // the model's, in graph order
};

NpzArchive checkpoint_archive(Trainer& trainer, const TrainModel& model, const TrainConfig& cfg);
// Atomic (runtime/npz.h): a process killed at any instant leaves the previous file or this one.
void save_checkpoint(const std::string& path, Trainer& trainer, const TrainModel& model, const TrainConfig& cfg);

// Throws NpzError for a file that is no archive, TrainError for an archive that is no
// checkpoint (a missing train.* entry).
Checkpoint read_checkpoint(const std::string& path);

// Copies the checkpoint's params (and, with `with_optimizer_state`, W.m etc.) into the trainer
// and sets its position. Throws TrainError naming every name or shape that differs.
void restore_checkpoint(const Checkpoint& ckpt, Trainer& trainer, const TrainModel& model, bool with_optimizer_state);

}  // namespace gradc::runtime
