// tests/unit/pass_golden_test.cpp — each pass on hand-written IR, against an expected file.
//
// Why: as in LLVM's `opt` tests and MLIR's `mlir-opt` tests, a pass is pinned by a small
// input and the exact output of that one pass, so a change in what it does shows up as
// a readable diff. tests/golden/passes/<pass>/<case>.ir is the input (IR text, `//`
// comments saying what it tests); <case>.expected.ir is the printed graph after
// passes::find_pass(<pass>) ran on it. A mismatch prints a unified diff.
// GRADC_UPDATE_GOLDEN=1 rewrites the expectations (review the diff!).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "ir/printer.h"
#include "ir/text_parser.h"
#include "ir/verifier.h"
#include "passes/pass_manager.h"
#include "text_diff.h"

using namespace gradc;
namespace fs = std::filesystem;

namespace {

const fs::path kGoldenDir = fs::path(GRADC_SOURCE_DIR) / "tests" / "golden" / "passes";
constexpr std::string_view kExpectedSuffix = ".expected.ir";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool update_golden() {
  const char* u = std::getenv("GRADC_UPDATE_GOLDEN");
  return u && std::string(u) == "1";
}

bool is_expectation(const fs::path& p) {
  const std::string name = p.filename().string();
  return name.size() >= kExpectedSuffix.size() &&
         name.compare(name.size() - kExpectedSuffix.size(), kExpectedSuffix.size(), kExpectedSuffix) == 0;
}

// Every <pass>/<case>.ir, sorted.
std::vector<fs::path> golden_inputs() {
  std::vector<fs::path> cases;
  for (const auto& e : fs::recursive_directory_iterator(kGoldenDir))
    if (e.path().extension() == ".ir" && !is_expectation(e.path())) cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());
  return cases;
}

fs::path expectation_of(const fs::path& input) {
  return input.parent_path() / (input.stem().string() + std::string(kExpectedSuffix));
}

// The pass named by the case's directory, run once on the parsed input, printed.
std::string run_case(const fs::path& input) {
  const std::string pass_name = input.parent_path().filename().string();
  const passes::PassInfo* pass = passes::find_pass(pass_name);
  if (!pass) throw std::runtime_error("no pass named '" + pass_name + "' (the directory's name)");
  const ir::Graph in = ir::parse_ir(read_file(input), input.filename().string());
  passes::PassContext ctx;
  const ir::Graph out = pass->run(in, ctx);
  if (auto errs = ir::verify(out); !errs.empty()) throw std::runtime_error("the pass broke the IR: " + errs.front());
  return ir::print(out);
}

}  // namespace

TEST_CASE("passes: golden IR in, IR out", "[passes][golden]") {
  const std::vector<fs::path> cases = golden_inputs();
  REQUIRE(cases.size() >= 10);
  for (const fs::path& input : cases) {
    const std::string name = fs::relative(input, kGoldenDir).string();
    INFO("case " << name << " (GRADC_UPDATE_GOLDEN=1 rewrites the expectation)");
    std::string actual;
    try {
      actual = run_case(input);
    } catch (const std::exception& e) {
      FAIL_CHECK(e.what());
      continue;
    }
    const fs::path expected_path = expectation_of(input);
    if (update_golden()) {
      std::ofstream(expected_path, std::ios::binary) << actual;
      continue;
    }
    REQUIRE(fs::exists(expected_path));
    const std::string diff = testing::unified_diff(read_file(expected_path), actual);
    INFO(diff);
    CHECK(diff.empty());
  }
}

TEST_CASE("passes: every pass has golden cases", "[passes][golden]") {
  for (const char* pass : {"simplify", "cse", "dce", "autodiff"}) {
    INFO(pass);
    CHECK(fs::is_directory(kGoldenDir / pass));
  }
}

TEST_CASE("passes: an altered expectation is caught, with a readable diff", "[passes][golden]") {
  const fs::path input = kGoldenDir / "simplify" / "identities.ir";
  const std::string actual = run_case(input);
  std::string altered = read_file(expectation_of(input));
  REQUIRE(altered == actual);  // the real expectation passes...
  const size_t at = altered.find("mul");
  REQUIRE(at != std::string::npos);
  altered.replace(at, 3, "add");  // ...and one changed op does not
  const std::string diff = testing::unified_diff(altered, actual);
  INFO(diff);
  CHECK_THAT(diff, Catch::StartsWith("--- expected\n+++ actual\n@@ "));
  CHECK_THAT(diff, Catch::Contains("\n-") && Catch::Contains("= add ") && Catch::Contains("\n+") &&
                       Catch::Contains("= mul "));
}

TEST_CASE("passes: the diff shows only the changed lines and their context", "[passes][golden]") {
  std::string a, b;
  for (int i = 0; i < 20; ++i) a += "line " + std::to_string(i) + "\n";
  b = a;
  b.replace(b.find("line 10\n"), 8, "LINE 10\n");
  CHECK(testing::unified_diff(a, b) ==
        "--- expected\n+++ actual\n@@ -9 +9 @@\n line 8\n line 9\n-line 10\n+LINE 10\n line 11\n line 12\n");
  CHECK(testing::unified_diff(a, a).empty());
  CHECK(testing::unified_diff("", "x\n") == "--- expected\n+++ actual\n@@ -0 +1 @@\n+x\n");
}
