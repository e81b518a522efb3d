// io/csv_fields.h — parsing of single CSV fields (numbers, times) with std::from_chars,
// shared by ingest and by anything else that reads skucast's CSV formats.
// No allocation, no locale: the hot path of ingest runs through these.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>

namespace skucast::csv {

// Spaces and tabs around a field are not part of a number or a time.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

enum class NumKind {
  Empty,      // blank field: missing
  Finite,     // a number
  NonFinite,  // NaN, Inf, NA written in the file: missing, but counted
  Bad,        // not a number
  Overflow,   // a finite number too large for float32
};

// Parses a float32 field. `out` is NaN for Empty and NonFinite.
inline NumKind parse_float(std::string_view field, float& out) {
  std::string_view s = trim(field);
  out = NAN;
  if (s.empty()) return NumKind::Empty;
  if (s == "NA" || s == "N/A" || s == "na" || s == "null" || s == "NULL") return NumKind::NonFinite;
  if (s.front() == '+' && s.size() > 1 && s[1] != '-') s.remove_prefix(1);
  const char* b = s.data();
  const char* e = b + s.size();
  // Fast path for plain decimals ("12", "-3.75", "0.001"): with at most 7 significant
  // digits the digits m (< 2^24) and 10^k (k <= 10) are exact floats, so one IEEE division
  // gives the correctly rounded result, the same float std::from_chars returns.
  {
    const char* p = b;
    const bool neg = *p == '-';
    p += neg;
    uint32_t m = 0;
    int digits = 0, frac = -1;
    for (; p < e && digits <= 7; ++p) {
      const unsigned c = static_cast<unsigned>(*p) - '0';
      if (c <= 9) {
        m = m * 10 + c;
        ++digits;
        if (frac >= 0) ++frac;
      } else if (*p == '.' && frac < 0) {
        frac = 0;
      } else {
        break;
      }
    }
    if (p == e && digits > 0 && digits <= 7) {
      constexpr float kPow10[11] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
      const float mag = frac > 0 ? static_cast<float>(m) / kPow10[frac] : static_cast<float>(m);
      out = neg ? -mag : mag;
      return NumKind::Finite;
    }
  }
  float v = 0.0f;
  auto r = std::from_chars(b, e, v);
  if (r.ptr != e) return NumKind::Bad;
  if (r.ec == std::errc::result_out_of_range) {
    // Either too large for float32 or so small that it underflows to zero.
    double d = 0.0;
    auto rd = std::from_chars(b, e, d);
    if (rd.ptr == e && rd.ec == std::errc() && std::fabs(d) < 1.0) {
      out = static_cast<float>(d);  // rounds to ±0 or a subnormal
      return NumKind::Finite;
    }
    if (rd.ptr == e && rd.ec == std::errc::result_out_of_range) {
      // Out of double's range too: 1e-400 underflows (a zero, as float32 stores it), 1e400
      // overflows. strtod tells them apart (0 vs HUGE_VAL); this path is rare, so the copy
      // it needs for a terminating NUL costs nothing.
      const std::string text(b, e);
      const double u = std::strtod(text.c_str(), nullptr);
      if (std::fabs(u) < 1.0) {
        out = std::signbit(u) ? -0.0f : 0.0f;
        return NumKind::Finite;
      }
    }
    return NumKind::Overflow;
  }
  if (r.ec != std::errc()) return NumKind::Bad;
  if (!std::isfinite(v)) return NumKind::NonFinite;
  out = v;
  return NumKind::Finite;
}

// Parses an integer field (no sign '+', no spaces inside).
inline bool parse_int(std::string_view field, int64_t& out) {
  std::string_view s = trim(field);
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

inline bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
inline unsigned days_in_month(int64_t y, unsigned m) {
  constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// "YYYY-MM-DD", optionally followed by a midnight time ("T00:00:00", " 00:00:00", with an
// optional "Z" or fraction of zeros) as pandas and spreadsheets write dates.
inline bool parse_date(std::string_view field, int64_t& y, unsigned& m, unsigned& d) {
  std::string_view s = trim(field);
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  auto digits = [&](size_t a, size_t n) {
    unsigned v = 0;
    for (size_t i = a; i < a + n; ++i) {
      const unsigned c = static_cast<unsigned>(s[i]) - '0';
      if (c > 9) return -1;
      v = v * 10 + c;
    }
    return static_cast<int>(v);
  };
  const int yy = digits(0, 4), mm = digits(5, 2), dd = digits(8, 2);
  if (yy < 0 || mm < 1 || mm > 12 || dd < 1) return false;
  y = yy;
  m = static_cast<unsigned>(mm);
  d = static_cast<unsigned>(dd);
  if (d > days_in_month(y, m)) return false;
  if (s.size() == 10) return true;
  std::string_view t = s.substr(10);
  if (t[0] != 'T' && t[0] != ' ') return false;
  t.remove_prefix(1);
  if (!t.empty() && t.back() == 'Z') t.remove_suffix(1);
  if (t != "00:00:00" && t != "00:00") {
    if (t.size() < 10 || t.substr(0, 9) != "00:00:00.") return false;
    for (char c : t.substr(9))
      if (c != '0') return false;
  }
  return true;
}

// Note [Whole-day times]: skucast's steps are whole days (or weeks, months, quarters, years),
// so a time of day is accepted only when it is midnight (parse_date); any other one, as in
// "2023-01-01 12:00" or "2023-01-01T08:30:00+01:00", would put two rows of one day on the
// same step or shift the axis. True for such a field — a valid date, then 'T' or ' ' and
// more — so that the error can say why instead of "expected a date".
inline bool date_with_time_of_day(std::string_view field) {
  const std::string_view s = trim(field);
  int64_t y;
  unsigned m, d;
  return s.size() > 11 && (s[10] == 'T' || s[10] == ' ') && parse_date(s.substr(0, 10), y, m, d);
}

}  // namespace skucast::csv
