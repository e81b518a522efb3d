// tests/deepar/test_deepar_residuals.cpp — the global model's in-sample one-step residuals
// (Note [Global model residuals] in engine/deepar/residuals.cpp): shape and NaN pattern, each
// residual against the network run by hand on the one window that ends at its step, for
// several likelihoods and both cells; determinism, shards and pooled models; and through the
// binary, `forecast --model gru --residuals` feeding `reconcile --method mint_shrink` on an
// aggregated panel, with the combinations it refuses. And the recent-bias correction built on
// the same one-step predictions (Note [Recent bias correction]): its shifts by hand, the
// forecast's affine move, shards, where it is off, and the command's report.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "engine/deepar/checkpoint.h"
#include "engine/deepar/internal.h"
#include "engine/deepar/model.h"
#include "engine/deepar/train_step.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "tests/cli_helpers.h"

using namespace skucast;

namespace {

// This test's scratch folder, removed when the process exits (skucast::testing::scratch_dir).
std::string temp_dir() { return skucast::testing::test_scratch_dir("skucast_resid_").string(); }

constexpr int64_t kS = 9, kT = 100;

// kS daily series of kT steps: weekly Poisson counts per store; series 2 launches at step 40,
// series 5 has interior gaps, series 8 has negative values (no log1p, no clipping at 0).
PanelHeader make_header() {
  PanelHeader h;
  h.axis = make_axis(Freq::Day, "2024-01-01", 7);
  h.n_steps = kT;
  for (int64_t s = 0; s < kS; ++s) h.ids.push_back("s" + std::to_string(s));
  StaticAttr store{"store", {}, {"A", "B", "C"}};
  for (int64_t s = 0; s < kS; ++s) store.codes.push_back(static_cast<int32_t>(s / 3));
  h.statics.push_back(store);
  return h;
}

std::vector<float> make_target() {
  std::mt19937_64 rng(11);
  std::vector<float> y(kS * kT, NAN);  // [S, T]
  for (int64_t s = 0; s < kS; ++s)
    for (int64_t t = 0; t < kT; ++t) {
      const double mean = (2.0 + s) * (t % 7 >= 5 ? 1.8 : 1.0);
      std::poisson_distribution<int> pois(mean);
      float v = static_cast<float>(pois(rng));
      if (s == 8) v -= 3.0f;
      if ((s == 2 && t < 40) || (s == 5 && t % 17 == 4)) v = NAN;
      y[s * kT + t] = v;
    }
  return y;
}

std::string write_test_panel(const std::string& dir) {
  const std::string p = dir + "/p.h5";
  write_panel(p, make_header(), make_target(), {});
  return p;
}

DeepArOptions small_options(const std::string& cell, const std::string& likelihood) {
  DeepArOptions o;
  o.cell = cell;
  o.likelihood = likelihood;
  o.hidden = 8;
  o.layers = 2;
  o.context = 14;
  o.horizon = 5;
  o.seed = 3;
  return o;
}

int64_t first_observed(const std::vector<float>& y, int64_t s) {
  for (int64_t t = 0; t < kT; ++t)
    if (!std::isnan(y[s * kT + t])) return t;
  return -1;
}

double softplus(double v) { return v > 20 ? v : std::log1p(std::exp(v)); }

}  // namespace

// Every residual is actual − the mean of the head's output at its step, with the network run on
// the single window [t0, t] (t0 the start of the window whose horizon part holds t: first + 1 −
// context + a multiple of the horizon); the mean written out per likelihood here. NaN exactly
// where the actual is NaN or t <= the series' first observation.
TEST(DeepArResiduals, EachResidualIsTheOneWindowPrediction) {
  const std::string dir = temp_dir(), path = write_test_panel(dir);
  const std::vector<float> y = make_target();
  const PanelReader panel(path);
  for (const auto& [cell, lik] : std::vector<std::pair<std::string, std::string>>{
           {"gru", "gaussian"}, {"lstm", "gaussian"}, {"gru", "negbin"}, {"lstm", "tweedie"}, {"gru", "mse"}}) {
    SCOPED_TRACE(cell + " " + lik);
    const DeepArState st = deepar_init(small_options(cell, lik), panel.header());
    const std::vector<float> res = deepar_residuals(st, panel);
    ASSERT_EQ(static_cast<int64_t>(res.size()), kS * kT);

    const deepar::Layout l = deepar::make_layout(st.options, st.panel);
    const int64_t ctx = st.options.context, H = st.options.horizon;
    const deepar::PanelData d = deepar::load_panel(panel, l, H, ctx + deepar::lookback(l) + 1);
    deepar::CpuStep cpu(l);
    deepar::HostWindows hw;
    const int64_t P = cpu.net.head.n_out();
    // One thread for the one-window runs: on a loaded machine, OpenMP's barriers around ~250
    // tiny runs cost seconds (the residuals themselves ran with every thread above).
    const int n_threads = omp_get_max_threads();
    omp_set_num_threads(1);
    int64_t n_checked = 0;
    double max_err = 0.0;
    for (int64_t s = 0; s < kS; ++s) {
      const int64_t first = first_observed(y, s);
      const bool log1p = l.log1p && s != 8, nonneg = s != 8;
      for (int64_t t = 0; t < kT; ++t) {
        const float r = res[s * kT + t], actual = y[s * kT + t];
        if (std::isnan(actual) || t <= first) {
          EXPECT_TRUE(std::isnan(r)) << "s" << s << " step " << t;
          continue;
        }
        ASSERT_FALSE(std::isnan(r)) << "s" << s << " step " << t;
        // By hand (a window each, so a subset for time): every step near the first observation
        // and every third step after, of all but two series (a launch, gaps, negatives among them).
        if ((s % 3 == 1 && s != 1) || (t - first > H + 1 && t % 3 != 0)) continue;
        const int64_t t0 = first + 1 - ctx + (t - first - 1) / H * H, n_steps = t - t0 + 1;
        const int64_t series = s;
        const deepar::WindowSet win{&series, &t0, 1, n_steps, kT, ctx};
        hw.cut(d, l, ctx, st.weights.data(), win);
        std::fill(hw.target.begin(), hw.target.end(), NAN);  // no loss (negbin refuses series 8's values)
        cpu.run(d, l, st.weights.data(), hw.x.data(), hw.target.data(), hw.scale.data(), &series, 1, n_steps,
                nn::Phase::Inference, 0, nullptr);
        const float* raw = cpu.dctx->y() + (n_steps - 1) * P;  // the window's last row: step t
        const double nu = hw.scale[0];
        double pred = nu * raw[0];
        if (lik == "gaussian" && log1p) {
          const double sigma = nu * (softplus(raw[1]) + 1e-6);
          pred = std::expm1(pred + 0.5 * sigma * sigma);
        } else if (lik == "mse" && log1p) {
          pred = std::expm1(pred);
        } else if (lik == "negbin") {
          pred = nu * (softplus(raw[0]) + 1e-6);
        } else if (lik == "tweedie") {
          pred = nu * std::exp(std::min<double>(raw[0], 30.0));
        }
        if (nonneg) pred = std::max(pred, 0.0);
        const double want = actual - pred;
        // Batches of many windows against one: the same sums, possibly in another BLAS order.
        const double tol = 1e-4 * (1.0 + std::fabs(pred));
        EXPECT_NEAR(r, want, tol) << "s" << s << " step " << t;
        max_err = std::max(max_err, std::fabs(r - want));
        ++n_checked;
      }
    }
    omp_set_num_threads(n_threads);
    EXPECT_GT(n_checked, 6 * (kT - 20) / 3);
    std::printf("%s %s: %lld residuals checked by hand, max |error| %.3g\n", cell.c_str(), lik.c_str(),
                static_cast<long long>(n_checked), max_err);
  }
}

// The same call twice gives the same bits; a shard's residuals are its rows of the whole
// panel's; a file of two copies of one model (pooled: the average) gives that model's.
TEST(DeepArResiduals, DeterministicShardedAndPooled) {
  const std::string dir = temp_dir(), path = write_test_panel(dir);
  const PanelReader panel(path);
  const DeepArState st = deepar_init(small_options("gru", "gaussian"), panel.header());
  const std::vector<float> a = deepar_residuals(st, panel), b = deepar_residuals(st, panel);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE((std::isnan(a[i]) && std::isnan(b[i])) || a[i] == b[i]) << i;
  const SeriesShard shard{1, 2};
  const auto [s0, s1] = shard.range(kS);
  const std::vector<float> part = deepar_residuals(st, panel, shard);
  ASSERT_EQ(static_cast<int64_t>(part.size()), (s1 - s0) * kT);
  for (int64_t i = 0; i < (s1 - s0) * kT; ++i) {
    const float w = a[s0 * kT + i];
    EXPECT_TRUE(std::isnan(w) ? std::isnan(part[i]) : std::fabs(part[i] - w) <= 1e-5f * (1 + std::fabs(w))) << i;
  }
  save_checkpoint(dir + "/two.h5", std::vector<DeepArState>{st, st});
  const std::vector<float> pooled = residuals_with_checkpoint(panel, dir + "/two.h5");
  ASSERT_EQ(pooled.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(std::isnan(a[i]) ? std::isnan(pooled[i]) : pooled[i] == a[i]) << i;
}

// End to end through the binary: aggregate, train a tiny GRU on the aggregated panel, forecast
// with --residuals ([S, T] stored), reconcile with mint_shrink and wls_var. --levels and an
// ensemble with a statistical member refuse --residuals with a message.
TEST(DeepArResiduals, ForecastResidualsFeedMintShrink) {
  using skucast::testing::run_skucast;
  const std::string dir = temp_dir(), path = write_test_panel(dir), agg = dir + "/agg.h5", model = dir + "/m.h5";
  auto r = run_skucast({"aggregate", "--panel", path, "--levels", "total;store", "--out", agg});
  ASSERT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"train", "--panel", agg, "--model", "gru", "--horizon", "5", "--hidden", "4", "--layers", "1",
                   "--context", "14", "--epochs", "1", "--batch", "8", "--windows-per-epoch", "32", "--out", model});
  ASSERT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"forecast", "--panel", agg, "--model", "gru", "--checkpoint", model, "--horizon", "5", "--paths",
                   "20", "--residuals", "--out", dir + "/base.h5"});
  ASSERT_EQ(r.rc, 0) << r.output;
  const ForecastFile base = read_forecast(dir + "/base.h5");
  const int64_t n_series = static_cast<int64_t>(base.ids.size());
  EXPECT_EQ(n_series, kS + 1 + 3);  // total, 3 stores, the bottom series
  ASSERT_EQ(base.residual_steps, kT);
  ASSERT_EQ(static_cast<int64_t>(base.residuals.size()), n_series * kT);
  int64_t n_finite = 0;
  for (float v : base.residuals) n_finite += std::isfinite(v);
  EXPECT_GT(n_finite, n_series * (kT - 20) - 60);
  for (const char* method : {"mint_shrink", "wls_var"}) {
    r = run_skucast({"reconcile", "--base", dir + "/base.h5", "--structure", agg, "--method", method, "--out",
                     dir + "/rec_" + method + ".h5"});
    ASSERT_EQ(r.rc, 0) << method << ": " << r.output;
    const ForecastFile rec = read_forecast(dir + "/rec_" + std::string(method) + ".h5");
    ASSERT_EQ(rec.mean.size(), base.mean.size());
    for (float v : rec.mean) EXPECT_TRUE(std::isfinite(v)) << method;
  }
  r = run_skucast({"forecast", "--panel", path, "--model", "gru", "--checkpoint", model, "--horizon", "5",
                   "--levels", "total;store", "--residuals", "--out", dir + "/no.h5"});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("--residuals with --levels"), std::string::npos) << r.output;
  r = run_skucast({"forecast", "--panel", agg, "--model", "gru+ets", "--checkpoint", model, "--horizon", "5",
                   "--residuals", "--out", dir + "/no.h5"});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("--residuals"), std::string::npos) << r.output;
}

// ------------------------------------------------- Note [Recent bias correction] ----
namespace {

constexpr int64_t kBS = 40;  // series: at least the 30 the persistence needs

// kBS daily series of kT steps on the log scale: Poisson counts whose level differs by series
// and moves, for a third of them, over the last 12 steps (a bias the network cannot know);
// series 3 launches 3 steps before the end (too few steps for a shift), series 7 has negative
// values (no log scale: no shift), series 11 has gaps.
std::string write_bias_panel(const std::string& dir, int64_t n_series = kBS) {
  PanelHeader h;
  h.axis = make_axis(Freq::Day, "2024-01-01", 7);
  h.n_steps = kT;
  for (int64_t s = 0; s < n_series; ++s) h.ids.push_back("b" + std::to_string(s));
  std::mt19937_64 rng(5);
  std::vector<float> y(static_cast<size_t>(n_series * kT), NAN);
  for (int64_t s = 0; s < n_series; ++s)
    for (int64_t t = 0; t < kT; ++t) {
      double mean = (3.0 + s % 7) * (t % 7 >= 5 ? 1.5 : 1.0);
      if (s % 3 == 0 && t >= kT - 12) mean *= 0.4 + 0.3 * static_cast<double>(s % 5);
      std::poisson_distribution<int> pois(mean);
      float v = static_cast<float>(pois(rng));
      if (s == 7) v -= 2.0f;
      if ((s == 3 && t < kT - 3) || (s == 11 && t % 4 == 1)) v = NAN;
      y[static_cast<size_t>(s * kT + t)] = v;
    }
  const std::string p = dir + "/bias" + std::to_string(n_series) + ".h5";
  write_panel(p, h, y, {});
  return p;
}

DeepArOptions bias_options(const std::string& likelihood = "gaussian") {
  DeepArOptions o = small_options("gru", likelihood);
  if (likelihood == "gaussian") o.target_transform = "log1p";
  return o;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

// recent_bias_cpu against the rule computed here: the location of each of the last W steps from
// the network run by hand on the one window whose context ends at T - W (or at the series'
// first observation), the errors on the log scale, their medians over the W steps and each half,
// the slope of one half on the other across series, alpha = rho^((W + H) / W), the shifts.
TEST(DeepArRecentBias, ShiftsByHandFromOneWindowPerSeries) {
  const std::string dir = temp_dir(), path = write_bias_panel(dir);
  const PanelReader panel(path);
  const DeepArState st = deepar_init(bias_options(), panel.header());
  const deepar::Layout l = deepar::make_layout(st.options, st.panel);
  ASSERT_TRUE(l.log1p);
  const int64_t ctx = st.options.context, Hm = st.options.horizon, H = 10, train_end = kT - 7;
  const deepar::PanelData d = deepar::load_panel(panel, l, H, ctx + deepar::lookback(l) + 1);
  const deepar::RecentBias rb = deepar::recent_bias_cpu(l, d, {st.weights.data()}, ctx, Hm, H, train_end, 0, kBS);
  ASSERT_EQ(rb.off, "");
  const int64_t W = Hm;  // min(7 steps after the training end, the model's horizon 5)
  ASSERT_EQ(rb.steps, W);

  deepar::CpuStep cpu(l);
  deepar::HostWindows hw;
  const int64_t P = cpu.net.head.n_out();
  std::vector<double> b(kBS, NAN), b1(kBS, NAN), b2(kBS, NAN);
  for (int64_t s = 0; s < kBS; ++s) {
    if (!d.log1p[s]) continue;  // series 7 (negative values)
    const int64_t first = d.first[s], t0 = std::max(first + 1, kT - W) - ctx, n_steps = kT - t0;
    const deepar::WindowSet win{&s, &t0, 1, n_steps, kT, ctx};
    hw.cut(d, l, ctx, st.weights.data(), win);
    std::fill(hw.target.begin(), hw.target.end(), NAN);
    cpu.run(d, l, st.weights.data(), hw.x.data(), hw.target.data(), hw.scale.data(), &s, 1, n_steps,
            nn::Phase::Inference, 0, nullptr);
    std::vector<double> all, lo, hi;
    for (int64_t t = kT - W; t < kT; ++t) {
      if (t - t0 < ctx || std::isnan(d.y[s * kT + t])) continue;
      const double loc = hw.loc.empty() ? 0.0 : hw.loc[0];
      const double r = d.y[s * kT + t] - (hw.scale[0] * cpu.dctx->y()[(t - t0) * P] + loc);
      all.push_back(r);
      (t - (kT - W) < W / 2 ? lo : hi).push_back(r);
    }
    if (static_cast<int64_t>(all.size()) < (W + 1) / 2) continue;  // series 3: 2 steps after its launch
    b[s] = median_of(all);
    if (!lo.empty() && !hi.empty()) {
      b1[s] = median_of(lo);
      b2[s] = median_of(hi);
    }
  }
  auto finite = [](const std::vector<double>& v) {
    std::vector<double> f;
    for (double x : v)
      if (std::isfinite(x)) f.push_back(x);
    return f;
  };
  const double mb = median_of(finite(b)), m1 = median_of(finite(b1)), m2 = median_of(finite(b2));
  double sxy = 0, sxx = 0;
  int64_t n = 0;
  for (int64_t s = 0; s < kBS; ++s)
    if (std::isfinite(b1[s])) {
      sxy += (b1[s] - m1) * (b2[s] - m2);
      sxx += (b1[s] - m1) * (b1[s] - m1);
      ++n;
    }
  EXPECT_EQ(rb.n_series, n);
  const double rho = std::clamp(sxy / sxx, 0.0, 1.0), alpha = std::pow(rho, static_cast<double>(W + H) / W);
  EXPECT_NEAR(rb.persistence, rho, 1e-4);
  EXPECT_NEAR(rb.alpha, alpha, 1e-4);
  ASSERT_EQ(static_cast<int64_t>(rb.shift.size()), kBS);
  for (int64_t s = 0; s < kBS; ++s)
    EXPECT_NEAR(rb.shift[s], std::isfinite(b[s]) ? alpha * (b[s] - mb) : 0.0, 1e-4) << "series " << s;
  EXPECT_EQ(rb.shift[7], 0.0);  // negative values: on the sales scale
  std::printf("persistence %.3f, alpha %.3f over %lld series\n", rb.persistence, rb.alpha, static_cast<long long>(n));
  // A series range gets its rows of the whole panel's shifts (alpha from every series).
  const deepar::RecentBias part = deepar::recent_bias_cpu(l, d, {st.weights.data()}, ctx, Hm, H, train_end, 10, 25);
  EXPECT_EQ(part.alpha, rb.alpha);
  EXPECT_EQ(part.shift, std::vector<double>(rb.shift.begin() + 10, rb.shift.begin() + 25));
  // Blocks of 7 series per network call: the same shifts.
  const deepar::RecentBias blocks = deepar::recent_bias_cpu(l, d, {st.weights.data()}, ctx, Hm, H, train_end, 0, kBS, 7);
  EXPECT_NEAR(blocks.alpha, rb.alpha, 1e-6);  // other batch sizes: possibly another BLAS order
  for (int64_t s = 0; s < kBS; ++s) EXPECT_NEAR(blocks.shift[s], rb.shift[s], 1e-5) << "series " << s;
}

// The forecast moves every path value of a series by its shift on the log scale: its quantiles,
// mean and running sums are the uncorrected forecast's under y -> (1 + y) e^c - 1; the file
// records alpha and W; a shard's rows are the whole forecast's; `off` leaves the paths alone.
TEST(DeepArRecentBias, ForecastMovesEachSeriesByItsShift) {
  const std::string dir = temp_dir(), path = write_bias_panel(dir);
  const PanelReader panel(path);
  DeepArState st = deepar_init(bias_options(), panel.header());
  deepar_train(st, panel, 2);
  ASSERT_EQ(st.train_end, kT - st.options.horizon);  // validation: the last horizon steps
  const std::vector<double> lv = {0.1, 0.5, 0.9};
  const int64_t H = 6, Q = 3;
  const ForecastFile on = deepar_forecast(st, panel, H, lv, 40, 7);
  const ForecastFile off = deepar_forecast(st, panel, H, lv, 40, 7, {}, {}, nullptr, BiasCorrection::Off);
  EXPECT_EQ(off.bias_correction, -1.0);
  EXPECT_EQ(off.bias_note, "off");
  ASSERT_GE(on.bias_correction, 0.0) << on.bias_note;
  EXPECT_EQ(on.bias_steps, st.options.horizon);
  const deepar::Layout l = deepar::make_layout(st.options, st.panel);
  const deepar::PanelData d = deepar::load_panel(panel, l, H, st.options.context + deepar::lookback(l) + 1);
  const deepar::RecentBias rb = deepar::recent_bias_cpu(l, d, {st.weights.data()}, st.options.context,
                                                        st.options.horizon, H, st.train_end, 0, kBS);
  EXPECT_EQ(on.bias_correction, rb.alpha);
  int64_t n_moved = 0;
  for (int64_t s = 0; s < kBS; ++s) {
    const double e = std::exp(rb.shift[s]);
    n_moved += rb.shift[s] != 0.0;
    for (int64_t h = 0; h < H; ++h) {
      const size_t row = static_cast<size_t>(s * H + h);
      // No shift (series 7, on the sales scale, with its negative values; a launch): unchanged.
      auto moved = [&](float v, double n) { return rb.shift[s] == 0.0 ? v : std::max(e * (v + n) - n, 0.0); };
      EXPECT_NEAR(on.mean[row], moved(off.mean[row], 1.0), 1e-4 * (1 + std::fabs(off.mean[row]))) << s << " " << h;
      for (int64_t k = 0; k < Q; ++k) {
        const size_t at = row * Q + static_cast<size_t>(k);
        EXPECT_NEAR(on.quantiles[at], moved(off.quantiles[at], 1.0), 1e-4 * (1 + std::fabs(off.quantiles[at])));
        EXPECT_NEAR(on.cumulative_quantiles[at], moved(off.cumulative_quantiles[at], h + 1.0),
                    1e-4 * (1 + std::fabs(off.cumulative_quantiles[at])));
      }
    }
  }
  EXPECT_GT(n_moved, kBS / 2);
  // Shards: the rows of the whole forecast, bit for bit.
  const ForecastFile half = deepar_forecast(st, panel, H, lv, 40, 7, {}, SeriesShard{1, 2});
  const auto [b0, b1] = SeriesShard{1, 2}.range(kBS);
  EXPECT_EQ(half.quantiles, std::vector<float>(on.quantiles.begin() + b0 * H * Q, on.quantiles.begin() + b1 * H * Q));
  EXPECT_EQ(half.bias_correction, on.bias_correction);
  // The file keeps alpha and W.
  write_forecast(dir + "/fc.h5", on);
  const ForecastFile back = read_forecast(dir + "/fc.h5");
  EXPECT_EQ(back.bias_correction, on.bias_correction);
  EXPECT_EQ(back.bias_steps, on.bias_steps);
  write_forecast(dir + "/off.h5", off);
  EXPECT_EQ(read_forecast(dir + "/off.h5").bias_correction, -1.0);
}

// No correction, and the forecast the uncorrected one, where it cannot be estimated: no step
// after the training end (a refit model), a count likelihood, fewer than 30 series; each says why.
TEST(DeepArRecentBias, NoneWhereItCannotBeEstimated) {
  const std::string dir = temp_dir(), path = write_bias_panel(dir);
  const PanelReader panel(path);
  const std::vector<double> lv = {0.5};
  auto check_none = [&](const DeepArState& st, const PanelReader& p, const std::string& why) {
    const ForecastFile on = deepar_forecast(st, p, 5, lv, 20, 3);
    const ForecastFile off = deepar_forecast(st, p, 5, lv, 20, 3, {}, {}, nullptr, BiasCorrection::Off);
    EXPECT_EQ(on.bias_correction, -1.0);
    EXPECT_NE(on.bias_note.find(why), std::string::npos) << on.bias_note;
    EXPECT_EQ(on.quantiles, off.quantiles);
    EXPECT_EQ(on.mean, off.mean);
  };
  DeepArState refit = deepar_init(bias_options(), panel.header());
  refit.train_end = kT;  // trained on every step
  check_none(refit, panel, "0 step(s) after the model's training end");
  const std::string pos_path = write_bias_panel(dir, 6);  // 6 series, none with negative values (negbin)
  const PanelReader small(pos_path);
  DeepArState few = deepar_init(bias_options(), small.header());
  few.train_end = kT - 5;
  check_none(few, small, "30 needed");
  DeepArState counts_small = deepar_init(bias_options("negbin"), small.header());
  counts_small.train_end = kT - 5;
  check_none(counts_small, small, "log scale");
}

// Through the binary: the forecast says what it did and `info` shows it; `off` and bad values.
TEST(DeepArRecentBias, ForecastCommandReportsIt) {
  using skucast::testing::run_skucast;
  const std::string dir = temp_dir(), path = write_bias_panel(dir), model = dir + "/m.h5";
  auto r = run_skucast({"train", "--panel", path, "--model", "gru", "--horizon", "5", "--hidden", "4", "--layers", "1",
                        "--context", "14", "--epochs", "1", "--batch", "8", "--windows-per-epoch", "32",
                        "--likelihood", "gaussian", "--target-transform", "log1p", "--ensemble", "1", "--out", model});
  ASSERT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"forecast", "--panel", path, "--model", "gru", "--checkpoint", model, "--horizon", "5", "--paths",
                   "20", "--out", dir + "/on.h5"});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("recent-bias correction: each series' forecast moved by"), std::string::npos) << r.output;
  r = run_skucast({"info", dir + "/on.h5"});
  EXPECT_NE(r.output.find("bias shift:"), std::string::npos) << r.output;
  // As an ensemble member: the same correction of the member, said and recorded.
  r = run_skucast({"forecast", "--panel", path, "--model", "gru+ets", "--checkpoint", model, "--horizon", "5",
                   "--paths", "20", "--out", dir + "/ens.h5"});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("forecast gru: recent-bias correction: each series' forecast moved by"), std::string::npos)
      << r.output;
  EXPECT_EQ(read_forecast(dir + "/ens.h5").bias_correction, read_forecast(dir + "/on.h5").bias_correction);
  r = run_skucast({"info", dir + "/ens.h5"});
  EXPECT_NE(r.output.find("steps, of its global member"), std::string::npos) << r.output;
  r = run_skucast({"forecast", "--panel", path, "--model", "gru", "--checkpoint", model, "--horizon", "5", "--paths",
                   "20", "--bias-correction", "off", "--out", dir + "/off.h5"});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_EQ(r.output.find("recent-bias"), std::string::npos) << r.output;
  EXPECT_EQ(read_forecast(dir + "/off.h5").bias_correction, -1.0);
  r = run_skucast({"forecast", "--panel", path, "--model", "gru", "--checkpoint", model, "--horizon", "5",
                   "--bias-correction", "maybe", "--out", dir + "/no.h5"});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/no.h5"));
}
