// tests/unit/cli_predict_output_test.cpp — gradc predict's table and JSON.
#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>

#include "tools/gradc/predict_output.h"

using namespace gradc::cli;
using Catch::Matchers::Contains;

namespace {

const std::vector<std::string> kNames = {"T-shirt/top", "Trouser", "Ankle boot"};

std::vector<Prediction> samples() {
  return {{17, {0.005, 0.01, 0.985}, 2},    // right
          {4, {0.8125, 0.1875, 0.0}, 1},    // wrong
          {-1, {0.25, 0.5, 0.25}, -1}};     // no label, no index
}

}  // namespace

TEST_CASE("predict output: the table marks the predicted class and says whether it is right",
          "[predict]") {
  CHECK(prediction_table(samples(), kNames) ==
        "class         image 17       image 4         sample 3\n"
        "T-shirt/top     0.5 %         81.2 % *        25.0 %\n"
        "Trouser         1.0 %         18.8 %          50.0 % *\n"
        "Ankle boot     98.5 % *        0.0 %          25.0 %\n"
        "true          Ankle boot     Trouser         ?\n"
        "predicted     Ankle boot ✓   T-shirt/top ✗   Trouser\n");
  CHECK(predicted_class({NAN, 0.1, 0.9}) == 2);
  CHECK(predicted_class({0.5, 0.5}) == 0);
}

TEST_CASE("predict output: --json, numbers exact, unknowns null", "[predict]") {
  const auto j = nlohmann::json::parse(prediction_json(samples(), kNames));
  CHECK(j["classes"] == nlohmann::json(kNames));
  REQUIRE(j["samples"].size() == 3);
  const auto& first = j["samples"][0];
  CHECK(first["index"] == 17);
  CHECK(first["true_label"] == 2);
  CHECK(first["true_name"] == "Ankle boot");
  CHECK(first["predicted"] == 2);
  CHECK(first["correct"] == true);
  CHECK(first["probabilities"][0].get<double>() == 0.005);
  CHECK(j["samples"][1]["correct"] == false);
  CHECK(j["samples"][1]["predicted_name"] == "T-shirt/top");
  CHECK(j["samples"][2]["index"].is_null());
  CHECK(j["samples"][2]["true_label"].is_null());
  CHECK(j["samples"][2]["correct"].is_null());
  CHECK(nlohmann::json::parse(prediction_json({}, kNames))["samples"].empty());
}

TEST_CASE("predict output: mismatched probabilities and labels are errors", "[predict]") {
  CHECK_THROWS_WITH(prediction_table({{0, {0.5, 0.5}, 0}}, kNames), "2 probabilities for 3 class names");
  CHECK_THROWS_WITH(prediction_json({{0, {0.5, 0.25, 0.25}, 3}}, kNames), "label 3 is not a class (0 to 2)");
}
