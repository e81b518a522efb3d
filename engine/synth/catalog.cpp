// engine/synth/catalog.cpp — the hierarchy of a synthetic catalog (state → store →
// category → department → item, named as in the M5 data) and the per-item and per-store
// parameter draws of `skucast synth`.
//
// Series are ordered store-major like M5's sales_train file: all items of CA_1, then CA_2,
// and so on. The item catalogue is shared by all stores; departments get items in M5's
// proportions (3,049 items: FOODS_1 216, FOODS_2 398, FOODS_3 823, HOBBIES_1 416,
// HOBBIES_2 149, HOUSEHOLD_1 532, HOUSEHOLD_2 515).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/synth/internal.h"
#include "engine/synth/random.h"

namespace skucast::synth {
namespace {

const char* const kStores[kMaxStores] = {"CA_1", "CA_2", "CA_3", "CA_4", "TX_1",
                                         "TX_2", "TX_3", "WI_1", "WI_2", "WI_3"};
const int kStoreState[kMaxStores] = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2};
const char* const kStates[kNumStates] = {"CA", "TX", "WI"};
const char* const kCategories[kNumCategories] = {"FOODS", "HOBBIES", "HOUSEHOLD"};
const char* const kDepts[kNumDepts] = {"FOODS_1", "FOODS_2", "FOODS_3", "HOBBIES_1",
                                       "HOBBIES_2", "HOUSEHOLD_1", "HOUSEHOLD_2"};
const int kDeptCategory[kNumDepts] = {0, 0, 0, 1, 1, 2, 2};
const int kDeptItemsM5[kNumDepts] = {216, 398, 823, 416, 149, 532, 515};

// Per-category parameters of the item draws.
struct CategoryParams {
  double log_level_mean;   // log of the median item's mean daily units in a median store
  double log_level_sd;
  double log_price_mean;   // log regular price ($)
  double log_price_sd;
  double elasticity_mean;
  double promo_gap;        // mean days between promotions
};
const CategoryParams kCategoryParams[kNumCategories] = {
    {std::log(0.95), 1.25, std::log(3.0), 0.55, 1.6, 35.0},   // FOODS
    {std::log(0.65), 1.10, std::log(5.0), 0.80, 2.2, 60.0},   // HOBBIES
    {std::log(0.70), 1.10, std::log(5.0), 0.65, 1.8, 45.0},   // HOUSEHOLD
};

}  // namespace

// -------------------------------------------------------------- hierarchy ----
const char* store_name(int64_t store) { return kStores[store]; }
int state_of_store(int64_t store) { return kStoreState[store]; }
const char* state_name(int state) { return kStates[state]; }
const char* category_name(int cat) { return kCategories[cat]; }
const char* dept_name(int dept) { return kDepts[dept]; }
int category_of_dept(int dept) { return kDeptCategory[dept]; }

int Hierarchy::category_of_item(int64_t item) const { return kDeptCategory[item_dept[item]]; }

std::string Hierarchy::item_name(int64_t item) const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s_%03d", kDepts[item_dept[item]], item_number[item]);
  return buf;
}

std::string Hierarchy::series_id(int64_t series) const {
  return item_name(item_of(series)) + "_" + kStores[store_of(series)];
}

Hierarchy build_hierarchy(int64_t n_series) {
  Hierarchy h;
  h.n_series = n_series;
  const int64_t stores = std::min<int64_t>(kMaxStores, n_series);
  h.items_per_store = (n_series + stores - 1) / stores;
  h.n_stores = (n_series + h.items_per_store - 1) / h.items_per_store;  // every store non-empty
  const int64_t n_items = h.items_per_store;
  h.item_dept.resize(static_cast<size_t>(n_items));
  h.item_number.resize(static_cast<size_t>(n_items));
  // Department d holds items [bound[d], bound[d+1]): M5's shares of n_items, rounded.
  int64_t total = 0, cum = 0;
  for (int v : kDeptItemsM5) total += v;
  int64_t lo = 0;
  for (int d = 0; d < kNumDepts; ++d) {
    cum += kDeptItemsM5[d];
    const int64_t hi = d == kNumDepts - 1 ? n_items : (n_items * cum + total / 2) / total;
    for (int64_t k = lo; k < hi; ++k) {
      h.item_dept[k] = d;
      h.item_number[k] = static_cast<int>(k - lo + 1);
    }
    lo = std::max(lo, hi);
  }
  return h;
}

std::vector<StaticAttr> make_statics(const Hierarchy& h) {
  const int64_t n = h.n_series;
  StaticAttr state{"state", {}, {}}, store{"store", {}, {}}, cat{"cat", {}, {}}, dept{"dept", {}, {}},
      item{"item", {}, {}};
  for (const char* s : kStates) state.levels.emplace_back(s);
  for (int64_t s = 0; s < h.n_stores; ++s) store.levels.emplace_back(kStores[s]);
  for (const char* c : kCategories) cat.levels.emplace_back(c);
  for (const char* d : kDepts) dept.levels.emplace_back(d);
  for (int64_t k = 0; k < h.n_items(); ++k) item.levels.push_back(h.item_name(k));
  for (StaticAttr* a : {&state, &store, &cat, &dept, &item}) a->codes.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t s = h.store_of(i), k = h.item_of(i);
    state.codes[i] = kStoreState[s];
    store.codes[i] = static_cast<int32_t>(s);
    dept.codes[i] = h.item_dept[k];
    cat.codes[i] = kDeptCategory[h.item_dept[k]];
    item.codes[i] = static_cast<int32_t>(k);
  }
  return {std::move(state), std::move(store), std::move(cat), std::move(dept), std::move(item)};
}

// ------------------------------------------------------------------ draws ----
ItemParams draw_item(uint64_t seed, int64_t item, int cat, int dept, int64_t n_steps) {
  Rng rng(seed, Domain::Item, static_cast<uint64_t>(item));
  const CategoryParams& cp = kCategoryParams[cat];
  ItemParams p;
  p.cat = cat;
  p.dept = dept;
  p.log_level = rng.normal(cp.log_level_mean, cp.log_level_sd);
  p.price0 = std::clamp(std::exp(rng.normal(cp.log_price_mean, cp.log_price_sd)), 0.25, 150.0);
  p.elasticity = std::clamp(rng.normal(cp.elasticity_mean, 0.5), 0.3, 4.0);
  p.slope = std::clamp(rng.normal(0.0, 0.12), -0.4, 0.4);
  p.yearly_amp = rng.uniform(0.4, 1.6);
  p.weekly_amp = rng.uniform(0.6, 1.4);
  // Slow movers are also more dispersed: size ~0.5 for 0.3 units a day, ~8 for 30 a day.
  p.size = std::clamp(std::exp(rng.normal(0.3 + 0.5 * p.log_level, 0.5)), 0.25, 30.0);
  p.promo_gap = cp.promo_gap * std::exp(rng.normal(0.0, 0.4));

  // Launch: a third of the items arrive after the first day (leading NaN).
  p.launch = 0;
  if (rng.bernoulli(0.33) && n_steps > 2)
    p.launch = rng.uniform_int(1, std::max<int64_t>(1, (n_steps * 4) / 5));
  // Delisting: a few items leave the catalogue before the end (trailing NaN).
  p.end = n_steps;
  if (rng.bernoulli(0.06) && n_steps - p.launch > 4) {
    const int64_t lo = p.launch + (n_steps - p.launch) / 2;
    p.end = rng.uniform_int(lo, n_steps - 1);
  }

  // Regular price changes: about one every 1.5 years, mostly increases (inflation).
  double t = 0.0;
  while (p.n_changes < static_cast<int>(p.change_day.size())) {
    t += rng.exponential(550.0);
    if (t >= static_cast<double>(n_steps) + 365.0) break;
    p.change_day[p.n_changes] = static_cast<int64_t>(t);
    p.change_factor[p.n_changes] = rng.bernoulli(0.85) ? 1.0 + rng.uniform(0.02, 0.15) : 1.0 - rng.uniform(0.03, 0.15);
    ++p.n_changes;
  }
  return p;
}

StoreParams draw_store(uint64_t seed, int64_t store, int64_t n_steps, int64_t n_total) {
  Rng rng(seed, Domain::Store, static_cast<uint64_t>(store));
  static const double kStateSize[kNumStates] = {0.15, -0.05, -0.10};  // CA stores are busier
  static const double kStatePrice[kNumStates] = {0.03, -0.02, -0.01};
  StoreParams p;
  p.log_size = kStateSize[kStoreState[store]] + rng.normal(0.0, 0.25);
  p.price_factor = std::exp(kStatePrice[kStoreState[store]] + rng.normal(0.0, 0.01));
  p.slope = rng.normal(0.02, 0.04);
  p.stockout_rate = std::exp(rng.normal(0.0, 0.4));
  // Store traffic: AR(1) in logs (phi 0.7, stationary sd ~0.06), shared by all its series.
  p.shock.resize(static_cast<size_t>(n_total));
  double x = rng.normal(0.0, 0.06);
  for (int64_t t = 0; t < n_total; ++t) {
    x = 0.7 * x + rng.normal(0.0, 0.043);
    p.shock[t] = static_cast<float>(x);
  }
  // A third of the stores change level once (renovation, new competitor), as some M5 stores do.
  if (rng.bernoulli(0.33) && n_steps > 60) {
    const int64_t at = rng.uniform_int(30, n_steps - 30);
    const double step = (rng.bernoulli(0.5) ? 1.0 : -1.0) * rng.uniform(0.15, 0.35);
    for (int64_t t = at; t < n_total; ++t) p.shock[t] += static_cast<float>(step);
  }
  return p;
}

}  // namespace skucast::synth
