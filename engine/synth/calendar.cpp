// engine/synth/calendar.cpp — the calendar of `skucast synth`: day-of-week, SNAP days,
// holidays and events with fixed and moving dates, and the per-category weekly, yearly and
// event log-effects on the axis (T history + F future days).
//
// Note [Synthetic events]: each event has a date rule (fixed date, n-th weekday of a month,
// Easter and Orthodox Easter by their computus, an approximate lunar rule for Ramadan and
// the Eids) and a list of effects: a window of day offsets around the event day and a log
// multiplier per category. Windows before the day are the pre-holiday effects (shopping
// for Thanksgiving dinner, Christmas gifts, Super Bowl snacks). Christmas day closes the
// stores: every series sells zero, as in the M5 data. The flag written to
// /calendar/events/<name> marks the event day itself, so a model sees the day and must
// learn the pre-holiday window from lags of the flag.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "engine/synth/internal.h"
#include "io/time_axis.h"

namespace skucast::synth {
namespace {

// ------------------------------------------------------------- date rules ----
// 0 = Monday .. 6 = Sunday; 1970-01-01 was a Thursday.
int weekday(int64_t days) { return static_cast<int>(((days + 3) % 7 + 7) % 7); }

// The n-th (1-based) `wd` weekday of month m of year y.
int64_t nth_weekday(int64_t y, unsigned m, int wd, int n) {
  const int64_t first = days_from_civil(y, m, 1);
  return first + (wd - weekday(first) + 7) % 7 + 7 * (n - 1);
}

// The last `wd` weekday of month m of year y.
int64_t last_weekday(int64_t y, unsigned m, int wd) {
  const int64_t last = (m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1)) - 1;
  return last - (weekday(last) - wd + 7) % 7;
}

// Western Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
int64_t easter(int64_t y) {
  const int64_t a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
  const int64_t f = (b + 8) / 25, g = (b - f + 1) / 3;
  const int64_t h = (19 * a + b - d - g + 15) % 30;
  const int64_t i = c / 4, k = c % 4;
  const int64_t l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int64_t m = (a + 11 * h + 22 * l) / 451;
  const int64_t month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
  return days_from_civil(y, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

// Orthodox Easter: Meeus' Julian algorithm, moved to the Gregorian calendar (+13 days,
// valid 1900–2099).
int64_t orthodox_easter(int64_t y) {
  const int64_t a = y % 4, b = y % 7, c = y % 19;
  const int64_t d = (19 * c + 15) % 30;
  const int64_t e = (2 * a + 4 * b - d + 34) % 7;
  const int64_t month = (d + e + 114) / 31, day = (d + e + 114) % 31 + 1;
  return days_from_civil(y, static_cast<unsigned>(month), static_cast<unsigned>(day)) + 13;
}

// First day of Ramadan in Gregorian year y, approximated by the mean lunar year
// (354.367 days) from 1 Ramadan 1432 = 2011-08-01; within a day or two of the observed date.
int64_t ramadan_start(int64_t y) {
  const double anchor = static_cast<double>(days_from_civil(2011, 8, 1));
  const double year_start = static_cast<double>(days_from_civil(y, 1, 1));
  const double n = std::ceil((year_start - anchor) / 354.367);
  return static_cast<int64_t>(std::llround(anchor + n * 354.367));
}

enum class Ev {
  SuperBowl, ValentinesDay, PresidentsDay, LentStart, StPatricksDay, Easter, OrthodoxEaster,
  CincoDeMayo, MothersDay, MemorialDay, FathersDay, IndependenceDay, RamadanStart, EidAlFitr,
  LaborDay, ColumbusDay, EidAlAdha, Halloween, VeteransDay, Thanksgiving, BlackFriday,
  Christmas, NewYear, OrthodoxChristmas, MartinLutherKingDay, Count
};

const char* const kEventNames[] = {
    "super_bowl", "valentines_day", "presidents_day", "lent_start", "st_patricks_day", "easter",
    "orthodox_easter", "cinco_de_mayo", "mothers_day", "memorial_day", "fathers_day",
    "independence_day", "ramadan_start", "eid_al_fitr", "labor_day", "columbus_day", "eid_al_adha",
    "halloween", "veterans_day", "thanksgiving", "black_friday", "christmas", "new_year",
    "orthodox_christmas", "martin_luther_king_day"};
static_assert(sizeof(kEventNames) / sizeof(kEventNames[0]) == static_cast<size_t>(Ev::Count));

// The event's day in Gregorian year y, as days since 1970-01-01.
int64_t event_day(Ev ev, int64_t y) {
  constexpr int kMon = 0, kThu = 3, kSun = 6;
  switch (ev) {
    case Ev::SuperBowl: return nth_weekday(y, 2, kSun, y < 2022 ? 1 : 2);
    case Ev::ValentinesDay: return days_from_civil(y, 2, 14);
    case Ev::PresidentsDay: return nth_weekday(y, 2, kMon, 3);
    case Ev::LentStart: return easter(y) - 46;  // Ash Wednesday
    case Ev::StPatricksDay: return days_from_civil(y, 3, 17);
    case Ev::Easter: return easter(y);
    case Ev::OrthodoxEaster: return orthodox_easter(y);
    case Ev::CincoDeMayo: return days_from_civil(y, 5, 5);
    case Ev::MothersDay: return nth_weekday(y, 5, kSun, 2);
    case Ev::MemorialDay: return last_weekday(y, 5, kMon);
    case Ev::FathersDay: return nth_weekday(y, 6, kSun, 3);
    case Ev::IndependenceDay: return days_from_civil(y, 7, 4);
    case Ev::RamadanStart: return ramadan_start(y);
    case Ev::EidAlFitr: return ramadan_start(y) + 30;
    case Ev::LaborDay: return nth_weekday(y, 9, kMon, 1);
    case Ev::ColumbusDay: return nth_weekday(y, 10, kMon, 2);
    case Ev::EidAlAdha: return ramadan_start(y) + 97;
    case Ev::Halloween: return days_from_civil(y, 10, 31);
    case Ev::VeteransDay: return days_from_civil(y, 11, 11);
    case Ev::Thanksgiving: return nth_weekday(y, 11, kThu, 4);
    case Ev::BlackFriday: return nth_weekday(y, 11, kThu, 4) + 1;
    case Ev::Christmas: return days_from_civil(y, 12, 25);
    case Ev::NewYear: return days_from_civil(y, 1, 1);
    case Ev::OrthodoxChristmas: return days_from_civil(y, 1, 7);
    case Ev::MartinLutherKingDay: return nth_weekday(y, 1, kMon, 3);
    case Ev::Count: break;
  }
  return 0;
}

// A log effect on days [lo, hi] relative to the event day, per category. With `ramp`, the
// effect grows linearly towards the day closest to the event (pre-holiday build-up).
struct Effect {
  Ev ev;
  int lo, hi;
  std::array<float, kNumCategories> log_mult;  // FOODS, HOBBIES, HOUSEHOLD
  bool ramp;
};

// Christmas day itself is handled as a closure (SynthCalendar::closed).
const Effect kEffects[] = {
    {Ev::SuperBowl, -1, 0, {0.22f, 0.00f, 0.06f}, false},
    {Ev::ValentinesDay, -2, 0, {0.06f, 0.25f, 0.02f}, true},
    {Ev::PresidentsDay, 0, 0, {0.04f, 0.04f, 0.06f}, false},
    {Ev::StPatricksDay, 0, 0, {0.05f, 0.03f, 0.00f}, false},
    {Ev::Easter, -3, -1, {0.15f, 0.18f, 0.05f}, true},
    {Ev::Easter, 0, 0, {-0.20f, -0.25f, -0.20f}, false},
    {Ev::CincoDeMayo, -1, 0, {0.10f, 0.02f, 0.00f}, false},
    {Ev::MothersDay, -3, -1, {0.05f, 0.28f, 0.06f}, true},
    {Ev::MemorialDay, -3, -1, {0.12f, 0.03f, 0.05f}, false},
    {Ev::FathersDay, -3, -1, {0.04f, 0.15f, 0.04f}, true},
    {Ev::IndependenceDay, -2, -1, {0.25f, 0.05f, 0.10f}, true},
    {Ev::IndependenceDay, 0, 0, {0.08f, -0.10f, -0.10f}, false},
    {Ev::EidAlFitr, -2, -1, {0.05f, 0.00f, 0.00f}, false},
    {Ev::LaborDay, -3, -1, {0.12f, 0.02f, 0.05f}, false},
    {Ev::Halloween, -7, -1, {0.08f, 0.25f, 0.03f}, true},
    {Ev::Halloween, 0, 0, {0.05f, 0.10f, 0.00f}, false},
    {Ev::VeteransDay, 0, 0, {0.02f, 0.04f, 0.04f}, false},
    {Ev::Thanksgiving, -3, -1, {0.30f, 0.05f, 0.08f}, true},
    {Ev::Thanksgiving, 0, 0, {-0.35f, -0.35f, -0.35f}, false},
    {Ev::BlackFriday, 0, 0, {0.05f, 0.45f, 0.30f}, false},
    {Ev::Christmas, -10, -1, {0.08f, 0.40f, 0.12f}, true},
    {Ev::Christmas, -3, -1, {0.15f, 0.00f, 0.00f}, true},
    {Ev::NewYear, -1, -1, {0.15f, 0.00f, 0.02f}, false},
    {Ev::NewYear, 0, 0, {-0.25f, -0.25f, -0.25f}, false},
    {Ev::MartinLutherKingDay, 0, 0, {0.03f, 0.03f, 0.03f}, false},
    {Ev::ColumbusDay, 0, 0, {0.02f, 0.02f, 0.02f}, false},
};

// Weekly log profiles Monday..Sunday (weekend peaks; food the strongest), centred below.
constexpr std::array<std::array<float, 7>, kNumCategories> kWeekly = {{
    {-0.10f, -0.16f, -0.16f, -0.13f, 0.00f, 0.30f, 0.26f},   // FOODS
    {-0.07f, -0.10f, -0.10f, -0.08f, 0.02f, 0.20f, 0.14f},   // HOBBIES
    {-0.10f, -0.13f, -0.13f, -0.11f, 0.00f, 0.27f, 0.22f},   // HOUSEHOLD
}};

// Yearly log profile: a1·cos(2π(f - p1)) + a2·cos(4π(f - p2)), f = fraction of the year.
struct Yearly {
  double a1, p1, a2, p2;
};
constexpr std::array<Yearly, kNumCategories> kYearly = {{
    {0.06, 0.55, 0.03, 0.10},   // FOODS: mild summer peak
    {0.16, 0.96, 0.05, 0.62},   // HOBBIES: gift season in December, back to school
    {0.10, 0.50, 0.04, 0.30},   // HOUSEHOLD: summer (garden, cleaning)
}};

// SNAP days by state, as in the M5 calendar: CA the 1st–10th, TX and WI ten fixed days.
bool is_snap(int state, unsigned dom) {
  static constexpr uint16_t kMask[kNumStates] = {
      0x07FE,                                                                  // CA: 1..10
      (1u << 1) | (1u << 3) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 9) | (1u << 11) |
          (1u << 12) | (1u << 13) | (1u << 15),                                // TX
      (1u << 2) | (1u << 3) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 9) | (1u << 11) |
          (1u << 12) | (1u << 14) | (1u << 15),                                // WI
  };
  return dom < 16 && ((kMask[state] >> dom) & 1u) != 0;
}

}  // namespace

// ------------------------------------------------------------------ build ----
SynthCalendar build_calendar(int64_t start, int64_t n_steps, int64_t n_future) {
  SynthCalendar cal;
  cal.n_steps = n_steps;
  cal.n_total = n_steps + n_future;
  cal.start = start;
  const int64_t n = cal.n_total;
  cal.dow.resize(static_cast<size_t>(n));
  cal.closed.assign(static_cast<size_t>(n), 0);
  for (auto& s : cal.snap) s.assign(static_cast<size_t>(n), 0.0f);
  for (auto& y : cal.yearly) y.assign(static_cast<size_t>(n), 0.0f);
  for (auto& e : cal.event) e.assign(static_cast<size_t>(n), 0.0f);

  // Weekly profiles centred to mean 0 in log, so the level means "average day".
  for (int c = 0; c < kNumCategories; ++c) {
    float mean = 0.0f;
    for (float v : kWeekly[c]) mean += v / 7.0f;
    for (int d = 0; d < 7; ++d) cal.weekly[c][d] = kWeekly[c][d] - mean;
  }

  for (int64_t t = 0; t < n; ++t) {
    const int64_t day = start + t;
    int64_t y;
    unsigned m, dom;
    civil_from_days(day, y, m, dom);
    cal.dow[t] = static_cast<uint8_t>(weekday(day));
    for (int s = 0; s < kNumStates; ++s) cal.snap[s][t] = is_snap(s, dom) ? 1.0f : 0.0f;
    const double y0 = static_cast<double>(days_from_civil(y, 1, 1));
    const double len = static_cast<double>(days_from_civil(y + 1, 1, 1)) - y0;
    const double f = (static_cast<double>(day) - y0) / len;  // fraction of the year, [0, 1)
    for (int c = 0; c < kNumCategories; ++c) {
      const Yearly& p = kYearly[c];
      cal.yearly[c][t] = static_cast<float>(p.a1 * std::cos(2.0 * std::numbers::pi * (f - p.p1)) +
                                            p.a2 * std::cos(4.0 * std::numbers::pi * (f - p.p2)));
    }
  }

  // Events: flags on the day, effects on their windows. Years one beyond each end so
  // windows that straddle the axis ends are covered.
  int64_t y_first, y_last;
  unsigned mm, dd;
  civil_from_days(start, y_first, mm, dd);
  civil_from_days(start + std::max<int64_t>(n - 1, 0), y_last, mm, dd);
  const int n_events = static_cast<int>(Ev::Count);
  cal.events.resize(static_cast<size_t>(n_events));
  for (int e = 0; e < n_events; ++e) {
    cal.events[e].name = kEventNames[e];
    cal.events[e].flags.assign(static_cast<size_t>(n), 0);
  }
  for (int64_t y = y_first - 1; y <= y_last + 1; ++y) {
    for (int e = 0; e < n_events; ++e) {
      const int64_t t = event_day(static_cast<Ev>(e), y) - start;
      if (t >= 0 && t < n) cal.events[e].flags[t] = 1;
      if (static_cast<Ev>(e) == Ev::Christmas && t >= 0 && t < n) cal.closed[t] = 1;
    }
    for (const Effect& fx : kEffects) {
      const int64_t t0 = event_day(fx.ev, y) - start;
      for (int off = fx.lo; off <= fx.hi; ++off) {
        const int64_t t = t0 + off;
        if (t < 0 || t >= n) continue;
        // Ramp: full effect on the day nearest the event, 1/(width) on the farthest.
        float w = 1.0f;
        if (fx.ramp && fx.hi > fx.lo) {
          const int dist = off <= 0 ? fx.hi - off : off - fx.lo;
          w = 1.0f - static_cast<float>(dist) / static_cast<float>(fx.hi - fx.lo + 1);
        }
        for (int c = 0; c < kNumCategories; ++c) cal.event[c][t] += w * fx.log_mult[c];
      }
    }
  }
  return cal;
}

}  // namespace skucast::synth
