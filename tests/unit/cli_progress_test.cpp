// tests/unit/cli_progress_test.cpp — the progress bar with an injected clock, width and stream.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "tools/gradc/progress.h"

using gradc::cli::ProgressBar;
using Catch::Matchers::Contains;

namespace {

struct Fake {
  std::ostringstream out;
  double now = 100;
  int width = 100;

  ProgressBar bar(bool terminal) {
    ProgressBar::Options o;
    o.out = &out;
    o.terminal = terminal;
    o.columns = [this] { return width; };
    o.clock = [this] { return now; };
    return ProgressBar(std::move(o));
  }
};

size_t redraws(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\r')); }

}  // namespace

TEST_CASE("progress: not on a terminal, nothing at all per step", "[progress]") {
  Fake f;
  ProgressBar bar = f.bar(false);
  bar.start_epoch(1, 2, 10);
  for (int i = 0; i < 10; ++i) bar.step(0.5, 64);
  bar.finish_epoch();
  CHECK(f.out.str().empty());
}

TEST_CASE("progress: the line shows epoch, steps, smoothed loss, samples/s and ETA", "[progress]") {
  Fake f;
  ProgressBar bar = f.bar(true);
  bar.start_epoch(3, 10, 938);
  for (int i = 0; i < 469; ++i) bar.step(i % 2 ? 1.0 : 0.5, 64);  // smoothed: 0.75 or so
  f.now += 2;  // 469 * 64 samples in 2 s; as many steps to go: 2 s more
  CHECK(bar.line(100) == "epoch 3/10 [==============>             ] 469/938 loss 0.7475 15.0k samples/s ETA 0:02");
  f.now += 3600;
  CHECK_THAT(bar.line(100), Contains("8 samples/s ETA 1:00:02"));
}

TEST_CASE("progress: at most one redraw per 0.1 s, and the last step always drawn", "[progress]") {
  Fake f;
  ProgressBar bar = f.bar(true);
  bar.start_epoch(1, 1, 100);
  for (int i = 0; i < 100; ++i) {
    bar.step(1, 32);
    f.now += 0.01;  // 100 steps in 1 s
  }
  const std::string s = f.out.str();
  CHECK(redraws(s) >= 10);
  CHECK(redraws(s) <= 12);  // the first step, one per 0.1 s, the last
  CHECK_THAT(s.substr(s.rfind('\r')), Contains("100/100"));
  bar.finish_epoch();
  CHECK(f.out.str().ends_with("\r\x1b[K"));  // the line cleared for the trainer's own
}

TEST_CASE("progress: narrow terminals drop the rate, the ETA, then the bar; never wrap", "[progress]") {
  Fake f;
  ProgressBar bar = f.bar(true);
  bar.start_epoch(12, 100, 60000);
  for (int i = 0; i < 1234; ++i) bar.step(0.25, 64);
  f.now += 4;
  for (int width = 1; width <= 200; ++width) {
    INFO("width " << width << ": " << bar.line(width));
    CHECK(static_cast<int>(bar.line(width).size()) <= width - 1);
  }
  CHECK_THAT(bar.line(100), Contains("[") && Contains("samples/s") && Contains("ETA"));
  CHECK_THAT(bar.line(70), Contains("[") && !Contains("samples/s") && Contains("ETA"));
  CHECK_THAT(bar.line(50), Contains("[") && !Contains("ETA"));
  CHECK(bar.line(40) == "epoch 12/100 1234/60000 loss 0.2500");
  CHECK(bar.line(20) == "epoch 12/100 1234/6");
  f.width = 30;  // a resize between redraws is honoured at the next one
  bar.step(0.25, 64);
  f.now += 1;
  bar.step(0.25, 64);
  const std::string s = f.out.str();
  CHECK(s.substr(s.rfind('\r') + 1) == "epoch 12/100 1236/60000 loss\x1b[K");
}

TEST_CASE("progress: width from COLUMNS, else the terminal, else 80", "[progress]") {
  const char* saved = std::getenv("COLUMNS");
  const std::string old = saved ? saved : "";
  setenv("COLUMNS", "57", 1);
  CHECK(gradc::cli::terminal_columns(-1) == 57);
  setenv("COLUMNS", "wide", 1);
  CHECK(gradc::cli::terminal_columns(-1) == 80);  // -1 is no terminal
  unsetenv("COLUMNS");
  CHECK(gradc::cli::terminal_columns(-1) == 80);
  if (saved) setenv("COLUMNS", old.c_str(), 1);
}
