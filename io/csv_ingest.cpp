// io/csv_ingest.cpp — long CSV → panel in two streaming passes (see csv_ingest.h,
// Note [Ingest semantics] and Note [Two passes]).
#include "io/csv_ingest.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <numeric>
#include <unordered_map>

#include "io/csv_fields.h"
#include "io/csv_reader.h"
#include "kernels/common.hpp"

namespace skucast {
namespace {

// ------------------------------------------------------------------ errors ----

// At most 60 bytes of s; control bytes written as \xNN, so a NUL in a binary file neither
// cuts the message short nor reaches the terminal.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 60)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7F) {
      out += c;
      continue;
    }
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02X", u);
    out += buf;
  }
  if (s.size() > 60) out += "...";
  return out;
}

std::string quoted(std::string_view s) { return "'" + printable(s) + "'"; }

// Where a row-level error happened: "sales.csv:17: column 3 'value': ..."
struct Col {
  int index = -1;  // 0-based field index
  std::string name;
};

[[noreturn]] void fail(const std::string& path, int64_t line, const Col* col, const std::string& msg) {
  std::string where = csv_where(path, line) + ": ";
  if (col) where += "column " + std::to_string(col->index + 1) + " " + quoted(col->name) + ": ";
  throw InputError(where + msg);
}

// Refuses a finite value beyond kMaxPanelValue (Note [Largest panel value] in io/panel.h); NaN
// and Inf are counted and reported by the caller instead.
void check_magnitude(float v, std::string_view text, std::string_view id, const std::string& path, int64_t line,
                     const Col& col) {
  if (!std::isfinite(v) || std::fabs(static_cast<double>(v)) <= kMaxPanelValue) return;
  char bound[32];
  std::snprintf(bound, sizeof bound, "%g", kMaxPanelValue);
  fail(path, line, &col, "series " + quoted(id) + ": " + quoted(text) + " is too large (values must be at most " +
                             bound + " in magnitude, or forecasts and intervals built on them overflow float32); "
                             "rescale the column, e.g. to thousands");
}

// ------------------------------------------------------------------ header ----

struct Layout {
  size_t n_fields = 0;
  Col id, time, value, weight;
  std::vector<Col> dynamic, statics, events;
  std::vector<Col> read;  // every column read (copies, set by resolve_header)
};

// "event_christmas" → "christmas"
std::string event_name(const std::string& column) {
  return column.rfind("event_", 0) == 0 && column.size() > 6 ? column.substr(6) : column;
}

Layout resolve_header(const CsvRecord& hdr, const IngestOptions& opt) {
  const std::string& path = opt.csv_path;
  Layout lay;
  lay.n_fields = hdr.fields.size();
  std::vector<std::string> names;
  for (auto f : hdr.fields) {
    if (f.find('\0') != std::string_view::npos)
      fail(path, hdr.line, nullptr, "the header holds a NUL byte: this is not a text CSV file (expected a row of column names)");
    names.emplace_back(csv::trim(f));
  }
  std::vector<std::string> requested;  // to catch one column asked for twice
  auto find = [&](const std::string& name, const char* role) {
    if (name.empty()) fail(path, hdr.line, nullptr, std::string("empty name given for the ") + role + " column");
    if (std::find(requested.begin(), requested.end(), name) != requested.end())
      fail(path, hdr.line, nullptr, "column " + quoted(name) + " is requested twice (as " + role + " and before)");
    requested.push_back(name);
    int found = -1;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] != name) continue;
      if (found >= 0)
        fail(path, hdr.line, nullptr, "column " + quoted(name) + " appears twice in the header (columns " +
                                          std::to_string(found + 1) + " and " + std::to_string(i + 1) + ")");
      found = static_cast<int>(i);
    }
    if (found < 0) {
      std::string have;
      for (size_t i = 0; i < names.size() && i < 40; ++i) have += (i ? ", " : "") + printable(names[i]);
      if (names.size() > 40) have += ", ... (" + std::to_string(names.size()) + " columns)";
      fail(path, hdr.line, nullptr, std::string("missing ") + role + " column " + quoted(name) + " (the header has: " + have + ")");
    }
    return Col{found, name};
  };
  lay.id = find(opt.id_col, "id");
  lay.time = find(opt.time_col, "time");
  lay.value = find(opt.value_col, "value");
  for (const auto& d : opt.dynamic) lay.dynamic.push_back(find(d, "dynamic"));
  for (const auto& s : opt.statics) lay.statics.push_back(find(s, "static"));
  if (!opt.weight_col.empty()) lay.weight = find(opt.weight_col, "weight");
  if (opt.events.size() == 1 && opt.events[0] == "auto") {
    for (const auto& n : names)
      if (n.rfind("event_", 0) == 0 && n.size() > 6 &&
          std::find(requested.begin(), requested.end(), n) == requested.end())
        lay.events.push_back(find(n, "event"));
  } else {
    for (const auto& e : opt.events) lay.events.push_back(find(e, "event"));
  }
  for (const Col* c : {&lay.id, &lay.time, &lay.value, &lay.weight})
    if (c->index >= 0) lay.read.push_back(*c);
  for (const auto* g : {&lay.dynamic, &lay.statics, &lay.events}) lay.read.insert(lay.read.end(), g->begin(), g->end());
  return lay;
}

// ------------------------------------------------------------------- times ----

// What one time field says. Dates keep their civil parts so the caller can map them to any
// frequency's ordinal; integers are used as they are.
struct TimeValue {
  int64_t days = 0;     // D/W ordinal, or the integer for frequency 1
  int64_t months = 0;   // M/Q/Y ordinal
  bool first = false;   // day 1 of its month
  bool last = false;    // last day of its month
};

bool parse_time(std::string_view field, bool integer, TimeValue& tv) {
  if (integer) return csv::parse_int(field, tv.days);
  int64_t y;
  unsigned m, d;
  if (!csv::parse_date(field, y, m, d)) return false;
  tv.days = days_from_civil(y, m, d);
  tv.months = (y - 1970) * 12 + static_cast<int64_t>(m) - 1;
  tv.first = d == 1;
  tv.last = d == csv::days_in_month(y, m);
  return true;
}

int64_t floor_mod(int64_t a, int64_t b) { return ((a % b) + b) % b; }

// ------------------------------------------------------------------- pass 1 ----

// Series index by id, with a one-entry cache: long CSVs usually hold a series' rows
// together, so most lookups hit the cache and skip hashing.
struct SeriesIndex {
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> map;
  std::vector<std::string> ids;
  std::string last_id;
  int32_t last = -1;

  // Read-only lookup with a caller-owned one-entry cache (safe from many threads).
  struct Cache {
    std::string id;
    int32_t index = -1;
  };
  int32_t lookup(std::string_view id, Cache& c) const {
    if (c.index >= 0 && id == std::string_view(c.id)) return c.index;
    auto it = map.find(id);
    if (it == map.end()) return -1;
    c.id.assign(id);
    c.index = it->second;
    return c.index;
  }

  // Returns the index; adds the id when `add` (else -1 for an unknown id).
  int32_t find(std::string_view id, bool add) {
    if (last >= 0 && id == std::string_view(last_id)) return last;
    auto it = map.find(id);
    int32_t idx;
    if (it != map.end()) {
      idx = it->second;
    } else {
      if (!add) return -1;
      if (ids.size() >= static_cast<size_t>(INT32_MAX)) throw InputError("more than 2^31 series");
      idx = static_cast<int32_t>(ids.size());
      ids.emplace_back(id);
      map.emplace(ids.back(), idx);
    }
    last_id.assign(id);
    last = idx;
    return idx;
  }
};

struct StaticCollector {
  std::unordered_map<std::string, int32_t, SeriesIndex::Hash, std::equal_to<>> index;
  std::vector<std::string> levels;  // in first-seen order until finish()
  std::vector<int32_t> codes;       // [S], -1 = not seen yet
};

struct Pass1 {
  SeriesIndex series;
  std::vector<StaticCollector> statics;
  std::vector<float> weights;  // [S], NaN = not seen yet
  bool integer_time = false;
  Freq freq = Freq::Day;
  bool freq_given = false;
  bool month_end = false;
  TimeValue first_time;        // first row's time: the reference for alignment
  bool have_time = false;
  int64_t min_days = INT64_MAX, max_days = INT64_MIN, max_value_days = INT64_MIN;
  int64_t min_months = INT64_MAX, max_months = INT64_MIN, max_value_months = INT64_MIN;
  int64_t max_finite_days = INT64_MIN, max_finite_months = INT64_MIN;  // the last finite value's time
  int64_t gcd_days = 0, gcd_months = 0;
  bool all_first = true, all_last = true;
  int64_t n_rows = 0, nonfinite_value = 0, nonfinite_dynamic = 0;
  // Per series [S]: the earliest and latest time on any of its rows (both ordinals), and the
  // rows holding the earliest and latest time of the file (Note [Long axis]).
  std::vector<int64_t> s_min_days, s_max_days, s_min_months, s_max_months;
  int64_t min_line = 0, max_line = 0;
  std::string min_text, max_text;
  int64_t max_value_line = 0;  // the row holding the latest time with a value (Note [Long update])
  std::string max_value_text;
};

const char* freq_word(Freq f) {
  switch (f) {
    case Freq::Day: return "daily";
    case Freq::Week: return "weekly";
    case Freq::Month: return "monthly";
    case Freq::Quarter: return "quarterly";
    case Freq::Year: return "yearly";
    case Freq::Index: return "integer";
  }
  return "?";
}

// Checks that a time fits an explicitly given frequency, relative to the first row's time.
void check_alignment(const Pass1& p1, const TimeValue& tv, const std::string& path, int64_t line, const Col& col,
                     std::string_view text) {
  const TimeValue& f0 = p1.first_time;
  std::string why;
  switch (p1.freq) {
    case Freq::Day:
    case Freq::Index: return;
    case Freq::Week:
      if (floor_mod(tv.days - f0.days, 7) == 0) return;
      why = "is not a whole number of weeks from " + format_iso_date(f0.days) + " (the first row's date)";
      break;
    case Freq::Month:
    case Freq::Quarter:
    case Freq::Year: {
      const bool ok_day = p1.month_end ? tv.last : tv.first;
      if (!ok_day) {
        why = p1.month_end ? "is not the last day of its month (the axis uses month ends, as the first row does)"
                           : "is not the 1st of its month (a " + std::string(freq_word(p1.freq)) +
                                 " axis labels each period by its first day, or by its last day throughout)";
        break;
      }
      const int64_t step = p1.freq == Freq::Month ? 1 : p1.freq == Freq::Quarter ? 3 : 12;
      if (floor_mod(tv.months - f0.months, step) == 0) return;
      why = std::string("does not fall on the ") + freq_word(p1.freq) + " axis of the first row's date (" +
            format_iso_date(f0.days) + ")";
      break;
    }
  }
  fail(path, line, &col, "date " + quoted(text) + " does not fit frequency " + freq_name(p1.freq) + ": it " + why);
}

void pass1_row(Pass1& p1, const CsvRecord& rec, const Layout& lay, const IngestOptions& opt) {
  const std::string& path = opt.csv_path;
  const auto& f = rec.fields;
  if (f.size() != lay.n_fields)
    fail(path, rec.line, nullptr, "expected " + std::to_string(lay.n_fields) + " fields (as in the header), got " +
                                       std::to_string(f.size()));
  ++p1.n_rows;
  // A NUL byte would cut the field where HDF5 stores it (two ids could then collide).
  // (Columns not read are not stored, so only the read ones are checked.)
  for (const Col& c : lay.read)
    if (std::memchr(f[c.index].data(), '\0', f[c.index].size()))
      fail(path, rec.line, &c, quoted(f[c.index]) + " holds a NUL byte: not text (remove the NUL bytes, e.g. with " +
                                  "tr -d '\\000', or fix the program that wrote the file)");
  // ---- id
  const std::string_view id = f[lay.id.index];
  if (id.empty()) fail(path, rec.line, &lay.id, "empty series id");
  const int32_t s = p1.series.find(id, true);
  if (static_cast<size_t>(s) == p1.weights.size()) {  // a new series
    p1.weights.push_back(NAN);
    for (auto& st : p1.statics) st.codes.push_back(-1);
    p1.s_min_days.push_back(INT64_MAX);
    p1.s_max_days.push_back(INT64_MIN);
    p1.s_min_months.push_back(INT64_MAX);
    p1.s_max_months.push_back(INT64_MIN);
  }
  // ---- time
  const std::string_view ttext = f[lay.time.index];
  TimeValue tv;
  if (!p1.have_time && !p1.freq_given) {  // the first row decides: integer or date
    int64_t dummy;
    p1.integer_time = csv::parse_int(ttext, dummy);
    if (p1.integer_time) p1.freq = Freq::Index;
  }
  if (!parse_time(ttext, p1.integer_time, tv)) {
    if (p1.integer_time)
      fail(path, rec.line, &lay.time, "expected an integer time" + std::string(p1.freq_given ? " (frequency 1)" : " (as on the first row)") +
                                          ", got " + quoted(ttext));
    if (csv::date_with_time_of_day(ttext))  // Note [Whole-day times] in io/csv_fields.h
      fail(path, rec.line, &lay.time, "series " + quoted(id) + ": time " + quoted(ttext) +
                                          " has a time of day other than midnight, which is not accepted: skucast's "
                                          "steps are whole days (or weeks, months, quarters, years); write the date "
                                          "alone (YYYY-MM-DD, or with 00:00:00), summing sub-daily rows per day first");
    fail(path, rec.line, &lay.time, "expected a date YYYY-MM-DD" +
                                        std::string(p1.freq_given ? " for frequency " + freq_name(p1.freq) : " (as on the first row)") +
                                        ", got " + quoted(ttext));
  }
  // Differences of times (spans, the gcd of steps) must not overflow: an integer time beyond
  // ±10^15 is a typo, not a time axis (UBSan found 9e18 - -9e18 here).
  constexpr int64_t kMaxAbsTime = 1000000000000000;
  if (tv.days > kMaxAbsTime || tv.days < -kMaxAbsTime || tv.months > kMaxAbsTime || tv.months < -kMaxAbsTime)
    fail(path, rec.line, &lay.time, "time " + quoted(ttext) + " is out of range (integer times must lie within ±10^15)");
  if (!p1.have_time) {
    p1.have_time = true;
    p1.first_time = tv;
    p1.month_end = !tv.first && tv.last;
  }
  if (p1.freq_given) check_alignment(p1, tv, path, rec.line, lay.time, ttext);
  p1.gcd_days = std::gcd(p1.gcd_days, tv.days - p1.first_time.days);
  p1.gcd_months = std::gcd(p1.gcd_months, tv.months - p1.first_time.months);
  p1.all_first &= tv.first;
  p1.all_last &= tv.last;
  if (tv.days < p1.min_days || tv.months < p1.min_months) p1.min_line = rec.line, p1.min_text = ttext;
  if (tv.days > p1.max_days || tv.months > p1.max_months) p1.max_line = rec.line, p1.max_text = ttext;
  p1.s_min_days[s] = std::min(p1.s_min_days[s], tv.days);
  p1.s_max_days[s] = std::max(p1.s_max_days[s], tv.days);
  p1.s_min_months[s] = std::min(p1.s_min_months[s], tv.months);
  p1.s_max_months[s] = std::max(p1.s_max_months[s], tv.months);
  p1.min_days = std::min(p1.min_days, tv.days);
  p1.max_days = std::max(p1.max_days, tv.days);
  p1.min_months = std::min(p1.min_months, tv.months);
  p1.max_months = std::max(p1.max_months, tv.months);
  // ---- value
  float v;
  switch (csv::parse_float(f[lay.value.index], v)) {
    case csv::NumKind::Empty: break;
    case csv::NumKind::NonFinite:
      // Note [Written NaN ends the history]: missing, but the step is history (export pins a
      // history end no series observed this way); said when it moves the end (below).
      ++p1.nonfinite_value;
      p1.max_value_days = std::max(p1.max_value_days, tv.days);
      p1.max_value_months = std::max(p1.max_value_months, tv.months);
      break;
    case csv::NumKind::Finite:
      if (v < 0 && !opt.allow_negative)
        fail(path, rec.line, &lay.value, "negative sales " + quoted(f[lay.value.index]) + " (pass --allow-negative to keep them)");
      check_magnitude(v, f[lay.value.index], id, path, rec.line, lay.value);
      if (tv.days > p1.max_value_days || tv.months > p1.max_value_months)
        p1.max_value_line = rec.line, p1.max_value_text = ttext;
      p1.max_value_days = std::max(p1.max_value_days, tv.days);
      p1.max_value_months = std::max(p1.max_value_months, tv.months);
      p1.max_finite_days = std::max(p1.max_finite_days, tv.days);
      p1.max_finite_months = std::max(p1.max_finite_months, tv.months);
      break;
    case csv::NumKind::Bad: fail(path, rec.line, &lay.value, "cannot parse " + quoted(f[lay.value.index]) + " as a number");
    case csv::NumKind::Overflow: fail(path, rec.line, &lay.value, quoted(f[lay.value.index]) + " is too large for float32");
  }
  // ---- dynamic covariates
  for (const Col& c : lay.dynamic) {
    switch (csv::parse_float(f[c.index], v)) {
      case csv::NumKind::Empty: break;
      case csv::NumKind::Finite: check_magnitude(v, f[c.index], id, path, rec.line, c); break;
      case csv::NumKind::NonFinite: ++p1.nonfinite_dynamic; break;
      case csv::NumKind::Bad: fail(path, rec.line, &c, "cannot parse " + quoted(f[c.index]) + " as a number");
      case csv::NumKind::Overflow: fail(path, rec.line, &c, quoted(f[c.index]) + " is too large for float32");
    }
  }
  // ---- event flags: empty, 0 or 1
  for (const Col& c : lay.events) {
    switch (csv::parse_float(f[c.index], v)) {
      case csv::NumKind::Empty: break;
      case csv::NumKind::Finite:
        if (v == 0.0f || v == 1.0f) break;
        [[fallthrough]];
      default: fail(path, rec.line, &c, "event flag must be 0, 1 or empty, got " + quoted(f[c.index]));
    }
  }
  // ---- static attributes: one value per series
  for (size_t k = 0; k < lay.statics.size(); ++k) {
    const std::string_view level = f[lay.statics[k].index];
    if (level.empty()) continue;
    StaticCollector& st = p1.statics[k];
    if (st.codes[s] >= 0 && level == std::string_view(st.levels[st.codes[s]])) continue;  // no hashing
    auto it = st.index.find(level);
    int32_t code;
    if (it == st.index.end()) {
      code = static_cast<int32_t>(st.levels.size());
      st.levels.emplace_back(level);
      st.index.emplace(st.levels.back(), code);
    } else {
      code = it->second;
    }
    int32_t& have = st.codes[s];
    if (have < 0) have = code;
    else if (have != code)
      fail(path, rec.line, &lay.statics[k], "series " + quoted(id) + " has " + quoted(level) + " here but " +
                                                quoted(st.levels[have]) + " on an earlier row (a static attribute must be the same on every row of a series)");
  }
  // ---- weight: one value per series
  if (lay.weight.index >= 0) {
    const std::string_view wt = f[lay.weight.index];
    switch (csv::parse_float(wt, v)) {
      case csv::NumKind::Empty: break;
      case csv::NumKind::Finite: {
        if (v < 0.0f) fail(path, rec.line, &lay.weight, "negative weight " + quoted(wt) + " (weights must be >= 0)");
        check_magnitude(v, wt, id, path, rec.line, lay.weight);
        float& have = p1.weights[s];
        if (std::isnan(have)) have = v;
        else if (have != v)
          fail(path, rec.line, &lay.weight, "series " + quoted(id) + " has weight " + quoted(wt) +
                                                " here but a different weight on an earlier row");
        break;
      }
      case csv::NumKind::NonFinite: fail(path, rec.line, &lay.weight, "weight " + quoted(wt) + " is not finite");
      case csv::NumKind::Bad: fail(path, rec.line, &lay.weight, "cannot parse " + quoted(wt) + " as a number");
      case csv::NumKind::Overflow: fail(path, rec.line, &lay.weight, quoted(wt) + " is too large for float32");
    }
  }
}

// Chooses the frequency when none was given (see csv_ingest.h).
Freq infer_freq(const Pass1& p1) {
  if (p1.integer_time) return Freq::Index;
  if ((p1.all_first || p1.all_last) && p1.gcd_months > 0) {
    if (p1.gcd_months % 12 == 0) return Freq::Year;
    if (p1.gcd_months % 3 == 0) return Freq::Quarter;
    return Freq::Month;
  }
  if (p1.gcd_days > 0 && p1.gcd_days % 7 == 0) return Freq::Week;
  return Freq::Day;
}

// Ordinal of a time on the chosen frequency (days for D/W/1, months for M/Q/Y).
int64_t ordinal_of(Freq freq, const TimeValue& tv) {
  return freq == Freq::Month || freq == Freq::Quarter || freq == Freq::Year ? tv.months : tv.days;
}

// Note [Long axis]
//   One mistyped year (9011 for 2011) stretches the axis of every series to millennia: 50
//   series then take a gigabyte of NaN. Ingest refuses an axis more than kLongAxisFactor times
//   the median series' span (first to last row of a series), when it is also longer than
//   kLongAxisMinSteps (short panels cost nothing, whatever their shape), and names the row
//   whose time lies farthest from the other series' ranges. --allow-long-axis accepts it.
constexpr int64_t kLongAxisFactor = 100, kLongAxisMinSteps = 1000;

void check_axis_length(const Pass1& p1, bool monthly, int64_t step, int64_t n_total, const TimeAxis& axis,
                       const std::string& path, const Col& time_col) {
  if (n_total <= kLongAxisMinSteps) return;
  const auto& lo = monthly ? p1.s_min_months : p1.s_min_days;
  const auto& hi = monthly ? p1.s_max_months : p1.s_max_days;
  const size_t S = lo.size();
  if (S == 0) return;
  std::vector<int64_t> spans(S), los(lo), his(hi);
  for (size_t i = 0; i < S; ++i) spans[i] = (hi[i] - lo[i]) / step + 1;
  auto median = [](std::vector<int64_t>& v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  const int64_t med_span = median(spans);
  if (n_total <= kLongAxisFactor * std::max<int64_t>(med_span, 1)) return;
  const int64_t med_lo = median(los), med_hi = median(his);
  const int64_t first = monthly ? p1.min_months : p1.min_days, last = monthly ? p1.max_months : p1.max_days;
  const bool late = last - med_hi >= med_lo - first;  // the farther end is the suspect
  fail(path, late ? p1.max_line : p1.min_line, &time_col,
       "time " + quoted(late ? p1.max_text : p1.min_text) + " makes the time axis " + std::to_string(n_total) +
           " steps long (" + axis.label(0) + " to " + axis.label(n_total - 1) + "), more than " +
           std::to_string(kLongAxisFactor) + " times the median series' span of " + std::to_string(med_span) +
           " steps: a mistyped date? (pass --allow-long-axis if the axis is meant to be this long)");
}

// ------------------------------------------------------------------- pass 2 ----

// Note [Parallel fill]: pass 1 notes a record boundary (byte offset and line number) about
// every IngestOptions::split_bytes; pass 2 parses those parts on all threads. Rows write distinct cells
// (a second row for a cell is the duplicate error, detected by an atomic fetch_or on the
// cell's bit before anything is written), so no locks are needed.
struct Split {
  int64_t offset, line;
};

// Fills cells from rows; rows of one file part per thread (Note [Parallel fill]).
struct Fill {
  const Layout& lay;
  const TimeAxis& axis;
  int64_t n_steps, n_total;  // T, T+F
  const SeriesIndex& series;
  std::vector<float>& target;                // [S, T]
  std::vector<std::vector<float>>& dynamic;  // [S, T+F] each
  std::vector<uint64_t> seen;                // [S, T+F] bits: duplicate detection (atomic updates)
  bool integer_time;
  std::vector<std::vector<uint8_t>> events;  // [E][T+F]: 0, 1, or kUnset
  static constexpr uint8_t kUnset = 0xFF;

  void row(const CsvRecord& rec, const std::string& path, SeriesIndex::Cache& cache) {
    const auto& f = rec.fields;
    const std::string_view id = f[lay.id.index];
    const int32_t s = f.size() == lay.n_fields ? series.lookup(id, cache) : -1;
    TimeValue tv;
    if (s < 0 || f.size() != lay.n_fields || !parse_time(f[lay.time.index], integer_time, tv))
      fail(path, rec.line, nullptr, "the file changed while it was being read");
    const int64_t pos = (ordinal_of(axis.freq, tv) - axis.start) / axis.step_ordinals();
    const int64_t cell = static_cast<int64_t>(s) * n_total + pos;
    const uint64_t bit = uint64_t{1} << (cell & 63);
    const uint64_t before = std::atomic_ref<uint64_t>(seen[static_cast<size_t>(cell >> 6)]).fetch_or(bit, std::memory_order_relaxed);
    if (before & bit)
      fail(path, rec.line, nullptr, "duplicate row for series " + quoted(id) + " at time " + quoted(csv::trim(f[lay.time.index])) +
                                        " (each (id, time) pair may appear once)");
    float v;
    if (pos < n_steps) {
      csv::parse_float(f[lay.value.index], v);
      target[static_cast<size_t>(s * n_steps + pos)] = v;
    }
    for (size_t k = 0; k < lay.dynamic.size(); ++k) {
      csv::parse_float(f[lay.dynamic[k].index], v);
      dynamic[k][static_cast<size_t>(cell)] = v;
    }
    for (size_t k = 0; k < lay.events.size(); ++k) {
      if (csv::parse_float(f[lay.events[k].index], v) != csv::NumKind::Finite) continue;
      const uint8_t flag = v != 0.0f ? 1 : 0;
      uint8_t expected = kUnset;
      std::atomic_ref<uint8_t> slot(events[k][static_cast<size_t>(pos)]);
      if (!slot.compare_exchange_strong(expected, flag, std::memory_order_relaxed) && expected != flag)
        fail(path, rec.line, &lay.events[k], "event flag " + quoted(f[lay.events[k].index]) + " at time " +
                                                 quoted(csv::trim(f[lay.time.index])) +
                                                 " differs from another row of the same time (events belong to the calendar, not to a series)");
    }
  }
};

}  // namespace

// ---------------------------------------------------------------- public ----

PanelData read_long_csv(const IngestOptions& opt, IngestStats* stats) {
  const std::string& path = opt.csv_path;
  Pass1 p1;
  if (!opt.freq.empty()) {
    p1.freq = parse_freq(opt.freq);
    p1.freq_given = true;
    p1.integer_time = p1.freq == Freq::Index;
  }
  if (opt.season_length < 0) throw InputError("season length must be positive, got " + std::to_string(opt.season_length));
  Layout lay;
  int64_t n_bytes = 0;
  std::vector<Split> splits;  // record boundaries every ~split_bytes, for pass 2
  {
    CsvReader reader(path, opt.chunk_bytes);
    CsvRecord rec;
    if (!reader.next(rec)) throw InputError(path + ": empty file (expected a header row, then one row per series and time)");
    lay = resolve_header(rec, opt);
    p1.statics.resize(lay.statics.size());
    splits.push_back({reader.offset(), reader.line()});
    const int64_t split_bytes = std::max<int64_t>(static_cast<int64_t>(opt.split_bytes), 1);
    int64_t next_split = reader.offset() + split_bytes;
    while (reader.next(rec)) {
      pass1_row(p1, rec, lay, opt);
      if (reader.offset() >= next_split) {
        splits.push_back({reader.offset(), reader.line()});
        next_split = reader.offset() + split_bytes;
      }
    }
    if (splits.back().offset != reader.offset()) splits.push_back({reader.offset(), reader.line()});
    n_bytes = reader.bytes_read();
  }
  if (p1.n_rows == 0) throw InputError(path + ": no data rows after the header");
  if (p1.max_value_days == INT64_MIN)
    throw InputError(path + ": no row has a value in column " + quoted(opt.value_col) + " (every value is empty)");

  // ---- the axis
  PanelData out;
  PanelHeader& h = out.header;
  const bool inferred = !p1.freq_given;
  h.axis.freq = p1.freq_given ? p1.freq : infer_freq(p1);
  const bool monthly = h.axis.freq == Freq::Month || h.axis.freq == Freq::Quarter || h.axis.freq == Freq::Year;
  h.axis.month_end = monthly && p1.month_end;
  h.axis.season_length = opt.season_length > 0 ? opt.season_length : default_season_length(h.axis.freq);
  h.axis.start = monthly ? p1.min_months : p1.min_days;
  const int64_t step = h.axis.step_ordinals();
  const int64_t last_value = monthly ? p1.max_value_months : p1.max_value_days;
  const int64_t last_any = monthly ? p1.max_months : p1.max_days;
  // The span in unsigned arithmetic: integer times may be anywhere in int64.
  const uint64_t span = (static_cast<uint64_t>(last_any) - static_cast<uint64_t>(h.axis.start)) / static_cast<uint64_t>(step);
  if (span >= static_cast<uint64_t>(kMaxPanelSteps))
    throw InputError(path + ": the times span " + std::to_string(span) + " steps at frequency " + freq_name(h.axis.freq) +
                     " (from " + h.axis.label(0) + "); check the time column and --freq");
  h.n_steps = (last_value - h.axis.start) / step + 1;
  const int64_t n_total = static_cast<int64_t>(span) + 1;
  if (!opt.allow_long_axis) check_axis_length(p1, monthly, step, n_total, h.axis, path, lay.time);
  h.n_future = n_total - h.n_steps;

  // ---- series, statics, weights
  const int64_t n_series = static_cast<int64_t>(p1.series.ids.size());
  for (size_t k = 0; k < lay.statics.size(); ++k) {
    StaticCollector& st = p1.statics[k];
    if (std::find(st.codes.begin(), st.codes.end(), -1) != st.codes.end() && !st.index.count(std::string_view()))
      st.levels.emplace_back();  // level "" for series that never give this attribute
    std::vector<std::string> sorted = st.levels;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int32_t> remap(st.levels.size());
    for (size_t i = 0; i < st.levels.size(); ++i)
      remap[i] = static_cast<int32_t>(std::lower_bound(sorted.begin(), sorted.end(), st.levels[i]) - sorted.begin());
    const int32_t empty_code = static_cast<int32_t>(std::lower_bound(sorted.begin(), sorted.end(), std::string()) - sorted.begin());
    StaticAttr attr{lay.statics[k].name, {}, std::move(sorted)};
    attr.codes.resize(static_cast<size_t>(n_series));
    for (int64_t i = 0; i < n_series; ++i) attr.codes[i] = st.codes[i] < 0 ? empty_code : remap[st.codes[i]];
    h.statics.push_back(std::move(attr));
  }
  if (lay.weight.index >= 0) {
    for (int64_t i = 0; i < n_series; ++i)
      if (std::isnan(p1.weights[i]))
        throw InputError(path + ": series " + quoted(p1.series.ids[i]) + " has no value in weight column " + quoted(opt.weight_col));
    h.weights = p1.weights;
  }
  for (const Col& c : lay.dynamic) h.dynamic.push_back(DynamicSpec{c.name, true});

  // ---- pass 2: fill
  out.target.assign(static_cast<size_t>(checked_mul(n_series, h.n_steps)), NAN);
  out.dynamic.assign(lay.dynamic.size(), std::vector<float>());
  for (auto& d : out.dynamic) d.assign(static_cast<size_t>(checked_mul(n_series, n_total)), NAN);
  Fill fill{lay, h.axis, h.n_steps, n_total, p1.series, out.target, out.dynamic, {}, p1.integer_time, {}};
  fill.events.assign(lay.events.size(), std::vector<uint8_t>(static_cast<size_t>(n_total), Fill::kUnset));
  fill.seen.assign(static_cast<size_t>(checked_mul(n_series, n_total) / 64 + 1), 0);
  const int64_t n_parts = static_cast<int64_t>(splits.size()) - 1;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(std::max<int64_t>(n_parts, 0)));
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t k = 0; k < n_parts; ++k) {
    try {
      CsvReader reader(path, std::min(opt.chunk_bytes, opt.split_bytes * 2 + 64), ',', splits[k].offset,
                       splits[k + 1].offset, splits[k].line);
      CsvRecord rec;
      SeriesIndex::Cache cache;
      while (reader.next(rec)) fill.row(rec, path, cache);
    } catch (...) {
      errors[static_cast<size_t>(k)] = std::current_exception();
    }
  }
  for (const auto& e : errors)  // the error of the earliest part
    if (e) std::rethrow_exception(e);
  for (size_t k = 0; k < lay.events.size(); ++k) {
    EventSeries ev{event_name(lay.events[k].name), std::move(fill.events[k])};
    for (auto& b : ev.flags) b = b == 1 ? 1 : 0;
    h.events.push_back(std::move(ev));
  }
  // Ids that differ only in spaces around them ('a ' and 'a') are two series to skucast and almost
  // always one to the person who exported them: said, not refused (an id may hold spaces).
  if (stats) {
    std::unordered_map<std::string_view, size_t> trimmed;
    int64_t n_pairs = 0;
    std::string example;
    for (size_t i = 0; i < p1.series.ids.size(); ++i) {
      const auto [it, fresh] = trimmed.emplace(csv::trim(p1.series.ids[i]), i);
      if (fresh) continue;
      if (++n_pairs == 1)
        example = quoted(p1.series.ids[it->second]) + " and " + quoted(p1.series.ids[i]);
    }
    if (n_pairs > 0)
      stats->warnings.push_back(path + ": " + std::to_string(n_pairs) + " series id(s) differ from another only in " +
                                "spaces around them (e.g. " + example + "): kept as separate series; trim the ids " +
                                "if they are the same product");
  }
  h.ids = std::move(p1.series.ids);
  h.validate();

  if (stats) {
    stats->n_rows = p1.n_rows;
    stats->n_bytes = n_bytes;
    stats->n_nonfinite_value = p1.nonfinite_value;
    stats->n_nonfinite_dynamic = p1.nonfinite_dynamic;
    stats->freq_inferred = inferred;
    stats->last_time_line = p1.max_line, stats->last_time_text = p1.max_text;
    stats->first_time_line = p1.min_line;
    stats->last_value_line = p1.max_value_line, stats->last_value_text = p1.max_value_text;
    // Note [Sparse inferred days]: weekly rows dated on different weekdays (or monthly ones on
    // different days of the month) have no common step but the day, so inference reads them as
    // daily with most cells missing, and every model then forecasts days. Not an error (sparse
    // daily sales exist), but said: with --freq W or M ingest names the row off the frequency.
    const double cells = static_cast<double>(n_series) * static_cast<double>(n_total);
    if (inferred && h.axis.freq == Freq::Day && cells > 0 && static_cast<double>(p1.n_rows) < 0.3 * cells)
      stats->warnings.push_back(
          path + ": the frequency was inferred as daily, but only " +
          std::to_string(static_cast<int>(100.0 * static_cast<double>(p1.n_rows) / cells)) +
          " % of the series x day cells have a row: weekly or monthly dates on different weekdays or days "
          "of the month? Pass --freq W or --freq M to read them at that frequency (ingest then names any row "
          "off it), or --freq D to keep days and silence this");
    if (p1.nonfinite_value > 0)
      stats->warnings.push_back(path + ": " + std::to_string(p1.nonfinite_value) + " NaN/Inf/NA value(s) in column " +
                                quoted(opt.value_col) + " treated as missing");
    // Note [Written NaN ends the history]: a written NaN/NA (not an empty value) marks a step of
    // the history whose sale is missing, so it moves the history's end; `export` relies on that
    // to keep a last history step that no series observed. R's write.csv writes NA for every
    // missing value, future rows included, so when written NaN/NA values alone extend the
    // history past the last number, it is said, with the fix.
    const int64_t last_finite = monthly ? p1.max_finite_months : p1.max_finite_days;
    if (last_finite != INT64_MIN && last_finite < last_value)
      stats->warnings.push_back(
          path + ": the history ends at " + h.axis.label(h.n_steps - 1) + ", a step whose sales are written NaN/NA; " +
          "the last number is at " + h.axis.label((last_finite - h.axis.start) / step) + ", so the " +
          std::to_string((last_value - last_finite) / step) + " step(s) after it are history with missing sales. If " +
          "they are known future rows (prices, promotions), leave their values empty (R: write.csv(..., na = \"\"))");
    if (p1.nonfinite_dynamic > 0)
      stats->warnings.push_back(path + ": " + std::to_string(p1.nonfinite_dynamic) +
                                " NaN/Inf/NA value(s) in dynamic columns treated as missing");
  }
  return out;
}

std::vector<std::string> read_csv_header(const std::string& path) {
  CsvReader reader(path, size_t{1} << 16);
  CsvRecord rec;
  std::vector<std::string> names;
  if (!reader.next(rec)) return names;
  for (auto f : rec.fields) names.emplace_back(csv::trim(f));  // as resolve_header compares them
  return names;
}

IngestStats ingest_csv(const IngestOptions& opt, const std::string& out_path) {
  IngestStats stats;
  PanelData data = read_long_csv(opt, &stats);
  write_panel(out_path, data.header, data.target, data.dynamic);
  return stats;
}

}  // namespace skucast
