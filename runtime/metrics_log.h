// runtime/metrics_log.h — the per-epoch metrics of `gradc train --log`, as CSV or JSON.
//
// The whole file is rewritten atomically after every epoch (it is small: a row per epoch), so a
// crash leaves the previous epoch's file, never half a line, and a JSON file is always a whole
// JSON document. Resuming a run keeps the rows up to the resumed epoch and continues the file.
// See docs/checkpoints.md for both layouts.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gradc::runtime {

// "<file>: <what is wrong>".
class MetricsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The columns every log starts with, in this order; extras (train_accuracy, lr, ...) follow.
inline const std::vector<std::string> kMetricsColumns = {"epoch", "train_loss", "test_loss",
                                                         "test_accuracy", "seconds"};

struct MetricsTable {
  std::vector<std::string> columns;       // "epoch" first
  std::vector<std::vector<double>> rows;  // aligned with columns; NaN where a value is missing

  std::optional<size_t> column(std::string_view name) const;
  std::vector<double> values(std::string_view name) const;  // a column, empty if absent
};

// CSV: a header line, then one line per row; a missing value is an empty field.
std::string encode_metrics_csv(const MetricsTable& table);
// JSON: an array with one object per row on its own line; a missing value is null.
// `row_members`, if given, one per row: members that are objects (`"layer_stats": {...}`,
// "" for none) written after the row's numbers. CSV has no place for them.
std::string encode_metrics_json(const MetricsTable& table, const std::vector<std::string>& row_members = {});

// Reads a log written by MetricsLog (or by hand): JSON if the path ends in .json, else CSV. The
// only column it requires is "epoch".
MetricsTable read_metrics(const std::string& path);

class MetricsLog {
 public:
  // A new log at PATH (replacing any file there at the first append), with kMetricsColumns then
  // `extra_columns` (names of letters, digits and '_'). `no_accuracy`: test_accuracy is left
  // out of the columns (a regression has none).
  MetricsLog(std::string path, std::vector<std::string> extra_columns, bool no_accuracy = false);

  // Continues the log at PATH after `last_epoch`: rows past it are dropped and the file is
  // rewritten at once. A missing file starts a new log; a file with other columns is an error.
  static MetricsLog resume(std::string path, std::vector<std::string> extra_columns,
                           int64_t last_epoch, bool no_accuracy = false);

  // Adds an epoch's row and rewrites the file. Columns not given are missing; a name that is
  // not a column, or an epoch not after the last row's, is an error. `json_members`
  // (`"name": {...}, ...`) go into a JSON log's row after the numbers; a CSV log ignores them.
  void append(int64_t epoch, const std::vector<std::pair<std::string, double>>& values,
              const std::string& json_members = {});

  const MetricsTable& table() const { return table_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  MetricsTable table_;
  std::vector<std::string> row_members_;  // JSON members that are not numbers, one per row
  void write() const;
};

}  // namespace gradc::runtime
