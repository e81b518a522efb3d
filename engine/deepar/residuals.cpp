// engine/deepar/residuals.cpp — the global model's in-sample one-step predictions on the CPU
// (one_step_predictions_cpu, engine/deepar/internal.h), from which `forecast --model lstm|gru
// --residuals` stores the residuals that `reconcile --method wls_var|mint_shrink` reads.
// No I/O here (deepar_residuals in engine/deepar/forecast.cpp loads the panel and models).
//
// Note [Global model residuals]
//   The statistical models' residuals are y_t − ŷ_t|t−1 from their filter; the global model's
//   one-step prediction at step t is the network's, teacher-forced, as in training and
//   validation (train_step.h evaluate_on_cpu): the network reads the observed history (lags,
//   rolling statistics, covariates) and its head at step t gives the likelihood's parameters
//   for y_t, whose mean on the sales scale is the prediction (mean_value in
//   engine/deepar/sample.h: exp(mu + sigma²/2) − 1 for the Gaussian on log1p, the negative
//   binomial's and Tweedie's means, ...; clipped at 0 for series that never sold a negative
//   amount, as their forecast paths are).
//   Windows: the network was trained on windows of context + horizon steps whose loss covers
//   the horizon part, with the scale nu of the context; a recurrent state run over the whole
//   history would be a regime training never saw. So each series is covered by windows of
//   context + horizon steps sliding by `horizon` (the model's own), and step t keeps the
//   prediction of the window in whose horizon part it lies: every prediction is made from
//   between 1 and horizon steps after the end of a context, as during training. A stride of 1
//   (each step at the end of its own context) would cost `horizon` times more for predictions
//   of the regime the model's first horizon step alone saw.
//   The first window of series s starts at first[s] + 1 − context (before the panel's start
//   when the series launched early: those steps read as missing, as training's earliest window
//   does, Note [DeepAR windows]), so its context always holds the first observation, and every
//   step after the first observed one has a prediction. NaN: steps t <= first[s] (no
//   observation before them: the statistical models also have none at their first step), steps
//   whose actual is NaN, and series never observed.
//   Pooled models (Note [Pooled models]): each member runs the same windows and the prediction
//   is the members' average, what the pooled forecast's mean estimates.
//   Memory: windows go to the network in batches of at most kResidualBatch, composed on the
//   host like the validation's (HostWindows); the output is [S', T]. Device: the CPU network
//   only (the caller says so when --device cuda was asked).
//
// Note [Recent bias correction]
//   One network serves the whole catalog, so it reads a series' level through its shared weights,
//   its embeddings and its context, and shrinks what it reads toward what similar series do: a
//   store whose sales of a brand have settled 15 % above what the network expects stays
//   under-forecast on its regular weeks, where a per-series model (ARIMA) tracks its own level.
//   On Dominick's orange juice that is where the global model lost to arimax (regular weeks and
//   the first step; README "Accuracy so far"). The steps after the model's training end
//   [train_end, T) (the validation window, or the days a nightly panel gained since training)
//   show each series' bias out of sample, so the forecast corrects for it:
//   1. One-step predictions of the last W = min(T - train_end, the model's horizon) steps,
//      teacher-forced from one window per series whose context ends at T - W (the regime of the
//      forecast itself: 1 to horizon steps after a context), the location on the model's scale
//      (the members' average), and the errors r_t = log(1 + y_t) - location_t.
//   2. Per series, b = the median of its errors over the W steps (robust to a promotion the
//      network misjudged), and b1, b2 the medians over the first floor(W/2) steps and over the
//      rest. Series with fewer than ceil(W/2) observed steps, or none in a half, get no shift.
//   3. How much of such a bias persists: rho = the least-squares slope of b2 on b1 across the
//      series, each centred on its catalog median, clamped to [0, 1] (from at least 30 series;
//      else no correction): the share of a bias that lasted W/2 steps (the split-half
//      reliability of test theory, read as persistence). The forecast's steps lie on average
//      (W + H)/2 steps after the middle of the W steps, so the factor is alpha = rho^((W + H)/W),
//      a geometric decay (rho^2 when W = H). A catalog whose biases are noise gets alpha near 0
//      and so no correction (M3 quarterly: 0.007); biases that last get much of it. The
//      undecayed slope over-corrected on orange juice's earlier split (alpha 0.66: MASE 0.4821 ->
//      0.4847; with the decay 0.43: 0.4794).
//   4. The shift of series s is alpha * (b_s - median of b): relative to the catalog, since a
//      shift shared by every series is as likely a catalog-wide event of those weeks as a level
//      that lasts. Every path value of s moves by the shift on the log scale, y -> (1 + y) e^c - 1
//      (clipped at 0), so its quantiles, mean and running sums move with it exactly (the map
//      is affine in y; forecast_models applies it to them).
//   What it cannot tell apart: a bias that lasts from one that belongs to the W steps' season. A
//   validation window over December whose series-specific holiday misses persist within it
//   (high rho) would carry them into January; the decay and the centring soften that, and
//   `--bias-correction off` is there for such a window (or a longer --val-steps / a W that spans
//   more than the season).
//   Only for models on the log scale (Note [Target transform]: continuous likelihoods, series
//   without negative values); W >= 4 (a refit model, `--refit on`, has no step it did not train
//   on). Shards: the errors and alpha come from every series of the panel, so a series' forecast
//   does not depend on --shard. Cost: one teacher-forced window of context + W steps per series,
//   about what one sample path costs. Measured (bench/README.md, the default 3 pooled GRUs of
//   seeds 0-2, MASE of the median): orange juice's test weeks 0.4035 -> 0.3920 (alpha 0.36), its
//   earlier split 0.4821 -> 0.4794 (0.43), bayesm's cheese 1.027 -> 1.017 (0.09-0.11), M3
//   quarterly level (0.007); pinball lower on all. The mean moves with the paths: RMSSE of the
//   mean 0.6463 -> 0.6596 and 0.7505 -> 0.7574 on orange juice (its promotion weeks, which
//   dominate squared errors, do not share the regular weeks' bias), 1.3605 -> 1.3498 on cheese.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/deepar/internal.h"
#include "engine/deepar/sample.h"
#include "engine/deepar/train_step.h"
#include "kernels/common.hpp"

namespace skucast::deepar {

namespace {
// Windows per network call. The CPU network keeps every step's activations, so memory grows
// with it: on `synth --series 2000 --days 730` with the default GRU (H = 28, windows of 140
// steps) the forecast's peak memory rose by 245 MB at 512, 96 MB at 256 and 22 MB at 128, and
// the residuals took 19.6 s, 23.4 s and 34.3 s (2 cores, shared with another job).
constexpr int64_t kResidualBatch = 256;
}  // namespace

std::vector<float> one_step_predictions_cpu(const Layout& l, const PanelData& d,
                                            const std::vector<const float*>& members, int64_t context,
                                            int64_t stride, int64_t series_begin, int64_t series_end,
                                            int64_t t_first, bool location) {
  const int64_t T = d.n_time, S0 = series_begin, S1 = series_end;
  if (members.empty()) throw InputError("deepar: residuals need at least one model");
  if (context < 1 || stride < 1)
    throw InputError("deepar: residual windows need context and stride >= 1, got " + std::to_string(context) + " and " +
                     std::to_string(stride));
  if (S0 < 0 || S0 > S1 || S1 > d.n_series)
    throw InputError("deepar: series range [" + std::to_string(S0) + ", " + std::to_string(S1) +
                     ") outside the panel's " + std::to_string(d.n_series) + " series");
  if (location && !likelihood_is_continuous(l.lik.kind))
    throw InputError("deepar: a count likelihood has no location to predict");
  const int64_t W = context + stride, K = static_cast<int64_t>(members.size());
  std::vector<float> pred(static_cast<size_t>(checked_mul(S1 - S0, T)), NAN);  // [S', T]
  const std::vector<uint8_t> nonneg = nonneg_series(d);
  CpuStep cpu(l);
  HostWindows hw;
  const int64_t P = cpu.net.head.n_out();
  std::vector<int64_t> series, t0;  // [B] the batch's windows
  std::vector<double> sum;          // [W, B] the members' predictions summed
  int64_t s = S0 - 1, next_t0 = 0;  // the next window: series s from next_t0
  // To the next series with a step to predict (observed before its last step T - 1, and before
  // t_first's window ends).
  auto start = [&](int64_t i) { return std::max(d.first[i] + 1, t_first); };
  auto next_series = [&] {
    do ++s;
    while (s < S1 && !(d.first[s] >= 0 && start(s) < T));
    if (s < S1) next_t0 = start(s) - context;  // its context ends at its first observation (or t_first)
  };
  next_series();
  while (s < S1) {
    series.clear();
    t0.clear();
    while (s < S1 && static_cast<int64_t>(series.size()) < kResidualBatch) {
      series.push_back(s);
      t0.push_back(next_t0);
      next_t0 += stride;
      if (next_t0 + context >= T) next_series();  // no step of that window is in the history
    }
    const int64_t B = static_cast<int64_t>(series.size());
    sum.assign(static_cast<size_t>(checked_mul(W, B)), 0.0);
    const WindowSet win{series.data(), t0.data(), B, W, T, context};
    for (int64_t k = 0; k < K; ++k) {
      hw.cut(d, l, context, members[static_cast<size_t>(k)], win);
      // The targets only feed the loss, which is not wanted here (and a count likelihood's loss
      // refuses a panel with negative values, which a forecast accepts): all masked.
      std::fill(hw.target.begin(), hw.target.end(), NAN);
      cpu.run(d, l, members[static_cast<size_t>(k)], hw.x.data(), hw.target.data(), hw.scale.data(), series.data(), B,
              W, nn::Phase::Inference, 0, nullptr);
      const float* y = cpu.dctx->y();  // [W, B, P]
#pragma omp parallel for schedule(static)
      for (int64_t b = 0; b < B; ++b) {
        const bool log1p = !d.log1p.empty() && d.log1p[series[b]];
        const double loc = hw.loc.empty() ? 0.0 : hw.loc[b];
        for (int64_t j = context; j < W; ++j) {  // the horizon part: step t0[b] + j
          const float* raw = y + (j * B + b) * P;
          sum[j * B + b] += location ? hw.scale[b] * static_cast<double>(raw[0]) + loc
                                     : mean_value(l.lik.kind, raw, hw.scale[b], log1p, loc);
        }
      }
    }
    for (int64_t b = 0; b < B; ++b) {
      const int64_t i = series[b];
      for (int64_t j = context; j < W; ++j) {
        const int64_t t = t0[b] + j;
        if (t <= d.first[i] || t < t_first || t >= T || std::isnan(d.y[i * T + t])) continue;
        const double v = sum[j * B + b] / static_cast<double>(K);
        if (!std::isfinite(v)) continue;  // none (NaN)
        pred[(i - S0) * T + t] = location ? static_cast<float>(v) : path_value(v, nonneg[i] != 0);
      }
    }
  }
  return pred;
}

namespace {
// The median of v (mean of the middle two for an even count); v is reordered. NaN when empty.
double median_of(std::vector<double>& v) {
  if (v.empty()) return NAN;
  const size_t n = v.size(), m = n / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m), v.end());
  const double hi = v[m];
  if (n % 2) return hi;
  return 0.5 * (hi + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m)));
}
constexpr int64_t kMinBiasSteps = 4;    // W below this: no correction
constexpr int64_t kMinBiasSeries = 30;  // series needed to estimate the persistence
}  // namespace

RecentBias recent_bias_cpu(const Layout& l, const PanelData& d, const std::vector<const float*>& members,
                           int64_t context, int64_t model_horizon, int64_t horizon, int64_t train_end,
                           int64_t series_begin, int64_t series_end, int64_t block) {
  RecentBias rb;
  const int64_t T = d.n_time, S = d.n_series;
  if (!l.log1p || !likelihood_is_continuous(l.lik.kind)) {
    rb.off = "the model does not forecast on the log scale (a count likelihood or --target-transform none)";
    return rb;
  }
  if (train_end < 0) {
    rb.off = "the model file does not record where its training ended";
    return rb;
  }
  rb.steps = std::min(T - train_end, model_horizon);
  if (rb.steps < kMinBiasSteps) {
    rb.off = std::to_string(std::max<int64_t>(T - train_end, 0)) + " step(s) after the model's training end, " +
             std::to_string(kMinBiasSteps) + " needed (a model refit on every step has none)";
    rb.steps = 0;
    return rb;
  }
  const int64_t W = rb.steps, t0 = T - W, half = W / 2;
  std::vector<double> b(static_cast<size_t>(S), NAN), b1(static_cast<size_t>(S), NAN), b2(static_cast<size_t>(S), NAN);
  std::vector<double> all, first, second;
  // In blocks of series: the predictions come back [block, T], of which the last W steps are read.
  if (block < 1) throw InputError("deepar: recent bias: block must be at least 1");
  for (int64_t i0 = 0; i0 < S; i0 += block) {
    const int64_t i1 = std::min(S, i0 + block);
    const std::vector<float> loc = one_step_predictions_cpu(l, d, members, context, W, i0, i1, t0, true);
    for (int64_t i = i0; i < i1; ++i) {
      if (d.log1p.empty() || !d.log1p[i]) continue;  // a series on the sales scale: no shift
      all.clear();
      first.clear();
      second.clear();
      for (int64_t t = t0; t < T; ++t) {
        const double r = static_cast<double>(d.y[i * T + t]) - static_cast<double>(loc[(i - i0) * T + t]);
        if (!std::isfinite(r)) continue;
        all.push_back(r);
        (t - t0 < half ? first : second).push_back(r);
      }
      if (static_cast<int64_t>(all.size()) < (W + 1) / 2) continue;
      b[i] = median_of(all);
      if (!first.empty() && !second.empty()) {
        b1[i] = median_of(first);
        b2[i] = median_of(second);
      }
    }
  }
  auto finite_median = [](const std::vector<double>& v) {
    std::vector<double> f;
    for (double x : v)
      if (std::isfinite(x)) f.push_back(x);
    return median_of(f);
  };
  const double mb = finite_median(b), m1 = finite_median(b1), m2 = finite_median(b2);
  double sxy = 0.0, sxx = 0.0;
  int64_t n = 0;
  for (int64_t i = 0; i < S; ++i) {
    if (!std::isfinite(b1[i])) continue;
    const double x = b1[i] - m1, y = b2[i] - m2;
    sxy += x * y;
    sxx += x * x;
    ++n;
  }
  rb.n_series = n;
  if (n < kMinBiasSeries) {
    rb.off = std::to_string(n) + " series with observed steps in both halves of the last " + std::to_string(W) +
             ", " + std::to_string(kMinBiasSeries) + " needed";
    return rb;
  }
  rb.persistence = sxx > 0 ? std::clamp(sxy / sxx, 0.0, 1.0) : 0.0;
  rb.alpha = std::pow(rb.persistence, static_cast<double>(W + horizon) / static_cast<double>(W));
  rb.shift.assign(static_cast<size_t>(series_end - series_begin), 0.0);
  for (int64_t i = series_begin; i < series_end; ++i)
    if (std::isfinite(b[i])) rb.shift[static_cast<size_t>(i - series_begin)] = rb.alpha * (b[i] - mb);
  return rb;
}

}  // namespace skucast::deepar
