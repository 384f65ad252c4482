// tests/unit/runtime_npz_test.cpp — .npz archives: round trips, numpy interop, damaged archives,
// atomic replacement under kill -9.
//
// numpy (Debian's python3-numpy at /usr/bin/python3) checks what we write and writes archives
// for us to read; without it those checks are skipped with a WARN, the rest still runs.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include "runtime/npz.h"
#include "tests/unit/temp_dir.h"

using namespace gradc::runtime;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

using gradc::testing::TempDir;
using gradc::testing::file_contents;
using gradc::testing::as_bytes;

// One array of every dtype a checkpoint uses; the numpy script below builds the same.
NpzArchive sample_archive() {
  NpzArchive a;
  std::vector<float> w(12);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i) * 0.5f - 1.25f;
  a.add("W1", make_npy({3, 4}, w));
  a.add("b1", make_npy({4}, std::vector<double>{-1.25, -0.75, -0.25, 0.25}));
  a.add("step", make_npy({}, std::vector<int64_t>{7}));
  a.add("rng", make_npy({2}, std::vector<uint64_t>{~uint64_t{0}, 12345}));
  a.add("mask", make_npy({5}, std::vector<uint8_t>{0, 1, 2, 3, 4}));
  a.add("count", make_npy({2, 2}, std::vector<int32_t>{-7, -4, -1, 2}));
  a.add("adam/m/W1", make_npy({0}, std::vector<float>{}));
  return a;
}

bool same_arrays(const NpzArchive& a, const NpzArchive& b) {
  if (a.names() != b.names()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const NpyArray &x = a.arrays()[i].second, &y = b.arrays()[i].second;
    if (x.dtype != y.dtype || x.shape != y.shape || x.data != y.data) return false;
  }
  return true;
}

std::string error_of(const std::string& bytes) {
  try {
    parse_npz(as_bytes(bytes), "t.npz");
  } catch (const NpzError& e) {
    return e.what();
  } catch (const NpyError& e) {
    return std::string("(an NpyError, not an NpzError) ") + e.what();
  }
  return "(no error)";
}

const char* kNumpyScript = R"(
import sys, zipfile, numpy as np
d = sys.argv[1]
a = {'W1': (np.arange(12) * 0.5 - 1.25).astype('<f4').reshape(3, 4),
     'b1': np.arange(4) * 0.5 - 1.25,
     'step': np.array(7, dtype='<i8'),
     'rng': np.array([2**64 - 1, 12345], dtype='<u8'),
     'mask': np.arange(5).astype('u1'),
     'count': (np.arange(4) * 3 - 7).astype('<i4').reshape(2, 2),
     'adam/m/W1': np.zeros(0, dtype='<f4')}
for f in ['ours.npz', 'ours_zip64.npz']:
    with np.load(f'{d}/{f}') as z:
        assert list(z.files) == list(a), (f, z.files)
        for k, v in a.items():
            assert z[k].dtype == v.dtype and z[k].shape == v.shape and (z[k] == v).all(), (f, k)
    with zipfile.ZipFile(f'{d}/{f}') as zf:
        assert zf.testzip() is None, f
np.savez(f'{d}/theirs.npz', **a)
np.savez_compressed(f'{d}/theirs_compressed.npz', **a)
big = np.arange(300000, dtype='<f8')
np.savez_compressed(f'{d}/big_compressed.npz', big=big)
with zipfile.ZipFile(f'{d}/bzip2.npz', 'w', zipfile.ZIP_BZIP2) as zf:
    zf.writestr('x.npy', open(f'{d}/ours.npz', 'rb').read()[:10])
)";

bool numpy_checked(const TempDir& dir) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
    WARN("numpy not importable by /usr/bin/python3: numpy comparisons skipped");
    return false;
  }
  std::ofstream(dir / "check.py") << kNumpyScript;
  const std::string cmd = fmt::format("/usr/bin/python3 '{}' '{}'", dir / "check.py", dir.path.string());
  REQUIRE(std::system(cmd.c_str()) == 0);
  return true;
}

// Offsets in a one-member archive written by us: its local header at 0 (the name at 30), the
// central header after the data.
constexpr size_t kLocalNameAt = 30;
size_t central_offset(const std::string& bytes) { return bytes.rfind(std::string("PK\x01\x02", 4)); }

// The archive with its one member's CRC-32 set in both headers to match its (edited) data.
std::string with_fixed_crc(std::string bytes) {
  const size_t central = central_offset(bytes);
  const size_t start = kLocalNameAt + static_cast<unsigned char>(bytes[26]);
  const uint32_t crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(bytes.data() + start), static_cast<uInt>(central - start)));
  for (size_t at : {size_t{14}, central + 16})
    for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  return bytes;
}

}  // namespace

TEST_CASE("npz: archives round-trip through bytes and files, every dtype", "[npz]") {
  TempDir dir;
  const NpzArchive a = sample_archive();
  const std::string bytes = encode_npz(a);
  CHECK(bytes.starts_with(std::string("PK\x03\x04", 4)));
  CHECK(same_arrays(parse_npz(as_bytes(bytes), "mem"), a));
  CHECK(same_arrays(parse_npz(as_bytes(detail::encode_npz(a, 0)), "mem"), a));  // all zip64
  write_npz(dir / "c.npz", a);
  CHECK(file_contents(dir / "c.npz") == bytes);  // deterministic: no timestamps
  const NpzArchive b = read_npz(dir / "c.npz");
  CHECK(same_arrays(b, a));
  CHECK(b.source == dir / "c.npz");
  CHECK_FALSE(fs::exists(dir / "c.npz.tmp"));
  CHECK(b.at("rng").as<uint64_t>()[0] == ~uint64_t{0});
  CHECK(b.find("nope") == nullptr);
  CHECK_THROWS_WITH(b.at("nope"), StartsWith(dir / "c.npz") &&
                                      Contains("no array 'nope' (it holds W1, b1, step, rng"));
  write_npz(dir / "c.npz", NpzArchive{});  // an empty archive replaces it
  CHECK(read_npz(dir / "c.npz").size() == 0);
  NpzArchive dup;
  dup.add("x", make_npy({}, std::vector<double>{1}));
  CHECK_THROWS_WITH(dup.add("x", make_npy({}, std::vector<double>{2})), Contains("two arrays named 'x'"));
  CHECK_THROWS_WITH(dup.add("", make_npy({}, std::vector<double>{2})), Contains("unusable array name"));
}

TEST_CASE("npz: numpy.load reads what we write; we read numpy.savez and savez_compressed",
          "[npz]") {
  TempDir dir;
  write_npz(dir / "ours.npz", sample_archive());
  std::ofstream(dir / "ours_zip64.npz", std::ios::binary) << detail::encode_npz(sample_archive(), 0);
  if (!numpy_checked(dir)) return;
  CHECK(same_arrays(read_npz(dir / "theirs.npz"), sample_archive()));
  CHECK(same_arrays(read_npz(dir / "theirs_compressed.npz"), sample_archive()));
  const NpzArchive big = read_npz(dir / "big_compressed.npz");
  REQUIRE(big.at("big").count() == 300000);
  CHECK(big.at("big").as<double>()[299999] == 299999.0);
  CHECK_THROWS_WITH(read_npz(dir / "bzip2.npz"),
                    StartsWith(dir / "bzip2.npz") &&
                        Contains("member 'x.npy': unsupported compression method 12 (bzip2)"));
}

TEST_CASE("npz: errors name the file and the problem", "[npz]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_npz(dir / "missing.npz"), Contains("missing.npz: cannot open: No such file"));
  CHECK_THROWS_WITH(read_npz(dir.path.string()), Contains("is a directory"));
  CHECK_THAT(error_of(""), Contains("t.npz: not an .npz archive or truncated: 0 bytes"));
  CHECK_THAT(error_of(std::string("\x93NUMPY\x01\x00", 8) + std::string(100, ' ')),
             Contains("t.npz: not an .npz archive (it does not start with a zip member header"));

  NpzArchive one;
  one.add("a", make_npy({3}, std::vector<double>{1, 2, 3}));
  const std::string good = encode_npz(one);
  const size_t central = central_offset(good);
  {  // the last data byte changed: the CRC catches it
    std::string bad = good;
    bad[central - 1] ^= 0x40;
    CHECK_THAT(error_of(bad), Contains("t.npz: member 'a.npy': CRC-32 mismatch"));
  }
  {  // a name that is not NAME.npy, in both headers
    std::string bad = good;
    bad[kLocalNameAt + 4] = 'z';
    bad[central + 46 + 4] = 'z';
    CHECK_THAT(error_of(bad), Contains("t.npz: member 'a.npz' is not a .npy file"));
  }
  {  // bzip2 in the central directory
    std::string bad = good;
    bad[central + 10] = 12;
    CHECK_THAT(error_of(bad), Contains("member 'a.npy': unsupported compression method 12 (bzip2)"));
  }
  {  // the local header names another member
    std::string bad = good;
    bad[kLocalNameAt] = 'b';
    CHECK_THAT(error_of(bad), Contains("the local header names a different member"));
  }
  {  // a well-formed member that is not a valid .npy: the npy reader's message, inside ours
    NpzArchive npy;
    npy.add("a", make_npy({3}, std::vector<double>{1, 2, 3}));
    std::string bad = encode_npz(npy);
    bad[kLocalNameAt + 5 + 6] = 9;  // .npy major version 9
    CHECK_THAT(error_of(bad), Contains("CRC-32 mismatch"));
    CHECK_THAT(error_of(with_fixed_crc(bad)),
               Contains("t.npz: member 'a.npy': unsupported .npy format version 9.0"));
  }
  CHECK_THAT(error_of(good + "x"), Contains("no zip end-of-central-directory record"));
}

TEST_CASE("npz: every truncation and every flipped bit is an error or the same arrays", "[npz]") {
  NpzArchive small;
  small.add("w", make_npy({2}, std::vector<float>{1.5f, -2}));
  small.add("n", make_npy({}, std::vector<int64_t>{3}));
  for (const std::string& good : {encode_npz(small), detail::encode_npz(small, 0)}) {
    for (size_t len = 0; len < good.size(); ++len) {
      INFO("truncated to " << len << " of " << good.size());
      CHECK_THAT(error_of(good.substr(0, len)), StartsWith("t.npz: "));
    }
    size_t errors = 0, same = 0;
    for (size_t at = 0; at < good.size(); ++at) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string bad = good;
        bad[at] = static_cast<char>(bad[at] ^ (1 << bit));
        INFO("bit " << bit << " of byte " << at);
        const std::string err = error_of(bad);
        if (err == "(no error)") {
          CHECK(same_arrays(parse_npz(as_bytes(bad), "t.npz"), small));
          ++same;
        } else {
          CHECK_THAT(err, StartsWith("t.npz: "));
          ++errors;
        }
      }
    }
    CHECK(errors > same);  // most fields matter; times, attributes and version bytes do not
  }
}

#ifdef GRADC_NPZ_REWRITER
// A helper rewrites an archive in a loop (versions v, v+1, ...); we SIGKILL it at random
// instants and load what it left: always a whole archive, of a version not older than before.
TEST_CASE("npz: kill -9 at random instants always leaves a loadable archive", "[npz][slow]") {
  TempDir dir;
  const std::string path = dir / "ckpt.npz";
  std::mt19937 rng(12345);
  int64_t version = 0, advanced = 0;
  const auto check = [&] {
    const NpzArchive a = read_npz(path);
    const int64_t v = a.at("version").as<int64_t>()[0];
    const auto payload = a.at("payload").as<float>();
    REQUIRE(v >= version);
    REQUIRE(payload.size() == size_t{1} << 16);
    REQUIRE(std::all_of(payload.begin(), payload.end(), [&](float x) { return x == static_cast<float>(v); }));
    advanced += v > version;
    version = v;
  };
  // The helper's pid while it runs: killed and reaped on every way out, a failed REQUIRE too.
  struct Helper {
    pid_t pid = 0;
    ~Helper() {
      if (pid > 0 && kill(pid, SIGKILL) == 0) waitpid(pid, nullptr, 0);
    }
  };
  const auto spawn = [&](Helper& helper) {
    const pid_t parent = getpid();
    helper.pid = fork();
    REQUIRE(helper.pid >= 0);
    if (helper.pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // and if the test process itself dies
      if (getppid() != parent) _exit(127);
      const std::string start = std::to_string(version + 1);
      execl(GRADC_NPZ_REWRITER, GRADC_NPZ_REWRITER, path.c_str(), start.c_str(), nullptr);
      _exit(127);
    }
  };
  const auto kill_and_check = [&](Helper& helper) {
    REQUIRE(kill(helper.pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(waitpid(helper.pid, &status, 0) == helper.pid);
    helper.pid = 0;
    REQUIRE(WIFSIGNALED(status));  // it was still rewriting, not failed
    check();
  };
  // Version 0, then the time the helper takes from its start to its first rewrite: the kills
  // below land anywhere in twice that, so before, inside and after rewrites whatever the load.
  std::chrono::microseconds first_write{};
  {
    NpzArchive a;
    a.add("version", make_npy({}, std::vector<int64_t>{0}));
    a.add("payload", make_npy({1 << 16}, std::vector<float>(1 << 16, 0.0f)));
    write_npz(path, a);
    const auto start = std::chrono::steady_clock::now();
    Helper helper;
    spawn(helper);
    for (int i = 0; i < 10000 && read_npz(path).at("version").as<int64_t>()[0] == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    first_write = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    kill_and_check(helper);
    REQUIRE(version > 0);
  }
  for (int round = 0; round < 30; ++round) {
    Helper helper;
    spawn(helper);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % (2 * first_write.count() + 1)));
    kill_and_check(helper);
  }
  INFO("first rewrite after " << first_write.count() << " us; kills after which a newer version was found: " << advanced);
  CHECK(advanced >= 2);
}
#endif
