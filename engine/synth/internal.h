// engine/synth/internal.h — the parts of `skucast synth` shared by engine/synth*.cpp; not a
// public interface (engine/synth/synth.h is).
//
// Defines: Category, SynthCalendar (calendar tables, events and per-category seasonal and
// event log-effects on the axis; engine/synth/calendar.cpp), Hierarchy (state → store → category
// → department → item naming and the series ↔ (store, item) map; engine/synth/catalog.cpp),
// ItemParams / StoreParams (per-item and per-store draws; engine/synth/catalog.cpp), and the
// per-series plan and sampler (engine/synth/series.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "io/panel.h"

namespace skucast::synth {

inline constexpr int kNumCategories = 3;  // FOODS, HOBBIES, HOUSEHOLD
inline constexpr int kNumStates = 3;      // CA, TX, WI
inline constexpr int kMaxStores = 10;     // CA_1..CA_4, TX_1..TX_3, WI_1..WI_3
inline constexpr int kNumDepts = 7;       // FOODS_1..3, HOBBIES_1..2, HOUSEHOLD_1..2
inline constexpr int kWeightDays = 28;    // /series/weight: expected dollar sales over 28 days

enum Category : int { kFoods = 0, kHobbies = 1, kHousehold = 2 };

// --------------------------------------------------------------- calendar ----
struct SynthCalendar {
  int64_t n_steps = 0;   // T
  int64_t n_total = 0;   // T+F
  int64_t start = 0;     // days since 1970-01-01 of position 0
  std::vector<uint8_t> dow;                    // [T+F] 0 = Monday .. 6 = Sunday
  std::vector<uint8_t> closed;                 // [T+F] 1 = stores closed (Christmas day)
  std::vector<EventSeries> events;             // /calendar/events/<name>, flags [T+F]
  std::array<std::vector<float>, kNumStates> snap;          // [3][T+F] 0/1 SNAP days
  std::array<std::array<float, 7>, kNumCategories> weekly;  // [3][7] log weekly profile
  std::array<std::vector<float>, kNumCategories> yearly;    // [3][T+F] log yearly profile
  std::array<std::vector<float>, kNumCategories> event;     // [3][T+F] log event effects
};

// Calendar tables for T history + F future days from `start` (days since 1970-01-01).
SynthCalendar build_calendar(int64_t start, int64_t n_steps, int64_t n_future);

// --------------------------------------------------------------- catalog ----
struct Hierarchy {
  int64_t n_series = 0;
  int64_t n_stores = 0;          // stores in use (<= kMaxStores)
  int64_t items_per_store = 0;   // series i: store i / items_per_store, item i % items_per_store
  std::vector<int> item_dept;    // [n_items] department 0..6
  std::vector<int> item_number;  // [n_items] 1-based number within the department

  int64_t n_items() const { return static_cast<int64_t>(item_dept.size()); }
  int64_t store_of(int64_t series) const { return series / items_per_store; }
  int64_t item_of(int64_t series) const { return series % items_per_store; }
  int category_of_item(int64_t item) const;
  std::string item_name(int64_t item) const;    // "FOODS_3_090"
  std::string series_id(int64_t series) const;  // "FOODS_3_090_CA_1"
};

Hierarchy build_hierarchy(int64_t n_series);
const char* store_name(int64_t store);  // "CA_1"
int state_of_store(int64_t store);      // 0 CA, 1 TX, 2 WI
const char* state_name(int state);
const char* category_name(int cat);
const char* dept_name(int dept);
int category_of_dept(int dept);

// Statics in the order state, store, cat, dept, item.
std::vector<StaticAttr> make_statics(const Hierarchy& h);

// Per-item draws, shared by the item's series in every store.
struct ItemParams {
  int cat = 0, dept = 0;
  double log_level = 0.0;     // log mean daily units before effects
  double price0 = 1.0;        // regular price at position 0, before the store factor
  double elasticity = 1.5;    // demand ∝ (price / regular)^(-elasticity)
  double slope = 0.0;         // log trend per year
  double yearly_amp = 1.0;    // scale of the category's yearly profile
  double weekly_amp = 1.0;    // scale of the category's weekly profile
  double size = 1.0;          // negative binomial size (smaller: more zeros, more dispersion)
  double promo_gap = 45.0;    // mean days between promotions
  int64_t launch = 0;         // first listed position (0: listed from the start)
  int64_t end = 0;            // one past the last listed position (T: never delisted)
  int n_changes = 0;          // regular-price changes
  std::array<int64_t, 8> change_day{};   // positions, ascending
  std::array<double, 8> change_factor{};  // price multipliers
};

struct StoreParams {
  double log_size = 0.0;       // log multiplier of every item's level
  double price_factor = 1.0;   // regional price level
  double slope = 0.0;          // store growth, log per year
  double stockout_rate = 1.0;  // multiplier of the stock-out frequency
  std::vector<float> shock;    // [T+F] store-wide log effect: AR(1) traffic shocks (weather,
                               // local events) plus, in some stores, a level shift (renovation)
};

ItemParams draw_item(uint64_t seed, int64_t item, int cat, int dept, int64_t n_steps);
StoreParams draw_store(uint64_t seed, int64_t store, int64_t n_steps, int64_t n_total);

// ---------------------------------------------------------------- series ----
// Plan of one series: everything but the count noise. Drawn from the series' plan stream.
struct SeriesPlan {
  int64_t launch = 0;      // first listed position
  int64_t end = 0;         // one past the last listed position of the history (<= T)
  double size = 1.0;       // negative binomial size
};

// Marks of the history days in SeriesScratch::mark.
enum DayMark : uint8_t { kNormal = 0, kStockout = 1, kOutlier = 2 };

struct SeriesScratch {
  std::vector<float> log_mu;  // [T+F] log expected demand (valid on listed days)
  std::vector<uint8_t> mark;  // [T] DayMark
};

struct SeriesContext {
  uint64_t seed = 0;
  const SynthCalendar* cal = nullptr;
  const Hierarchy* hier = nullptr;
  const std::vector<StoreParams>* stores = nullptr;  // [n_stores]
};

// Fills price [T+F], promo [T+F] and scratch for series `i`; returns its plan.
SeriesPlan plan_series(const SeriesContext& ctx, int64_t i, float* price, float* promo, SeriesScratch& scratch);
// Expected dollar sales over the last kWeightDays listed history days (> 0).
double expected_dollar_sales(const SeriesContext& ctx, const SeriesPlan& plan, const float* price,
                             const SeriesScratch& scratch);

struct SeriesStats {
  int64_t n_observed = 0, n_zero = 0;
};
// Draws target [T] (NaN outside the listing) from the series' noise stream.
SeriesStats sample_series(const SeriesContext& ctx, int64_t i, const SeriesPlan& plan, const SeriesScratch& scratch,
                          float* target);

}  // namespace skucast::synth
