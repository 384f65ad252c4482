// tests/fuzz/fuzz_dataset.cpp — `gradc train --data DIR`'s readers: the input is a data set
// directory in one blob. Its first byte picks the layout (IDX, .npy pairs, CSV, and the
// regression forms of .npy and CSV); the rest is cut at kSeparator into that layout's files,
// written to a scratch directory, and load_data reads the directory. IDX and CSV files that
// start with gzip's magic are inflated, so .gz is covered too.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/dataset.h"
#include "tests/fuzz/reject_cleanly.h"

namespace {

namespace fs = std::filesystem;

// In tests/fuzz/gradc.dict and the seeds' generator (tests/fuzz/make_seeds.py).
constexpr std::string_view kSeparator = "\n==> next file <==\n";

struct Layout {
  bool targets;  // load_data's regression mode
  std::vector<const char*> files;
};

const Layout kLayouts[] = {
    {false, {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}},
    {false, {"train_x.npy", "train_y.npy", "test_x.npy", "test_y.npy"}},
    {false, {"train.csv", "test.csv"}},
    {true, {"train_x.npy", "train_y.npy", "test_x.npy", "test_y.npy"}},
    {true, {"train.csv", "test.csv"}},
};

// One directory per process, emptied before each input, removed at exit.
const fs::path& scratch_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("gradc-fuzz-dataset-" + std::to_string(getpid()));
    fs::create_directories(d);
    std::atexit([] { std::error_code ec; fs::remove_all(scratch_dir(), ec); });
    return d;
  }();
  return dir;
}

void write_files(const Layout& layout, std::string_view rest) {
  for (const fs::directory_entry& e : fs::directory_iterator(scratch_dir())) fs::remove(e.path());
  for (const char* name : layout.files) {
    if (rest.empty()) return;  // the later files are missing: an error the loader must name
    const size_t cut = rest.find(kSeparator);
    std::ofstream(scratch_dir() / name, std::ios::binary) << rest.substr(0, cut);
    rest = cut == std::string_view::npos ? std::string_view{} : rest.substr(cut + kSeparator.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Layout& layout = kLayouts[data[0] % std::size(kLayouts)];
  write_files(layout, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  gradc::fuzz::reject_cleanly<gradc::runtime::DataError>(
      [&] { gradc::runtime::load_data(scratch_dir().string(), layout.targets); });
  return 0;
}
