// tools/gradc/plot.cpp — gnuplot scripts for training curves and prediction pictures, and
// running gnuplot safely (a missing program or a failing script is a PlotError, the picture
// appears whole or not at all).
#include "tools/gradc/plot.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

extern char** environ;

namespace gradc::cli {

namespace {

// Tableau 10: distinct on screen and in print, one per run of a sweep.
constexpr const char* kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr const char* kRight = "#2ca02c";
constexpr const char* kWrong = "#d62728";
constexpr const char* kOther = "#9bb3d1";

[[noreturn]] void fail(const std::string& out_path, std::string_view why) {
  throw PlotError(fmt::format("cannot draw {}: {}", out_path, why));
}

// A gnuplot single-quoted string: nothing is special inside but the quote, written twice.
std::string gp_string(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "NaN"; }

// The terminal for the extension, writing to out_path.tmp; noenhanced: labels are literal.
std::string terminal(const std::string& out_path, int width, int height) {
  std::string term;
  if (out_path.ends_with(".svg"))
    term = fmt::format("set terminal svg size {},{} dynamic noenhanced font 'DejaVu Sans,12' "
                       "background rgb 'white'", width, height);
  else if (out_path.ends_with(".png"))
    term = fmt::format("set terminal pngcairo size {},{} noenhanced font 'DejaVu Sans,11' "
                       "background rgb 'white'", width, height);
  else
    fail(out_path, "the picture's name must end in .svg or .png");
  return fmt::format("set encoding utf8\n{}\nset output {}\n", term, gp_string(out_path + ".tmp"));
}

bool any_finite(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

// $runN: epoch, train loss, test loss, test accuracy in %.
std::string run_block(size_t i, const runtime::MetricsTable& m) {
  const auto epoch = m.values("epoch"), train = m.values("train_loss"),
             test = m.values("test_loss"), acc = m.values("test_accuracy");
  std::string out = fmt::format("$run{} << EOD\n", i);
  for (size_t r = 0; r < epoch.size(); ++r)
    out += fmt::format("{} {} {} {}\n", number(epoch[r]), number(train.empty() ? NAN : train[r]),
                       number(test.empty() ? NAN : test[r]),
                       number(acc.empty() ? NAN : acc[r] * 100));
  return out + "EOD\n";
}

std::string style(size_t i, bool dashed) {
  return fmt::format("with linespoints lw 2 pt 7 ps 0.5 dt {} lc rgb '{}'", dashed ? 2 : 1,
                     kColours[i % std::size(kColours)]);
}

std::string loss_plot(const std::vector<CurveRun>& runs) {
  std::vector<std::string> parts;
  const bool one = runs.size() == 1;
  for (size_t i = 0; i < runs.size(); ++i) {
    const std::string label = one ? "train" : runs[i].label;
    if (any_finite(runs[i].metrics.values("train_loss")))
      parts.push_back(fmt::format("$run{} using 1:2 {} title {}", i, style(i, false), gp_string(label)));
    // One run: test in the second colour; a sweep: the run's colour, dashed, in the key below.
    if (any_finite(runs[i].metrics.values("test_loss")))
      parts.push_back(fmt::format("$run{} using 1:3 {} {}", i, style(one ? 1 : i, !one),
                                  one ? "title 'test'" : "notitle"));
  }
  if (!one)  // what solid and dashed mean, once for all runs
    parts.push_back("NaN with lines lw 2 lc rgb '#444444' title 'train', NaN with lines lw 2 dt 2 "
                    "lc rgb '#444444' title 'test'");
  if (parts.empty()) return "";
  return fmt::format("set title 'Loss'\nset ylabel 'loss'\nset format y '%g'\nplot {}\n",
                     fmt::join(parts, ", \\\n     "));
}

std::string accuracy_plot(const std::vector<CurveRun>& runs) {
  std::vector<std::string> parts;
  std::string best_label;
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto acc = runs[i].metrics.values("test_accuracy");
    if (!any_finite(acc)) continue;
    parts.push_back(fmt::format("$run{} using 1:4 {} title {}", i, style(i, false),
                                gp_string(runs.size() == 1 ? "test" : runs[i].label)));
    if (runs.size() == 1) {
      size_t best = 0;
      for (size_t r = 0; r < acc.size(); ++r)
        if (std::isfinite(acc[r]) && !(acc[best] >= acc[r])) best = r;
      best_label = fmt::format("set label 1 {} at graph 0.97, graph 0.06 right\n",
                               gp_string(fmt::format("best {:.2f} % (epoch {})", acc[best] * 100,
                                                  runs[i].metrics.values("epoch")[best])));
    }
  }
  if (parts.empty()) return "";
  return fmt::format("set title 'Test accuracy'\nset ylabel 'accuracy'\nset format y '%g %%'\n{}"
                     "plot {}\nunset label 1\n", best_label, fmt::join(parts, ", \\\n     "));
}

std::string class_tics(const std::vector<std::string>& names) {
  std::vector<std::string> tics;
  for (size_t c = 0; c < names.size(); ++c) tics.push_back(fmt::format("{} {}", gp_string(names[c]), c));
  return fmt::format("set ytics ({}) nomirror scale 0\n", fmt::join(tics, ", "));
}

size_t argmax(const std::vector<double>& p) {
  size_t best = 0;
  for (size_t i = 1; i < p.size(); ++i)
    if (p[i] > p[best]) best = i;
  return best;
}

std::string image_panel(size_t i, const PredictionSample& s, const std::vector<std::string>& names) {
  std::string out = fmt::format("$img{} << EOD\n", i);
  for (int r = 0; r < s.rows; ++r) {
    for (int c = 0; c < s.cols; ++c)
      out += fmt::format("{}{:.3g}", c ? " " : "", s.pixels[static_cast<size_t>(r * s.cols + c)]);
    out += '\n';
  }
  out += "EOD\n";
  const std::string truth = s.true_label >= 0 ? names[static_cast<size_t>(s.true_label)] : "?";
  const int64_t number = s.index >= 0 ? s.index : static_cast<int64_t>(i + 1);
  out += fmt::format(
      "unset tics\nunset border\nunset key\nunset colorbox\nset size ratio -1\n"
      "set palette gray\nset cbrange [0:1]\nset xrange [-0.5:{}]\nset yrange [{}:-0.5]\n"
      "set title {} tc rgb 'black'\nplot $img{} matrix with image\n",
      s.cols - 0.5, s.rows - 0.5, gp_string(fmt::format("image {} · true: {}", number, truth)), i);
  return out;
}

std::string bar_panel(size_t i, const PredictionSample& s, const std::vector<std::string>& names) {
  const size_t predicted = argmax(s.probabilities);
  const bool right = static_cast<int>(predicted) == s.true_label;
  std::string out = fmt::format("$p{} << EOD\n", i);
  for (size_t c = 0; c < s.probabilities.size(); ++c) {
    const char* colour = c == predicted ? (s.true_label < 0 || right ? kRight : kWrong)
                         : static_cast<int>(c) == s.true_label ? kRight : kOther;
    out += fmt::format("{} {} {} \"{:.1f} %\"\n", c, number(s.probabilities[c] * 100),
                       std::strtol(colour + 1, nullptr, 16), s.probabilities[c] * 100);
  }
  out += "EOD\n";
  const std::string verdict = s.true_label < 0 ? "" : right ? " ✓" : " ✗";
  out += fmt::format(
      "set size noratio\nset border 3 lc rgb '#555555'\nset xtics 0,25,100 nomirror out\n"
      "set format x '%g %%'\n{}set xrange [0:122]\nset yrange [{}:-0.6]\nset grid x lc rgb '#e0e0e0'\n"
      "set style fill solid 0.9 noborder\nset title {} tc rgb '{}'\n"
      "plot $p{} using (0):1:(0):2:($1-0.38):($1+0.38):3 with boxxyerror lc rgb variable, \\\n"
      "     '' using ($2+1.5):1:4 with labels left font ',9'\nunset grid\n",
      class_tics(names), static_cast<double>(s.probabilities.size()) - 0.4,
      gp_string(fmt::format("predicted: {} ({:.1f} %){}", names[predicted], s.probabilities[predicted] * 100, verdict)),
      s.true_label < 0 || right ? kRight : kWrong, i);
  return out;
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A temporary file name that no other gradc process uses at the same time.
std::string temp_name(std::string_view suffix) {
  static int counter = 0;
  return (std::filesystem::temp_directory_path() /
          fmt::format("gradc_plot_{}_{}{}", ::getpid(), counter++, suffix)).string();
}

// Runs program with `script` as its argument, stderr into err_path; its exit status, or -1.
int spawn_and_wait(const std::string& program, const std::string& script, const std::string& err_path,
                   int& spawn_errno) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> argv = {const_cast<char*>(program.c_str()), const_cast<char*>(script.c_str()), nullptr};
  pid_t pid = 0;
  spawn_errno = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_errno != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string first_lines(const std::string& text, size_t n) {
  std::istringstream in(text);
  std::string line, out;
  for (size_t i = 0; i < n && std::getline(in, line);)
    if (!line.empty()) out += (i++ ? " | " : "") + line;
  return out;
}

}  // namespace

std::string training_curves_script(const std::vector<CurveRun>& runs, const std::string& title,
                                   const std::string& out_path) {
  if (runs.empty()) fail(out_path, "no runs to draw");
  for (const CurveRun& r : runs)
    if (r.metrics.rows.empty()) fail(out_path, fmt::format("run '{}' has no epochs yet", r.label));
  const std::string loss = loss_plot(runs), accuracy = accuracy_plot(runs);
  const int panels = !loss.empty() + !accuracy.empty();
  if (panels == 0) fail(out_path, "no loss or accuracy values to draw");
  std::string out = terminal(out_path, panels == 2 ? 1200 : 700, 480);
  for (size_t i = 0; i < runs.size(); ++i) out += run_block(i, runs[i].metrics);
  double last_epoch = 0;
  for (const CurveRun& r : runs) last_epoch = std::max(last_epoch, r.metrics.values("epoch").back());
  out += fmt::format(
      "set multiplot layout 1,{} title {} font ',15'\n"
      "set border 3 lc rgb '#555555'\nset tics nomirror out\nset grid lc rgb '#e0e0e0'\n"
      "set key {} box lc rgb '#cccccc'\nset xlabel 'epoch'\nset xrange [{}:{}]\n{}\n",
      panels, gp_string(title), runs.size() > 4 ? "outside right top vertical" : "top right",
      last_epoch > 1 ? 1 : 0, last_epoch > 1 ? last_epoch : 2,
      last_epoch <= 20 ? "set xtics 1" : "set xtics");
  out += loss;
  // Accuracy rises: the key goes bottom right; one run needs none (the title says it all).
  if (!accuracy.empty())
    out += (runs.size() == 1 ? "unset key\n" : runs.size() > 4 ? "" : "set key bottom right\n") + accuracy;
  return out + "unset multiplot\nset output\n";
}

std::string predictions_script(const std::vector<PredictionSample>& samples,
                               const std::vector<std::string>& class_names,
                               const std::string& out_path) {
  if (samples.empty()) fail(out_path, "no samples to draw");
  for (const PredictionSample& s : samples) {
    if (s.rows <= 0 || s.cols <= 0 || s.pixels.size() != static_cast<size_t>(s.rows) * static_cast<size_t>(s.cols))
      fail(out_path, fmt::format("an image of {}×{} needs {} pixels, got {}", s.rows, s.cols,
                                 static_cast<int64_t>(s.rows) * s.cols, s.pixels.size()));
    if (s.probabilities.size() != class_names.size() || class_names.empty())
      fail(out_path, fmt::format("{} probabilities for {} class names", s.probabilities.size(), class_names.size()));
    if (s.true_label >= static_cast<int>(class_names.size()))
      fail(out_path, fmt::format("true label {} is not a class (0 to {})", s.true_label, class_names.size() - 1));
  }
  const int row_height = std::max(220, 24 * static_cast<int>(class_names.size()) + 70);
  std::string out = terminal(out_path, 860, row_height * static_cast<int>(samples.size()));
  out += fmt::format("set multiplot layout {},2\n", samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    out += image_panel(i, samples[i], class_names);
    out += bar_panel(i, samples[i], class_names);
  }
  return out + "unset multiplot\nset output\n";
}

void run_gnuplot(const std::string& script, const std::string& out_path) {
  const char* env = std::getenv("GRADC_GNUPLOT");
  const std::string program = env && *env ? env : "gnuplot";
  const std::string script_path = temp_name(".gp"), err_path = temp_name(".err");
  std::ofstream(script_path) << script;
  int spawn_errno = 0;
  const int status = spawn_and_wait(program, script_path, err_path, spawn_errno);
  const std::string errors = first_lines(file_text(err_path), 4);
  std::error_code ec;
  std::filesystem::remove(script_path, ec);
  std::filesystem::remove(err_path, ec);
  const std::string tmp = out_path + ".tmp";
  if (status != 0 || !std::filesystem::exists(tmp, ec) || std::filesystem::file_size(tmp, ec) == 0) {
    std::filesystem::remove(tmp, ec);
    if (spawn_errno == ENOENT)
      fail(out_path, fmt::format("{} is not installed (Debian: apt-get install gnuplot-nox)", program));
    if (spawn_errno != 0) fail(out_path, fmt::format("cannot run {}: {}", program, std::strerror(spawn_errno)));
    fail(out_path, fmt::format("{} failed (exit status {}): {}", program, status,
                               errors.empty() ? "no message, and no picture" : errors));
  }
  std::filesystem::rename(tmp, out_path, ec);
  if (ec) fail(out_path, ec.message());
}

void plot_training_curves(const std::vector<CurveRun>& runs, const std::string& title,
                          const std::string& out_path) {
  run_gnuplot(training_curves_script(runs, title, out_path), out_path);
}

void plot_predictions(const std::vector<PredictionSample>& samples,
                      const std::vector<std::string>& class_names, const std::string& out_path) {
  run_gnuplot(predictions_script(samples, class_names, out_path), out_path);
}

}  // namespace gradc::cli
