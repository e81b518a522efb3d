// tests/synth/test_synth.cpp — `skucast synth`: determinism (same seed → byte-identical file on
// any thread count, different seed → different file) and the properties the generator
// promises, measured on a 600 series × 730 day catalog: about half slow movers, promotion
// uplift, weekly seasonality, launches and delistings, events on their dates, Christmas
// closures, positive weights, M5-style ids and statics, covariates into the future.
#include <gtest/gtest.h>
#include <omp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "engine/synth/synth.h"
#include "engine/synth/random.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "io/time_axis.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"

namespace fs = std::filesystem;
using namespace skucast;

namespace {

// A fresh folder per test process, removed at exit.
const fs::path& tmp_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("skucast_test_synth_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}
struct TmpCleanup {
  ~TmpCleanup() {
    std::error_code ec;
    fs::remove_all(fs::temp_directory_path() / ("skucast_test_synth_" + std::to_string(::getpid())), ec);
  }
} g_cleanup;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

SynthOptions small(int64_t n_series, int64_t n_days, uint64_t seed) {
  SynthOptions o;
  o.n_series = n_series;
  o.n_days = n_days;
  o.seed = seed;
  return o;
}

int64_t position_of(const PanelHeader& h, int y, unsigned m, unsigned d) {
  return days_from_civil(y, m, d) - h.axis.start;
}

// --------------------------------------------------------------- samplers ----
// Our own samplers (Note [Portable random streams]) must have the right first two moments.
TEST(SynthRandom, SamplerMoments) {
  synth::Rng rng(123, synth::Domain::SeriesNoise, 0);
  constexpr int kN = 200000;
  auto check = [&](const char* what, double param, auto draw, double mean, double var) {
    double s = 0, s2 = 0;
    for (int k = 0; k < kN; ++k) {
      const double x = static_cast<double>(draw());
      s += x;
      s2 += x * x;
    }
    const double m = s / kN, v = s2 / kN - m * m;
    // 6 standard errors of the mean; variance within 5 % (+ a little for tiny variances).
    EXPECT_NEAR(m, mean, 6.0 * std::sqrt(var / kN)) << what << "(" << param << ") mean";
    EXPECT_NEAR(v, var, 0.05 * var + 1e-3) << what << "(" << param << ") variance";
  };
  check("normal", 0, [&] { return rng.normal(); }, 0.0, 1.0);
  check("uniform", 0, [&] { return rng.uniform(); }, 0.5, 1.0 / 12.0);
  for (double lam : {0.05, 0.7, 3.0, 9.9, 10.0, 25.0, 400.0})
    check("poisson", lam, [&] { return rng.poisson(lam); }, lam, lam);
  for (double a : {0.3, 0.9, 1.0, 2.5, 30.0}) check("gamma", a, [&] { return rng.gamma(a); }, a, a);
  for (double r : {0.4, 1.5, 8.0})
    for (double mu : {0.2, 2.0, 40.0})
      check("negbin", r * 1000 + mu, [&] { return rng.negbin(mu, r); }, mu, mu + mu * mu / r);
  // Streams: same key → same numbers; different index → different numbers.
  synth::Rng a(9, synth::Domain::SeriesPlan, 5), b(9, synth::Domain::SeriesPlan, 5), c(9, synth::Domain::SeriesPlan, 6);
  for (int k = 0; k < 100; ++k) ASSERT_EQ(a.next(), b.next());
  EXPECT_NE(a.next(), c.next());
}

// ------------------------------------------------------------ determinism ----
TEST(Synth, SameSeedGivesByteIdenticalFileOnAnyThreadCount) {
  const fs::path a = tmp_dir() / "a.h5", b = tmp_dir() / "b.h5", c = tmp_dir() / "c.h5", d = tmp_dir() / "d.h5",
                 e = tmp_dir() / "e.h5";
  SynthOptions o = small(700, 400, 7);
  o.block_rows = 1;  // one writer chunk per block: several blocks, boundaries exercised
  const int threads = omp_get_max_threads();
  synth_catalog(o, a.string());
  omp_set_num_threads(1);
  synth_catalog(o, b.string());
  omp_set_num_threads(3);
  synth_catalog(o, c.string());
  // Another block size changes the order chunks are written in (so the bytes), not the data.
  SynthOptions o_big_blocks = o;
  o_big_blocks.block_rows = 0;
  synth_catalog(o_big_blocks, e.string());
  omp_set_num_threads(threads);
  synth_catalog(small(700, 400, 8), d.string());

  const std::string fa = slurp(a), fb = slurp(b), fc = slurp(c), fd = slurp(d);
  ASSERT_GT(fa.size(), 10000u);
  EXPECT_TRUE(fa == fb) << "1 thread vs " << threads << " threads: files differ";
  EXPECT_TRUE(fa == fc) << "3 threads vs " << threads << " threads: files differ";
  EXPECT_TRUE(fa != fd) << "seeds 7 and 8 gave the same file";

  PanelReader ra(a.string()), re(e.string()), rd(d.string());
  auto n_differ = [](const std::vector<float>& x, const std::vector<float>& y) {
    int64_t n = 0;
    for (size_t k = 0; k < x.size(); ++k) n += !((std::isnan(x[k]) && std::isnan(y[k])) || x[k] == y[k]);
    return n;
  };
  const std::vector<float> ta = ra.read_target(0, 700);
  EXPECT_EQ(n_differ(ta, re.read_target(0, 700)), 0) << "block size changed the generated target";
  EXPECT_EQ(n_differ(ra.read_dynamic("price", 0, 700), re.read_dynamic("price", 0, 700)), 0);
  EXPECT_EQ(n_differ(ra.read_dynamic("promo", 0, 700), re.read_dynamic("promo", 0, 700)), 0);
  EXPECT_EQ(ra.header().weights, re.header().weights);
  EXPECT_GT(n_differ(ta, rd.read_target(0, 700)), static_cast<int64_t>(ta.size() / 10)) << "seed 7 vs 8";
}

TEST(Synth, RejectsBadOptions) {
  const std::string p = (tmp_dir() / "bad.h5").string();
  EXPECT_THROW(synth_catalog(small(0, 10, 1), p), InputError);
  EXPECT_THROW(synth_catalog(small(10, 0, 1), p), InputError);
  SynthOptions o = small(10, 10, 1);
  o.horizon = -1;
  EXPECT_THROW(synth_catalog(o, p), InputError);
  o = small(10, 10, 1);
  o.start = "2011-02-30";
  EXPECT_THROW(synth_catalog(o, p), InputError);
  // Sizes at the int64 limit: InputError (the sums and products overflowed into an internal error).
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  o = small(10, 10, 1);
  o.n_days = kMax;
  EXPECT_THROW(synth_catalog(o, p), InputError);
  o = small(10, 10, 1);
  o.horizon = kMax;
  EXPECT_THROW(synth_catalog(o, p), InputError);
  EXPECT_THROW(synth_catalog(small(kMax, 10, 1), p), InputError);
  EXPECT_FALSE(fs::exists(p));
}

TEST(Synth, TinyCatalogs) {
  // Fewer series than stores, and a handful of days: valid files, ids unique.
  for (int64_t s : {1, 3, 11}) {
    for (int64_t t : {1, 5, 40}) {
      const std::string p = (tmp_dir() / ("tiny_" + std::to_string(s) + "_" + std::to_string(t) + ".h5")).string();
      SynthOptions o = small(s, t, 3);
      o.horizon = t == 1 ? 0 : 28;
      ASSERT_NO_THROW(synth_catalog(o, p)) << s << " x " << t;
      PanelReader r(p);
      EXPECT_EQ(r.header().n_series(), s);
      EXPECT_EQ(r.header().n_steps, t);
      const std::vector<float> y = r.read_target(0, s);
      for (int64_t i = 0; i < s; ++i) {
        int64_t n_obs = 0;
        for (int64_t k = 0; k < t; ++k) n_obs += !std::isnan(y[i * t + k]);
        EXPECT_GE(n_obs, 1) << "series " << i << " of a " << s << " x " << t << " catalog is all NaN";
      }
    }
  }
}

// ------------------------------------------------------------- properties ----
// Note [Expected demand]: the forecast file of the generator's μ for the last days; asking for
// it leaves the panel byte for byte as it was, and the counts scatter around it as a negative
// binomial would (stock-outs and outliers aside).
TEST(Synth, ExpectedDemandIsWhatTheCountsScatterAround) {
  const fs::path a = tmp_dir() / "exp_a.h5", b = tmp_dir() / "exp_b.h5";
  const int64_t S = 600, T = 400, H = 28;
  SynthOptions o = small(S, T, 31);
  synth_catalog(o, a.string());
  o.expected_steps = H;
  ForecastFile e;
  synth_catalog(o, b.string(), &e);
  EXPECT_TRUE(slurp(a) == slurp(b)) << "asking for the expected demand changed the panel";
  ASSERT_EQ(e.model, "expected");
  EXPECT_EQ(e.origin, T - H);
  EXPECT_EQ(e.horizon, H);
  ASSERT_EQ(e.ids.size(), static_cast<size_t>(S));
  ASSERT_EQ(e.levels, (std::vector<double>{0.1, 0.5, 0.9}));
  PanelReader r(b.string());
  EXPECT_EQ(e.ids, r.header().ids);
  const std::vector<float> y = r.read_target(0, S);  // [S, T]
  double sum_y = 0.0, sum_mu = 0.0;
  int64_t n = 0, below_q10 = 0, above_q90 = 0;
  for (int64_t i = 0; i < S; ++i)
    for (int64_t h = 0; h < H; ++h) {
      const float yv = y[i * T + T - H + h], mu = e.mean[i * H + h];
      const float* q = &e.quantiles[(i * H + h) * 3];
      ASSERT_EQ(std::isnan(yv), std::isnan(mu)) << "series " << i << " step " << h << ": listed days only";
      if (std::isnan(mu)) continue;
      ASSERT_GE(mu, 0.0f);
      ASSERT_TRUE(q[0] <= q[1] && q[1] <= q[2]) << q[0] << " " << q[1] << " " << q[2];
      ASSERT_EQ(q[1], std::floor(q[1])) << "count quantiles are whole units";
      sum_y += yv;
      sum_mu += mu;
      below_q10 += yv < q[0];
      above_q90 += yv > q[2];
      ++n;
    }
  ASSERT_GT(n, S * H / 2);
  // Stock-outs remove a few percent of the demand and outliers add a little: within 10 %.
  EXPECT_NEAR(sum_y / sum_mu, 1.0, 0.10) << "actuals " << sum_y << " vs expected " << sum_mu;
  // Discrete quantiles with inclusive bounds: at most 10 % of the counts fall strictly
  // outside each, less where many counts tie at the bound (slow movers' zeros).
  EXPECT_LT(static_cast<double>(below_q10) / n, 0.12);
  EXPECT_LT(static_cast<double>(above_q90) / n, 0.13);
  EXPECT_GT(static_cast<double>(above_q90) / n, 0.03);
}

class SynthCatalog : public ::testing::Test {
 protected:
  static constexpr int64_t kS = 600, kT = 730, kF = 28;
  static void SetUpTestSuite() {
    const std::string p = (tmp_dir() / "catalog.h5").string();
    SynthOptions o = small(kS, kT, 2024);
    o.horizon = kF;
    summary = synth_catalog(o, p);
    reader = new PanelReader(p);
    y = reader->read_target(0, kS);
    price = reader->read_dynamic("price", 0, kS);
    promo = reader->read_dynamic("promo", 0, kS);
  }
  static void TearDownTestSuite() {
    delete reader;
    reader = nullptr;
  }
  static inline SynthSummary summary;
  static inline PanelReader* reader = nullptr;
  static inline std::vector<float> y, price, promo;  // [S, T], [S, T+F], [S, T+F]
};

TEST_F(SynthCatalog, HeaderHierarchyAndIds) {
  const PanelHeader& h = reader->header();
  EXPECT_EQ(h.n_series(), kS);
  EXPECT_EQ(h.n_steps, kT);
  EXPECT_EQ(h.n_future, kF);
  EXPECT_EQ(h.axis.freq, Freq::Day);
  EXPECT_EQ(h.axis.start_label(), "2011-01-29");
  EXPECT_EQ(h.axis.season_length, 7);
  const std::regex id_re("(FOODS_[123]|HOBBIES_[12]|HOUSEHOLD_[12])_[0-9]{3}_(CA_[1-4]|TX_[1-3]|WI_[1-3])");
  std::set<std::string> unique(h.ids.begin(), h.ids.end());
  EXPECT_EQ(static_cast<int64_t>(unique.size()), kS);
  for (const auto& id : h.ids) EXPECT_TRUE(std::regex_match(id, id_re)) << id;
  for (const char* name : {"state", "store", "cat", "dept", "item"}) {
    const StaticAttr* a = h.find_static(name);
    ASSERT_NE(a, nullptr) << name;
    ASSERT_EQ(static_cast<int64_t>(a->codes.size()), kS);
    for (int32_t c : a->codes) ASSERT_TRUE(c >= 0 && c < static_cast<int32_t>(a->levels.size())) << name;
  }
  // The id agrees with the statics: item level + "_" + store level.
  const StaticAttr *item = h.find_static("item"), *store = h.find_static("store"), *dept = h.find_static("dept");
  for (int64_t i = 0; i < kS; ++i) {
    EXPECT_EQ(h.ids[i], item->levels[item->codes[i]] + "_" + store->levels[store->codes[i]]);
    EXPECT_EQ(item->levels[item->codes[i]].rfind(dept->levels[dept->codes[i]] + "_", 0), 0u);
  }
  EXPECT_EQ(h.find_static("store")->levels.size(), 10u);
  EXPECT_EQ(h.find_static("cat")->levels, (std::vector<std::string>{"FOODS", "HOBBIES", "HOUSEHOLD"}));
}

TEST_F(SynthCatalog, AboutHalfTheSeriesAreSlowMovers) {
  int64_t n_slow = 0;
  for (int64_t i = 0; i < kS; ++i) {
    int64_t n_obs = 0, n_zero = 0;
    for (int64_t t = 0; t < kT; ++t) {
      const float v = y[i * kT + t];
      if (std::isnan(v)) continue;
      ++n_obs;
      n_zero += v == 0.0f;
      ASSERT_GE(v, 0.0f);
      ASSERT_EQ(v, std::floor(v)) << "counts must be integers";
    }
    n_slow += 2 * n_zero > n_obs;
  }
  const double share = static_cast<double>(n_slow) / kS;
  EXPECT_GE(share, 0.35);
  EXPECT_LE(share, 0.65);
  EXPECT_EQ(n_slow, summary.n_slow);
}

TEST_F(SynthCatalog, PromotionsLiftSales) {
  double sum_promo = 0.0, sum_base = 0.0;
  int64_t n_series_with_promo = 0, n_future_promo = 0;
  const int64_t TF = kT + kF;
  for (int64_t i = 0; i < kS; ++i) {
    double sp = 0, sb = 0;
    int64_t np = 0, nb = 0;
    for (int64_t t = 0; t < kT; ++t) {
      const float v = y[i * kT + t];
      if (std::isnan(v)) continue;
      if (promo[i * TF + t] == 1.0f) sp += v, ++np;
      else sb += v, ++nb;
    }
    for (int64_t t = kT; t < TF; ++t) n_future_promo += promo[i * TF + t] == 1.0f;
    if (np < 5 || nb < 5) continue;
    ++n_series_with_promo;
    sum_promo += sp / static_cast<double>(np);
    sum_base += sb / static_cast<double>(nb);
  }
  EXPECT_GT(n_series_with_promo, kS / 2);
  ASSERT_GT(sum_base, 0.0);
  EXPECT_GT(sum_promo / sum_base, 1.2) << "promo-day mean / non-promo-day mean, summed over series";
  EXPECT_GT(n_future_promo, 0) << "promotions must be known into the future";
  for (size_t k = 0; k < promo.size(); ++k) ASSERT_TRUE(promo[k] == 0.0f || promo[k] == 1.0f);
  for (size_t k = 0; k < price.size(); ++k) ASSERT_TRUE(std::isfinite(price[k]) && price[k] > 0.0f);
}

TEST_F(SynthCatalog, WeeklySeasonalityInAggregateSales) {
  // Aggregate of per-series mean-scaled sales, then its autocorrelation.
  std::vector<double> agg(kT, 0.0);
  std::vector<int64_t> cnt(kT, 0);
  for (int64_t i = 0; i < kS; ++i) {
    double s = 0;
    int64_t n = 0;
    for (int64_t t = 0; t < kT; ++t)
      if (!std::isnan(y[i * kT + t])) s += y[i * kT + t], ++n;
    if (n == 0 || s == 0) continue;
    const double mean = s / static_cast<double>(n);
    for (int64_t t = 0; t < kT; ++t)
      if (!std::isnan(y[i * kT + t])) agg[t] += y[i * kT + t] / mean, ++cnt[t];
  }
  for (int64_t t = 0; t < kT; ++t) agg[t] = cnt[t] ? agg[t] / static_cast<double>(cnt[t]) : 0.0;
  double mean = 0;
  for (double v : agg) mean += v / kT;
  auto acf = [&](int lag) {
    double num = 0, den = 0;
    for (int64_t t = 0; t < kT; ++t) den += (agg[t] - mean) * (agg[t] - mean);
    for (int64_t t = lag; t < kT; ++t) num += (agg[t] - mean) * (agg[t - lag] - mean);
    return num / den;
  };
  EXPECT_GT(acf(7), acf(3) + 0.2);
  EXPECT_GT(acf(7), acf(4) + 0.2);
  EXPECT_GT(acf(7), 0.3);
}

TEST_F(SynthCatalog, LaunchesAndDelistings) {
  int64_t n_launched = 0, n_delisted = 0, n_interior = 0;
  for (int64_t i = 0; i < kS; ++i) {
    const float* r = &y[i * kT];
    int64_t first = 0, last = kT - 1;
    while (first < kT && std::isnan(r[first])) ++first;
    while (last >= 0 && std::isnan(r[last])) --last;
    ASSERT_LE(first, last) << "series " << i << " is all NaN";
    n_launched += first > 0;
    n_delisted += last < kT - 1;
    for (int64_t t = first; t <= last; ++t) n_interior += std::isnan(r[t]);
  }
  EXPECT_GT(n_launched, kS / 20);
  EXPECT_LT(n_launched, kS / 2);
  EXPECT_GT(n_delisted, 0);
  EXPECT_LT(n_delisted, kS / 5);
  EXPECT_EQ(n_interior, 0);
  EXPECT_EQ(n_launched, summary.n_launched);
  EXPECT_EQ(n_delisted, summary.n_delisted);
}

TEST_F(SynthCatalog, EventsOnTheirDatesAndChristmasClosed) {
  const PanelHeader& h = reader->header();
  const int64_t TF = kT + kF;
  std::set<std::string> names;
  for (const auto& e : h.events) {
    names.insert(e.name);
    ASSERT_EQ(static_cast<int64_t>(e.flags.size()), TF) << e.name;
  }
  for (const char* n : {"christmas", "thanksgiving", "easter", "super_bowl", "mothers_day", "independence_day",
                        "new_year", "halloween", "labor_day", "memorial_day"})
    EXPECT_TRUE(names.count(n)) << n;
  auto flag = [&](const std::string& name, int64_t pos) {
    for (const auto& e : h.events)
      if (e.name == name) return pos >= 0 && pos < TF && e.flags[pos] == 1;
    return false;
  };
  EXPECT_TRUE(flag("super_bowl", position_of(h, 2011, 2, 6)));
  EXPECT_TRUE(flag("mothers_day", position_of(h, 2011, 5, 8)));
  EXPECT_TRUE(flag("thanksgiving", position_of(h, 2011, 11, 24)));
  EXPECT_TRUE(flag("christmas", position_of(h, 2011, 12, 25)));
  EXPECT_TRUE(flag("easter", position_of(h, 2012, 4, 8)));
  EXPECT_TRUE(flag("easter", position_of(h, 2011, 4, 24)));
  EXPECT_TRUE(flag("orthodox_easter", position_of(h, 2012, 4, 15)));
  EXPECT_TRUE(flag("memorial_day", position_of(h, 2012, 5, 28)));
  // Each event once a year: two years of axis → 2 or 3 flags each.
  for (const auto& e : h.events) {
    int64_t n = 0;
    for (uint8_t f : e.flags) n += f;
    EXPECT_GE(n, 1) << e.name;
    EXPECT_LE(n, 3) << e.name;
  }
  // Stores are closed on Christmas: every observed series sells 0.
  const int64_t xmas = position_of(h, 2011, 12, 25);
  for (int64_t i = 0; i < kS; ++i) {
    const float v = y[i * kT + xmas];
    EXPECT_TRUE(std::isnan(v) || v == 0.0f) << h.ids[i];
  }
}

TEST_F(SynthCatalog, WeightsAndSharedCovariates) {
  const PanelHeader& h = reader->header();
  ASSERT_EQ(static_cast<int64_t>(h.weights.size()), kS);
  for (float w : h.weights) EXPECT_TRUE(std::isfinite(w) && w > 0.0f) << w;
  for (const char* n : {"price", "promo"}) {
    const DynamicSpec* d = h.find_dynamic(n);
    ASSERT_NE(d, nullptr) << n;
    EXPECT_TRUE(d->per_series);
  }
  for (const char* n : {"snap_CA", "snap_TX", "snap_WI"}) {
    const DynamicSpec* d = h.find_dynamic(n);
    ASSERT_NE(d, nullptr) << n;
    EXPECT_FALSE(d->per_series);
    const std::vector<float> s = reader->read_dynamic(n, 0, 1);
    double days = 0;
    for (float v : s) days += v;
    EXPECT_NEAR(days / static_cast<double>(s.size()), 10.0 / 30.4, 0.03) << n;  // ten days a month
  }
}

// -------------------------------------------------------------------- CLI ----
TEST(SynthCli, WritesAFileAndRejectsBadFlags) {
  const std::string out = (tmp_dir() / "cli.h5").string();
  const std::string bin = skucast::testing::skucast_binary();
  int rc = std::system((bin + " synth --series 40 --days 60 --horizon 7 --seed 5 --out " + out + " 2>/dev/null").c_str());
  ASSERT_EQ(WEXITSTATUS(rc), 0);
  PanelReader r(out);
  EXPECT_EQ(r.header().n_series(), 40);
  EXPECT_EQ(r.header().n_future, 7);
  // The expected demand, scored like any forecast: it beats the naive forecast.
  rc = std::system((bin + " synth --series 40 --days 60 --seed 5 --out " + out + "_e --expected-out " + out +
                    "_exp.h5 --expected-steps 7 2>/dev/null && " + bin + " score --forecast " + out +
                    "_exp.h5 --panel " + out + "_e > /dev/null 2>&1")
                       .c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 0);
  EXPECT_EQ(read_forecast(out + "_exp.h5").horizon, 7);
  rc = std::system((bin + " synth --series 10 --days 60 --out " + out + "_bad --expected-out " + out +
                    "_bad_e.h5 --expected-steps 61 2>/dev/null")
                       .c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  EXPECT_FALSE(fs::exists(out + "_bad_e.h5"));
  rc = std::system((bin + " synth --series 0 --days 60 --out " + out + "_bad 2>/dev/null").c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  rc = std::system((bin + " synth --series 10 --days 60 --start 2011-13-01 --out " + out + "_bad 2>/dev/null").c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  EXPECT_FALSE(fs::exists(out + "_bad"));
}

}  // namespace
