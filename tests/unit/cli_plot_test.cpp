// tests/unit/cli_plot_test.cpp — training curves and prediction pictures: the gnuplot scripts,
// and (when gnuplot is installed) the pictures: SVG that parses as XML with the titles and
// legend entries, PNG with the signature and the size asked for; gnuplot missing or failing.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include <fmt/format.h>

#include "tests/unit/temp_dir.h"
#include "tools/gradc/plot.h"

using namespace gradc::cli;
using gradc::runtime::MetricsTable;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

using gradc::testing::TempDir;

MetricsTable curve(double scale, int epochs = 5) {
  MetricsTable t{gradc::runtime::kMetricsColumns, {}};
  for (int e = 1; e <= epochs; ++e)
    t.rows.push_back({double(e), scale / e, scale / std::sqrt(e), 0.8 + 0.01 * e, 1.5});
  return t;
}

std::vector<std::string> class_names() {
  std::vector<std::string> names;
  for (int c = 0; c < 10; ++c) names.push_back(fmt::format("class '{}'", c));  // quotes survive
  return names;
}

std::vector<PredictionSample> samples() {
  std::vector<PredictionSample> out;
  for (int k = 0; k < 3; ++k) {
    PredictionSample s;
    s.pixels.resize(28 * 28);
    for (size_t i = 0; i < s.pixels.size(); ++i) s.pixels[i] = static_cast<float>((i * (k + 1)) % 28) / 27.0f;
    s.probabilities.assign(10, 0.02);
    s.probabilities[static_cast<size_t>(3 * k)] = 0.82;
    s.true_label = k == 2 ? 5 : 3 * k;  // the third one is wrong
    if (k == 2) s.index = 5694;          // titled by its index, as the table does; the others count
    out.push_back(s);
  }
  return out;
}

bool have_gnuplot() {
  if (std::system("gnuplot --version >/dev/null 2>&1") == 0) return true;
  WARN("gnuplot is not installed: the pictures themselves are not checked");
  return false;
}

std::string command_output(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), &pclose);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
  return out;
}

// Every text node of the SVG, one per line; "XML ERROR" if Python's parser rejects the file.
std::string svg_texts(const std::string& path) {
  return command_output(fmt::format(
      "/usr/bin/python3 -c \"import sys, xml.etree.ElementTree as E\n"
      "try: print('\\n'.join(t.strip() for t in E.parse(sys.argv[1]).getroot().itertext() if t.strip()))\n"
      "except Exception as e: print('XML ERROR', e)\" '{}' 2>&1", path));
}

// Width and height from a PNG's IHDR, or {0, 0} if it is not a PNG.
std::pair<uint32_t, uint32_t> png_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string head(std::istreambuf_iterator<char>(in), {});
  if (head.size() < 24 || head.substr(0, 8) != "\x89PNG\r\n\x1a\n" || head.substr(12, 4) != "IHDR") return {0, 0};
  const auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(head[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

struct EnvGuard {  // sets GRADC_GNUPLOT for one scope
  explicit EnvGuard(const char* value) { setenv("GRADC_GNUPLOT", value, 1); }
  ~EnvGuard() { unsetenv("GRADC_GNUPLOT"); }
};

}  // namespace

TEST_CASE("plot: curve scripts: terminal by extension, one run or a sweep", "[plot]") {
  const std::string one = training_curves_script({{"run", curve(1)}}, "it's a title", "c.svg");
  CHECK_THAT(one, Contains("set terminal svg size 1200,480") && Contains("set output 'c.svg.tmp'") &&
                      Contains("'it''s a title'") && Contains("title 'train'") &&
                      Contains("title 'test'") && Contains("'best 85.00 % (epoch 5)'") &&
                      Contains("set multiplot layout 1,2"));
  const std::string sweep = training_curves_script({{"a", curve(1)}, {"b", curve(2)}}, "t", "c.png");
  CHECK_THAT(sweep, Contains("set terminal pngcairo size 1200,480") && Contains("title 'a'") &&
                        Contains("title 'b'") && Contains("dt 2 lc rgb '#444444' title 'test'") &&
                        !Contains("best"));
  MetricsTable loss_only{{"epoch", "train_loss"}, {{1, 0.5}, {2, 0.25}}};
  CHECK_THAT(training_curves_script({{"r", loss_only}}, "t", "c.svg"),
             Contains("set terminal svg size 700,480") && Contains("layout 1,1") && !Contains("accuracy"));
  CHECK_THROWS_WITH(training_curves_script({{"r", curve(1)}}, "t", "c.jpg"),
                    "cannot draw c.jpg: the picture's name must end in .svg or .png");
  CHECK_THROWS_WITH(training_curves_script({}, "t", "c.svg"), Contains("no runs to draw"));
  CHECK_THROWS_WITH(training_curves_script({{"r", MetricsTable{{"epoch"}, {}}}}, "t", "c.svg"),
                    Contains("run 'r' has no epochs yet"));
  CHECK_THROWS_WITH(training_curves_script({{"r", MetricsTable{{"epoch"}, {{1}}}}}, "t", "c.svg"),
                    Contains("no loss or accuracy values to draw"));
}

TEST_CASE("plot: prediction scripts check the samples", "[plot]") {
  const std::string s = predictions_script(samples(), class_names(), "p.png");
  CHECK_THAT(s, Contains("set terminal pngcairo size 860,930") && Contains("set multiplot layout 3,2") &&
                    Contains("'class ''3'''") && Contains("'predicted: class ''6'' (82.0 %) ✗'") &&
                    Contains("'image 1 · true: class ''0'''") && Contains("'image 5694 · true: class ''5'''"));
  auto bad = samples();
  bad[1].pixels.pop_back();
  CHECK_THROWS_WITH(predictions_script(bad, class_names(), "p.png"),
                    "cannot draw p.png: an image of 28×28 needs 784 pixels, got 783");
  bad = samples();
  bad[0].probabilities.pop_back();
  CHECK_THROWS_WITH(predictions_script(bad, class_names(), "p.png"), Contains("9 probabilities for 10 class names"));
  bad = samples();
  bad[0].true_label = 10;
  CHECK_THROWS_WITH(predictions_script(bad, class_names(), "p.png"), Contains("true label 10 is not a class (0 to 9)"));
  CHECK_THROWS_WITH(predictions_script({}, class_names(), "p.png"), Contains("no samples to draw"));
}

TEST_CASE("plot: the pictures: SVG parses with its titles and legend, PNG has its size", "[plot]") {
  if (!have_gnuplot()) return;
  TempDir dir;
  plot_training_curves({{"depth 1", curve(1)}, {"depth 2", curve(2)}}, "a sweep", dir / "c.svg");
  const std::string texts = svg_texts(dir / "c.svg");
  CHECK_THAT(texts, !Contains("XML ERROR") && Contains("a sweep") && Contains("Loss") &&
                        Contains("Test accuracy") && Contains("depth 1") && Contains("depth 2") &&
                        Contains("train") && Contains("test") && Contains("epoch"));
  plot_training_curves({{"run", curve(1, 30)}}, "one run", dir / "c.png");
  CHECK(png_size(dir / "c.png") == std::pair<uint32_t, uint32_t>{1200, 480});
  plot_predictions(samples(), class_names(), dir / "p.png");
  CHECK(png_size(dir / "p.png") == std::pair<uint32_t, uint32_t>{860, 3 * 310});
  plot_predictions(samples(), class_names(), dir / "p.svg");
  CHECK_THAT(svg_texts(dir / "p.svg"), !Contains("XML ERROR") && Contains("class '9'") &&
                                           Contains("predicted: class '6' (82.0 %)") && Contains("82.0 %"));
  for (const char* f : {"c.svg.tmp", "c.png.tmp", "p.png.tmp", "p.svg.tmp"}) CHECK_FALSE(fs::exists(dir / f));
}

TEST_CASE("plot: gnuplot missing or failing is a clear error and leaves no picture", "[plot]") {
  TempDir dir;
  {
    EnvGuard env("/nonexistent/gnuplot");
    CHECK_THROWS_WITH(plot_training_curves({{"r", curve(1)}}, "t", dir / "c.svg"),
                      StartsWith("cannot draw " + dir / "c.svg") &&
                          Contains("/nonexistent/gnuplot is not installed (Debian: apt-get install gnuplot-nox)"));
  }
  {
    EnvGuard env("false");
    CHECK_THROWS_WITH(plot_predictions(samples(), class_names(), dir / "p.png"),
                      Contains("false failed (exit status 1): no message, and no picture"));
  }
  if (have_gnuplot())  // gnuplot's own message when it cannot write the output
    CHECK_THROWS_WITH(plot_training_curves({{"r", curve(1)}}, "t", dir / "no/such/dir.png"),
                      Contains("gnuplot failed (exit status 1)"));
  CHECK(fs::is_empty(dir.path));
}
