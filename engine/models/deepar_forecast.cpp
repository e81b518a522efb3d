// engine/models/deepar_forecast.cpp — forecasting with the global DeepAR-style model by
// ancestral sampling (deepar_model.h).
//
// Note [DeepAR forecasting]
//   For a block of series: the encoder runs the last `context` steps of history (fewer for
//   recently launched series: earlier steps read as missing, with observed flag 0), with
//   the per-series scale nu of the context (as in training). Its final states are copied to
//   N sample paths per series; then for h = 0 .. H-1 each path takes one recurrent step on
//   the inputs of step T+h (its own sampled past, the known covariates), and draws y[T+h]
//   from the likelihood (Gaussian; negative binomial as a gamma-Poisson mixture; Tweedie as
//   a compound Poisson-gamma with the dispersion estimated on validation). The mean is the
//   mean of the paths, quantiles are their type-7 empirical quantiles. Point losses (mse,
//   mae) decode one deterministic path of predictions; their quantiles are
//   mean + nu * resid_sd * sqrt(h + 1) * z_q, resid_sd the RMS scaled one-step residual on
//   validation. Draws are counter-based in (seed, series, path, step), so forecasts do not
//   depend on the block size or the thread count.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "engine/checkpoint.h"
#include "engine/models/deepar_internal.h"
#include "engine/models/normal.h"
#include "engine/nn/rng.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"

namespace skucast {

using namespace deepar;

namespace {

double softplus(double v) { return v > 20 ? v : std::log1p(std::exp(v)); }

// A stream of uniforms for one (path, step).
struct Draws {
  uint64_t key;
  uint64_t i = 0;
  double u() { return std::max(nn::uniform01(key, 0x5A4Dull, i++), 1e-300); }
  double normal() {
    const double a = u(), b = u();
    return std::sqrt(-2.0 * std::log(a)) * std::cos(2.0 * 3.14159265358979323846 * b);
  }
  // Marsaglia and Tsang; shape < 1 via the u^(1/k) boost.
  double gamma(double k, double theta) {
    if (!(k > 0) || !(theta > 0)) return 0.0;
    if (k < 1.0) return gamma(k + 1.0, theta) * std::pow(u(), 1.0 / k);
    const double dd = k - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * dd);
    for (int it = 0; it < 64; ++it) {
      double z = normal(), v = 1.0 + c * z;
      if (v <= 0) continue;
      v = v * v * v;
      if (std::log(u()) < 0.5 * z * z + dd - dd * v + dd * std::log(v)) return dd * v * theta;
    }
    return k * theta;  // practically unreachable; the mean
  }
  // Knuth below 30, a rounded normal approximation above (error well under the noise).
  double poisson(double lambda) {
    if (!(lambda > 0)) return 0.0;
    if (lambda < 30.0) {
      const double l = std::exp(-lambda);
      double p = 1.0;
      int64_t k = 0;
      do {
        ++k;
        p *= u();
      } while (p > l && k < 1000);
      return static_cast<double>(k - 1);
    }
    return std::max(0.0, std::round(lambda + std::sqrt(lambda) * normal()));
  }
};

// One draw (or the point prediction) in real units from the head output of a row.
double draw_value(const LikelihoodParams& lik, const float* raw, double nu, double phi, Draws& r) {
  constexpr double eps = 1e-6;
  switch (lik.kind) {
    case Likelihood::Gaussian:
      return nu * raw[0] + nu * (softplus(raw[1]) + eps) * r.normal();
    case Likelihood::NegBin: {
      const double mu = nu * (softplus(raw[0]) + eps), alpha = (softplus(raw[1]) + eps) / std::sqrt(nu);
      return r.poisson(r.gamma(1.0 / alpha, alpha * mu));
    }
    case Likelihood::Tweedie: {
      const double p = lik.tweedie_power, m = std::exp(std::min<double>(raw[0], 30.0));
      const double lambda = std::pow(m, 2 - p) / (phi * (2 - p));
      const double n = r.poisson(lambda);
      return n > 0 ? nu * r.gamma(n * (2 - p) / (p - 1), phi * (p - 1) * std::pow(m, p - 1)) : 0.0;
    }
    case Likelihood::Mse:
    case Likelihood::Mae:
      return nu * raw[0];
  }
  return 0.0;
}

double quantile_sorted(const std::vector<float>& v, double q) {
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

ForecastFile deepar_forecast(const DeepArState& st, const PanelReader& panel, int64_t horizon,
                             const std::vector<double>& levels, int n_paths, uint64_t seed) {
  const PanelHeader& hdr = panel.header();
  st.panel.check_matches(hdr, panel.path());
  if (horizon < 1) throw InputError("deepar: horizon must be at least 1, got " + std::to_string(horizon));
  if (n_paths < 1) throw InputError("deepar: n_paths must be at least 1, got " + std::to_string(n_paths));
  for (double q : levels)
    if (!(q > 0 && q < 1)) throw InputError("deepar: quantile levels must be in (0, 1), got " + std::to_string(q));
  const DeepArOptions& o = st.options;
  const Layout l = make_layout(o, st.panel);
  if (static_cast<int64_t>(st.weights.size()) != l.n_params)
    throw InputError("deepar: the model holds " + std::to_string(st.weights.size()) + " weights, its config needs " +
                     std::to_string(l.n_params));
  const int64_t lb = lookback(l), ctx = o.context, H = horizon;
  const PanelData d = load_panel(panel, l, H, ctx + lb + 1);
  if (d.covariates_extended)
    std::fprintf(stderr,
                 "skucast: note: the panel has %lld future step(s) of covariates for a horizon of %lld; "
                 "repeating the last known values\n",
                 static_cast<long long>(hdr.n_future), static_cast<long long>(H));
  const Net net(l);
  const float* w = st.weights.data();
  const bool point = l.lik.kind == Likelihood::Mse || l.lik.kind == Likelihood::Mae;
  const int64_t N = point ? 1 : n_paths, S = d.n_series, T = d.n_time, Q = static_cast<int64_t>(levels.size());
  const int64_t L = lb + ctx + H, A = T - ctx - lb;  // local buffer: columns are absolute steps A .. A+L-1
  const int64_t Ly = l.rnn.n_layers, Hd = l.rnn.n_hidden, P = net.head.n_out();
  const bool lstm = l.rnn.cell == nn::CellType::Lstm;

  ForecastFile fc;
  fc.model = o.cell;
  fc.axis = hdr.axis;
  fc.origin = T;
  fc.horizon = H;
  fc.ids = hdr.ids;
  fc.levels = levels;
  fc.mean.assign(checked_mul(S, H), 0.0f);
  fc.quantiles.assign(checked_mul(checked_mul(S, H), Q), 0.0f);

  const int64_t block = std::max<int64_t>(1, 8192 / N);
  ComposeScratch cs;
  auto rctx = std::make_unique<nn::RnnContext<float>>();
  auto dctx = std::make_unique<nn::DenseContext<float>>();
  std::vector<float> ys, yp, scale, scale_r, x, hs, cstate, paths;
  // Series that never sold a negative amount get non-negative paths (Note [Non-negative
  // support] in engine/stat_model.cpp): draws are clipped at 0 before they feed back.
  std::vector<uint8_t> nonneg(static_cast<size_t>(S), 1);
#pragma omp parallel for schedule(static)
  for (int64_t s = 0; s < S; ++s)
    for (int64_t t = 0; t < T; ++t)
      if (d.y[s * T + t] < 0.0f) { nonneg[s] = 0; break; }
  std::vector<int64_t> rows, ser, t0, rows_r, ser_r, t0_r;
  for (int64_t i0 = 0; i0 < S; i0 += block) {
    const int64_t nb = std::min(block, S - i0), R = nb * N;
    // History of the block in the local buffer [nb, L]; the future part starts NaN.
    ys.assign(checked_mul(nb, L), NAN);
    for (int64_t i = 0; i < nb; ++i)
      for (int64_t j = 0; j < lb + ctx; ++j)
        if (A + j >= 0 && A + j < T) ys[i * L + j] = d.y[(i0 + i) * T + A + j];
    rows.resize(nb);
    ser.resize(nb);
    t0.resize(nb);
    std::iota(rows.begin(), rows.end(), 0);
    for (int64_t i = 0; i < nb; ++i) ser[i] = i0 + i, t0[i] = lb;  // t0 local, for the scale
    scale.resize(nb);
    window_scale_cpu(ys.data(), nb, L, WindowBatch{rows.data(), t0.data(), nb, ctx}, ctx, scale.data());
    for (int64_t i = 0; i < nb; ++i) t0[i] = T - ctx;  // absolute, for the inputs
    // Encoder over the context.
    x.resize(checked_mul(ctx * nb, l.n_features));
    compose_inputs(d, l, w, ys.data(), nb, L, A, rows.data(), ser.data(), t0.data(), nb, ctx, scale.data(), cs,
                   x.data());
    net.rnn.forward_into(*rctx, w, x.data(), ctx, nb, nullptr, nullptr, nn::Phase::Inference, 0);
    // Paths: row r = i * N + p.
    yp.resize(checked_mul(R, L));
    hs.resize(checked_mul(Ly * R, Hd));
    cstate.resize(lstm ? checked_mul(Ly * R, Hd) : 0);
    scale_r.resize(R);
    rows_r.resize(R);
    ser_r.resize(R);
    t0_r.resize(R);
    for (int64_t r = 0; r < R; ++r) {
      const int64_t i = r / N;
      std::copy(ys.begin() + i * L, ys.begin() + (i + 1) * L, yp.begin() + r * L);
      scale_r[r] = scale[i];
      rows_r[r] = r;
      ser_r[r] = i0 + i;
      for (int64_t k = 0; k < Ly; ++k) {
        std::copy(rctx->h_n() + (k * nb + i) * Hd, rctx->h_n() + (k * nb + i + 1) * Hd, hs.begin() + (k * R + r) * Hd);
        if (lstm)
          std::copy(rctx->c_n() + (k * nb + i) * Hd, rctx->c_n() + (k * nb + i + 1) * Hd,
                    cstate.begin() + (k * R + r) * Hd);
      }
    }
    paths.resize(checked_mul(R, H));
    x.resize(checked_mul(R, l.n_features));
    for (int64_t h = 0; h < H; ++h) {
      std::fill(t0_r.begin(), t0_r.end(), T + h);
      compose_inputs(d, l, w, yp.data(), R, L, A, rows_r.data(), ser_r.data(), t0_r.data(), R, 1, scale_r.data(), cs,
                     x.data());
      net.rnn.forward_into(*rctx, w, x.data(), 1, R, hs.data(), lstm ? cstate.data() : nullptr, nn::Phase::Inference,
                           0);
      std::copy(rctx->h_n(), rctx->h_n() + hs.size(), hs.begin());
      if (lstm) std::copy(rctx->c_n(), rctx->c_n() + cstate.size(), cstate.begin());
      net.head.forward_into(*dctx, w + l.n_rnn, rctx->y(), R);
      const float* raw = dctx->y();
#pragma omp parallel for schedule(static)
      for (int64_t r = 0; r < R; ++r) {
        const int64_t s = ser_r[r], p = r % N;
        Draws dr{nn::splitmix64(seed ^ nn::splitmix64(static_cast<uint64_t>(s) * 0x9E3779B97F4A7C15ull +
                                                      static_cast<uint64_t>(p) * 0xD1B54A32D192ED03ull +
                                                      static_cast<uint64_t>(h)))};
        const double v = draw_value(l.lik, raw + r * P, scale_r[r], st.tweedie_phi, dr);
        float vf = std::isfinite(v) ? static_cast<float>(v) : 0.0f;
        if (nonneg[s]) vf = std::max(vf, 0.0f);
        yp[r * L + lb + ctx + h] = vf;
        paths[r * H + h] = vf;
      }
    }
    // Mean and quantiles.
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < nb; ++i) {
      std::vector<float> v(N);
      const int64_t s = i0 + i;
      for (int64_t h = 0; h < H; ++h) {
        double sum = 0;
        for (int64_t p = 0; p < N; ++p) v[p] = paths[(i * N + p) * H + h], sum += v[p];
        const double mean = sum / static_cast<double>(N);
        fc.mean[s * H + h] = static_cast<float>(mean);
        float* q = fc.quantiles.data() + (s * H + h) * Q;
        if (point) {
          const double sd = scale[i] * st.resid_sd * std::sqrt(static_cast<double>(h + 1));
          for (int64_t k = 0; k < Q; ++k) {
            const double qk = mean + sd * inverse_normal_cdf(levels[k]);
            q[k] = static_cast<float>(nonneg[s] ? std::max(qk, 0.0) : qk);
          }
        } else {
          std::sort(v.begin(), v.end());
          for (int64_t k = 0; k < Q; ++k) q[k] = static_cast<float>(quantile_sorted(v, levels[k]));
        }
      }
    }
  }
  return fc;
}

ForecastFile forecast_with_checkpoint(const PanelReader& panel, const std::string& checkpoint, int64_t horizon,
                                      const std::vector<double>& levels, int n_paths, uint64_t seed) {
  DeepArState st = load_checkpoint(checkpoint);
  deepar_extend_levels(st, panel.header());  // cold start for levels added since training
  return deepar_forecast(st, panel, horizon, levels, n_paths, seed);
}

}  // namespace skucast
