// tests/unit/runtime_tensor_text_test.cpp — tensor literals, JSON lists and the terminal display.
//
// The JSON round trip is the contract the tensor CLI relies on: whatever gradc prints, --at reads
// back bit-identical. Error cases check the phrase and the column, since those are what a user
// sees when a long --at value has a typo in it.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <fmt/format.h>

#include "runtime/tensor_text.h"

using namespace gradc::runtime;
using Catch::Matchers::Contains;
using Shape = std::vector<int64_t>;
using Data = std::vector<double>;

namespace {

void check_parse(const std::string& text, const Shape& shape, const Data& data) {
  INFO("literal: " << text);
  const TensorValue v = parse_tensor_literal(text);
  CHECK(v.shape == shape);
  CHECK(v.data == data);
}

// The message of the TensorTextError that parsing `text` throws ("" if it parses).
std::string parse_error(const std::string& text) {
  try {
    parse_tensor_literal(text);
  } catch (const TensorTextError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("tensor literals of every form parse to shape and C-order data", "[tensor_text]") {
  check_parse("2.5", {}, {2.5});
  check_parse("  -3  ", {}, {-3});
  check_parse("+4", {}, {4});
  check_parse("1e3", {}, {1000});
  check_parse("-2.5E-2", {}, {-0.025});
  check_parse("[1, 2, 3]", {3}, {1, 2, 3});
  check_parse("[1 2 3]", {3}, {1, 2, 3});
  check_parse("[ 1 ,2,  3 ]", {3}, {1, 2, 3});
  check_parse("[1 -2 3e1]", {3}, {1, -2, 30});
  check_parse("[7]", {1}, {7});
  check_parse("[]", {0}, {});
  check_parse("[ ]", {0}, {});
  check_parse("[1,2;3,4]", {2, 2}, {1, 2, 3, 4});
  check_parse("[1 2 3; 4 5 6]", {2, 3}, {1, 2, 3, 4, 5, 6});
  check_parse("[1;2;3]", {3, 1}, {1, 2, 3});
  check_parse("[[1,2],[3,4]]", {2, 2}, {1, 2, 3, 4});
  check_parse("[[1, 2] [3, 4]]", {2, 2}, {1, 2, 3, 4});
  check_parse("[[[1],[2]]]", {1, 2, 1}, {1, 2});
  check_parse("[[[1,2],[3,4]],[[5,6],[7,8]]]", {2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  check_parse("[[], []]", {2, 0}, {});
  check_parse("[\n  [1, 2],\n\t[3, 4]\n]", {2, 2}, {1, 2, 3, 4});
  check_parse("-0", {}, {-0.0});
  CHECK(std::signbit(parse_tensor_literal("-0").data[0]));
}

TEST_CASE("tensor literals accept nan and infinities, bare or as gradc's JSON strings",
          "[tensor_text]") {
  const TensorValue v = parse_tensor_literal(R"([nan, inf, -inf, "nan", "inf", "-inf", +inf])");
  REQUIRE(v.shape == Shape{7});
  CHECK(std::isnan(v.data[0]));
  CHECK(std::isnan(v.data[3]));
  CHECK(v.data[1] == INFINITY);
  CHECK(v.data[4] == INFINITY);
  CHECK(v.data[6] == INFINITY);
  CHECK(v.data[2] == -INFINITY);
  CHECK(v.data[5] == -INFINITY);
  CHECK(std::isnan(parse_tensor_literal("nan").data[0]));
}

TEST_CASE("every malformed tensor literal is an error quoting the text and a column",
          "[tensor_text]") {
  struct Case {
    std::string text, phrase;
  };
  const std::vector<Case> cases = {
      {"[1,2,3;4,5]", "'[1,2,3;4,5]' at column 11: rows have different lengths (3 and 2)"},
      {"[1,2;3,4,5]", "at column 11: rows have different lengths (2 and 3)"},
      {"[[1,2],[3]]", "at column 8: nested lists have different shapes ([2] at column 2 and [1])"},
      {"[[[1]],[2]]",
       "at column 8: nested lists have different shapes ([1,1] at column 2 and [1])"},
      {"[[1],2]", "at column 6: a list mixes numbers and nested lists"},
      {"[1,[2]]", "at column 4: a list mixes numbers and nested lists"},
      {"[[1];[2]]", "at column 5: ';' cannot be mixed with nested brackets in one list"},
      {"[1;[2]]", "at column 4: ';' cannot be mixed with nested brackets in one list"},
      {"[1,x,3]", "at column 4: 'x' is not a number"},
      {"[1,2.5.3]", "at column 4: '2.5.3' is not a number"},
      {"1e", "at column 1: '1e' is not a number"},
      {"0x10", "'0x10' is not a number"},
      {"\"abc\"", "'\"abc\"' is not a number"},
      {"[1e999]", "at column 2: '1e999' is out of range for a double"},
      {"[1,2", "at column 1: '[' is never closed"},
      {"[[1,2]", "at column 1: '[' is never closed"},
      {"[1,2]]", "at column 6: unexpected characters after the value"},
      {"]", "at column 1: ']' without a matching '['"},
      {"[1,2] 3", "at column 7: unexpected characters after the value"},
      {"1 2", "at column 3: unexpected characters after the value"},
      {"[1,,2]", "at column 4: empty element"},
      {"[,1]", "at column 2: empty element"},
      {"[1,2,]", "at column 6: empty element"},
      {"[1,;2]", "at column 4: empty element"},
      {"[1;;2]", "at column 4: empty row"},
      {"[;1]", "at column 2: empty row"},
      {"[1;]", "at column 4: empty row"},
      {"[[1][2]]", "at column 5: missing ',' or space between elements"},
      {"", "'' at column 1: expected a number or '['"},
      {"   ", "at column 4: expected a number or '['"},
      {",", "at column 1: expected a number or '['"},
      {std::string(33, '[') + std::string(33, ']'), "at column 33: nesting deeper than 32 levels"},
  };
  for (const Case& c : cases) {
    INFO("literal: " << c.text);
    CHECK_THAT(parse_error(c.text), Contains(c.phrase));
  }
  const std::string deepest = std::string(32, '[') + "1" + std::string(32, ']');
  CHECK(parse_tensor_literal(deepest).shape == Shape(32, 1));
}

TEST_CASE("huge tensor literals parse without recursion and errors stay short", "[tensor_text]") {
  std::string row = "[";
  for (int i = 0; i < 1'000'000; ++i) row += fmt::format("{}{}", i ? "," : "", i % 10);
  row += "]";
  const TensorValue v = parse_tensor_literal(row);
  CHECK(v.shape == Shape{1'000'000});
  CHECK(v.data[999'999] == 9);

  const std::string deep(1'000'000, '[');
  const std::string msg = parse_error(deep);
  CHECK_THAT(msg, Contains("at column 33: nesting deeper than 32 levels"));
  CHECK(msg.size() < 200);  // an excerpt of the text, not all of it

  row[row.size() - 2] = ',';  // a typo at the end of a long literal: the excerpt shows the end
  CHECK_THAT(parse_error(row), Contains(",8,,]' at column 2000000: empty element"));
}

TEST_CASE("tensors print as compact nested JSON lists", "[tensor_text]") {
  CHECK(format_tensor_json({{}, {2.5}}, false) == "2.5");
  CHECK(format_tensor_json({{3}, {1, 2, 3}}, false) == "[1, 2, 3]");
  CHECK(format_tensor_json({{2, 2}, {1, 2, 3, 4}}, false) == "[[1, 2], [3, 4]]");
  CHECK(format_tensor_json({{1, 2, 1}, {1, 2}}, false) == "[[[1], [2]]]");
  CHECK(format_tensor_json({{2, 1, 2}, {1, 2, 3, 4}}, false) == "[[[1, 2]], [[3, 4]]]");
  CHECK(format_tensor_json({{0}, {}}, false) == "[]");
  CHECK(format_tensor_json({{2, 0}, {}}, false) == "[[], []]");
  CHECK(format_tensor_json({{0, 3}, {}}, false) == "[]");
  CHECK(format_tensor_json({{3}, {NAN, INFINITY, -INFINITY}}, false) ==
        R"(["nan", "inf", "-inf"])");
  CHECK(format_tensor_json({{2}, {0.1, 1e300}}, false) == "[0.1, 1e+300]");
  CHECK(format_tensor_json({{1}, {static_cast<double>(0.1f)}}, true) == "[0.1]");
  CHECK(format_tensor_json({{1}, {static_cast<double>(0.1f)}}, false) == "[0.10000000149011612]");
  CHECK_THROWS_WITH(format_tensor_json({{2, 2}, {1, 2, 3}}, false),
                    Contains("shape [2,2] needs 4 values, data has 3"));
  CHECK_THROWS_WITH(format_tensor_text({{-1}, {}}, false),
                    Contains("shape [-1] has a negative or too large dimension"));
}

TEST_CASE("what format_tensor_json prints parses back bit-identical", "[tensor_text]") {
  std::mt19937_64 rng(20240611);
  std::uniform_int_distribution<int> rank_dist(0, 4), dim_dist(1, 4), kind(0, 3);
  std::uniform_real_distribution<double> uniform(-1e3, 1e3);
  for (int trial = 0; trial < 500; ++trial) {
    TensorValue v;
    for (int a = rank_dist(rng); a > 0; --a) v.shape.push_back(dim_dist(rng));
    size_t n = 1;
    for (int64_t d : v.shape) n *= static_cast<size_t>(d);
    const bool f32 = trial % 2 == 1;
    for (size_t i = 0; i < n; ++i) {
      // Mix plain values with arbitrary bit patterns (subnormals, huge, tiny) that stay finite.
      double x = kind(rng) == 0 ? std::bit_cast<double>(rng()) : uniform(rng);
      if (!std::isfinite(x)) x = -0.0;
      v.data.push_back(f32 ? static_cast<double>(static_cast<float>(x)) : x);
    }
    const std::string json = format_tensor_json(v, f32);
    INFO("json: " << json);
    const TensorValue back = parse_tensor_literal(json);
    REQUIRE(back.shape == v.shape);
    REQUIRE(back.data.size() == v.data.size());
    for (size_t i = 0; i < n; ++i) {
      const double got = f32 ? static_cast<double>(static_cast<float>(back.data[i])) : back.data[i];
      REQUIRE(std::bit_cast<uint64_t>(got) == std::bit_cast<uint64_t>(v.data[i]));
    }
  }
}

// Found by fuzz_tensor_text: "-nan" read as a NaN with its sign bit set, which prints as "nan"
// and so read back as a different NaN.
TEST_CASE("every spelling of NaN reads as the one NaN, so it prints and reads back bit-identical",
          "[tensor_text]") {
  const uint64_t nan_bits = std::bit_cast<uint64_t>(static_cast<double>(NAN));
  for (const char* text : {"nan", "-nan", "-NaN", "[1, -nan]", "[0.5 -nan; 2 3]"}) {
    INFO(text);
    const TensorValue v = parse_tensor_literal(text);
    const double nan = v.data.size() == 4 ? v.data[1] : v.data.back();
    CHECK(std::bit_cast<uint64_t>(nan) == nan_bits);
    const TensorValue back = parse_tensor_literal(format_tensor_json(v, false));
    REQUIRE(back.data.size() == v.data.size());
    CHECK(std::memcmp(back.data.data(), v.data.data(), v.data.size() * sizeof(double)) == 0);
  }
}

TEST_CASE("the terminal display aligns columns under a dtype and shape header", "[tensor_text]") {
  CHECK(format_tensor_text({{}, {2.5}}, false) == "2.5");
  CHECK(format_tensor_text({{}, {NAN}}, true) == "nan");
  CHECK(format_tensor_text({{3}, {1, -20, 3}}, false) == "f64[3]\n[  1, -20,   3]");
  CHECK(format_tensor_text({{2, 3}, {1, 2.5, 3, 4, 5, -6}}, true) ==
        "f32[2,3]\n"
        "[[  1, 2.5,   3],\n"
        " [  4,   5,  -6]]");
  CHECK(format_tensor_text({{2, 1, 2}, {1, 2, 3, 4}}, false) ==
        "f64[2,1,2]\n"
        "[[[1, 2]],\n"
        "\n"
        " [[3, 4]]]");
  CHECK(format_tensor_text({{2, 0}, {}}, false) == "f64[2,0]\n[[], []]");
  // Without summarising, the body is itself a literal.
  const TensorValue v{{2, 3}, {1, 2.5, 3, 4, 5, -6}};
  const std::string text = format_tensor_text(v, false);
  CHECK(parse_tensor_literal(text.substr(text.find('\n') + 1)).data == v.data);
}

TEST_CASE("large tensors are summarised NumPy-style around '...'", "[tensor_text]") {
  TensorValue v{{100, 100}, {}};
  for (int i = 0; i < 10'000; ++i) v.data.push_back(i);
  CHECK(format_tensor_text(v, false) ==
        "f64[100,100]\n"
        "[[   0,    1,    2, ...,   97,   98,   99],\n"
        " [ 100,  101,  102, ...,  197,  198,  199],\n"
        " [ 200,  201,  202, ...,  297,  298,  299],\n"
        " ...,\n"
        " [9700, 9701, 9702, ..., 9797, 9798, 9799],\n"
        " [9800, 9801, 9802, ..., 9897, 9898, 9899],\n"
        " [9900, 9901, 9902, ..., 9997, 9998, 9999]]");

  TensorValue row{{7}, {1, 2, 3, 4, 5, 6, 7}};
  CHECK(format_tensor_text(row, false) == "f64[7]\n[1, 2, 3, ..., 5, 6, 7]");
  row = {{6}, {1, 2, 3, 4, 5, 6}};
  CHECK(format_tensor_text(row, false) == "f64[6]\n[1, 2, 3, 4, 5, 6]");

  TensorValue cube{{8, 1, 1}, {0, 1, 2, 3, 4, 5, 6, 7}};
  CHECK(format_tensor_text(cube, false) ==
        "f64[8,1,1]\n"
        "[[[0]],\n\n"
        " [[1]],\n\n"
        " [[2]],\n\n"
        " ...,\n\n"
        " [[5]],\n\n"
        " [[6]],\n\n"
        " [[7]]]");
}
