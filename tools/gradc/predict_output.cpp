// tools/gradc/predict_output.cpp — the probability table and its JSON form.
#include "tools/gradc/predict_output.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "tools/gradc/driver.h"

namespace gradc::cli {

namespace {

// Display width of UTF-8 text: one column per code point (the marks ✓ ✗ are 3 bytes, 1 column).
size_t columns(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

std::string pad(const std::string& s, size_t width) {
  return s + std::string(width > columns(s) ? width - columns(s) : 0, ' ');
}

void check(const std::vector<Prediction>& samples, const std::vector<std::string>& names) {
  for (const Prediction& p : samples) {
    if (p.probabilities.size() != names.size() || names.empty())
      throw std::invalid_argument(fmt::format("{} probabilities for {} class names",
                                              p.probabilities.size(), names.size()));
    if (p.true_label >= static_cast<int>(names.size()))
      throw std::invalid_argument(fmt::format("label {} is not a class (0 to {})", p.true_label,
                                              names.size() - 1));
  }
}

std::string percent(double p) { return std::isfinite(p) ? fmt::format("{:.1f} %", p * 100) : "nan"; }

}  // namespace

size_t predicted_class(const std::vector<double>& p) {
  size_t best = 0;
  for (size_t i = 1; i < p.size(); ++i)
    if (p[i] > p[best] || std::isnan(p[best])) best = i;
  return best;
}

std::string prediction_table(const std::vector<Prediction>& samples,
                             const std::vector<std::string>& names) {
  check(samples, names);
  // Cells, row by row: a header, a row per class, the true and the predicted class.
  std::vector<std::vector<std::string>> rows(names.size() + 3);
  rows[0].push_back("class");
  for (size_t c = 0; c < names.size(); ++c) rows[c + 1].push_back(names[c]);
  rows[names.size() + 1].push_back("true");
  rows[names.size() + 2].push_back("predicted");
  for (size_t s = 0; s < samples.size(); ++s) {
    const Prediction& p = samples[s];
    const size_t predicted = predicted_class(p.probabilities);
    rows[0].push_back(p.index >= 0 ? fmt::format("image {}", p.index) : fmt::format("sample {}", s + 1));
    for (size_t c = 0; c < names.size(); ++c)
      rows[c + 1].push_back(fmt::format("{:>7}{}", percent(p.probabilities[c]), c == predicted ? " *" : ""));
    const bool known = p.true_label >= 0;
    rows[names.size() + 1].push_back(known ? names[static_cast<size_t>(p.true_label)] : "?");
    rows[names.size() + 2].push_back(names[predicted] + (!known ? "" : static_cast<int>(predicted) == p.true_label ? " ✓" : " ✗"));
  }
  std::vector<size_t> width(samples.size() + 1, 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], columns(row[i]));
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) line += pad(row[i], width[i] + (i + 1 < row.size() ? 3 : 0));
    while (line.ends_with(' ')) line.pop_back();
    out += line + '\n';
  }
  return out;
}

std::string prediction_json(const std::vector<Prediction>& samples,
                            const std::vector<std::string>& names) {
  check(samples, names);
  std::vector<std::string> classes, items;
  for (const std::string& n : names) classes.push_back(json_string(n));
  for (const Prediction& p : samples) {
    const size_t predicted = predicted_class(p.probabilities);
    const bool known = p.true_label >= 0;
    std::vector<std::string> probs;
    for (double v : p.probabilities) probs.push_back(json_number(v));
    items.push_back(fmt::format(
        "{{\"index\": {}, \"true_label\": {}, \"true_name\": {}, \"predicted\": {}, "
        "\"predicted_name\": {}, \"correct\": {}, \"probabilities\": [{}]}}",
        p.index >= 0 ? std::to_string(p.index) : "null",
        known ? std::to_string(p.true_label) : "null",
        known ? json_string(names[static_cast<size_t>(p.true_label)]) : "null", predicted,
        json_string(names[predicted]),
        known ? (static_cast<int>(predicted) == p.true_label ? "true" : "false") : "null",
        fmt::join(probs, ", ")));
  }
  return fmt::format("{{\"classes\": [{}],\n \"samples\": [\n  {}\n ]}}\n", fmt::join(classes, ", "),
                     fmt::join(items, ",\n  "));
}

}  // namespace gradc::cli
