// tests/unit/text_diff.h — a unified diff of two texts, for golden-file failures.
//
// Why: when a pass's output differs from its expected file, the reader needs the
// changed lines, not two whole graphs. Longest-common-subsequence over lines: the
// golden files are small, and a pair too big for the table gets a one-line summary.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace gradc::testing {

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// "--- expected / +++ actual" and hunks with 2 lines of context; "" when equal.
inline std::string unified_diff(const std::string& expected, const std::string& actual) {
  if (expected == actual) return "";
  const std::vector<std::string> a = split_lines(expected), b = split_lines(actual);
  const size_t n = a.size(), m = b.size();
  if (n * m > 4'000'000) return fmt::format("texts differ ({} and {} lines: too long to diff)\n", n, m);
  // common[i][j]: the LCS length of a[i..] and b[j..].
  std::vector<std::vector<int>> common(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      common[i][j] = a[i] == b[j] ? common[i + 1][j + 1] + 1 : std::max(common[i + 1][j], common[i][j + 1]);
  struct Line { char tag; std::string text; size_t ai, bi; };  // ai, bi: 1-based positions
  std::vector<Line> script;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) script.push_back({' ', a[i], ++i, ++j});
    else if (i < n && (j == m || common[i + 1][j] >= common[i][j + 1])) script.push_back({'-', a[i], ++i, j});
    else script.push_back({'+', b[j], i, ++j});
  }
  constexpr size_t kContext = 2;
  std::string out = "--- expected\n+++ actual\n";
  for (size_t k = 0; k < script.size();) {
    if (script[k].tag == ' ') { ++k; continue; }
    // A hunk runs from kContext lines before its first change to kContext after its
    // last, taking in later changes that are at most 2·kContext unchanged lines away.
    const size_t begin = k >= kContext ? k - kContext : 0;
    size_t last_change = k;
    for (size_t t = k; t < script.size() && t - last_change <= 2 * kContext; ++t)
      if (script[t].tag != ' ') last_change = t;
    const size_t end = std::min(script.size(), last_change + 1 + kContext);
    out += fmt::format("@@ -{} +{} @@\n", script[begin].ai, script[begin].bi);
    for (size_t t = begin; t < end; ++t) out += script[t].tag + script[t].text + "\n";
    k = end;
  }
  return out;
}

}  // namespace gradc::testing
