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
#include <algorithm>
#include <cmath>

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
                                            int64_t stride, int64_t series_begin, int64_t series_end) {
  const int64_t T = d.n_time, S0 = series_begin, S1 = series_end;
  if (members.empty()) throw InputError("deepar: residuals need at least one model");
  if (context < 1 || stride < 1)
    throw InputError("deepar: residual windows need context and stride >= 1, got " + std::to_string(context) + " and " +
                     std::to_string(stride));
  if (S0 < 0 || S0 > S1 || S1 > d.n_series)
    throw InputError("deepar: series range [" + std::to_string(S0) + ", " + std::to_string(S1) +
                     ") outside the panel's " + std::to_string(d.n_series) + " series");
  const int64_t W = context + stride, K = static_cast<int64_t>(members.size());
  std::vector<float> pred(static_cast<size_t>(checked_mul(S1 - S0, T)), NAN);  // [S', T]
  const std::vector<uint8_t> nonneg = nonneg_series(d);
  CpuStep cpu(l);
  HostWindows hw;
  const int64_t P = cpu.net.head.n_out();
  std::vector<int64_t> series, t0;  // [B] the batch's windows
  std::vector<double> sum;          // [W, B] the members' predictions summed
  int64_t s = S0 - 1, next_t0 = 0;  // the next window: series s from next_t0
  // To the next series with a step to predict (observed before its last step T - 1).
  auto next_series = [&] {
    do ++s;
    while (s < S1 && !(d.first[s] >= 0 && d.first[s] + 1 < T));
    if (s < S1) next_t0 = d.first[s] + 1 - context;  // its context ends at its first observation
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
        for (int64_t j = context; j < W; ++j)  // the horizon part: step t0[b] + j
          sum[j * B + b] += mean_value(l.lik.kind, y + (j * B + b) * P, hw.scale[b], log1p,
                                       hw.loc.empty() ? 0.0 : hw.loc[b]);
      }
    }
    for (int64_t b = 0; b < B; ++b) {
      const int64_t i = series[b];
      for (int64_t j = context; j < W; ++j) {
        const int64_t t = t0[b] + j;
        if (t <= d.first[i] || t >= T || std::isnan(d.y[i * T + t])) continue;
        const double v = sum[j * B + b] / static_cast<double>(K);
        if (std::isfinite(v)) pred[(i - S0) * T + t] = path_value(v, nonneg[i] != 0);  // else: none (NaN)
      }
    }
  }
  return pred;
}

}  // namespace skucast::deepar
