#include "reports/acceptance/spec.hpp"

#include <fmt/format.h>

// csv.h copies file names with strncpy into a fixed buffer, on purpose.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#include <libfccp/csv.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <utility>

#include "harness/core/input_file.hpp"
#include "reports/utf8.hpp"

namespace flopbench {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A finite number at the start of `s`; `rest` gets what follows it.
std::optional<double> leading_number(std::string_view s, std::string_view& rest) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || !std::isfinite(v)) return std::nullopt;
  rest = s.substr(static_cast<std::size_t>(end - s.data()));
  return v;
}

// Columns counted in characters (code points), as editors count them.
int column_of(std::string_view line, std::size_t byte) {
  return 1 + static_cast<int>(code_points(line.substr(0, byte)));
}

struct Field {
  std::string text;
  int column;
};

class SpecReader {
 public:
  explicit SpecReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(int line, int column, std::string_view what) const {
    throw InputError(fmt::format("{}:{}:{}: {}", file_, line, column, what));
  }

  // Splits one line into fields, strictly by RFC 4180: a field is either unquoted, with no
  // quote inside, or wholly quoted with inner quotes doubled. fast-cpp-csv-parser's CSVReader
  // accepts a stray quote (`ab"c`) as text and reports no column positions, so its LineReader
  // supplies the lines and this splits them. Blanks around a field are not part of it.
  std::vector<Field> fields(std::string_view line, int line_no) const {
    std::vector<Field> out;
    std::size_t i = 0;
    const auto blank = [&] { return i < line.size() && (line[i] == ' ' || line[i] == '\t'); };
    for (;;) {
      while (blank()) ++i;
      Field f{"", column_of(line, i)};
      if (i < line.size() && line[i] == '"') {
        const std::size_t open = i++;
        for (;; ++i) {
          if (i >= line.size()) {
            fail(line_no, column_of(line, open),
                 "unclosed quote: expected a '\"' that ends this quoted field on the same line");
          }
          if (line[i] != '"') {
            f.text += line[i];
          } else if (i + 1 < line.size() && line[i + 1] == '"') {
            f.text += '"';
            ++i;
          } else {
            ++i;
            break;
          }
        }
        while (blank()) ++i;
        if (i < line.size() && line[i] != ',') {
          fail(line_no, column_of(line, i),
               "stray text after a closing quote: expected ',' or the end of the line");
        }
      } else {
        const std::size_t start = i;
        while (i < line.size() && line[i] != ',') {
          if (line[i] == '"') {
            fail(line_no, column_of(line, i),
                 "stray quote in an unquoted field: expected the whole field in quotes, with "
                 "inner quotes doubled (\"a \"\"b\"\"\")");
          }
          ++i;
        }
        f.text = std::string(trim(line.substr(start, i - start)));
      }
      out.push_back(std::move(f));
      if (i >= line.size()) return out;
      ++i;  // the comma
    }
  }

 private:
  std::string file_;
};

constexpr std::array<std::string_view, 7> kColumns = {
    "metric", "comparator", "bound", "reference", "severity", "applies_to", "description"};

enum Col { c_metric, c_comparator, c_bound, c_reference, c_severity, c_applies_to, c_description };

std::optional<Comparator> parse_comparator(std::string_view s) {
  if (s == ">=") return Comparator::ge;
  if (s == ">") return Comparator::gt;
  if (s == "<=") return Comparator::le;
  if (s == "<") return Comparator::lt;
  if (s == "==") return Comparator::eq;
  return std::nullopt;
}

// A value with its unit ("52.1 TFLOP/s", "8"), in the unit of `q`.
double value_with_unit(const SpecReader& r, const Field& f, int line, Quantity q,
                       std::string_view column) {
  std::string_view rest;
  const auto v = leading_number(f.text, rest);
  if (!v) {
    r.fail(line, f.column,
           fmt::format(
               "{} '{}': expected a number{}", column, f.text,
               q == Quantity::count ? "" : fmt::format(" and a unit ({})", expected_units(q))));
  }
  const std::string_view unit = trim(rest);
  if (q == Quantity::count) {
    if (!unit.empty())
      r.fail(line, f.column, fmt::format("{} '{}': expected a plain number", column, f.text));
    return *v;
  }
  const auto scale = scale_to(q, unit);
  if (!scale) {
    r.fail(line, f.column,
           fmt::format("{} '{}': expected a unit after the number: {}", column, f.text,
                       expected_units(q)));
  }
  // A literal beyond a double is refused above; so is one that only its unit carries there.
  if (!std::isfinite(*v * *scale)) {
    r.fail(line, f.column, fmt::format("{} '{}': too large a number", column, f.text));
  }
  return *v * *scale;
}

void parse_bound(const SpecReader& r, const Field& f, int line, Criterion& c, bool has_reference) {
  c.bound_text = f.text;
  const auto star = f.text.find('*');
  if (star == std::string::npos) {
    c.bound_kind = BoundKind::absolute;
    c.bound_value = value_with_unit(r, f, line, c.metric.quantity, "bound");
    return;
  }
  const std::string_view text = f.text;
  std::string_view rest;
  const auto fraction = leading_number(trim(text.substr(0, star)), rest);
  if (!fraction || !trim(rest).empty() || *fraction <= 0) {
    r.fail(line, f.column,
           fmt::format("bound '{}': expected a positive number before '*'", f.text));
  }
  const std::string_view what = trim(text.substr(star + 1));
  c.bound_value = *fraction;
  const Quantity q = c.metric.quantity;
  if (what == "peak") {
    if (q != Quantity::gflops && q != Quantity::tflops) {
      r.fail(line, f.column,
             fmt::format("bound '{}': only FLOP/s metrics (gflops, tflops) have a theoretical "
                         "peak; expected an absolute bound or '<fraction> * reference'",
                         f.text));
    }
    c.bound_kind = BoundKind::peak;
  } else if (what == "reference") {
    if (!has_reference) {
      r.fail(line, f.column,
             fmt::format("bound '{}': expected a value in the reference column", f.text));
    }
    c.bound_kind = BoundKind::reference;
  } else if (what == "siblings") {
    if (c.metric.device != DeviceRef::gpu({}) ||
        (c.comparator != Comparator::ge && c.comparator != Comparator::gt)) {
      r.fail(line, f.column,
             fmt::format("bound '{}': siblings are the other GPUs, so it needs a gpu.* metric "
                         "and '>=' or '>'",
                         f.text));
    }
    c.bound_kind = BoundKind::siblings;
  } else {
    r.fail(line, f.column,
           fmt::format("bound '{}': expected 'peak', 'reference' or 'siblings' after '*'", f.text));
  }
  if (q == Quantity::count) {
    r.fail(line, f.column, fmt::format("bound '{}': a count takes a plain number", f.text));
  }
}

// Iterative, and linear in practice: on a mismatch only the last '*' is retried, one character
// further, because whatever an earlier '*' matched the later one can match too (a pattern from a
// spec file may hold any number of stars).
bool glob_match(std::string_view pattern, std::string_view text) {
  const auto same = [](char p, char t) {
    return p == '?' || std::tolower(static_cast<unsigned char>(p)) ==
                           std::tolower(static_cast<unsigned char>(t));
  };
  std::size_t p = 0, t = 0;
  std::size_t star = std::string_view::npos, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (p < pattern.size() && same(pattern[p], text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

std::string_view to_string(Comparator c) {
  switch (c) {
    case Comparator::ge:
      return ">=";
    case Comparator::gt:
      return ">";
    case Comparator::le:
      return "<=";
    case Comparator::lt:
      return "<";
    case Comparator::eq:
      return "==";
  }
  return "?";
}

Spec parse_spec(std::string_view text, const std::string& file_name) {
  SpecReader reader(file_name);
  if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF")) {
    reader.fail(1, 1,
                "expected UTF-8 text, found a UTF-16 byte order mark; save the file as UTF-8");
  }
  if (text.empty()) {
    reader.fail(1, 1, fmt::format("empty file: expected a header row '{}'", kSpecHeader));
  }
  // LineReader hands out NUL-terminated lines, so a NUL byte (UTF-16 text, say) would hide
  // the rest of its line: find it first.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    const auto line_start = text.rfind('\n', nul);
    const std::size_t from = line_start == std::string_view::npos ? 0 : line_start + 1;
    const int line = 1 + int(std::count(text.begin(), text.begin() + nul, '\n'));
    reader.fail(line, column_of(text.substr(from), nul - from),
                "expected UTF-8 text, found a NUL byte (is the file UTF-16?)");
  }

  Spec spec;
  spec.file = file_name;
  std::vector<std::string_view> header;  // column names in file order
  int header_line = 0, last_line = 0, profiles_line = 0, threads_line = 0;
  try {
    io::LineReader lines(file_name, text.data(), text.data() + text.size());
    while (const char* raw = lines.next_line()) {
      const int line_no = static_cast<int>(lines.get_file_line());
      last_line = line_no;
      const std::string_view line(raw);
      if (const auto bad = invalid_utf8(line); bad != std::string_view::npos) {
        reader.fail(line_no, column_of(line, bad),
                    fmt::format("expected UTF-8 text, found the byte 0x{:02X}; save the file as "
                                "UTF-8",
                                uint8_t(line[bad])));
      }
      const std::string_view content = trim(line);
      if (content.empty()) continue;
      // A comment, or the profiles or CPU threads of the run the bounds are for.
      if (content.front() == '#') {
        constexpr std::string_view kProfiles = "profiles:", kThreads = "threads:";
        const std::string_view comment = trim(content.substr(1));
        const auto column = [&](std::string_view at) {
          return column_of(line, static_cast<std::size_t>(at.data() - raw));
        };
        const auto once = [&](int& first_line, std::string_view what) {
          if (first_line != 0) {
            reader.fail(line_no, column(comment),
                        fmt::format("{} given twice (first at line {})", what, first_line));
          }
          first_line = line_no;
        };
        if (iequal(comment.substr(0, kThreads.size()), kThreads)) {
          once(threads_line, "threads");
          const std::string_view value = trim(comment.substr(kThreads.size()));
          const auto threads = whole_text_as<int>(value);
          if (!threads || *threads < 1) {
            reader.fail(line_no, column(value),
                        "expected the CPU threads of the run the bounds are for, a whole number "
                        "of at least 1");
          }
          spec.threads = *threads;
          continue;
        }
        if (!iequal(comment.substr(0, kProfiles.size()), kProfiles)) continue;
        once(profiles_line, "profiles");
        for (const std::string_view item : split_commas(comment.substr(kProfiles.size()))) {
          const std::string_view name = trim(item);
          if (name.empty()) {
            reader.fail(line_no, column(item),
                        "expected a profile name (quick, standard, full or sweep) between "
                        "commas");
          }
          try {
            const std::string profile(to_string(parse_profile(name)));
            if (std::find(spec.profiles.begin(), spec.profiles.end(), profile) ==
                spec.profiles.end()) {
              spec.profiles.push_back(profile);
            }
          } catch (const InputError& e) {
            reader.fail(line_no, column(name), e.what());
          }
        }
        continue;
      }
      auto fields = reader.fields(line, line_no);

      if (header.empty()) {
        header_line = line_no;
        for (const auto& f : fields) {
          const auto it = std::find(kColumns.begin(), kColumns.end(), f.text);
          if (it == kColumns.end()) {
            reader.fail(line_no, f.column,
                        fmt::format("unknown column '{}' in the header (expected the columns {})",
                                    f.text, kSpecHeader));
          }
          if (std::find(header.begin(), header.end(), *it) != header.end()) {
            reader.fail(line_no, f.column, fmt::format("column '{}' appears twice", f.text));
          }
          header.push_back(*it);
        }
        for (const auto col : kColumns) {
          if (col != "reference" && std::find(header.begin(), header.end(), col) == header.end()) {
            reader.fail(line_no, 1,
                        fmt::format("missing column '{}' in the header (expected the columns {}; "
                                    "reference may be left out)",
                                    col, kSpecHeader));
          }
        }
        continue;
      }

      if (fields.size() != header.size()) {
        const int column = fields.size() < header.size() ? column_of(line, line.size())
                                                         : fields[header.size()].column;
        reader.fail(line_no, column,
                    fmt::format("{}: expected {} fields ({}), found {}",
                                fields.size() < header.size() ? "missing column" : "extra column",
                                header.size(), fmt::join(header, ","), fields.size()));
      }
      std::array<Field, kColumns.size()> row{};
      for (std::size_t i = 0; i < header.size(); ++i) {
        const auto col = std::find(kColumns.begin(), kColumns.end(), header[i]) - kColumns.begin();
        row[static_cast<std::size_t>(col)] = std::move(fields[i]);
      }
      if (row[c_reference].column == 0) row[c_reference].column = 1;  // column left out

      Criterion c;
      c.line = line_no;
      const auto required = [&](Col col) {
        if (row[col].text.empty()) {
          reader.fail(line_no, row[col].column,
                      fmt::format("empty {}: expected a value", kColumns[col]));
        }
        return row[col].text;
      };
      const std::string metric = required(c_metric);  // its error has the place already
      try {
        c.metric = parse_metric(metric);
      } catch (const InputError& e) {
        reader.fail(line_no, row[c_metric].column, e.what());
      }
      const auto cmp = parse_comparator(required(c_comparator));
      if (!cmp) {
        reader.fail(line_no, row[c_comparator].column,
                    fmt::format("unknown comparator '{}' (expected one of: >=, >, <=, <, ==)",
                                row[c_comparator].text));
      }
      c.comparator = *cmp;
      if (!row[c_reference].text.empty()) {
        c.reference =
            value_with_unit(reader, row[c_reference], line_no, c.metric.quantity, "reference");
        // F * reference scales a measured figure: a reference of 0 or less would make every
        // value pass a lower bound.
        if (!(*c.reference > 0)) {
          reader.fail(
              line_no, row[c_reference].column,
              fmt::format("reference '{}': expected a figure above 0", row[c_reference].text));
        }
      }
      required(c_bound);
      parse_bound(reader, row[c_bound], line_no, c, c.reference.has_value());
      // A burn's throughput drop is a fraction: 10, meant as 10 %, could never fail.
      if (c.metric.name.ends_with(".throughput_drop") && c.bound_kind == BoundKind::absolute &&
          !(c.bound_value <= 1)) {
        reader.fail(line_no, row[c_bound].column,
                    fmt::format("bound '{}' of a throughput drop: expected a fraction up to 1 "
                                "(0.1 is a drop of 10 %)",
                                row[c_bound].text));
      }
      if (c.bound_kind == BoundKind::reference && !std::isfinite(c.bound_value * *c.reference)) {
        reader.fail(line_no, row[c_bound].column,
                    fmt::format("bound '{}' of reference {}: too large a number", row[c_bound].text,
                                row[c_reference].text));
      }
      const std::string severity = required(c_severity);
      if (severity != "fail" && severity != "warn") {
        reader.fail(line_no, row[c_severity].column,
                    fmt::format("unknown severity '{}' (expected fail or warn)", severity));
      }
      c.severity = parse_severity(severity);
      c.applies_to = required(c_applies_to);
      // Matched case-insensitively, as the GPU names are.
      if (glob_match("any", c.applies_to)) c.applies_to = "any";
      c.description = row[c_description].text;
      spec.criteria.push_back(std::move(c));
    }
  } catch (const io::error::base& e) {
    // The line reader's own errors (a line over its 16 MiB limit) carry the file and line.
    throw InputError(fmt::format("{}:{}:1: {}", file_name, last_line + 1, e.what()));
  }
  if (header.empty()) {
    reader.fail(last_line + 1, 1,
                fmt::format("empty file: expected a header row '{}'", kSpecHeader));
  }
  if (spec.criteria.empty()) {
    reader.fail(header_line + 1, 1, "no criteria: expected at least one row after the header");
  }
  return spec;
}

Spec read_spec(const std::filesystem::path& path) {
  return parse_spec(read_input_file(path, "expected a spec file (CSV)"), path.string());
}

Criterion criterion_of(std::string_view metric, Comparator cmp, BoundKind kind, double bound,
                       std::string bound_text, Severity severity, std::string applies_to,
                       std::string description) {
  Criterion c;
  c.metric = parse_metric(metric);
  c.comparator = cmp;
  c.bound_kind = kind;
  c.bound_value = bound;
  c.bound_text = std::move(bound_text);
  c.severity = severity;
  c.applies_to = std::move(applies_to);
  c.description = std::move(description);
  return c;
}

bool applies_to_gpu(std::string_view pattern, const GpuDevice& gpu) {
  return pattern == "any" || glob_match(pattern, gpu.name) ||
         (!gpu.pci_device_id.empty() && glob_match(pattern, gpu.pci_device_id));
}

std::vector<std::string> spec_gpu_patterns(const Spec& spec) {
  std::vector<std::string> patterns;
  for (const auto& c : spec.criteria) {
    if (c.applies_to != "any" &&
        std::find(patterns.begin(), patterns.end(), c.applies_to) == patterns.end()) {
      patterns.push_back(c.applies_to);
    }
  }
  return patterns;
}

}  // namespace flopbench
