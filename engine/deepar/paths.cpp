// engine/deepar/paths.cpp — DeepAR's ancestral sampling on the CPU for a panel held in
// memory (forecast_paths_cpu, Note [DeepAR forecasting] in engine/deepar/forecast.cpp), and the
// per-block host inputs that the GPU forecaster (engine/deepar/cuda/sampler.h) shares with it.
// No I/O here: this file links without HDF5 (the GPU parity test uses it).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>

#include "engine/deepar/sampler.h"
#include "engine/deepar/guard.h"
#include "engine/deepar/internal.h"
#include "engine/deepar/sample.h"
#include "engine/nn/blas.h"
#include "engine/stat/normal.h"
#include "kernels/features.hpp"
#include "kernels/common.hpp"

namespace skucast::deepar {

int64_t forecast_n_paths(const Layout& l, const PathRequest& r) {
  const bool point = l.lik.kind == Likelihood::Mse || l.lik.kind == Likelihood::Mae;
  return point ? 1 : r.n_paths;
}

std::vector<uint8_t> nonneg_series(const PanelData& d) {
  const int64_t S = d.n_series, T = d.n_time;
  std::vector<uint8_t> nonneg(static_cast<size_t>(S), 1);
#pragma omp parallel for schedule(static)
  for (int64_t s = 0; s < S; ++s)
    for (int64_t t = 0; t < T; ++t)
      if (d.y[s * T + t] < 0.0f) {
        nonneg[s] = 0;
        break;
      }
  return nonneg;
}

void forecast_block_inputs(const Layout& l, const PanelData& d, const float* w, int64_t ctx, int64_t H, int64_t i0,
                           int64_t nb, ComposeScratch& cs, std::vector<float>& ys, std::vector<float>& scale,
                           std::vector<float>& x, std::vector<float>* exog, std::vector<float>* loc) {
  const int64_t lb = lookback(l), T = d.n_time, L = lb + ctx + H, A = T - ctx - lb;
  // History of the block in the local buffer [nb, L]; the future part starts NaN.
  ys.assign(checked_mul(nb, L), NAN);
  for (int64_t i = 0; i < nb; ++i)
    for (int64_t j = 0; j < lb + ctx; ++j)
      if (A + j >= 0 && A + j < T) ys[i * L + j] = d.y[(i0 + i) * T + A + j];
  std::vector<int64_t> rows(nb), ser(nb), t0(nb);
  std::iota(rows.begin(), rows.end(), 0);
  for (int64_t i = 0; i < nb; ++i) ser[i] = i0 + i, t0[i] = lb;  // t0 local, for the scale
  scale.resize(nb);
  std::vector<float> loc_own;
  std::vector<float>& lc = loc ? *loc : loc_own;
  lc.assign(nb, 0.0f);
  if (l.window_loc)  // Note [Window location]
    window_loc_scale_cpu(ys.data(), nb, L, WindowBatch{rows.data(), t0.data(), nb, ctx}, ctx, lc.data(), scale.data());
  else
    window_scale_cpu(ys.data(), nb, L, WindowBatch{rows.data(), t0.data(), nb, ctx}, ctx, scale.data());
  const float* lp = l.window_loc ? lc.data() : nullptr;
  for (int64_t i = 0; i < nb; ++i) t0[i] = T - ctx;  // absolute, for the inputs
  x.resize(checked_mul(ctx * nb, l.n_features));
  compose_inputs(d, l, w, ys.data(), nb, L, A, rows.data(), ser.data(), t0.data(), nb, ctx, scale.data(), cs,
                 x.data(), lp);
  if (!exog) return;
  // Steps T .. T+H-1 through the same composition; only the columns no sampled value feeds
  // (per-series covariates, embeddings) are kept.
  const int64_t F = l.n_features, F0 = l.n_base, E = F - F0;
  std::vector<float> xf(checked_mul(checked_mul(H, nb), F));
  for (int64_t i = 0; i < nb; ++i) t0[i] = T;
  compose_inputs(d, l, w, ys.data(), nb, L, A, rows.data(), ser.data(), t0.data(), nb, H, scale.data(), cs, xf.data(),
                 lp);
  exog->resize(checked_mul(checked_mul(H, nb), E));
  for (int64_t r = 0; r < H * nb; ++r) std::copy(xf.begin() + r * F + F0, xf.begin() + (r + 1) * F, exog->begin() + r * E);
}

std::pair<int64_t, int64_t> forecast_series_range(const PathRequest& r, int64_t n_series) {
  const int64_t end = r.series_end < 0 ? n_series : r.series_end;
  if (r.series_begin < 0 || r.series_begin > end || end > n_series)
    throw InputError("deepar: series range [" + std::to_string(r.series_begin) + ", " + std::to_string(end) +
                     ") outside the panel's " + std::to_string(n_series) + " series");
  return {r.series_begin, end};
}

// Note [Shared input columns]
//   Of a path's inputs at a forecast step, only the first n_tgt columns (the target's lag,
//   observed flag, seasonal lag and rolling statistics: features_fwd_cpu without calendar
//   columns) depend on the values sampled so far; the others (calendar and events, shared and
//   per-series covariates, static reals, embeddings) are the same for every path of a series.
//   So at each step the shared columns are composed once per series (nb rows, not nb * N),
//   projected through layer 0's input matrix once (pre0 = xs[:, n_tgt:] W0[:, n_tgt:]^T, a
//   GEMM of nb rows), and the paths' recurrence runs on their n_tgt columns alone, with a copy
//   of the weights whose layer-0 input matrix is W0[:, :n_tgt] (Rnn::forward_into's pre0).
//   The same sums in another order: forecasts agree with the full input GEMM to float rounding
//   (RnnPreActivation.SharedColumnsProjectedOnceEqualTheFullInputs). At train_cpu's shape (F = 80, 7 of
//   them the target's, Hd = 64, 2 layers) this removes 45 % of layer 0's per-path
//   multiply-adds and the per-path composition of 73 of the 80 columns.
PathForecast forecast_paths_cpu(const Layout& l, const PanelData& d, const PathRequest& req) {
  const Net net(l);
  const bool point = l.lik.kind == Likelihood::Mse || l.lik.kind == Likelihood::Mae;
  const int64_t N = forecast_n_paths(l, req), T = d.n_time, H = req.horizon, ctx = req.context;
  // Note [Pooled models]: the models whose paths are pooled (one: the request's own weights).
  const std::vector<PathMember> members =
      req.members.empty() ? std::vector<PathMember>{PathMember{req.weights, req.tweedie_phi}} : req.members;
  const int64_t K = static_cast<int64_t>(members.size());
  if (K > 1 && (point || N < K))
    throw InputError("deepar: pooling " + std::to_string(K) + " models needs a sample-path likelihood and at least " +
                     std::to_string(K) + " paths, got " + (point ? "a point loss" : std::to_string(N) + " paths"));
  const auto [S0, S1] = forecast_series_range(req, d.n_series);
  std::unique_ptr<AggregatePaths> agg;  // Note [Summed sample paths]
  if (req.hierarchy) {
    if (point || S0 != 0 || S1 != d.n_series)
      throw InputError("deepar: summed paths need a sample-path likelihood and every series of the panel");
    agg = std::make_unique<AggregatePaths>(*req.hierarchy, d.n_series, N, req.horizon);
  }
  const int64_t Q = static_cast<int64_t>(req.levels.size());
  const int64_t lb = lookback(l), L = lb + ctx + H, A = T - ctx - lb;  // local buffer: columns are steps A .. A+L-1
  const int64_t Ly = l.rnn.n_layers, Hd = l.rnn.n_hidden, P = likelihood_n_params(l.lik.kind);
  const bool lstm = l.rnn.cell == nn::CellType::Lstm;

  PathForecast out;
  out.mean.assign(checked_mul(S1 - S0, H), 0.0f);
  out.quantiles.assign(checked_mul(checked_mul(S1 - S0, H), Q), 0.0f);
  if (!point) out.cum_quantiles.assign(out.quantiles.size(), 0.0f);

  const int64_t block = std::max<int64_t>(1, 8192 / N);
  // Note [Shared input columns]: the paths' network reads the target's columns alone.
  const int64_t F = l.n_features, n_tgt = l.n_base - l.spec.n_calendar, GH = l.rnn.n_gates() * Hd;
  FeatureSpec spec_tgt = l.spec;
  spec_tgt.n_calendar = 0;
  const nn::RnnConfig cfg_paths = nn::rnn_cut_config(l.rnn, n_tgt);
  const nn::Rnn<float> rnn_paths(cfg_paths);
  // Each member's paths' weights: layer 0's input matrix cut to the target's columns, the rest
  // as is; made once, not per block of series.
  std::vector<std::vector<float>> w_paths(members.size());
  for (size_t k = 0; k < members.size(); ++k) {
    w_paths[k].resize(static_cast<size_t>(rnn_paths.n_params()));
    nn::rnn_cut_inputs(l.rnn, members[k].weights, cfg_paths.n_input, w_paths[k].data());
  }
  std::vector<float> pre0, xs, xp;
  std::vector<int64_t> rows_s, ser_s, t0_s, t0_loc;
  ComposeScratch cs;
  auto rctx = std::make_unique<nn::RnnContext<float>>();
  auto dctx = std::make_unique<nn::DenseContext<float>>();
  nn::AttentionCache<float> kv;  // Note [Attention]: the encoder's keys and values per series, the paths' own
  std::vector<float> ys, yp, scale, scale_r, x, hs, cstate, paths, att_y, loc, loc_r;
  const std::vector<uint8_t> nonneg = nonneg_series(d);
  std::vector<int64_t> rows_r, ser_r;
  for (int64_t i0 = S0; i0 < S1; i0 += block) {
    const int64_t nb = std::min(block, S1 - i0), R = nb * N;
    paths.resize(checked_mul(R, H));  // [nb, N, H] every model's paths (Note [Pooled models])
    for (size_t k = 0; k < members.size(); ++k) {
      const float* w = members[k].weights;
      const int64_t Nk = N / K + (static_cast<int64_t>(k) < N % K ? 1 : 0);  // this model's paths
      const int64_t p0 = static_cast<int64_t>(k) * (N / K) + std::min<int64_t>(static_cast<int64_t>(k), N % K);
      const int64_t Rk = nb * Nk;
      // Encoder over the context.
      forecast_block_inputs(l, d, w, ctx, H, i0, nb, cs, ys, scale, x, nullptr, &loc);  // loc: all 0 unless window_loc
      net.rnn.forward_into(*rctx, w, x.data(), ctx, nb, nullptr, nullptr, nn::Phase::Inference, 0);
      // Paths: row r = i * Nk + (p - p0), so the Nk paths of series i share its encoder's keys.
      if (net.att) net.att->prime(kv, w + l.att_off, rctx->y(), ctx, nb, Nk, H);
      yp.resize(checked_mul(Rk, L));
      hs.resize(checked_mul(Ly * Rk, Hd));
      cstate.resize(lstm ? checked_mul(Ly * Rk, Hd) : 0);
      scale_r.resize(Rk);
      loc_r.resize(Rk);
      rows_r.resize(Rk);
      ser_r.resize(Rk);
      for (int64_t r = 0; r < Rk; ++r) {
        const int64_t i = r / Nk;
        std::copy(ys.begin() + i * L, ys.begin() + (i + 1) * L, yp.begin() + r * L);
        scale_r[r] = scale[i];
        loc_r[r] = loc[i];
        rows_r[r] = r;
        ser_r[r] = i0 + i;
        for (int64_t j = 0; j < Ly; ++j) {
          std::copy(rctx->h_n() + (j * nb + i) * Hd, rctx->h_n() + (j * nb + i + 1) * Hd,
                    hs.begin() + (j * Rk + r) * Hd);
          if (lstm)
            std::copy(rctx->c_n() + (j * nb + i) * Hd, rctx->c_n() + (j * nb + i + 1) * Hd,
                      cstate.begin() + (j * Rk + r) * Hd);
        }
      }
      // Per series: its first path's row of yp (Note [Shared input columns]).
      rows_s.resize(nb);
      ser_s.resize(nb);
      t0_s.resize(nb);
      for (int64_t i = 0; i < nb; ++i) rows_s[i] = i * Nk, ser_s[i] = i0 + i;
      xs.resize(checked_mul(nb, F));
      xp.resize(checked_mul(Rk, n_tgt));
      pre0.resize(checked_mul(nb, GH));
      t0_loc.resize(Rk);
      const float* w0 = net.rnn.layer(w, 0).w;  // [GH, F]
      for (int64_t h = 0; h < H; ++h) {
        // The series' shared columns and their share of layer 0's input projection.
        std::fill(t0_s.begin(), t0_s.end(), T + h);
        compose_inputs(d, l, w, yp.data(), Rk, L, A, rows_s.data(), ser_s.data(), t0_s.data(), nb, 1, scale.data(),
                       cs, xs.data(), l.window_loc ? loc.data() : nullptr);
        if (F > n_tgt) {
          // nb rows: too small to share among BLAS threads, which would only fight the
          // OpenMP pool the recurrence uses next (Note [One thread pool at a time] in blas.h).
          const nn::BlasSingleThread one_blas_thread;
          nn::gemm(nn::Trans::No, nn::Trans::Yes, nb, GH, F - n_tgt, 1.0f, xs.data() + n_tgt, F, w0 + n_tgt, F, 0.0f,
                   pre0.data(), GH);
        } else {
          std::fill(pre0.begin(), pre0.end(), 0.0f);
        }
        // The paths' own columns, then the recurrence on them.
        std::fill(t0_loc.begin(), t0_loc.end(), T + h - A);
        features_fwd_cpu(spec_tgt, yp.data(), Rk, L, scale_r.data(),
                         WindowBatch{rows_r.data(), t0_loc.data(), Rk, 1}, nullptr, 0, xp.data(),
                         l.window_loc ? loc_r.data() : nullptr);
        rnn_paths.forward_into(*rctx, w_paths[k].data(), xp.data(), 1, Rk, hs.data(), lstm ? cstate.data() : nullptr,
                               nn::Phase::Inference, 0, pre0.data(), Nk);
        std::copy(rctx->h_n(), rctx->h_n() + hs.size(), hs.begin());
        if (lstm) std::copy(rctx->c_n(), rctx->c_n() + cstate.size(), cstate.begin());
        const float* top = rctx->y();  // [Rk, Hd] what the head reads
        if (net.att) {
          att_y.resize(checked_mul(Rk, Hd));
          net.att->step(kv, w + l.att_off, top, att_y.data());
          top = att_y.data();
        }
        net.head.forward_into(*dctx, w + l.n_rnn, top, Rk);
        const float* raw = dctx->y();
        const double phi = members[k].tweedie_phi;
#pragma omp parallel for schedule(static)
        for (int64_t r = 0; r < Rk; ++r) {
          const int64_t s = ser_r[r], i = r / Nk, p = p0 + r % Nk;  // p: the path's index among all N
          PathDraws dr(path_draw_key(req.seed, s, p, h));
          // Note [Window location]: the draw is relative to the window's location (0 without one).
          const double v = draw_value(l.lik.kind, l.lik.tweedie_power, raw + r * P, scale_r[r], phi, dr) + loc_r[r];
          const float vf = path_value(v, nonneg[s] != 0);
          yp[r * L + lb + ctx + h] = vf;  // fed back on the model's scale
          paths[(i * N + p) * H + h] = point ? vf : from_model_scale(d, s, vf);  // sales (Note [Target transform])
        }
      }
    }
    if (agg) {  // bounded first, so that the bound keeps every level coherent (Note [Finite forecasts])
      bound_paths(d, i0, nb, N, H, paths.data());
      agg->add_block(paths.data(), i0, nb);
    }
    // Mean and quantiles.
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < nb; ++i) {
      std::vector<float> v(N), c(N);  // [N] the paths at step h, their running sums sorted
      std::vector<double> run(point ? 0 : N, 0.0);  // [N] each path's sum over steps 1..h
      const int64_t s = i0 + i, o = s - S0;  // panel series, output row
      for (int64_t h = 0; h < H; ++h) {
        double sum = 0;
        for (int64_t p = 0; p < N; ++p) v[p] = paths[(i * N + p) * H + h], sum += v[p];
        const double mean = sum / static_cast<double>(N);
        out.mean[o * H + h] = point ? from_model_scale(d, s, static_cast<float>(mean)) : static_cast<float>(mean);
        float* q = out.quantiles.data() + (o * H + h) * Q;
        if (point) {  // Gaussian quantiles on the model's scale, mapped back (monotone)
          const double sd = scale[i] * req.resid_sd * std::sqrt(static_cast<double>(h + 1));
          for (int64_t k = 0; k < Q; ++k) {
            const double qk = mean + sd * inverse_normal_cdf(req.levels[k]);
            q[k] = from_model_scale(d, s, static_cast<float>(nonneg[s] ? std::max(qk, 0.0) : qk));
          }
        } else {
          for (int64_t p = 0; p < N; ++p) run[p] += v[p], c[p] = static_cast<float>(run[p]);
          std::sort(v.begin(), v.end());
          for (int64_t k = 0; k < Q; ++k) q[k] = static_cast<float>(quantile_sorted(v.data(), N, req.levels[k]));
          std::sort(c.begin(), c.end());  // Note [Cumulative demand quantiles] (engine/eval/cumulative.h)
          float* cq = out.cum_quantiles.data() + (o * H + h) * Q;
          for (int64_t k = 0; k < Q; ++k) cq[k] = static_cast<float>(quantile_sorted(c.data(), N, req.levels[k]));
        }
      }
    }
  }
  if (agg) agg->summarise(req.levels, out.agg_mean, out.agg_quantiles);
  return out;
}

// ------------------------------------------------------------ GPU blocks ----
// Note [DeepAR forecasting on the GPU] (engine/deepar/cuda/sampler.h), "Memory". Host arithmetic
// only, so it is here (both builds) and testable without a device.
size_t forecast_block_bytes(const Layout& l, const PathRequest& r) {
  const int64_t N = forecast_n_paths(l, r), H = r.horizon, ctx = r.context;
  const int64_t L = lookback(l) + ctx + H, F = l.n_features, F0 = l.n_base, E = F - F0;
  const int64_t Ly = l.rnn.n_layers, Hd = l.rnn.n_hidden, P = likelihood_n_params(l.lik.kind);
  const int64_t G = l.rnn.cell == nn::CellType::Lstm ? 4 : 3;           // gates
  const int64_t n_state = (l.rnn.cell == nn::CellType::Lstm ? 2 : 1) * Ly * Hd;  // h (and c) of a row
  const int64_t Q = static_cast<int64_t>(r.levels.size());
  // Per path: history, base and full inputs, RNN output, states (the first step's copy, the
  // previous step's h_n/c_n, this step's hx/cx and hy/cy), cuDNN's workspace (a gate buffer
  // per layer, doubled for margin), head output and its bias ones, paths + sorted copy + one
  // spare row, scale (and location, Note [Window location]) and two int64 index arrays (4 floats).
  const int64_t n_loc = l.window_loc ? 1 : 0;
  const int64_t per_path = L + F0 + F + Hd + 4 * n_state + 2 * G * Hd * Ly + 2 * P + 3 * H + 1 + n_loc + 4;
  // Per series: encoder inputs, outputs, workspace and states, history, exog, outputs, location.
  const int64_t per_series =
      ctx * (F + Hd + 2 * G * Hd * Ly) + 2 * n_state + L + H * E + H * (1 + Q) + 2 + n_loc;
  return static_cast<size_t>(checked_mul(checked_mul(N, per_path) + per_series, int64_t{4}));
}

int64_t forecast_block_series(const Layout& l, const PathRequest& r, int64_t n_series, size_t max_block_bytes) {
  const size_t budget = max_block_bytes > 0 ? max_block_bytes : size_t{2} << 30;  // 2 GiB
  const int64_t N = forecast_n_paths(l, r);
  int64_t nb = static_cast<int64_t>(budget / std::max<size_t>(1, forecast_block_bytes(l, r)));
  // cuDNN and cuBLAS take the batch (R = nb * N rows) as int; keep every [R, width] tensor of a
  // step within it too: inputs (F), outputs (Hd), the gate scratch (G*Hd) and the states (L*Hd).
  const int64_t G = l.rnn.n_gates(), Hd = l.rnn.n_hidden;
  const int64_t width = std::max<int64_t>({l.n_features, G * Hd, l.rnn.n_layers * Hd, 1});
  nb = std::min(nb, static_cast<int64_t>(std::numeric_limits<int32_t>::max()) / (N * width));
  return std::clamp<int64_t>(nb, 1, std::max<int64_t>(n_series, 1));
}

}  // namespace skucast::deepar
