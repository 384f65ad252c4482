// runtime/dataset.cpp — finding a data set's files, reading each format, checking the splits.
//
// Each format has its own small reader that yields a Dataset; what every source shares (the
// class count, labels in range, both splits with the same example shape, the description)
// is checked once in finish_splits, so the error messages read the same whatever the format.
#include "runtime/dataset.h"

#include "runtime/npy.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <optional>
#include <ranges>
#include <tuple>

#include <sys/mman.h>  // madvise

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join

namespace gradc::runtime {

namespace fs = std::filesystem;

namespace {

// Capacity for n floats, with the kernel asked to back it by huge pages (transparent huge pages
// in "madvise" mode, Debian's default): fashion-mnist's 188 MB of floats are then ~90 page
// faults instead of ~46,000; on this VM a profile of loading showed the zero-fill and the page
// faults of this buffer costing more than the inflating (docs/training.md, time to first step).
// Only a hint: where the kernel says no, the memory is the same, just slower to touch.
void reserve_for_first_touch(std::vector<float>& v, size_t n) {
  v.reserve(n);
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(v.data()) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(v.data() + n)) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

constexpr uint64_t kMaxCsvBytes = uint64_t{1} << 32;  // 4 GiB of text, decompressed
constexpr int64_t kMaxClasses = int64_t{1} << 16;    // inferred counts beyond are a bad label

const std::vector<std::string> kFashionMnistClasses = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

[[noreturn]] void fail(const std::string& name, std::string_view problem) {
  throw DataError(fmt::format("{}: {}", name, problem));
}

std::string shape_text(const std::vector<int64_t>& shape) {
  return fmt::format("{}", fmt::join(shape, "×"));
}

// ---- IDX ----

// The file for an IDX stem: `stem.gz` or `stem`, whichever exists; an error lists both.
std::string find_idx_file(const fs::path& dir, const std::string& stem) {
  for (const std::string& name : {stem + ".gz", stem}) {
    std::error_code ec;
    if (fs::exists(dir / name, ec)) return (dir / name).string();
  }
  fail(dir.string(), fmt::format("missing file: looked for {}.gz and {}", stem, stem));
}

Dataset idx_split(const std::string& images_path, const std::string& labels_path) {
  IdxArray labels = read_idx(labels_path);
  if (labels.dims.size() != 1)
    fail(labels_path, fmt::format("wrong dims: a labels file has one dimension (the count), this "
                                  "one has {} ({}); are images and labels swapped?",
                                  labels.dims.size(), shape_text(labels.dims)));
  IdxArray images = read_idx(images_path);
  if (images.dims.size() < 2)
    fail(images_path, fmt::format("wrong dims: an images file has a count and an image shape "
                                  "(e.g. 60000×28×28), this one is {}", shape_text(images.dims)));
  if (images.dims[0] != labels.dims[0])
    fail(images_path, fmt::format("holds {} images but {} holds {} labels", images.dims[0],
                                  labels_path, labels.dims[0]));
  Dataset d;
  d.n = images.dims[0];
  d.image_shape.assign(images.dims.begin() + 1, images.dims.end());
  d.features = d.n ? static_cast<int64_t>(images.data.size()) / d.n : 0;
  // Division, not multiplication by 1/255: every pixel is the correctly rounded byte / 255.
  auto scaled = images.data | std::views::transform([](uint8_t p) { return static_cast<float>(p) / 255.0f; });
  reserve_for_first_touch(d.images, images.data.size());
  d.images.assign(scaled.begin(), scaled.end());  // written once: no zero-fill before
  d.labels.assign(labels.data.begin(), labels.data.end());
  d.images_file = images_path;
  d.labels_file = labels_path;
  return d;
}

// ---- .npy ----

std::vector<float> npy_as_floats(const NpyArray& a) {
  std::vector<float> out(a.count());
  if (a.dtype == NpyDType::F32) std::ranges::copy(a.as<float>(), out.begin());
  else if (a.dtype == NpyDType::F64) std::ranges::transform(a.as<double>(), out.begin(), [](double v) { return static_cast<float>(v); });
  else std::ranges::transform(npy_to_doubles(a), out.begin(), [](double v) { return static_cast<float>(v); });
  return out;
}

std::vector<int32_t> npy_labels(const NpyArray& a, const std::string& path) {
  if (a.dtype != NpyDType::I64)
    fail(path, fmt::format("labels must be integers ('<i8'), found '{}'; save them with "
                           "y.astype('int64')", npy_descr(a.dtype)));
  if (a.shape.size() != 1)
    fail(path, fmt::format("wrong dims: labels are one-dimensional (n,), found shape {}",
                           shape_text(a.shape)));
  std::vector<int32_t> out;
  out.reserve(a.count());
  for (int64_t v : a.as<int64_t>()) {
    // Beyond int32 a label is out of range for any class count: clamping keeps it so.
    out.push_back(static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX)));
  }
  return out;
}

// The examples file (n, features...) and the labels or targets file of an .npy split.
struct NpyPair {
  NpyArray x, y;
};

NpyPair read_npy_pair(const std::string& x_path, const std::string& y_path) {
  NpyPair p;
  try {
    p.x = read_npy(x_path);
    p.y = read_npy(y_path);
  } catch (const NpyError& e) {
    throw DataError(e.what());
  }
  if (p.x.shape.size() < 2)
    fail(x_path, fmt::format("wrong dims: examples are (n, features...), found shape ({})",
                             fmt::join(p.x.shape, ", ")));
  return p;
}

// The examples' fields of `d` from x (d.n already set), and where they came from.
void set_examples(Dataset& d, const NpyArray& x, const std::string& x_path, const std::string& y_path) {
  d.image_shape.assign(x.shape.begin() + 1, x.shape.end());
  d.images = npy_as_floats(x);
  d.features = d.n ? static_cast<int64_t>(d.images.size()) / d.n : 0;
  d.images_file = x_path;
  d.labels_file = y_path;
}

Dataset npy_split(const std::string& x_path, const std::string& y_path) {
  const auto [x, y] = read_npy_pair(x_path, y_path);
  Dataset d;
  d.labels = npy_labels(y, y_path);
  d.n = x.shape[0];
  if (d.n != static_cast<int64_t>(d.labels.size()))
    fail(x_path, fmt::format("holds {} examples but {} holds {} labels", d.n, y_path, d.labels.size()));
  set_examples(d, x, x_path, y_path);
  return d;
}

// ---- CSV ----

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '"' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  for (size_t start = 0;;) {
    const size_t comma = line.find(',', start);
    fields.push_back(trim(line.substr(start, comma - start)));
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}

template <class T>
std::optional<T> parse_number(std::string_view s) {
  T value{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

// The label column from the first row: the one headed `label` (true: it is a header), else 0.
std::pair<size_t, bool> label_column(const std::vector<std::string_view>& first) {
  const bool header = std::ranges::any_of(first, [](std::string_view f) { return !parse_number<float>(f); });
  if (!header) return {0, false};
  for (size_t i = 0; i < first.size(); ++i) {
    std::string lower(first[i]);
    std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "label") return {i, true};
  }
  return {0, true};
}

void parse_csv_row(const std::vector<std::string_view>& fields, size_t label_col, Dataset& d,
                   const std::string& where, bool targets) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i == label_col && targets) {
      const auto target = parse_number<float>(fields[i]);
      if (!target) fail(where, fmt::format("the target '{}' is not a number", fields[i]));
      d.targets.push_back(*target);
      continue;
    }
    if (i == label_col) {
      const auto label = parse_number<int64_t>(fields[i]);
      if (!label) fail(where, fmt::format("the label '{}' is not a whole number", fields[i]));
      d.labels.push_back(static_cast<int32_t>(std::clamp<int64_t>(*label, INT32_MIN, INT32_MAX)));
      continue;
    }
    const auto value = parse_number<float>(fields[i]);
    if (!value) fail(where, fmt::format("field {} is '{}', not a number", i + 1, fields[i]));
    d.images.push_back(*value);
  }
}

// ---- shared checks ----

void check_labels(const Dataset& d, int64_t classes) {
  for (size_t i = 0; i < d.labels.size(); ++i) {
    if (d.labels[i] < 0 || d.labels[i] >= classes)
      fail(d.labels_file, fmt::format("label out of range: example {} has label {}, but there are "
                                      "{} classes (labels 0 to {})",
                                      i, d.labels[i], classes, classes - 1));
  }
}

// The largest label of the splits read plus one, so the model has an output for every class.
int64_t inferred_classes(const Dataset& train, const Dataset& test) {
  int64_t largest = 0;
  for (const Dataset* d : {&train, &test})
    if (!d->labels.empty()) largest = std::max<int64_t>(largest, *std::ranges::max_element(d->labels));
  return std::min(largest + 1, kMaxClasses);  // beyond: check_labels says which label is wrong
}

// The splits read (train empty for Splits::test_only), checked against each other and labelled.
DataSplits finish_splits(Dataset train, Dataset test, int64_t classes, std::vector<std::string> names,
                         const std::string& origin, Splits splits = Splits::both) {
  const bool test_only = splits == Splits::test_only;
  if (test_only && test.n == 0) fail(test.images_file, "no test examples");
  if (!test_only && train.n == 0) fail(train.images_file, "no training examples");
  if (!test_only && test.image_shape != train.image_shape)
    fail(test.images_file, fmt::format("test examples are {}, but training examples ({}) are {}",
                                       shape_text(test.image_shape), train.images_file,
                                       shape_text(train.image_shape)));
  if (classes == 0) classes = inferred_classes(train, test);
  check_labels(train, classes);
  check_labels(test, classes);
  train.classes = test.classes = classes;
  if (names.empty())
    for (int64_t c = 0; c < classes; ++c) names.push_back(std::to_string(c));
  DataSplits s;
  s.description = test_only ? fmt::format("{}: {} test examples of {}, {} classes", origin, test.n,
                                          shape_text(test.image_shape), classes)
                            : fmt::format("{}: {} training and {} test examples of {}, {} classes", origin,
                                          train.n, test.n, shape_text(train.image_shape), classes);
  s.train = std::move(train);
  s.test = std::move(test);
  s.class_names = std::move(names);
  return s;
}

DataSplits load_known_idx_set(const std::string& name, const char* dir, const std::string& how, Splits splits) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail(name, fmt::format("not installed (no {}): {}", dir, how));
  DataSplits s = load_idx_dir(dir, 10, splits);
  s.description = name + " (" + s.description + ")";
  if (name == "fashion-mnist") s.class_names = kFashionMnistClasses;
  return s;
}

bool any_exists(const fs::path& dir, std::initializer_list<const char*> names) {
  std::error_code ec;
  return std::ranges::any_of(names, [&](const char* n) { return fs::exists(dir / n, ec); });
}

// ---- regression: float targets, from .npy or CSV ----

Dataset npy_regression_split(const std::string& x_path, const std::string& y_path) {
  const auto [x, y] = read_npy_pair(x_path, y_path);
  if (!(y.shape.size() == 1 || (y.shape.size() == 2 && y.shape[1] == 1)))
    fail(y_path, fmt::format("wrong dims: targets are (n,) or (n, 1), found shape ({})", fmt::join(y.shape, ", ")));
  Dataset d;
  d.n = x.shape[0];
  if (d.n != y.shape[0]) fail(x_path, fmt::format("holds {} examples but {} holds {} targets", d.n, y_path, y.shape[0]));
  d.targets = npy_as_floats(y);
  set_examples(d, x, x_path, y_path);
  return d;
}

DataSplits finish_regression_splits(Dataset train, Dataset test, const std::string& origin) {
  if (train.n == 0) fail(train.images_file, "no training examples");
  if (test.image_shape != train.image_shape)
    fail(test.images_file, fmt::format("test examples are {}, but training examples ({}) are {}",
                                       shape_text(test.image_shape), train.images_file, shape_text(train.image_shape)));
  DataSplits s;
  s.description = fmt::format("{}: {} training and {} test examples of {}, a target each", origin, train.n, test.n,
                              shape_text(train.image_shape));
  s.train = std::move(train);
  s.test = std::move(test);
  return s;
}

DataSplits load_regression_dir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    fail(dir, "a regression model's data is a directory of .npy (train_x.npy, train_y.npy, test_x.npy, test_y.npy) "
              "or CSV (train.csv, test.csv) files with a number per example as the target");
  const fs::path p(dir);
  if (any_exists(p, {"train_x.npy", "train_y.npy"}))
    return finish_regression_splits(npy_regression_split((p / "train_x.npy").string(), (p / "train_y.npy").string()),
                                    npy_regression_split((p / "test_x.npy").string(), (p / "test_y.npy").string()), dir);
  Dataset splits[2];
  for (int i = 0; i < 2; ++i) {
    const char* name = i == 0 ? "train.csv" : "test.csv";
    if (!any_exists(p, {name})) fail(dir, "missing file: a regression data set is train.csv and test.csv (or .npy files)");
    const std::string file = (p / name).string();
    splits[i] = parse_csv(read_maybe_gzip(file, kMaxCsvBytes), file, true);
  }
  return finish_regression_splits(std::move(splits[0]), std::move(splits[1]), dir);
}

}  // namespace

Dataset parse_csv(std::string_view text, const std::string& name, bool targets) {
  Dataset d;
  size_t columns = 0, label_col = 0, line_no = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (trim(line).empty()) continue;
    const std::vector<std::string_view> fields = split_fields(line);
    if (columns == 0) {
      columns = fields.size();
      if (columns < 2) fail(name, "a CSV data file needs a label column and at least one feature");
      bool header = false;
      std::tie(label_col, header) = label_column(fields);
      if (header) continue;
    }
    const std::string where = fmt::format("{}:{}", name, line_no);
    if (fields.size() != columns)
      fail(where, fmt::format("{} fields, but the first row has {}", fields.size(), columns));
    parse_csv_row(fields, label_col, d, where, targets);
  }
  d.n = static_cast<int64_t>(targets ? d.targets.size() : d.labels.size());
  d.features = columns ? static_cast<int64_t>(columns) - 1 : 0;
  d.image_shape = {d.features};
  d.images_file = d.labels_file = name;
  return d;
}

DataSplits load_idx_dir(const std::string& dir, int64_t classes, Splits splits) {
  const fs::path p(dir);
  const bool train = splits == Splits::both;
  // Labels first: they are small, and a missing one is found before 47 MB of images are read.
  const std::string train_y = train ? find_idx_file(p, "train-labels-idx1-ubyte") : "";
  const std::string train_x = train ? find_idx_file(p, "train-images-idx3-ubyte") : "";
  const std::string test_y = find_idx_file(p, "t10k-labels-idx1-ubyte");
  const std::string test_x = find_idx_file(p, "t10k-images-idx3-ubyte");
  return finish_splits(train ? idx_split(train_x, train_y) : Dataset{}, idx_split(test_x, test_y), classes, {},
                       dir, splits);
}

DataSplits load_npy_dir(const std::string& dir, int64_t classes, Splits splits) {
  const fs::path p(dir);
  const bool train = splits == Splits::both;
  for (const char* f : {"train_x.npy", "train_y.npy", "test_x.npy", "test_y.npy"})
    if ((train || std::string_view(f).starts_with("test")) && !any_exists(p, {f}))
      fail(dir, fmt::format("missing file {}: a .npy data set is train_x.npy, train_y.npy, "
                            "test_x.npy and test_y.npy", f));
  return finish_splits(train ? npy_split((p / "train_x.npy").string(), (p / "train_y.npy").string()) : Dataset{},
                       npy_split((p / "test_x.npy").string(), (p / "test_y.npy").string()), classes, {}, dir,
                       splits);
}

DataSplits load_csv_dir(const std::string& dir, int64_t classes, Splits splits) {
  const fs::path p(dir);
  Dataset parts[2];
  for (int i = splits == Splits::both ? 0 : 1; i < 2; ++i) {
    const std::string file = (p / (i == 0 ? "train.csv" : "test.csv")).string();
    if (!any_exists(p, {i == 0 ? "train.csv" : "test.csv"}))
      fail(dir, "missing file: a CSV data set is train.csv and test.csv");
    parts[i] = parse_csv(read_maybe_gzip(file, kMaxCsvBytes), file);
  }
  return finish_splits(std::move(parts[0]), std::move(parts[1]), classes, {}, dir, splits);
}

DataSplits load_data(const std::string& source, bool targets, Splits splits) {
  if (targets) return load_regression_dir(source);
  if (source == "fashion-mnist")
    return load_known_idx_set(source, kFashionMnistDir,
                              "install it with `apt-get install dataset-fashion-mnist`", splits);
  if (source == "mnist")
    return load_known_idx_set(
        source, kMnistDir,
        "Debian 12 has no MNIST package; download its four IDX .gz files (e.g. from "
        "https://ossci-datasets.s3.amazonaws.com/mnist/) into a directory and give that "
        "directory, or use fashion-mnist",
        splits);
  std::error_code ec;
  if (!fs::is_directory(source, ec))
    fail(source, "unknown data source: not 'fashion-mnist' or 'mnist', and not a directory");
  const fs::path p(source);
  // Recognised by either split's files: a set for gradc predict may hold only its test split.
  if (any_exists(p, {"train-images-idx3-ubyte.gz", "train-images-idx3-ubyte", "train-labels-idx1-ubyte.gz",
                     "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte",
                     "t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte"}))
    return load_idx_dir(source, 0, splits);
  if (any_exists(p, {"train_x.npy", "train_y.npy", "test_x.npy", "test_y.npy"}))
    return load_npy_dir(source, 0, splits);
  if (any_exists(p, {"train.csv", "test.csv"})) return load_csv_dir(source, 0, splits);
  fail(source, "no data set found: looked for IDX files (train-images-idx3-ubyte[.gz], "
               "train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], "
               "t10k-labels-idx1-ubyte[.gz]), .npy files (train_x.npy, train_y.npy, test_x.npy, "
               "test_y.npy) and CSV files (train.csv, test.csv)");
}

}  // namespace gradc::runtime
