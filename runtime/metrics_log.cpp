// runtime/metrics_log.cpp — per-epoch metrics as CSV or JSON, rewritten atomically per epoch.
//
// Why rewrite rather than append: the file is a few kilobytes, a rewrite through
// write_file_atomically can never leave a torn line, a JSON array stays a valid document after
// every epoch, and resuming (dropping rows past the checkpoint's epoch) is the same operation.
#include "runtime/metrics_log.h"

#include "runtime/atomic_file.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace gradc::runtime {

namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

[[noreturn]] void fail(const std::string& path, std::string_view problem) {
  throw MetricsError(fmt::format("{}: {}", path, problem));
}

bool is_json_path(const std::string& path) { return path.ends_with(".json"); }

bool valid_column_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

// Shortest text that reads back to the same double; integers without ".0"; NaN as `nan_text`.
std::string number_text(double v, std::string_view nan_text, bool quote_infinities) {
  if (std::isnan(v)) return std::string(nan_text);
  if (std::isinf(v)) {
    const std::string s = v > 0 ? "inf" : "-inf";
    return quote_infinities ? "\"" + s + "\"" : s;
  }
  return fmt::format("{}", v);
}

double parse_number(std::string_view text, const std::string& path, size_t line) {
  const std::string s(text);
  if (s.empty() || s == "nan" || s == "NaN") return kMissing;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || s.find_first_of(" \t") != std::string::npos)
    fail(path, fmt::format("line {}: '{}' is not a number", line, s));
  return v;
}

std::vector<std::string_view> split(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    const size_t end = line.find(sep, start);
    out.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

void check_epochs(const MetricsTable& t, const std::string& path) {
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const double e = t.rows[i][0];
    if (!(e == std::floor(e)) || e < 0)
      fail(path, fmt::format("row {}: epoch {} is not a whole number", i + 1, number_text(e, "nan", false)));
    if (i > 0 && !(e > t.rows[i - 1][0]))
      fail(path, fmt::format("row {}: epoch {} does not follow epoch {}", i + 1, e, t.rows[i - 1][0]));
  }
}

MetricsTable parse_csv(const std::string& text, const std::string& path) {
  MetricsTable t;
  std::vector<std::string_view> lines = split(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  for (auto& l : lines)
    if (l.ends_with('\r')) l.remove_suffix(1);
  if (lines.empty()) fail(path, "empty file: expected a header line starting with 'epoch'");
  for (std::string_view name : split(lines[0], ',')) t.columns.emplace_back(name);
  if (t.columns[0] != "epoch")
    fail(path, fmt::format("the header must start with 'epoch', found '{}'", t.columns[0]));
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto fields = split(lines[i], ',');
    if (fields.size() != t.columns.size())
      fail(path, fmt::format("line {}: {} fields, the header has {}", i + 1, fields.size(), t.columns.size()));
    std::vector<double> row;
    for (std::string_view f : fields) row.push_back(parse_number(f, path, i + 1));
    t.rows.push_back(std::move(row));
  }
  return t;
}

double json_number(const nlohmann::ordered_json& v, const std::string& path, size_t row) {
  if (v.is_null()) return kMissing;
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return parse_number(v.get<std::string>(), path, row);
  fail(path, fmt::format("row {}: {} is not a number", row, v.dump()));
}

// A JSON log's table, and each row's members that are objects (--layer-stats: kept as text, so a resumed
// log writes them back as they were).
MetricsTable parse_json(const std::string& text, const std::string& path, std::vector<std::string>* row_members) {
  nlohmann::ordered_json doc;
  try {
    doc = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail(path, fmt::format("not valid JSON: {}", e.what()));
  }
  if (!doc.is_array()) fail(path, "expected a JSON array of objects, one per epoch");
  MetricsTable t{{"epoch"}, {}};
  for (const auto& row : doc) {
    if (!row.is_object()) fail(path, "expected a JSON array of objects, one per epoch");
    for (const auto& [key, value] : row.items())
      if (!value.is_object() && !t.column(key)) t.columns.push_back(key);
  }
  for (size_t i = 0; i < doc.size(); ++i) {
    std::vector<double> values(t.columns.size(), kMissing);
    std::vector<std::string> structured;  // kept as they are, to be written back on resume
    if (!doc[i].contains("epoch")) fail(path, fmt::format("row {} has no 'epoch'", i + 1));
    for (const auto& [key, value] : doc[i].items()) {
      if (value.is_object()) structured.push_back(nlohmann::ordered_json(key).dump() + ": " + value.dump());
      else values[*t.column(key)] = json_number(value, path, i + 1);
    }
    t.rows.push_back(std::move(values));
    if (row_members) row_members->push_back(fmt::format("{}", fmt::join(structured, ", ")));
  }
  return t;
}

std::vector<std::string> all_columns(const std::vector<std::string>& extra, const std::string& path, bool no_accuracy) {
  std::vector<std::string> columns = kMetricsColumns;
  if (no_accuracy) std::erase(columns, "test_accuracy");
  for (const std::string& name : extra) {
    if (!valid_column_name(name))
      fail(path, fmt::format("column name '{}' must be letters, digits and '_'", name));
    if (std::find(columns.begin(), columns.end(), name) != columns.end())
      fail(path, fmt::format("column '{}' is given twice", name));
    columns.push_back(name);
  }
  return columns;
}

}  // namespace

std::optional<size_t> MetricsTable::column(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return i;
  return std::nullopt;
}

std::vector<double> MetricsTable::values(std::string_view name) const {
  std::vector<double> out;
  if (const auto c = column(name))
    for (const auto& row : rows) out.push_back(row[*c]);
  return out;
}

std::string encode_metrics_csv(const MetricsTable& t) {
  std::string out = fmt::format("{}\n", fmt::join(t.columns, ","));
  for (const auto& row : t.rows) {
    for (size_t i = 0; i < row.size(); ++i)
      out += (i ? "," : "") + number_text(row[i], "", false);
    out += '\n';
  }
  return out;
}

std::string encode_metrics_json(const MetricsTable& t, const std::vector<std::string>& row_members) {
  std::string out = "[";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    out += r ? ",\n {" : "\n {";
    for (size_t i = 0; i < t.columns.size(); ++i)
      out += fmt::format("{}\"{}\": {}", i ? ", " : "", t.columns[i], number_text(t.rows[r][i], "null", true));
    if (r < row_members.size() && !row_members[r].empty()) out += ", " + row_members[r];
    out += "}";
  }
  out += "\n]\n";
  return out;
}

namespace {

MetricsTable read_metrics_file(const std::string& path, std::vector<std::string>* row_members) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not a metrics file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, fmt::format("cannot open: {}", std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  MetricsTable t = is_json_path(path) ? parse_json(ss.str(), path, row_members) : parse_csv(ss.str(), path);
  check_epochs(t, path);
  return t;
}

}  // namespace

MetricsTable read_metrics(const std::string& path) { return read_metrics_file(path, nullptr); }

MetricsLog::MetricsLog(std::string path, std::vector<std::string> extra_columns, bool no_accuracy)
    : path_(std::move(path)) {
  table_.columns = all_columns(extra_columns, path_, no_accuracy);
}

MetricsLog MetricsLog::resume(std::string path, std::vector<std::string> extra_columns,
                              int64_t last_epoch, bool no_accuracy) {
  MetricsLog log(std::move(path), std::move(extra_columns), no_accuracy);
  std::error_code ec;
  if (!std::filesystem::exists(log.path_, ec)) return log;
  std::vector<std::string> members;
  MetricsTable old = read_metrics_file(log.path_, &members);
  if (old.columns != log.table_.columns)
    fail(log.path_, fmt::format("cannot continue this log: its columns ({}) differ from this run's "
                                "({})", fmt::join(old.columns, ","), fmt::join(log.table_.columns, ",")));
  while (!old.rows.empty() && old.rows.back()[0] > static_cast<double>(last_epoch)) old.rows.pop_back();
  members.resize(old.rows.size());  // epochs increase: the rows kept are the first ones
  log.table_.rows = std::move(old.rows);
  log.row_members_ = std::move(members);
  log.write();
  return log;
}

void MetricsLog::append(int64_t epoch, const std::vector<std::pair<std::string, double>>& values,
                        const std::string& json_members) {
  if (!table_.rows.empty() && static_cast<double>(epoch) <= table_.rows.back()[0])
    fail(path_, fmt::format("epoch {} does not follow epoch {}", epoch, table_.rows.back()[0]));
  std::vector<double> row(table_.columns.size(), kMissing);
  row[0] = static_cast<double>(epoch);
  for (const auto& [name, value] : values) {
    const auto c = table_.column(name);
    if (!c || *c == 0)
      fail(path_, fmt::format("'{}' is not a column of this log ({})", name, fmt::join(table_.columns, ",")));
    row[*c] = value;
  }
  row_members_.resize(table_.rows.size());
  table_.rows.push_back(std::move(row));
  row_members_.push_back(json_members);
  try {
    write();
  } catch (...) {
    table_.rows.pop_back();  // the file still holds the rows before this one: so does the table
    row_members_.pop_back();
    throw;
  }
}

void MetricsLog::write() const {
  const std::string text = is_json_path(path_) ? encode_metrics_json(table_, row_members_) : encode_metrics_csv(table_);
  try {
    write_file_atomically(path_, text);
  } catch (const FileError& e) {
    throw MetricsError(e.what());
  }
}

}  // namespace gradc::runtime
