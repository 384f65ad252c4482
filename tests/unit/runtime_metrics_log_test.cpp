// tests/unit/runtime_metrics_log_test.cpp — the per-epoch metrics log: exact CSV and JSON text,
// reading back, resuming, errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include <nlohmann/json.hpp>

#include "runtime/metrics_log.h"
#include "tests/unit/temp_dir.h"

using namespace gradc::runtime;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

using gradc::testing::TempDir;
using gradc::testing::file_contents;

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

const double kInf = std::numeric_limits<double>::infinity();

void two_epochs(MetricsLog& log) {
  log.append(1, {{"train_loss", 0.5}, {"test_loss", 0.625}, {"test_accuracy", 0.8125},
                 {"seconds", 1.25}, {"lr", 1e-3}});
  log.append(2, {{"train_loss", kInf}, {"test_loss", 0.1}, {"seconds", 2}});  // no accuracy, no lr
}

}  // namespace

TEST_CASE("metrics: CSV rows, exactly, rewritten whole after every epoch", "[metrics]") {
  TempDir dir;
  MetricsLog log(dir / "m.csv", {"lr"});
  CHECK_FALSE(fs::exists(dir / "m.csv"));  // nothing until the first epoch ends
  two_epochs(log);
  CHECK(file_contents(dir / "m.csv") ==
        "epoch,train_loss,test_loss,test_accuracy,seconds,lr\n"
        "1,0.5,0.625,0.8125,1.25,0.001\n"
        "2,inf,0.1,,2,\n");
  CHECK_FALSE(fs::exists(dir / "m.csv.tmp"));
  const MetricsTable t = read_metrics(dir / "m.csv");
  CHECK(t.columns == log.table().columns);
  CHECK(t.values("lr")[0] == 1e-3);
  CHECK(std::isnan(t.values("lr")[1]));
  CHECK(t.values("train_loss")[1] == kInf);
  CHECK(t.values("nope").empty());
}

TEST_CASE("metrics: JSON is an array of one object per epoch, a valid document", "[metrics]") {
  TempDir dir;
  MetricsLog log(dir / "m.json", {"lr"});
  two_epochs(log);
  const std::string text = file_contents(dir / "m.json");
  CHECK(text ==
        "[\n"
        " {\"epoch\": 1, \"train_loss\": 0.5, \"test_loss\": 0.625, \"test_accuracy\": 0.8125, "
        "\"seconds\": 1.25, \"lr\": 0.001},\n"
        " {\"epoch\": 2, \"train_loss\": \"inf\", \"test_loss\": 0.1, \"test_accuracy\": null, "
        "\"seconds\": 2, \"lr\": null}\n"
        "]\n");
  CHECK(nlohmann::json::parse(text).size() == 2);
  const MetricsTable t = read_metrics(dir / "m.json");
  CHECK(t.columns == log.table().columns);
  CHECK(t.values("train_loss")[1] == kInf);
  CHECK(std::isnan(t.values("test_accuracy")[1]));
  MetricsLog empty(dir / "e.json", {});
  CHECK(encode_metrics_json(empty.table()) == "[\n]\n");
  CHECK(nlohmann::json::parse(encode_metrics_json(empty.table())).empty());
}

TEST_CASE("metrics: resuming drops the rows past the checkpoint's epoch and continues", "[metrics]") {
  TempDir dir;
  for (const std::string name : {"m.csv", "m.json"}) {
    INFO(name);
    const std::string path = dir / name;
    {
      MetricsLog log(path, {"lr"});
      two_epochs(log);
      log.append(3, {{"train_loss", 0.25}});
    }
    MetricsLog resumed = MetricsLog::resume(path, {"lr"}, 1);  // the checkpoint of epoch 1
    CHECK(read_metrics(path).rows.size() == 1);               // rewritten at once
    resumed.append(2, {{"train_loss", 0.375}});
    const MetricsTable t = read_metrics(path);
    REQUIRE(t.rows.size() == 2);
    CHECK(t.values("train_loss") == std::vector<double>{0.5, 0.375});
    CHECK_THROWS_WITH(MetricsLog::resume(path, {"momentum"}, 1),
                      StartsWith(path) && Contains("cannot continue this log: its columns "
                                                   "(epoch,train_loss,test_loss,test_accuracy,seconds,lr) differ"));
  }
  MetricsLog fresh = MetricsLog::resume(dir / "new.csv", {}, 4);  // no file yet: a new log
  CHECK(fresh.table().rows.empty());
  CHECK_FALSE(fs::exists(dir / "new.csv"));
}

TEST_CASE("metrics: errors name the file and the problem", "[metrics]") {
  TempDir dir;
  MetricsLog log(dir / "m.csv", {"lr"});
  log.append(1, {});
  CHECK_THROWS_WITH(log.append(1, {}), Contains("m.csv: epoch 1 does not follow epoch 1"));
  CHECK_THROWS_WITH(log.append(2, {{"acc", 1}}), Contains("'acc' is not a column of this log"));
  CHECK_THROWS_WITH(log.append(2, {{"epoch", 1}}), Contains("'epoch' is not a column"));
  CHECK_THROWS_WITH(MetricsLog(dir / "x.csv", {"a,b"}), Contains("column name 'a,b' must be"));
  CHECK_THROWS_WITH(MetricsLog(dir / "x.csv", {"seconds"}), Contains("column 'seconds' is given twice"));
  MetricsLog nowhere(dir / "no/such/dir.csv", {});
  CHECK_THROWS_WITH(nowhere.append(1, {}), Contains("no/such/dir.csv.tmp: cannot write"));
  CHECK(nowhere.table().rows.empty());  // the failed epoch is not kept

  const std::pair<std::string, std::string> bad_csv[] = {
      {"", "empty file"},
      {"step,loss\n1,2\n", "the header must start with 'epoch', found 'step'"},
      {"epoch,loss\n1,2,3\n", "line 2: 3 fields, the header has 2"},
      {"epoch,loss\n1,abc\n", "line 2: 'abc' is not a number"},
      {"epoch,loss\n1.5,2\n", "row 1: epoch 1.5 is not a whole number"},
      {"epoch,loss\n2,1\n1,1\n", "row 2: epoch 1 does not follow epoch 2"}};
  for (const auto& [text, message] : bad_csv) {
    INFO(text);
    write_text(dir / "bad.csv", text);
    CHECK_THROWS_WITH(read_metrics(dir / "bad.csv"), StartsWith(dir / "bad.csv") && Contains(message));
  }
  const std::pair<std::string, std::string> bad_json[] = {
      {"{\"epoch\": 1}", "expected a JSON array of objects"},
      {"[1, 2]", "expected a JSON array of objects"},
      {"[{\"loss\": 1}]", "row 1 has no 'epoch'"},
      {"[{\"epoch\": 1, \"loss\": [1]}]", "row 1: [1] is not a number"},
      {"[{\"epoch\": 1", "not valid JSON"}};
  for (const auto& [text, message] : bad_json) {
    INFO(text);
    write_text(dir / "bad.json", text);
    CHECK_THROWS_WITH(read_metrics(dir / "bad.json"), StartsWith(dir / "bad.json") && Contains(message));
  }
  CHECK_THROWS_WITH(read_metrics(dir / "missing.csv"), Contains("missing.csv: cannot open"));
  CHECK_THROWS_WITH(read_metrics(dir.path.string()), Contains("is a directory"));
}

TEST_CASE("metrics: a JSON row's members that are not numbers (--layer-stats) are kept, also on resume",
          "[metrics]") {
  TempDir dir;
  const std::string path = dir / "m.json";
  {
    MetricsLog log(path, {});
    log.append(1, {{"train_loss", 0.5}}, R"("layer_stats": {"layers": [{"name": "h1", "variance": 2}]})");
    log.append(2, {{"train_loss", 0.25}}, R"("layer_stats": {"layers": []})");
  }
  const nlohmann::json doc = nlohmann::json::parse(file_contents(path));
  CHECK(doc[0]["layer_stats"]["layers"][0]["variance"] == 2);
  CHECK(doc[1]["train_loss"] == 0.25);
  const MetricsTable t = read_metrics(path);  // the numbers only: no "layer_stats" column
  CHECK(!t.column("layer_stats"));
  CHECK(t.values("train_loss") == std::vector<double>{0.5, 0.25});
  MetricsLog resumed = MetricsLog::resume(path, {}, 1);
  resumed.append(2, {{"train_loss", 0.125}});
  const nlohmann::json after = nlohmann::json::parse(file_contents(path));
  CHECK(after[0]["layer_stats"]["layers"][0]["name"] == "h1");  // written back as it was
  CHECK(!after[1].contains("layer_stats"));
  CHECK(encode_metrics_csv(resumed.table()).find("layer") == std::string::npos);
}
