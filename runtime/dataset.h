// runtime/dataset.h — training and test data for `gradc train`: IDX (MNIST-style), .npy, CSV.
//
// A training loop wants x[B, features] float32 and y[B] class indices, nothing else, so every
// source is read once into that form: images as one row-major float block, labels as int32
// checked against the class count, both splits with the same example shape. Every problem
// with the input (a missing file, bad magic, a truncated or corrupt gzip stream, counts that
// differ, a label out of range) is a DataError naming the file and what is wrong; loading
// never crashes and never allocates more than the data actually holds. See docs/data.md.
#pragma once

#include "runtime/idx.h"  // DataError

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gradc::runtime {

// One split: n examples of `features` floats each, and their labels.
struct Dataset {
  std::vector<float> images;         // n × features, row-major; IDX pixels are byte / 255
  std::vector<int32_t> labels;       // n class indices, each in [0, classes); empty for regression
  std::vector<float> targets;        // regression: n targets, one per example (labels empty)
  int64_t n = 0;
  int64_t features = 0;              // the product of image_shape
  int64_t classes = 0;               // the same in both splits of a DataSplits
  std::vector<int64_t> image_shape;  // one example's shape: {28, 28} for MNIST, {features} for CSV
  std::string images_file, labels_file;  // where it came from (the same file for CSV)

  // Example i's features (features floats).
  std::span<const float> example(int64_t i) const {
    return {images.data() + i * features, static_cast<size_t>(features)};
  }
};

struct DataSplits {
  Dataset train, test;
  std::vector<std::string> class_names;  // `classes` names: the set's own, else "0", "1", ...
  std::string description;  // one line: source, sizes, shape, classes (for the training log)
};

// Where Debian's dataset-fashion-mnist package puts its four IDX .gz files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
// Where a Debian package of MNIST would put them (none exists in Debian 12).
inline constexpr const char* kMnistDir = "/usr/share/datasets/mnist";

// Which splits a loader reads: both, or only the test split (gradc predict: the training split,
// six times larger in fashion-mnist, is neither read nor required; `train` stays empty).
enum class Splits { both, test_only };

// `source` is "fashion-mnist", "mnist", or a directory holding one of: the four IDX files
// (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
// t10k-labels-idx1-ubyte, each plain or with .gz), train_x.npy / train_y.npy / test_x.npy /
// test_y.npy, or train.csv / test.csv. Throws DataError.
// `targets`: read the label column (CSV) or train_y/test_y (.npy, any number type) as
// regression targets instead of class labels; IDX sets and the named ones hold classes only.
// Regression data is always read whole (`splits` applies to class labels).
DataSplits load_data(const std::string& source, bool targets = false, Splits splits = Splits::both);

// The loaders load_data dispatches to. `classes` 0 infers the count from the labels (the
// largest of the splits read plus one, at most 65536).
DataSplits load_idx_dir(const std::string& dir, int64_t classes = 0, Splits splits = Splits::both);
DataSplits load_npy_dir(const std::string& dir, int64_t classes = 0, Splits splits = Splits::both);
DataSplits load_csv_dir(const std::string& dir, int64_t classes = 0, Splits splits = Splits::both);

// One CSV file: a row per example, one column the label (the column headed `label` if the
// first row is a header, else the first column), the others the features, used as they are.
Dataset parse_csv(std::string_view text, const std::string& name_for_errors, bool targets = false);

}  // namespace gradc::runtime
