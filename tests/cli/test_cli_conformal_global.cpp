// tests/cli/test_cli_conformal_global.cpp — the global model (lstm/gru from a checkpoint) with
// `forecast --intervals conformal` (Note [Global model calibration] in tools/forecast_calibration.cpp) and
// as a candidate of `--model auto` or a member of an ensemble, through the binary: a tiny network
// trained for 2 epochs on a small panel, so every test runs in seconds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "engine/eval/backtest.h"
#include "engine/eval/conformal.h"
#include "engine/stat/model.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

using testing::CliResult;
using testing::run_skucast;

constexpr int kSeries = 30, kSteps = 120, kH = 7;

class CliConformalGlobal : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    // 30 daily series of 120 days: a weekly pattern whose size varies by series, plus Poisson
    // noise; non-negative counts, few zeros (one zero-share bucket).
    PanelHeader h;
    h.axis = make_axis(Freq::Day, "2022-01-03", 7);
    h.n_steps = kSteps;
    std::mt19937 rng(7);
    std::poisson_distribution<int> noise(5);
    std::vector<float> y;
    for (int s = 0; s < kSeries; ++s) {
      h.ids.push_back("sku" + std::to_string(s));
      for (int t = 0; t < kSteps; ++t) y.push_back(static_cast<float>((t % 7) * (1 + s % 4) + noise(rng)));
    }
    m_panel = path("p.h5");
    write_panel(m_panel, h, y, {});
  }
  // A tiny LSTM, 2 epochs; val_steps: the held-out final steps (training end = 120 - val_steps).
  void train(int val_steps, const std::string& out) {
    const CliResult r = run_skucast({"train", "--panel", m_panel, "--model", "lstm", "--horizon", std::to_string(kH),
                                     "--hidden", "8", "--layers", "1", "--context", "14", "--epochs", "2",
                                     "--val-steps", std::to_string(val_steps), "--out", path(out)});
    ASSERT_EQ(r.rc, 0) << r.output;
  }
  std::vector<std::string> forecast_args(const std::string& model, const std::string& ckpt, const std::string& out) {
    return {"forecast", "--panel", m_panel, "--model", model, "--checkpoint", path(ckpt), "--horizon",
            std::to_string(kH), "--quantiles", "0.05,0.1,0.5,0.9,0.95", "--paths", "40", "--out", path(out)};
  }
  bool exists(const std::string& name) const { return std::filesystem::exists(m_dir / name); }
  std::string m_panel;
};

// Validation window of 21 steps: origins 99, 106, 113 are after the training end (99), so three
// out-of-sample folds of step 7 fit. The conformal run keeps the model's mean, changes the
// quantiles, keeps them ordered and non-negative, and each upper bound is an order statistic of
// the pooled scaled errors that at least ceil((n + 1) q) of them do not exceed (inclusive).
TEST_F(CliConformalGlobal, CalibratesFromFoldsAfterTraining) {
  train(21, "m.h5");
  const CliResult base = run_skucast(forecast_args("lstm", "m.h5", "model.h5"));
  ASSERT_EQ(base.rc, 0) << base.output;
  std::vector<std::string> a = forecast_args("lstm", "m.h5", "conf.h5");
  a.insert(a.end(), {"--intervals", "conformal", "--conformal-score", "scaled", "--csv", path("conf.csv")});
  const CliResult r = run_skucast(a);
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("conformal intervals: 3 calibration fold(s), "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" s; "), std::string::npos) << r.output;  // the time it cost
  // All three folds' targets lie in the validation window [99, 120): said so.
  EXPECT_NE(r.output.find("3 fold(s) with targets in its validation window"), std::string::npos) << r.output;
  const ForecastFile m = read_forecast(path("model.h5")), c = read_forecast(path("conf.h5"));
  EXPECT_EQ(c.intervals, "conformal");
  EXPECT_EQ(c.calibration_folds, 3);
  EXPECT_EQ(c.conformal_score, "scaled");
  // Scaled is the global model's default score (Note [Global model calibration]): the same file.
  std::vector<std::string> d_args = forecast_args("lstm", "m.h5", "default.h5");
  d_args.insert(d_args.end(), {"--intervals", "conformal"});
  ASSERT_EQ(run_skucast(d_args).rc, 0);
  const ForecastFile d = read_forecast(path("default.h5"));
  EXPECT_EQ(d.conformal_score, "scaled");
  EXPECT_EQ(d.quantiles, c.quantiles);
  ASSERT_EQ(m.mean.size(), c.mean.size());
  for (size_t i = 0; i < m.mean.size(); ++i) EXPECT_EQ(m.mean[i], c.mean[i]) << i;  // the point forecast stays
  const int64_t Q = 5;
  int64_t n_changed = 0;
  for (size_t i = 0; i < c.quantiles.size(); ++i) n_changed += std::fabs(c.quantiles[i] - m.quantiles[i]) > 1e-3f;
  EXPECT_GT(n_changed, static_cast<int64_t>(c.quantiles.size()) / 2);
  for (size_t cell = 0; cell < c.mean.size(); ++cell) {
    const float* q = c.quantiles.data() + cell * Q;
    EXPECT_GE(q[0], 0.0f) << cell;
    for (int j = 1; j < Q; ++j) EXPECT_LE(q[j - 1], q[j]) << "cell " << cell;
  }

  // The same calibration through the engine: the errors of the stored model at the three
  // origins. Every series is pooled (3 < 20 errors of its own), all in one zero-share bucket.
  const PanelReader reader(m_panel);
  BacktestOptions bo;
  bo.models = {"lstm"};
  bo.horizon = kH;
  bo.folds = 3;
  bo.levels = c.levels;
  bo.nn_checkpoint = path("m.h5");
  bo.nn_paths = 40;
  bo.nn_seed = 1;
  const CalibrationSet cal = calibrate(reader, bo);
  ASSERT_EQ(cal.n_folds, 3);
  for (int s = 0; s < kSeries; ++s) ASSERT_LT(cal.zero_share[static_cast<size_t>(s)], 0.2) << s;
  // --conformal-score scaled (Note [Conformal scaled scores]): each error's size over the fold's own
  // spread, width / (z(0.95) − z(0.05)) within [0.1, 10 sqrt(h + 1)] × naive MAE; the upper bound at level q is the
  // origin's own spread × the ceil((n + 1)(2q − 1))-th score. With --conformal-score raw (the statistical
  // models' default; the file raw.h5): each signed error over the fold's naive MAE, the bound over the whole
  // history's, the ceil((n + 1) q)-th.
  std::vector<std::string> ra_args = forecast_args("lstm", "m.h5", "raw.h5");
  ra_args.insert(ra_args.end(), {"--intervals", "conformal", "--conformal-score", "raw"});
  const CliResult ra = run_skucast(ra_args);
  ASSERT_EQ(ra.rc, 0) << ra.output;
  const ForecastFile craw = read_forecast(path("raw.h5"));
  const double zd = 2.0 * 1.6448536269514722;  // levels 0.05 and 0.95
  auto spread = [&](double width, double scale, int64_t h) {
    return std::clamp(width / zd, 0.1 * scale, 10.0 * std::sqrt(h + 1.0) * scale);
  };
  int64_t n_at_cap = 0;
  for (const bool scaled : {true, false}) {
    const ForecastFile& fc = scaled ? c : craw;
    for (int64_t h = 0; h < kH; ++h) {
      std::vector<double> pool;  // scores at step h
      for (int s = 0; s < kSeries; ++s)
        for (int k = 0; k < 3; ++k) {
          const size_t i = static_cast<size_t>((s * 3 + k) * kH + h);
          const double e = cal.errors[i], sc = cal.fold_scale[static_cast<size_t>(s * 3 + k)];
          if (scaled && std::isfinite(e)) pool.push_back(std::fabs(e) / spread(cal.widths[i], sc, h));
          if (!scaled && std::isfinite(e) && std::isfinite(sc) && sc > 0.0) pool.push_back(e / sc);
        }
      const auto n = static_cast<int64_t>(pool.size());
      ASSERT_GE(n, 20) << h;
      for (int s = 0; s < kSeries; ++s) {
        const float* own = m.quantiles.data() + (s * kH + h) * Q;  // the model's own quantiles at the origin
        const double scale = scaled ? spread(static_cast<double>(own[Q - 1]) - own[0], cal.scale[static_cast<size_t>(s)], h)
                                    : cal.scale[static_cast<size_t>(s)];
        const double mean = fc.mean[static_cast<size_t>(s * kH + h)];
        for (int j : {3, 4}) {  // levels 0.9 and 0.95
          const double level = fc.levels[static_cast<size_t>(j)], p = scaled ? 2.0 * level - 1.0 : level;
          const float v = fc.quantiles[static_cast<size_t>((s * kH + h) * Q + j)];
          if (v == 0.0f) continue;  // clipped at 0: no order statistic
          // At the bound of Note [Bounded statistical forecasts] (engine/stat/model.h): none either.
          if (v == static_cast<float>(forecast_cap(cal.peak[static_cast<size_t>(s)]))) {
            ++n_at_cap;
            continue;
          }
          const double bound = (fc.quantiles[static_cast<size_t>((s * kH + h) * Q + j)] - mean) / scale;
          const double tol = 1e-5 * (1.0 + std::fabs(bound));
          int64_t n_le = 0, n_at = 0;
          for (double e : pool) {
            n_le += e <= bound + tol;
            n_at += std::fabs(e - bound) <= tol;
          }
          EXPECT_GE(n_at, 1) << "the bound is one of the scores: series " << s << " step " << h;
          EXPECT_GE(n_le, static_cast<int64_t>(std::ceil((n + 1) * p - 1e-9)))
              << (scaled ? "scaled" : "raw") << " series " << s << " step " << h << " level " << level;
        }
      }
    }
  }
  // The cells left at the bound are among those the runs say they bounded.
  int64_t n_said = 0;
  for (const CliResult* run : {&r, &ra}) {
    const std::string key = "(too few errors for the level), ";
    const size_t at = run->output.find(key);
    ASSERT_NE(at, std::string::npos) << run->output;
    n_said += std::stoll(run->output.substr(at + key.size()));
  }
  EXPECT_GE(n_said, n_at_cap);
  std::printf("upper quantiles at the bound: %lld of those checked; the runs bounded %lld value(s)\n",
              static_cast<long long>(n_at_cap), static_cast<long long>(n_said));
}

// Too few out-of-sample steps: the default validation window (= the horizon) holds one fold, so
// the default K shrinks to it with a note, an explicit K = 2 is refused naming what fits, and a
// validation window shorter than the horizon leaves none.
TEST_F(CliConformalGlobal, TooShortOutOfSamplePartIsAClearError) {
  train(kH, "m.h5");
  std::vector<std::string> a = forecast_args("lstm", "m.h5", "one.h5");
  a.insert(a.end(), {"--intervals", "conformal"});
  CliResult r = run_skucast(a);
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("1 out-of-sample calibration fold(s) of horizon 7 fit after the model's training"),
            std::string::npos) << r.output;
  EXPECT_EQ(read_forecast(path("one.h5")).calibration_folds, 1);

  a = forecast_args("lstm", "m.h5", "bad.h5");
  a.insert(a.end(), {"--intervals", "conformal", "--calibration-folds", "2"});
  r = run_skucast(a);
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("--calibration-folds 2: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("the model trained on steps [0, 113)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 fold(s) of horizon 7 with step 7 fit there"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--val-steps"), std::string::npos) << r.output;
  EXPECT_FALSE(exists("bad.h5"));

  train(3, "short.h5");  // training end 117 > T - H = 113: no origin is out of sample
  a = forecast_args("lstm", "short.h5", "bad.h5");
  a.insert(a.end(), {"--intervals", "conformal"});
  r = run_skucast(a);
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("0 fold(s) of horizon 7 with step 7 fit there"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("--refit on"), std::string::npos) << r.output;
  EXPECT_FALSE(exists("bad.h5"));

  // A refit model trained on every step, its validation window too (Note [Refit on every
  // step]): the error says so, since a longer --val-steps alone would not help.
  const CliResult t = run_skucast({"train", "--panel", m_panel, "--model", "lstm", "--horizon", std::to_string(kH),
                                   "--hidden", "8", "--layers", "1", "--context", "14", "--epochs", "2", "--val-steps",
                                   std::to_string(3 * kH), "--refit", "on", "--out", path("refit.h5")});
  ASSERT_EQ(t.rc, 0) << t.output;
  a = forecast_args("lstm", "refit.h5", "bad.h5");
  a.insert(a.end(), {"--intervals", "conformal"});
  r = run_skucast(a);
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("the model trained on every step of its panel (--refit on); train with --refit off and a "
                          "longer --val-steps"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(exists("bad.h5"));
}

// lstm as a candidate of auto and as a member of an ensemble, on the same out-of-sample folds:
// auto takes each series' forecast from its chosen model; the mean ensemble is the two members'
// mean; the weighted one lies between them.
TEST_F(CliConformalGlobal, GlobalModelAsCandidateAndMember) {
  train(21, "m.h5");
  ASSERT_EQ(run_skucast(forecast_args("lstm", "m.h5", "lstm.h5")).rc, 0);
  const CliResult sn = run_skucast({"forecast", "--panel", m_panel, "--model", "snaive", "--horizon", std::to_string(kH),
                                    "--quantiles", "0.05,0.1,0.5,0.9,0.95", "--out", path("snaive.h5")});
  ASSERT_EQ(sn.rc, 0) << sn.output;
  const ForecastFile l = read_forecast(path("lstm.h5")), n = read_forecast(path("snaive.h5"));

  std::vector<std::string> a = forecast_args("auto:snaive,lstm", "m.h5", "auto.h5");
  a.insert(a.end(), {"--select-rule", "lowest"});
  CliResult r = run_skucast(a);
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("over 3 fold(s)"), std::string::npos) << r.output;
  const ForecastFile au = read_forecast(path("auto.h5"));
  ASSERT_EQ(au.model_per_series.size(), static_cast<size_t>(kSeries));
  for (int s = 0; s < kSeries; ++s) {
    const std::string& pick = au.model_per_series[static_cast<size_t>(s)];
    ASSERT_TRUE(pick == "lstm" || pick == "snaive") << pick;
    const ForecastFile& src = pick == "lstm" ? l : n;
    for (int h = 0; h < kH; ++h)
      EXPECT_EQ(au.mean[static_cast<size_t>(s * kH + h)], src.mean[static_cast<size_t>(s * kH + h)]) << s << " " << h;
  }

  r = run_skucast(forecast_args("lstm+snaive", "m.h5", "mean.h5"));
  ASSERT_EQ(r.rc, 0) << r.output;
  const ForecastFile me = read_forecast(path("mean.h5"));
  EXPECT_EQ(me.model, "lstm+snaive");
  for (size_t i = 0; i < me.mean.size(); ++i) EXPECT_NEAR(me.mean[i], 0.5f * (l.mean[i] + n.mean[i]), 1e-4f) << i;
  for (size_t i = 0; i < me.quantiles.size(); ++i)
    EXPECT_NEAR(me.quantiles[i], 0.5f * (l.quantiles[i] + n.quantiles[i]), 1e-4f) << i;

  a = forecast_args("lstm+snaive", "m.h5", "w.h5");
  a.insert(a.end(), {"--combine", "weighted"});
  r = run_skucast(a);
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("weighted: members weighed per series by 1 / mean mase over 3 fold(s)"), std::string::npos)
      << r.output;
  const ForecastFile w = read_forecast(path("w.h5"));
  for (size_t i = 0; i < w.mean.size(); ++i) {
    EXPECT_GE(w.mean[i], std::min(l.mean[i], n.mean[i]) - 1e-4f) << i;
    EXPECT_LE(w.mean[i], std::max(l.mean[i], n.mean[i]) + 1e-4f) << i;
  }
  // auto's default rule with two candidates keeps both, weighed as --combine weighted does when
  // the errors are the series' own (--select-shrink 0; Note [Errors shrunk towards the catalog]).
  std::vector<std::string> top2_args = forecast_args("auto:lstm,snaive", "m.h5", "top2.h5");
  top2_args.insert(top2_args.end(), {"--select-shrink", "0"});
  r = run_skucast(top2_args);
  ASSERT_EQ(r.rc, 0) << r.output;
  const ForecastFile t2 = read_forecast(path("top2.h5"));
  for (size_t i = 0; i < w.mean.size(); ++i) EXPECT_NEAR(t2.mean[i], w.mean[i], 1e-4f) << i;

  // Bad requests: no checkpoint, two global models, median, more selection folds than fit.
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--model", "auto:snaive,lstm"}, "needs its trained model file"},
      {{"--model", "lstm+gru", "--checkpoint", path("m.h5")}, "at most one global model"},
      {{"--model", "lstm+snaive", "--combine", "median", "--checkpoint", path("m.h5")}, "--combine median with a global member"},
      {{"--model", "auto:snaive,lstm", "--selection-folds", "4", "--checkpoint", path("m.h5")},
       "--selection-folds 4: "},
      {{"--model", "auto:snaive,gru", "--checkpoint", path("m.h5")}, "holds a 'lstm' model"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> b{"forecast", "--panel", m_panel, "--horizon", std::to_string(kH), "--out", path("bad.h5")};
    b.insert(b.end(), args.begin(), args.end());
    const CliResult bad = run_skucast(b);
    EXPECT_EQ(bad.rc, 2) << bad.output;
    EXPECT_NE(bad.output.find(message), std::string::npos) << message << " in: " << bad.output;
    EXPECT_FALSE(exists("bad.h5"));
  }
}

}  // namespace
}  // namespace skucast
