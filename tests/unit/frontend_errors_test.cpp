// tests/unit/frontend_errors_test.cpp — every kind of bad program gets a clear,
// exactly rendered error, fast, and never a crash.
//
// Golden files: tests/golden/errors/<case>.grad holds a program, <case>.stderr
// its rendered diagnostic. GRADC_UPDATE_GOLDEN=1 rewrites the expectations
// (review the diff!). Inputs too big or too binary for a file are made here.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "frontend/frontend.h"
#include "frontend/parser.h"

using namespace gradc;
using frontend::SourceFile;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The rendered error for a program, or a marker if it compiled.
std::string error_of(const std::string& name, const std::string& text) {
  const SourceFile src(name, text);
  try {
    frontend::compile_to_ir(src);
  } catch (const frontend::CompileError& e) {
    return frontend::render(src, e.diag);
  }
  return "(compiled without error)\n";
}

// Huge inputs. Their speed is a benchmark's business, not a timed unit test's
// (timings flake under sanitizers and on busy machines); here: a clean answer.
std::string quick_error_of(const std::string& text) { return error_of("gen.grad", text); }

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

TEST_CASE("frontend: golden error messages", "[frontend][golden]") {
  const fs::path dir = fs::path(GRADC_SOURCE_DIR) / "tests" / "golden" / "errors";
  const char* update_env = std::getenv("GRADC_UPDATE_GOLDEN");
  const bool update = update_env && std::string(update_env) == "1";
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".grad") cases.push_back(entry.path());
  std::sort(cases.begin(), cases.end());
  REQUIRE(cases.size() >= 40);
  for (const fs::path& path : cases) {
    const std::string name = path.filename().string();
    const std::string actual = error_of(name, read_file(path));
    fs::path expected_path = path;
    expected_path.replace_extension(".stderr");
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << actual;
      continue;
    }
    INFO("case " << name << " (GRADC_UPDATE_GOLDEN=1 rewrites the expectation)");
    REQUIRE(fs::exists(expected_path));
    CHECK(actual == read_file(expected_path));
  }
}

TEST_CASE("frontend: 10000 nested parentheses stop at the depth limit", "[frontend]") {
  const std::string text = "f = " + std::string(10'000, '(') + "x" + std::string(10'000, ')');
  const std::string out = quick_error_of(text);
  // The first '(' over the limit, at column 4 + kMaxNesting + 1.
  CHECK(starts_with(out, fmt::format("gen.grad:1:{}: error: expression nested too deeply (limit {})\n",
                                     4 + gradc::frontend::kMaxNesting + 1, gradc::frontend::kMaxNesting)));
  // Prefix signs, juxtaposed applications and power chains count as nesting too.
  std::string minus = "f = ", ln = "f = ", powers = "f = x";
  for (int i = 0; i < 10'000; ++i) minus += "-", ln += "ln ", powers += "^x";
  CHECK(quick_error_of(minus + "x").find("nested too deeply") != std::string::npos);
  CHECK(quick_error_of(ln + "x").find("nested too deeply") != std::string::npos);
  CHECK(quick_error_of(powers).find("nested too deeply") != std::string::npos);
  // Unclosed: the depth error still comes first, and fast.
  CHECK(quick_error_of(std::string(10'000, '(')).find("nested too deeply") != std::string::npos);
}

TEST_CASE("frontend: a NUL byte is diagnosed and not a terminator", "[frontend]") {
  const std::string text("f = x +\0 y\n", 11);
  CHECK(quick_error_of(text) ==
        "gen.grad:1:8: error: unexpected NUL byte\n"
        "f = x +? y\n"
        "       ^\n");
  CHECK(quick_error_of(std::string("\0", 1)).find("unexpected NUL byte") != std::string::npos);
}

TEST_CASE("frontend: 100k-character lines", "[frontend]") {
  std::string valid = "f = x";
  while (valid.size() < 100'000) valid += " + x";
  CHECK(quick_error_of(valid) == "(compiled without error)\n");

  // An error in the middle: a window of the line around the caret, cut with "...".
  std::string middle = valid.substr(0, 50'000) + " $ " + valid.substr(50'000 + 3);
  const std::string out = quick_error_of(middle);
  INFO(out);
  CHECK(starts_with(out, "gen.grad:1:50002: error: unexpected character '$'\n"));
  std::istringstream lines(out);
  std::string header, shown, caret;
  std::getline(lines, header), std::getline(lines, shown), std::getline(lines, caret);
  CHECK(shown.size() <= 110);
  CHECK(starts_with(shown, "..."));
  CHECK(shown.substr(shown.size() - 3) == "...");
  CHECK(caret.find('^') < shown.size());
  CHECK(shown[caret.find('^')] == '$');

  // An error at the very end: the window ends at the line's end.
  const std::string end = quick_error_of(valid + " +");
  INFO(end);
  CHECK(end.find("error: expected an expression\n") != std::string::npos);
  std::istringstream end_lines(end);
  std::getline(end_lines, header), std::getline(end_lines, shown), std::getline(end_lines, caret);
  CHECK(starts_with(shown, "..."));
  CHECK(shown.substr(shown.size() - 3) == "x +");
  CHECK(caret.size() == shown.size() + 1);  // just past the last character
}

TEST_CASE("frontend: deep sums and long names are not a problem", "[frontend]") {
  std::string sum = "f = x";
  for (int i = 0; i < 50'000; ++i) sum += "+x";
  sum += "+";  // an error at the end of a 50,000-deep expression
  CHECK(quick_error_of(sum).find("expected an expression") != std::string::npos);
  const std::string long_name(100'000, 'a');
  CHECK(quick_error_of("f = " + long_name) == "(compiled without error)\n");
  CHECK(quick_error_of("f = " + long_name + "(x)").find("unknown function") != std::string::npos);
}

TEST_CASE("frontend: CompileError carries the diagnostic", "[frontend]") {
  const SourceFile src("t.grad", "f = lnn(x)");
  try {
    frontend::compile_to_ir(src);
    FAIL("no error");
  } catch (const frontend::CompileError& e) {
    CHECK(std::string(e.what()) == "unknown function 'lnn'");
    CHECK(e.diag.loc.offset == 4);
    CHECK(e.diag.loc.len == 3);
    CHECK(e.diag.notes == std::vector<std::string>{"did you mean 'ln'?"});
  }
}

TEST_CASE("frontend: render aligns the caret under multi-byte characters and tabs", "[frontend]") {
  using frontend::Diagnostic;
  const SourceFile src("t.grad", "\xcf\x80\t= x + yy\nnext");
  // 'yy' starts at byte 9 (π is two bytes): one display cell per character.
  CHECK(frontend::render(src, Diagnostic{{9, 2}, "here", {"a note"}}) ==
        "t.grad:1:10: error: here\n"
        "\xcf\x80\t= x + yy\n"
        " \t      ^~\n"
        "note: a note\n");
  // A span running past the end of its line is cut at the line's end.
  CHECK(frontend::render(src, Diagnostic{{9, 50}, "long", {}}) ==
        "t.grad:1:10: error: long\n"
        "\xcf\x80\t= x + yy\n"
        " \t      ^~\n");
  // A caret at the very end of the text.
  CHECK(frontend::render(src, Diagnostic{{16, 0}, "end", {}}) ==
        "t.grad:2:5: error: end\n"
        "next\n"
        "    ^\n");
}
