// tests/deepar/test_deepar_residuals.cpp — the global model's in-sample one-step residuals
// (Note [Global model residuals] in engine/deepar/residuals.cpp): shape and NaN pattern, each
// residual against the network run by hand on the one window that ends at its step, for
// several likelihoods and both cells; determinism, shards and pooled models; and through the
// binary, `forecast --model gru --residuals` feeding `reconcile --method mint_shrink` on an
// aggregated panel, with the combinations it refuses.
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
