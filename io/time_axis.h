// io/time_axis.h — the shared time axis of a panel: frequency, start, and the mapping
// between time labels (ISO dates or integers) and positions 0..T+F-1.
//
// Ordinals: D and W count days since 1970-01-01, M/Q/Y count months since 1970-01,
// frequency "1" is the integer itself. For M/Q/Y the day of a date must be the 1st,
// or the last day of its month when the axis starts on a month end ("2020-01-31").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace skucast {

enum class Freq { Day, Week, Month, Quarter, Year, Index };

// "D","W","M","Q","Y","1" → Freq; throws InputError on anything else.
Freq parse_freq(std::string_view s);
std::string freq_name(Freq f);
// Conventional season length: D→7, W→52, M→12, Q→4, Y→1, 1→1.
int default_season_length(Freq f);

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d);
// Parses "YYYY-MM-DD" strictly (valid month/day). Returns false on anything else.
bool parse_iso_date(std::string_view s, int64_t& y, unsigned& m, unsigned& d);
std::string format_iso_date(int64_t days);

struct TimeAxis {
  Freq freq = Freq::Day;
  int64_t start = 0;        // ordinal of position 0
  bool month_end = false;   // M/Q/Y only: labels are month ends
  int season_length = 7;

  // Label → ordinal. std::nullopt when the text is not a valid time for this frequency
  // (not a date, or a M/Q/Y date on a day other than the 1st / month end).
  // `month_end` is updated for M/Q/Y when `learn` is true (first label seen decides).
  static std::optional<int64_t> ordinal(Freq freq, std::string_view text, bool* month_end = nullptr);
  // Ordinal → position on the axis; std::nullopt when it falls between steps
  // (a weekly date off the weekday of the start, a quarter not aligned with the start).
  std::optional<int64_t> position(int64_t ordinal) const;
  int64_t ordinal_at(int64_t position) const;
  // Position → label ("2011-01-29", or "17" for an integer axis).
  std::string label(int64_t position) const;
  // The label of the start, as stored in the panel's `start` attribute.
  std::string start_label() const { return label(0); }
  // Day of week (0=Monday..6=Sunday), day of month, month (1-12), day of year of the
  // position's date; for the integer axis these are derived from position modulo.
  void calendar(int64_t position, int& dow, int& dom, int& month, int& doy, int64_t& year) const;
  // Steps between ordinals a and b (b-a)/step; only meaningful when aligned.
  int64_t step_ordinals() const;  // 1 (D, M, 1), 7 (W), 3 (Q), 12 (Y)
};

// Parses a stored start attribute back into an axis (inverse of start_label()).
TimeAxis make_axis(Freq freq, std::string_view start_label, int season_length);

}  // namespace skucast
