// tests/unit/runtime_dataset_test.cpp — the data readers: IDX (plain and gzip), .npy, CSV.
//
// Small data sets are written into a temp dir and read back exactly; every corrupt input the
// training issue lists gets its message checked; thousands of damaged copies of a valid file
// must give a DataError naming the file, never a crash (CI runs this under ASan too). When
// Debian's dataset-fashion-mnist is installed, the real set is loaded and checked.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "runtime/dataset.h"
#include "runtime/npy.h"
#include "tests/unit/temp_dir.h"

using namespace gradc::runtime;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using gradc::testing::TempDir;
using gradc::testing::as_bytes;
namespace fs = std::filesystem;

namespace {

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// What gzip writes for these bytes (zlib's deflate with the gzip wrapper).
std::string gzip(const std::string& plain) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, plain.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  zs.avail_in = static_cast<uInt>(plain.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// n images of rows×cols with pixel (i, k) = (7i + 3k) mod 256, labels i mod classes.
struct SmallSet {
  int64_t n, rows, cols, classes;
  std::vector<uint8_t> pixels() const {
    std::vector<uint8_t> p(static_cast<size_t>(n * rows * cols));
    for (size_t i = 0; i < p.size(); ++i) {
      const size_t image = i / static_cast<size_t>(rows * cols), k = i % static_cast<size_t>(rows * cols);
      p[i] = static_cast<uint8_t>((7 * image + 3 * k + 1) % 256);
    }
    return p;
  }
  std::vector<uint8_t> labels() const {
    std::vector<uint8_t> l(static_cast<size_t>(n));
    for (size_t i = 0; i < l.size(); ++i) l[i] = static_cast<uint8_t>(i % static_cast<size_t>(classes));
    return l;
  }
  std::string images_idx() const { return encode_idx({n, rows, cols}, pixels()); }
  std::string labels_idx() const { return encode_idx({n}, labels()); }
};

// The four IDX files of a train and a test set, gzipped or not.
void write_idx_set(const TempDir& dir, const SmallSet& train, const SmallSet& test, bool gz) {
  const auto put = [&](const std::string& stem, const std::string& bytes) {
    write_file(dir / (gz ? stem + ".gz" : stem), gz ? gzip(bytes) : bytes);
  };
  put("train-images-idx3-ubyte", train.images_idx());
  put("train-labels-idx1-ubyte", train.labels_idx());
  put("t10k-images-idx3-ubyte", test.images_idx());
  put("t10k-labels-idx1-ubyte", test.labels_idx());
}

void check_matches(const Dataset& d, const SmallSet& s) {
  CHECK(d.n == s.n);
  CHECK(d.features == s.rows * s.cols);
  CHECK(d.image_shape == std::vector<int64_t>{s.rows, s.cols});
  const std::vector<uint8_t> pixels = s.pixels(), labels = s.labels();
  REQUIRE(d.images.size() == pixels.size());
  for (size_t i = 0; i < pixels.size(); ++i) REQUIRE(d.images[i] == static_cast<float>(pixels[i]) / 255.0f);
  CHECK(std::equal(d.labels.begin(), d.labels.end(), labels.begin(), labels.end()));
  CHECK(d.example(1)[0] == static_cast<float>(pixels[static_cast<size_t>(s.rows * s.cols)]) / 255.0f);
}

// The message of the DataError that f throws, or "(no error)".
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string idx_error(const std::string& bytes) {
  return error_of([&] { parse_idx(as_bytes(bytes), "t.idx"); });
}

}  // namespace

TEST_CASE("data: IDX sets round-trip exactly, plain, gzipped and mixed", "[data]") {
  const SmallSet train{5, 3, 4, 3}, test{2, 3, 4, 3};
  for (bool gz : {false, true}) {
    INFO("gz " << gz);
    TempDir dir;
    write_idx_set(dir, train, test, gz);
    const DataSplits s = load_data(dir.path.string());
    check_matches(s.train, train);
    check_matches(s.test, test);
    CHECK((s.train.classes == 3 && s.test.classes == 3));
    CHECK(s.class_names == std::vector<std::string>{"0", "1", "2"});
    CHECK_THAT(s.description, Contains("5 training and 2 test examples of 3×4, 3 classes"));
    CHECK_THAT(s.train.images_file, Contains(gz ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte"));
  }
  // Either form for each file, and a ".gz" name over plain bytes is read by content.
  TempDir dir;
  write_idx_set(dir, train, test, false);
  write_file(dir / "t10k-images-idx3-ubyte.gz", gzip(test.images_idx()));
  fs::remove(dir / "t10k-images-idx3-ubyte");
  fs::rename(dir / "train-labels-idx1-ubyte", dir / "train-labels-idx1-ubyte.gz");
  const DataSplits s = load_idx_dir(dir.path.string(), 7);
  check_matches(s.train, train);
  check_matches(s.test, test);
  CHECK(s.train.classes == 7);
  // Concatenated gzip members are one valid gzip file, as gzip itself reads them.
  const std::string bytes = train.images_idx();
  const IdxArray a = parse_idx(as_bytes(gzip(bytes.substr(0, 10)) + gzip(bytes.substr(10))), "m");
  CHECK(a.dims == std::vector<int64_t>{5, 3, 4});
  CHECK(a.data == train.pixels());
}

TEST_CASE("data: every malformed IDX file is a DataError naming it and what is wrong", "[data]") {
  const std::string labels = SmallSet{4, 1, 1, 2}.labels_idx();  // 8-byte header, 4 labels
  const std::string huge = encode_idx({2147483648, 28, 28}, {});
  const std::pair<std::string, std::string> cases[] = {
      {"", "empty file, not an IDX file"},
      {std::string("\x00\x00\x08", 3), "truncated magic: expected 4 bytes, found 3"},
      {std::string("PK\x03\x04rest", 8), "bad magic 0x504b0304: expected an IDX file"},
      {std::string("\x00\x00\x08\x00", 4), "bad magic 0x00000800"},
      {std::string("\x00\x00\x08\x09", 4), "bad magic 0x00000809"},
      {std::string("\x00\x00\x0d\x01\x00\x00\x00\x01xxxx", 12),
       "IDX element type 0x0d (float32) is not supported"},
      {labels.substr(0, 6), "truncated header (1 dimensions of 4 bytes after the magic): "
                            "expected 4 bytes, found 2"},
      {labels.substr(0, 10), "truncated file: the dimensions (4) need 4 bytes of data after the "
                             "8-byte header, found 2"},
      {labels + "x", "data goes on after the 4 bytes that the dimensions (4) call for"},
      {huge, "the header's dimensions (2147483648, 28, 28) call for 1683627180032 bytes, more "
             "than the 4 GiB limit"},
      // 2^31 labels claimed (under the limit) by a tiny file: read as it arrives, no 2 GB buffer.
      {gzip(encode_idx({2147483647}, std::vector<uint8_t>(100, 1))),
       "need 2147483647 bytes of data after the 8-byte header, found 100"},
  };
  for (const auto& [bytes, phrase] : cases) {
    const std::string msg = idx_error(bytes);
    INFO(msg);
    CHECK_THAT(msg, StartsWith("t.idx: ") && Contains(phrase));
  }
}

TEST_CASE("data: a bad gzip stream gives zlib's message", "[data]") {
  const std::string good = gzip(SmallSet{5, 3, 4, 3}.images_idx());
  std::string bad_block = good;
  bad_block[10] = '\xff';  // the first deflate block header: type 3 does not exist
  std::string bad_crc = good;
  bad_crc[good.size() - 6] = static_cast<char>(bad_crc[good.size() - 6] ^ 1);  // the CRC-32
  std::string bad_size = good;
  bad_size[good.size() - 2] = '\x01';  // ISIZE, the length modulo 2^32
  const std::pair<std::string, std::string> cases[] = {
      {good.substr(0, good.size() / 2), "bad gz stream: unexpected end of file (the compressed "
                                        "data is truncated)"},
      {good.substr(0, good.size() - 3), "bad gz stream: unexpected end of file"},
      {bad_block, "bad gz stream: invalid block type"},
      {bad_crc, "bad gz stream: incorrect data check"},
      {bad_size, "bad gz stream: incorrect length check"},
      {good + "trailing junk", "bad gz stream: incorrect header check"},
      {std::string("\x1f\x8b\x07\x00", 4), "bad gz stream: unknown compression method"},
  };
  for (const auto& [bytes, phrase] : cases) {
    const std::string msg = idx_error(bytes);
    INFO(msg);
    CHECK_THAT(msg, StartsWith("t.idx: ") && Contains(phrase));
  }
}

TEST_CASE("data: set-level errors name the file: counts, labels, dims, missing files", "[data]") {
  const SmallSet train{5, 3, 4, 3}, test{2, 3, 4, 3};
  TempDir dir;
  const std::string d = dir.path.string();
  const auto reload = [&] { return error_of([&] { load_data(d); }); };
  write_idx_set(dir, train, test, true);
  write_file(dir / "t10k-labels-idx1-ubyte.gz", gzip(SmallSet{3, 1, 1, 3}.labels_idx()));
  CHECK_THAT(reload(), StartsWith(dir / "t10k-images-idx3-ubyte.gz") &&
                           Contains("holds 2 images but " + dir / "t10k-labels-idx1-ubyte.gz" +
                                    " holds 3 labels"));
  write_file(dir / "t10k-labels-idx1-ubyte.gz", encode_idx({2}, std::vector<uint8_t>{1, 3}));
  CHECK_THAT(error_of([&] { load_idx_dir(d, 3); }),
             StartsWith(dir / "t10k-labels-idx1-ubyte.gz") &&
                 Contains("label out of range: example 1 has label 3, but there are 3 classes "
                          "(labels 0 to 2)"));
  CHECK(load_data(d).test.classes == 4);  // inferred: the largest label of either split, plus one
  write_file(dir / "t10k-labels-idx1-ubyte.gz", test.images_idx());
  CHECK_THAT(reload(), StartsWith(dir / "t10k-labels-idx1-ubyte.gz") &&
                           Contains("wrong dims: a labels file has one dimension (the count), this "
                                    "one has 3 (2×3×4); are images and labels swapped?"));
  write_file(dir / "t10k-labels-idx1-ubyte.gz", test.labels_idx());
  write_file(dir / "t10k-images-idx3-ubyte.gz", SmallSet{2, 4, 3, 3}.images_idx());
  CHECK_THAT(reload(), Contains("test examples are 4×3, but training examples (" +
                                dir / "train-images-idx3-ubyte.gz" + ") are 3×4"));
  write_file(dir / "t10k-images-idx3-ubyte.gz", test.labels_idx());
  CHECK_THAT(reload(), Contains("wrong dims: an images file has a count and an image shape"));
  fs::remove(dir / "t10k-images-idx3-ubyte.gz");
  CHECK(reload() == d + ": missing file: looked for t10k-images-idx3-ubyte.gz and "
                        "t10k-images-idx3-ubyte");
}

TEST_CASE("data: unknown sources, empty directories and missing sets say what was looked for",
          "[data]") {
  TempDir dir;
  CHECK_THAT(error_of([&] { load_data(dir.path.string()); }),
             StartsWith(dir.path.string() + ": no data set found: looked for IDX files "
                                            "(train-images-idx3-ubyte[.gz]") &&
                 Contains("train_x.npy") && Contains("train.csv, test.csv"));
  CHECK_THAT(error_of([&] { load_data(dir / "nope"); }),
             Contains("unknown data source: not 'fashion-mnist' or 'mnist', and not a directory"));
  if (!fs::exists(kMnistDir))
    CHECK_THAT(error_of([] { load_data("mnist"); }),
               StartsWith("mnist: not installed (no /usr/share/datasets/mnist): Debian 12 has no "
                          "MNIST package"));
  CHECK_THAT(error_of([&] { read_idx(dir / "missing.gz"); }),
             StartsWith(dir / "missing.gz") && Contains("cannot open: No such file or directory"));
  CHECK_THAT(error_of([&] { read_idx(dir.path.string()); }), Contains("is a directory"));
}

TEST_CASE("data: truncated and damaged IDX files, plain and gzip, never crash", "[data]") {
  const SmallSet s{6, 5, 4, 3};
  const std::string plain = s.images_idx(), gz = gzip(plain), labels_gz = gzip(s.labels_idx());
  int unexpected = 0;
  const auto survives = [&](const std::string& bytes) {
    try {
      const IdxArray a = parse_idx(as_bytes(bytes), "fuzz.idx");
      // Anything accepted must be self-consistent.
      uint64_t n = 1;
      for (int64_t d : a.dims) n *= static_cast<uint64_t>(d);
      unexpected += n != a.data.size();
    } catch (const DataError& e) {
      unexpected += !std::string_view(e.what()).starts_with("fuzz.idx: ");
    }
  };
  for (const std::string& valid : {plain, gz, labels_gz}) {
    for (size_t n = 0; n < valid.size(); ++n) {
      INFO("truncated to " << n);
      CHECK_THROWS_AS(parse_idx(as_bytes(valid.substr(0, n)), "fuzz.idx"), DataError);
    }
    std::mt19937 rng(2024);
    for (int round = 0; round < 1500; ++round) {
      std::string damaged = valid;
      for (int k = 0; k < 1 + round % 3; ++k) {
        const size_t at = rng() % damaged.size();
        damaged[at] = static_cast<char>(round % 2 ? damaged[at] ^ (1 << (rng() % 8)) : rng());
      }
      survives(damaged.substr(0, damaged.size() - rng() % 2));
    }
  }
  CHECK(unexpected == 0);
}

TEST_CASE("data: .npy sets round-trip and their errors name the file", "[data]") {
  TempDir dir;
  const std::vector<float> x = {0.5f, -1.0f, 2.0f, 3.5f, 0.0f, 1.0f};
  write_npy(dir / "train_x.npy", make_npy({3, 2}, x));
  write_npy(dir / "train_y.npy", make_npy({3}, std::vector<int64_t>{0, 4, 2}));
  write_npy(dir / "test_x.npy", make_npy({1, 2}, std::vector<double>{0.25, 8}));
  write_npy(dir / "test_y.npy", make_npy({1}, std::vector<int64_t>{3}));
  const DataSplits s = load_data(dir.path.string());
  CHECK(s.train.images == x);
  CHECK(s.train.labels == std::vector<int32_t>{0, 4, 2});
  CHECK((s.train.n == 3 && s.train.features == 2 && s.train.classes == 5));
  CHECK(s.test.images == std::vector<float>{0.25f, 8.0f});
  CHECK(s.test.labels == std::vector<int32_t>{3});
  CHECK(s.class_names.size() == 5);

  write_npy(dir / "test_y.npy", make_npy({1}, std::vector<int64_t>{-1}));
  CHECK_THAT(error_of([&] { load_data(dir.path.string()); }),
             StartsWith(dir / "test_y.npy") && Contains("example 0 has label -1"));
  write_npy(dir / "test_y.npy", make_npy({1}, std::vector<double>{3}));
  CHECK_THAT(error_of([&] { load_data(dir.path.string()); }),
             Contains("labels must be integers ('<i8'), found '<f8'"));
  write_npy(dir / "test_y.npy", make_npy({2}, std::vector<int64_t>{3, 1}));
  CHECK_THAT(error_of([&] { load_data(dir.path.string()); }),
             StartsWith(dir / "test_x.npy") && Contains("holds 1 examples but"));
  write_file(dir / "test_y.npy", "garbage");
  CHECK_THAT(error_of([&] { load_data(dir.path.string()); }),
             StartsWith(dir / "test_y.npy") && Contains("bad magic"));
  fs::remove(dir / "test_y.npy");
  CHECK_THAT(error_of([&] { load_data(dir.path.string()); }), Contains("missing file test_y.npy"));
}

TEST_CASE("data: CSV sets with a label column, header or not, plain or gzipped", "[data]") {
  TempDir dir;
  write_file(dir / "train.csv", "a,label,b\r\n0.5,1,2\r\n-1,0,3e2\r\n\r\n");
  write_file(dir / "test.csv", gzip("4, 2 ,5\n"));  // no header: the label is the first column
  const DataSplits s = load_data(dir.path.string());
  CHECK(s.train.images == std::vector<float>{0.5f, 2.0f, -1.0f, 300.0f});
  CHECK(s.train.labels == std::vector<int32_t>{1, 0});
  CHECK(s.train.image_shape == std::vector<int64_t>{2});
  CHECK(s.test.images == std::vector<float>{2.0f, 5.0f});
  CHECK(s.test.labels == std::vector<int32_t>{4});
  CHECK(s.train.classes == 5);  // the largest label of either split, plus one
  CHECK(s.class_names == std::vector<std::string>{"0", "1", "2", "3", "4"});

  const auto error_with_train = [&](const std::string& csv) {
    write_file(dir / "train.csv", csv);
    return error_of([&] { load_data(dir.path.string()); });
  };
  const std::string train = dir / "train.csv";
  CHECK(error_with_train("label,a,b\n1,2,3\n4,5\n") == train + ":3: 2 fields, but the first row has 3");
  CHECK(error_with_train("1,2,3\n1,2,x3\n") == train + ":2: field 3 is 'x3', not a number");
  CHECK(error_with_train("1,2,3\n1.5,2,3\n") == train + ":2: the label '1.5' is not a whole number");
  CHECK_THAT(error_with_train("1,2,3\n-2,2,3\n"),
             StartsWith(train) && Contains("label out of range: example 1 has label -2"));
  CHECK(error_with_train("label\n1\n") == train + ": a CSV data file needs a label column and at "
                                                   "least one feature");
  CHECK(error_with_train("") == train + ": no training examples");
  CHECK_THAT(error_with_train("1,2,3,4\n"), Contains("test examples are 2, but training examples"));
  write_file(dir / "test.csv", std::string("\x1f\x8b\x08\x00", 4) + "broken");
  CHECK_THAT(error_with_train("1,2,3\n"), StartsWith(dir / "test.csv") && Contains("bad gz stream"));
}

TEST_CASE("data: the test split alone (gradc predict), from IDX, .npy and CSV sets without a training split",
          "[data]") {
  const SmallSet train{5, 3, 4, 3}, test{2, 3, 4, 3};
  TempDir idx;
  write_idx_set(idx, train, test, true);
  for (const char* f : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}) fs::remove(idx / f);
  CHECK_THAT(error_of([&] { load_data(idx.path.string()); }), Contains("train-labels-idx1-ubyte"));
  DataSplits s = load_data(idx.path.string(), false, Splits::test_only);
  check_matches(s.test, test);
  CHECK(s.train.n == 0);
  CHECK(s.test.classes == 2);  // inferred from the test labels alone (0 and 1): pass `classes` to be sure
  CHECK_THAT(s.description, Contains(": 2 test examples of 3×4, 2 classes"));
  CHECK(load_idx_dir(idx.path.string(), 7, Splits::test_only).test.classes == 7);

  TempDir npy;
  write_npy(npy / "test_x.npy", make_npy({1, 2}, std::vector<double>{0.25, 8}));
  write_npy(npy / "test_y.npy", make_npy({1}, std::vector<int64_t>{3}));
  CHECK_THAT(error_of([&] { load_data(npy.path.string()); }), Contains("missing file train_x.npy"));
  s = load_data(npy.path.string(), false, Splits::test_only);
  CHECK((s.test.images == std::vector<float>{0.25f, 8.0f} && s.test.labels == std::vector<int32_t>{3}));
  CHECK((s.train.n == 0 && s.test.classes == 4));

  TempDir csv;
  write_file(csv / "test.csv", "4,2,5\n0,1,1\n");
  CHECK_THAT(error_of([&] { load_data(csv.path.string()); }), Contains("missing file"));
  s = load_data(csv.path.string(), false, Splits::test_only);
  CHECK((s.test.n == 2 && s.test.labels == std::vector<int32_t>{4, 0} && s.train.n == 0));
  write_file(csv / "test.csv", "");
  CHECK_THAT(error_of([&] { load_data(csv.path.string(), false, Splits::test_only); }), Contains("no test examples"));
  // With both splits present, test_only still reads the test split alone.
  TempDir both;
  write_idx_set(both, train, test, false);
  s = load_data(both.path.string(), false, Splits::test_only);
  check_matches(s.test, test);
  CHECK(s.train.images.empty());
}

TEST_CASE("data: Debian's fashion-mnist loads whole and exact", "[data]") {
  if (!fs::exists(kFashionMnistDir)) {
    WARN("dataset-fashion-mnist not installed: the real-data check is skipped");
    return;
  }
  const DataSplits s = load_data("fashion-mnist");
  CHECK((s.train.n == 60000 && s.test.n == 10000));
  CHECK((s.train.features == 784 && s.test.features == 784));
  CHECK(s.train.image_shape == std::vector<int64_t>{28, 28});
  CHECK((s.train.classes == 10 && s.class_names.size() == 10));
  CHECK((s.class_names.front() == "T-shirt/top" && s.class_names.back() == "Ankle boot"));
  CHECK_THAT(s.description, StartsWith("fashion-mnist (") && Contains("60000 training and 10000 test"));
  const auto [lo, hi] = std::minmax_element(s.train.images.begin(), s.train.images.end());
  CHECK((*lo == 0.0f && *hi == 1.0f));
  std::array<int, 10> per_class{};
  for (int32_t y : s.train.labels) ++per_class[static_cast<size_t>(y)];
  CHECK(per_class == std::array<int, 10>{6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000});
  // Read from the files with gzip/xxd: the first labels are 9 (Ankle boot) in both splits, and
  // the byte sums of the first images are 76247 (train) and 33456 (test).
  CHECK((s.train.labels[0] == 9 && s.test.labels[0] == 9));
  const auto byte_sum = [](std::span<const float> image) {
    double sum = 0;
    for (float p : image) sum += std::round(p * 255.0f);
    return sum;
  };
  CHECK(byte_sum(s.train.example(0)) == 76247);
  CHECK(byte_sum(s.test.example(0)) == 33456);
}

TEST_CASE("data: regression targets, from CSV's label column or .npy of any number type", "[data]") {
  TempDir dir;
  write_file(dir / "train.csv", "x,label\n0.5,-1.25\n2,3e2\n");
  write_file(dir / "test.csv", "1,0.125\n");  // no header: the first column
  DataSplits s = load_data(dir.path.string(), true);
  CHECK(s.train.targets == std::vector<float>{-1.25f, 300.0f});
  CHECK(s.train.labels.empty());
  CHECK(s.train.images == std::vector<float>{0.5f, 2.0f});
  CHECK(s.test.targets == std::vector<float>{1.0f});
  CHECK(s.test.images == std::vector<float>{0.125f});
  CHECK(s.train.n == 2);
  CHECK_THAT(s.description, Contains("2 training and 1 test examples of 1, a target each"));
  CHECK_THROWS_WITH(load_data(dir.path.string()), Contains("the label '-1.25' is not a whole number"));
  write_file(dir / "train.csv", "x,label\n0.5,abc\n");
  CHECK_THROWS_WITH(load_data(dir.path.string(), true), Contains("train.csv:2: the target 'abc' is not a number"));
  CHECK_THROWS_WITH(load_data("fashion-mnist", true), Contains("a regression model's data is a directory"));
}
