// io/time_axis.cpp — time labels ↔ axis positions (see time_axis.h).
#include "io/time_axis.h"

#include <charconv>
#include <cstdio>

#include "kernels/common.hpp"

namespace skucast {

Freq parse_freq(std::string_view s) {
  if (s == "D") return Freq::Day;
  if (s == "W") return Freq::Week;
  if (s == "M") return Freq::Month;
  if (s == "Q") return Freq::Quarter;
  if (s == "Y") return Freq::Year;
  if (s == "1") return Freq::Index;
  throw InputError("unknown frequency '" + std::string(s) + "': expected one of D, W, M, Q, Y, 1");
}

std::string freq_name(Freq f) {
  switch (f) {
    case Freq::Day: return "D";
    case Freq::Week: return "W";
    case Freq::Month: return "M";
    case Freq::Quarter: return "Q";
    case Freq::Year: return "Y";
    case Freq::Index: return "1";
  }
  return "?";
}

int default_season_length(Freq f) {
  switch (f) {
    case Freq::Day: return 7;
    case Freq::Week: return 52;
    case Freq::Month: return 12;
    case Freq::Quarter: return 4;
    default: return 1;
  }
}

// Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms".
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

static unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

bool parse_iso_date(std::string_view s, int64_t& y, unsigned& m, unsigned& d) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  auto num = [&](size_t a, size_t n, auto& out) {
    const char* b = s.data() + a;
    for (size_t i = 0; i < n; ++i)
      if (b[i] < '0' || b[i] > '9') return false;
    auto r = std::from_chars(b, b + n, out);
    return r.ec == std::errc() && r.ptr == b + n;
  };
  if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d)) return false;
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return false;
  return true;
}

std::string format_iso_date(int64_t days) {
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

std::optional<int64_t> TimeAxis::ordinal(Freq freq, std::string_view text, bool* month_end) {
  if (freq == Freq::Index) {
    int64_t v = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size() || text.empty()) return std::nullopt;
    return v;
  }
  int64_t y;
  unsigned m, d;
  if (!parse_iso_date(text, y, m, d)) return std::nullopt;
  if (freq == Freq::Day || freq == Freq::Week) return days_from_civil(y, m, d);
  // M/Q/Y: the 1st of the month, or its last day; one convention per axis.
  const bool is_end = d == days_in_month(y, m);
  const bool is_first = d == 1;
  if (!is_end && !is_first) return std::nullopt;
  if (month_end) {
    // The caller passes the convention it has seen (or learns it from the first label
    // when *month_end is initialised from that label by the caller).
    if (*month_end && !is_end) return std::nullopt;
    if (!*month_end && !is_first) return std::nullopt;
  }
  return y * 12 + static_cast<int64_t>(m) - 1 - 1970 * 12;
}

int64_t TimeAxis::step_ordinals() const {
  switch (freq) {
    case Freq::Week: return 7;
    case Freq::Quarter: return 3;
    case Freq::Year: return 12;
    default: return 1;
  }
}

std::optional<int64_t> TimeAxis::position(int64_t ord) const {
  const int64_t diff = ord - start;
  const int64_t step = step_ordinals();
  if (diff % step != 0) return std::nullopt;
  return diff / step;
}

int64_t TimeAxis::ordinal_at(int64_t pos) const { return start + pos * step_ordinals(); }

std::string TimeAxis::label(int64_t pos) const {
  const int64_t ord = ordinal_at(pos);
  switch (freq) {
    case Freq::Index: return std::to_string(ord);
    case Freq::Day:
    case Freq::Week: return format_iso_date(ord);
    default: {
      const int64_t y = 1970 + (ord >= 0 ? ord / 12 : (ord - 11) / 12);
      const unsigned m = static_cast<unsigned>(ord - (y - 1970) * 12) + 1;
      const unsigned d = month_end ? days_in_month(y, m) : 1;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
      return buf;
    }
  }
}

void TimeAxis::calendar(int64_t pos, int& dow, int& dom, int& month, int& doy, int64_t& year) const {
  const int64_t ord = ordinal_at(pos);
  int64_t days;
  switch (freq) {
    case Freq::Index:
      dow = static_cast<int>(((pos % 7) + 7) % 7);
      dom = 1; month = 1; doy = 1; year = 0;
      return;
    case Freq::Day:
    case Freq::Week: days = ord; break;
    default: {
      const int64_t y = 1970 + (ord >= 0 ? ord / 12 : (ord - 11) / 12);
      const unsigned m = static_cast<unsigned>(ord - (y - 1970) * 12) + 1;
      days = days_from_civil(y, m, month_end ? days_in_month(y, m) : 1);
    }
  }
  // 1970-01-01 was a Thursday (Monday = 0 → Thursday = 3).
  dow = static_cast<int>(((days + 3) % 7 + 7) % 7);
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  dom = static_cast<int>(d);
  month = static_cast<int>(m);
  year = y;
  doy = static_cast<int>(days - days_from_civil(y, 1, 1)) + 1;
}

TimeAxis make_axis(Freq freq, std::string_view start_label, int season_length) {
  TimeAxis ax;
  ax.freq = freq;
  ax.season_length = season_length > 0 ? season_length : default_season_length(freq);
  if (freq == Freq::Month || freq == Freq::Quarter || freq == Freq::Year) {
    int64_t y;
    unsigned m, d;
    if (parse_iso_date(start_label, y, m, d)) ax.month_end = d != 1 && d == days_in_month(y, m);
  }
  bool me = ax.month_end;
  auto ord = TimeAxis::ordinal(freq, start_label, &me);
  if (!ord)
    throw InputError("start '" + std::string(start_label) + "' is not a valid time for frequency " + freq_name(freq));
  ax.start = *ord;
  return ax;
}

}  // namespace skucast
