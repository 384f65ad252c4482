// tools/gradc/progress.cpp — the progress bar: rate-limited redraws, a line fitted to the width.
#include "tools/gradc/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <vector>

namespace gradc::cli {

namespace {

constexpr int kMinBar = 12, kMaxBar = 30;  // brackets included
constexpr const char* kClearToEnd = "\x1b[K";

std::string rate_text(double per_second) {
  if (!(per_second >= 0) || std::isinf(per_second)) return "-- samples/s";
  if (per_second < 1e4) return fmt::format("{:.0f} samples/s", per_second);
  if (per_second < 1e7) return fmt::format("{:.1f}k samples/s", per_second / 1e3);
  return fmt::format("{:.1f}M samples/s", per_second / 1e6);
}

std::string eta_text(double seconds) {
  if (!(seconds >= 0) || seconds > 1e8) return "ETA --:--";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s < 3600) return fmt::format("ETA {}:{:02}", s / 60, s % 60);
  return fmt::format("ETA {}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

// "[=====>    ]" of `width` characters, brackets included.
std::string bar_text(int width, int64_t done, int64_t total) {
  const int inner = width - 2;
  const int filled = total > 0 ? static_cast<int>(inner * std::min(done, total) / total) : 0;
  std::string bar = "[" + std::string(static_cast<size_t>(filled), '=');
  if (filled < inner) bar += filled > 0 ? ">" : " ";
  bar.resize(static_cast<size_t>(width - 1), ' ');
  return bar + "]";
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

}  // namespace

ProgressBar::ProgressBar(Options options) : options_(std::move(options)) {}

ProgressBar ProgressBar::for_stderr() {
  Options o;
  o.out = &std::cerr;
  o.terminal = ::isatty(STDERR_FILENO) == 1;
  o.columns = [] { return terminal_columns(STDERR_FILENO); };
  o.clock = [] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  };
  return ProgressBar(std::move(o));
}

void ProgressBar::start_epoch(int64_t epoch, int64_t epochs, int64_t steps) {
  epoch_ = epoch;
  epochs_ = epochs;
  steps_ = steps;
  done_ = samples_ = 0;
  ema_ = ema_weight_ = 0;
  drawn_ = false;
  if (active()) start_ = last_draw_ = options_.clock();
}

void ProgressBar::step(double loss, int64_t samples) {
  ++done_;
  samples_ += samples;
  const double beta = options_.loss_smoothing;
  ema_ = beta * ema_ + (1 - beta) * loss;
  ema_weight_ = beta * ema_weight_ + (1 - beta);
  if (!active()) return;
  const double now = options_.clock();
  if (!drawn_ || now - last_draw_ >= options_.min_redraw_seconds || done_ == steps_) {
    last_draw_ = now;
    draw();
  }
}

void ProgressBar::finish_epoch() {
  if (active() && drawn_) *options_.out << '\r' << kClearToEnd << std::flush;
  drawn_ = false;
}

void ProgressBar::draw() {
  *options_.out << '\r' << line(options_.columns()) << kClearToEnd << std::flush;
  drawn_ = true;
}

std::string ProgressBar::line(int width) const {
  const double elapsed = active() ? options_.clock() - start_ : 0;
  const double loss = ema_weight_ > 0 ? ema_ / ema_weight_ : std::nan("");
  const std::string head = fmt::format("epoch {}/{}", epoch_, epochs_);
  const std::string count = fmt::format("{}/{}", done_, steps_);
  const std::string loss_part = fmt::format("loss {:.4f}", loss);
  const std::string rate = rate_text(elapsed > 0 ? static_cast<double>(samples_) / elapsed : -1);
  const std::string eta = eta_text(done_ > 0 ? elapsed / static_cast<double>(done_) *
                                                   static_cast<double>(steps_ - done_) : -1);
  const int room = std::max(width - 1, 0);  // the last column would wrap the cursor
  // The bar shrinks to its minimum first; then the rate goes, then the ETA, then the bar.
  const std::vector<std::vector<std::string>> tails = {{rate, eta}, {eta}, {}};
  for (const auto& tail : tails) {
    std::vector<std::string> rest = {count, loss_part};
    rest.insert(rest.end(), tail.begin(), tail.end());
    const int fixed = static_cast<int>(head.size() + join(rest).size()) + 2;  // two spaces
    const int bar = std::min(kMaxBar, room - fixed);
    if (bar >= kMinBar) return head + " " + bar_text(bar, done_, steps_) + " " + join(rest);
  }
  for (const auto& tail : tails) {
    std::vector<std::string> parts = {head, count, loss_part};
    parts.insert(parts.end(), tail.begin(), tail.end());
    if (static_cast<int>(join(parts).size()) <= room) return join(parts);
  }
  std::string cut = join({head, count, loss_part}).substr(0, static_cast<size_t>(room));
  while (cut.ends_with(' ')) cut.pop_back();
  return cut;
}

int terminal_columns(int fd) {
  if (const char* env = std::getenv("COLUMNS")) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n > 0 && n < 100000) return static_cast<int>(n);
  }
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

}  // namespace gradc::cli
