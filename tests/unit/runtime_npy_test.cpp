// tests/unit/runtime_npy_test.cpp — .npy round trips, byte identity with numpy, every error.
//
// numpy itself (Debian's python3-numpy at /usr/bin/python3) writes the reference files when it
// is there; without it those checks are skipped with a WARN, the rest still runs.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <fmt/format.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "runtime/npy.h"
#include "tests/unit/temp_dir.h"

using namespace gradc::runtime;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

using gradc::testing::TempDir;
using gradc::testing::file_contents;
using gradc::testing::as_bytes;

// The message parse_npy throws for these bytes, or "(no error)".
std::string error_of(const std::string& bytes) {
  try {
    parse_npy(as_bytes(bytes), "t.npy");
  } catch (const NpyError& e) {
    return e.what();
  }
  return "(no error)";
}

// A version-`major` file around a hand-written header dict, followed by `data_bytes` zeros.
std::string npy_with(const std::string& dict, size_t data_bytes, int major = 1) {
  std::string out = std::string("\x93NUMPY") + static_cast<char>(major) + '\0';
  const size_t len = dict.size() + 1;
  for (int i = 0; i < (major == 1 ? 2 : 4); ++i) out += static_cast<char>((len >> (8 * i)) & 0xff);
  return out + dict + "\n" + std::string(data_bytes, '\0');
}

std::string dict_for(const std::string& descr, const std::string& shape, bool fortran = false) {
  return fmt::format("{{'descr': '{}', 'fortran_order': {}, 'shape': {}, }}", descr,
                     fortran ? "True" : "False", shape);
}

// The integer sample converted as numpy's astype does (modular for unsigned and narrower types).
template <class T>
NpyArray cast_sample(const std::vector<int64_t>& shape, const std::vector<int64_t>& i64) {
  std::vector<T> out;
  for (int64_t v : i64) out.push_back(static_cast<T>(v));
  return make_npy(shape, out);
}

// Deterministic contents shared with the numpy script below: i*0.5-1.25 for floats, i*3-7 for
// ints (wrapped around for unsigned ones).
NpyArray sample(NpyDType dtype, std::vector<int64_t> shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  std::vector<double> f64(n);
  std::vector<float> f32(n);
  std::vector<int64_t> i64(n);
  for (size_t i = 0; i < n; ++i) {
    f64[i] = static_cast<double>(i) * 0.5 - 1.25;
    f32[i] = static_cast<float>(f64[i]);
    i64[i] = static_cast<int64_t>(i) * 3 - 7;
  }
  if (dtype == NpyDType::F64) return make_npy(shape, f64);
  if (dtype == NpyDType::F32) return make_npy(shape, f32);
  if (dtype == NpyDType::I32) return cast_sample<int32_t>(shape, i64);
  if (dtype == NpyDType::U8) return cast_sample<uint8_t>(shape, i64);
  if (dtype == NpyDType::U64) return cast_sample<uint64_t>(shape, i64);
  return make_npy(shape, i64);
}

// (first, 1, ..., 1, last) with `ones` ones: long headers, to hit numpy's padding corner cases.
std::vector<int64_t> ones_between(int64_t first, int ones, int64_t last) {
  std::vector<int64_t> shape(static_cast<size_t>(ones) + 2, 1);
  shape.front() = first;
  shape.back() = last;
  return shape;
}

// "many" needs numpy's growth-axis spaces to reach a third 64-byte block; "aligned" is exactly
// 128 bytes before padding, where numpy pads a whole 64 more rather than none.
const std::vector<std::pair<std::string, std::vector<int64_t>>> kShapes = {
    {"scalar", {}}, {"empty", {0}}, {"vec", {5}}, {"mat", {2, 3}}, {"cube", {2, 3, 4}},
    {"long0", {123456789012, 0}}, {"many", ones_between(2, 13, 3)},
    {"aligned", ones_between(2, 12, 300)}};
const std::vector<std::pair<std::string, NpyDType>> kDTypes = {
    {"f4", NpyDType::F32}, {"f8", NpyDType::F64}, {"i8", NpyDType::I64},
    {"i4", NpyDType::I32}, {"u1", NpyDType::U8},  {"u8", NpyDType::U64}};

const char* kNumpyScript = R"(
import sys, numpy as np
d = sys.argv[1]
shapes = {'scalar': (), 'empty': (0,), 'vec': (5,), 'mat': (2, 3), 'cube': (2, 3, 4),
          'long0': (123456789012, 0), 'many': (2,) + (1,) * 13 + (3,),
          'aligned': (2,) + (1,) * 12 + (300,)}
for dt in ['f4', 'f8', 'i8', 'i4', 'u1', 'u8']:
    for tag, shape in shapes.items():
        a = np.arange(int(np.prod(shape)))
        a = (a * 3 - 7) if dt[0] in 'iu' else (a * 0.5 - 1.25)
        np.save(f'{d}/{dt}_{tag}.npy', a.astype('<' + dt).reshape(shape))
m = (np.arange(6) * 0.5 - 1.25).reshape(2, 3)
for v in [(2, 0), (3, 0)]:
    with open(f'{d}/v{v[0]}.npy', 'wb') as f:
        np.lib.format.write_array(f, m, version=v)
np.save(f'{d}/big_endian.npy', m.astype('>f8'))
np.save(f'{d}/fortran.npy', np.asfortranarray(m))
np.save(f'{d}/half.npy', m.astype('<f2'))
np.save(f'{d}/complex.npy', m.astype('<c16'))
np.save(f'{d}/int16.npy', m.astype('<i2'))
np.save(f'{d}/object.npy', np.array([1, 'a'], dtype=object))
np.save(f'{d}/structured.npy', np.zeros(2, dtype=[('a', '<f8'), ('b', '<i4')]))
)";

// Runs the script above into dir; false (with a WARN) when numpy cannot be imported.
bool numpy_wrote_files(const TempDir& dir) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
    WARN("numpy not importable by /usr/bin/python3: numpy comparisons skipped");
    return false;
  }
  std::ofstream(dir / "gen.py") << kNumpyScript;
  const std::string cmd =
      fmt::format("/usr/bin/python3 '{}' '{}'", dir / "gen.py", dir.path.string());
  REQUIRE(std::system(cmd.c_str()) == 0);
  return true;
}

}  // namespace

TEST_CASE("npy: every dtype and shape round-trips through bytes and files", "[npy]") {
  TempDir dir;
  for (const auto& [dt_name, dtype] : kDTypes) {
    for (const auto& [shape_name, shape] : kShapes) {
      INFO(dt_name << " " << shape_name);
      const NpyArray a = sample(dtype, shape);
      const std::string bytes = encode_npy(a);
      CHECK((bytes.size() - a.data.size()) % 64 == 0);  // data starts 64-aligned, as numpy's
      CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
      const NpyArray b = parse_npy(as_bytes(bytes), "mem");
      CHECK(b.dtype == a.dtype);
      CHECK(b.shape == a.shape);
      CHECK(b.data == a.data);
      write_npy(dir / "a.npy", a);
      const NpyArray c = read_npy(dir / "a.npy");
      CHECK((c.shape == a.shape && c.data == a.data && c.dtype == a.dtype));
      CHECK_FALSE(fs::exists(dir / "a.npy.tmp"));
    }
  }
  const NpyArray s = sample(NpyDType::F64, {});
  CHECK(s.count() == 1);
  CHECK(s.as<double>()[0] == -1.25);
  CHECK(sample(NpyDType::I64, {2, 3}).as<int64_t>()[5] == 8);
  CHECK(sample(NpyDType::F32, {3, 0, 2}).count() == 0);
}

TEST_CASE("npy: encode_npy matches numpy.save byte for byte and read_npy reads numpy files",
          "[npy]") {
  TempDir dir;
  if (!numpy_wrote_files(dir)) return;
  for (const auto& [dt_name, dtype] : kDTypes) {
    for (const auto& [shape_name, shape] : kShapes) {
      const std::string path = dir / (dt_name + "_" + shape_name + ".npy");
      INFO(path);
      const NpyArray ours = sample(dtype, shape);
      CHECK(encode_npy(ours) == file_contents(path));
      const NpyArray theirs = read_npy(path);
      CHECK((theirs.dtype == dtype && theirs.shape == shape && theirs.data == ours.data));
    }
  }
  for (const char* v : {"v2.npy", "v3.npy"}) {
    INFO(v);
    CHECK(read_npy(dir / v).data == sample(NpyDType::F64, {2, 3}).data);
  }
  const std::pair<const char*, const char*> rejected[] = {
      {"big_endian.npy", "big-endian arrays are not supported; convert with arr.astype('<f8')"},
      {"fortran.npy", "Fortran-order arrays are not supported; save with np.ascontiguousarray"},
      {"half.npy", "unsupported dtype '<f2'"},
      {"complex.npy", "unsupported dtype '<c16'"},
      {"int16.npy", "unsupported dtype '<i2'"},
      {"object.npy", "object arrays ('|O') are not supported"},
      {"structured.npy", "structured dtypes"}};
  for (const auto& [file, phrase] : rejected) {
    INFO(file);
    CHECK_THROWS_WITH(read_npy(dir / file), StartsWith(dir / file) && Contains(phrase));
  }
}

TEST_CASE("npy: the header parser is tolerant of what Python would accept", "[npy]") {
  const std::string dicts[] = {
      "{\"shape\": (2, 3), \"fortran_order\": False, \"descr\": \"<f8\"}",
      "{ 'descr' : '=f8' ,'fortran_order':False,'shape':( 2 , 3 , ) , }   ",
      "{'descr': '|f8', 'fortran_order': False, 'shape': (2L, 3L)}\t\r",
  };
  for (const std::string& d : dicts) {
    INFO(d);
    for (int major : {1, 2, 3}) {
      const NpyArray a = parse_npy(as_bytes(npy_with(d, 48, major)), "t.npy");
      CHECK((a.dtype == NpyDType::F64 && a.shape == std::vector<int64_t>{2, 3}));
    }
  }
  CHECK(parse_npy(as_bytes(npy_with(dict_for("<i8", "(5,)"), 40)), "t").shape.size() == 1);
  CHECK(parse_npy(as_bytes(npy_with(dict_for("<f4", "()"), 4)), "t").count() == 1);
  CHECK(parse_npy(as_bytes(npy_with(dict_for("<f4", "(3, 0, 2)"), 0)), "t").count() == 0);
  // A zero dimension makes the array empty even when the others overflow together.
  CHECK(parse_npy(as_bytes(npy_with(dict_for("<f8", "(0, 9223372036854775807, 4)"), 0)), "t")
            .count() == 0);
}

TEST_CASE("npy: every malformed input is a clear NpyError", "[npy]") {
  const std::string ok = dict_for("<f8", "(2, 3)");
  const std::string magic("\x93NUMPY", 6);
  const std::pair<std::string, std::string> cases[] = {
      {"", "empty file"},
      {"PK\x03\x04 this is a zip", "not a .npy file (bad magic"},
      {"\x93NUM", "truncated header (4 bytes)"},
      {magic + "\x01", "truncated header"},
      {magic + std::string("\x01\x00\x10", 3), "truncated header"},
      {magic + std::string("\x04\x00\x10\x00", 4), "unsupported .npy format version 4.0"},
      {npy_with(ok, 48).substr(0, 40), "goes beyond the end of the file (40 bytes)"},
      {magic + std::string("\x02\x00\xff\xff\xff\x7f", 6), "exceeds the 1 MiB limit"},
      {npy_with("{'descr': '<f8', 'fortran_order': False}", 48), "header has no 'shape' key"},
      {npy_with("{'descr': '<f8', 'shape': (2, 3)}", 48), "no 'fortran_order' key"},
      {npy_with("{'descr': '<f8', 'descr': '<f8'}", 48), "duplicate key 'descr'"},
      {npy_with("{'descr': '<f8', 'order': 'C'}", 48), "unexpected key 'order'"},
      {npy_with(dict_for("<f8", "(3,,4)"), 96), "expected a dimension"},
      {npy_with(dict_for("<f8", "(3, -4)"), 96), "negative dimension"},
      {npy_with(dict_for("<f8", "(3.0, 4)"), 96), "must be integers"},
      {npy_with(dict_for("<f8", "(3, 'a')"), 96), "expected a dimension"},
      {npy_with(dict_for("<f8", "(5)"), 40), "a one-dimensional shape is written (n,)"},
      {npy_with(dict_for("<f8", "[5]"), 40), "expected '(' to start 'shape'"},
      {npy_with(dict_for("<f8", "(2 3)"), 48), "expected ',' or ')'"},
      {npy_with(dict_for("<f8", "(2, 3"), 48), "malformed header"},
      {npy_with("['descr', '<f8']", 48), "expected '{'"},
      {npy_with("{'descr': '<f8", 48), "unterminated string"},
      {npy_with("{'descr' '<f8'}", 48), "expected ':' after key 'descr'"},
      {npy_with("{'descr': '\\x3cf8'}", 48), "escape sequences"},
      {npy_with(ok + " x", 48), "unexpected text after the closing '}'"},
      {npy_with("{'descr': '<f8', 'fortran_order': 0, 'shape': (2, 3)}", 48), "True or False"},
      {npy_with(dict_for(">f8", "(2, 3)"), 48),
       "big-endian arrays are not supported; convert with arr.astype('<f8')"},
      {npy_with(dict_for(">i8", "(2, 3)"), 48), "arr.astype('<i8')"},
      {npy_with(dict_for("<f2", "(2, 3)"), 12), "unsupported dtype '<f2'"},
      {npy_with(dict_for("<c16", "(2, 3)"), 96), "unsupported dtype '<c16'"},
      {npy_with(dict_for("f8", "(2, 3)"), 48), "unsupported dtype 'f8'"},
      {npy_with(dict_for("|O", "(2,)"), 16), "object arrays"},
      {npy_with("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,)}", 16),
       "structured dtypes"},
      {npy_with(dict_for("<f8", "(2, 3)", true), 48),
       "Fortran-order arrays are not supported; save with np.ascontiguousarray"},
      {npy_with(ok, 40), "data is truncated: shape (2, 3) of '<f8' needs 48 bytes, got 40"},
      {npy_with(ok, 56), "data is too long: shape (2, 3) of '<f8' needs 48 bytes, got 56"},
      {npy_with(dict_for("<f8", "(4611686018427387904, 4)"), 0), "overflows 64 bits"},
      {npy_with(dict_for("<f8", "(99999999999999999999,)"), 0), "too large for 64 bits"},
      {npy_with(dict_for("<f8", "(1000000000000, 1000000)"), 8), "needs 8000000000000000000 bytes"},
  };
  for (const auto& [bytes, phrase] : cases) {
    const std::string msg = error_of(bytes);
    INFO(msg);
    CHECK_THAT(msg, StartsWith("t.npy: ") && Contains(phrase));
  }
  std::string many_dims = "(";
  for (int i = 0; i < 65; ++i) many_dims += "1, ";
  CHECK_THAT(error_of(npy_with(dict_for("<f8", many_dims + ")"), 8)),
             Contains("too many dimensions"));
}

TEST_CASE("npy: file errors name the file and say why", "[npy]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_npy(dir / "missing.npy"),
                    StartsWith(dir / "missing.npy") && Contains("No such file or directory"));
  CHECK_THROWS_WITH(read_npy(dir.path.string()), Contains("is a directory"));
  std::ofstream(dir / "empty.npy").close();
  CHECK_THROWS_WITH(read_npy(dir / "empty.npy"), Contains("empty file"));
  const NpyArray a = sample(NpyDType::F64, {2, 3});
  CHECK_THROWS_WITH(write_npy(dir / "no/such/dir/a.npy", a), Contains("No such file or directory"));
  // Renaming onto a directory fails after the temporary was written: it must be cleaned up.
  fs::create_directory(dir / "taken");
  CHECK_THROWS_AS(write_npy(dir / "taken", a), NpyError);
  CHECK_FALSE(fs::exists(dir / "taken.tmp"));
}

// A file that never ends (`--at x=/dev/zero`) was read until memory ran out.
TEST_CASE("npy: a device or pipe is read only as far as its header says", "[npy]") {
  CHECK_THROWS_WITH(read_npy("/dev/zero"), StartsWith("/dev/zero: not a .npy file (bad magic"));
  TempDir dir;
  const std::string fifo = dir / "pipe.npy";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  // A valid (2,) f8 array, then 4 MiB more: the reader must stop after the header's 16 bytes
  // of data and one more, and close the pipe on the writer (EPIPE, SIGPIPE blocked here).
  std::thread writer([&] {
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    const int fd = open(fifo.c_str(), O_WRONLY);
    const std::string bytes = encode_npy(make_npy({2}, std::vector<double>{1, 2})) + std::string(4 << 20, 'x');
    for (size_t done = 0; fd >= 0 && done < bytes.size();) {
      const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    if (fd >= 0) close(fd);
  });
  CHECK_THROWS_WITH(read_npy(fifo), StartsWith(fifo) && Contains("data is too long") &&
                                        Contains("end after 144 bytes, and the file goes on"));
  writer.join();
}

TEST_CASE("npy: writing replaces the whole file and invalid arrays are refused", "[npy]") {
  TempDir dir;
  write_npy(dir / "a.npy", sample(NpyDType::F64, {2, 3, 4}));
  write_npy(dir / "a.npy", sample(NpyDType::I64, {5}));
  const NpyArray b = read_npy(dir / "a.npy");
  CHECK((b.dtype == NpyDType::I64 && b.shape == std::vector<int64_t>{5}));
  CHECK_FALSE(fs::exists(dir / "a.npy.tmp"));

  NpyArray bad = sample(NpyDType::F64, {2, 3});
  bad.data.pop_back();
  CHECK_THROWS_WITH(encode_npy(bad), Contains("needs 48 bytes of data, has 47"));
  CHECK_THROWS_AS(write_npy(dir / "bad.npy", bad), NpyError);
  CHECK_FALSE(fs::exists(dir / "bad.npy"));
  CHECK_THROWS_WITH(bad.as<double>(), Contains("needs 48 bytes"));
  CHECK_THROWS_WITH(sample(NpyDType::F64, {2}).as<float>(), Contains("dtype is '<f8', not '<f4'"));
  CHECK_THROWS_WITH(make_npy({2, 2}, std::vector<double>{1, 2, 3}),
                    Contains("holds 4 values, got 3"));
  NpyArray negative = sample(NpyDType::F32, {0});
  negative.shape = {-1};
  CHECK_THROWS_WITH(encode_npy(negative), Contains("negative dimension"));
}

TEST_CASE("npy: truncated and corrupted files never crash the parser", "[npy]") {
  // Run under ASan (.ci/test --sanitize) this also proves there is no out-of-bounds read.
  for (const std::string& valid : {encode_npy(sample(NpyDType::F64, {2, 3})),
                                   npy_with(dict_for("<i8", "(3,)"), 24, 2)}) {
    const auto survives = [](const std::string& bytes) {
      try {
        parse_npy(as_bytes(bytes), "fuzz.npy");
        return true;
      } catch (const NpyError& e) {
        return std::string_view(e.what()).starts_with("fuzz.npy: ");
      }
    };
    for (size_t n = 0; n < valid.size(); ++n) {
      INFO("truncated to " << n);
      CHECK_THROWS_AS(parse_npy(as_bytes(valid.substr(0, n)), "fuzz.npy"), NpyError);
    }
    int failures = 0;
    static const char kSpecials[] = "\0\xff 0-9,()[]{}:'\"L.\n";  // bytes the parser cares about
    const std::string specials(kSpecials, sizeof kSpecials - 1);
    for (size_t i = 0; i < valid.size(); ++i) {
      std::string mutated = valid;
      for (int bit = 0; bit < 8; ++bit) {
        mutated[i] = static_cast<char>(valid[i] ^ (1 << bit));
        failures += !survives(mutated);
      }
      for (char c : specials) {
        mutated[i] = c;
        failures += !survives(mutated);
      }
    }
    // Several bytes at once, at random places: reaches states one change cannot.
    std::mt19937 rng(12345);
    for (int round = 0; round < 5000; ++round) {
      std::string mutated = valid;
      for (int k = 0; k < 1 + round % 4; ++k)
        mutated[rng() % mutated.size()] = specials[rng() % specials.size()];
      failures += !survives(mutated.substr(0, mutated.size() - rng() % 3));
    }
    CHECK(failures == 0);
  }
}
