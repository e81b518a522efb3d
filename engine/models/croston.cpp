// engine/models/croston.cpp — Croston, SBA and TSB (Note [Croston conventions] in croston.h).
#include "engine/models/croston.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/models/simple.h"

namespace skucast {

namespace {

// statsforecast's _ses_fcst_mse: sum over i >= 1 of (x_i - level_{i-1})^2 / n.
double ses_mse(const double* x, int64_t n, double alpha) {
  double level = x[0], sse = 0.0;
  for (int64_t i = 1; i < n; ++i) {
    const double e = x[i] - level;
    sse += e * e;
    level += alpha * e;
  }
  return sse / static_cast<double>(n);
}

}  // namespace

double optimize_ses_alpha(const double* x, int64_t n, double lo, double hi) {
  if (n < 3) return lo;  // fewer than two errors: every alpha fits equally
  const double g = 0.5 * (std::sqrt(5.0) - 1.0);  // golden ratio conjugate
  double a = lo, b = hi;
  double c = b - g * (b - a), d = a + g * (b - a);
  double fc = ses_mse(x, n, c), fd = ses_mse(x, n, d);
  while (b - a > 1e-5) {
    if (fc <= fd) {
      b = d; d = c; fd = fc;
      c = b - g * (b - a); fc = ses_mse(x, n, c);
    } else {
      a = c; c = d; fc = fd;
      d = a + g * (b - a); fd = ses_mse(x, n, d);
    }
  }
  // The end points can win on monotone objectives (the usual case at the bounds).
  double best = 0.5 * (a + b), f_best = ses_mse(x, n, best);
  for (double e : {lo, hi}) {
    const double fe = ses_mse(x, n, e);
    if (fe < f_best) { best = e; f_best = fe; }
  }
  return best;
}

double croston_fit(CrostonVariant v, const CrostonParams& p, const double* y, int64_t n, double* resid,
                   int64_t* n_resid) {
  const double a_d = p.alpha_demand, a_p = p.alpha_interval;
  const double sba_factor = v == CrostonVariant::Sba ? 1.0 - a_p / 2.0 : 1.0;
  int64_t count = 0;
  bool seen = false;       // a demand has been observed
  double z = 0.0;          // smoothed demand size
  double q = 0.0;          // smoothed interval (classic, sba)
  double b = 0.0;          // smoothed demand probability (tsb)
  int64_t last = -1;       // position of the last demand
  auto current = [&]() {   // forecast from the state so far
    if (v == CrostonVariant::Tsb) return b * z;
    return sba_factor * z / q;  // q >= 1 once a demand was seen
  };
  for (int64_t t = 0; t < n; ++t) {
    const bool demand = y[t] != 0.0;
    if (seen && resid) resid[count++] = y[t] - current();  // one-step error at t
    if (v == CrostonVariant::Tsb) {
      // The probability is smoothed over every period, started at the first indicator.
      b = t == 0 ? (demand ? 1.0 : 0.0) : b + a_p * ((demand ? 1.0 : 0.0) - b);
    }
    if (!demand) continue;
    const double interval = static_cast<double>(t - last);  // first one: t + 1
    if (!seen) {
      z = y[t];
      q = interval;
      seen = true;
    } else {
      z += a_d * (y[t] - z);
      q += a_p * (interval - q);
    }
    last = t;
  }
  if (n_resid) *n_resid = count;
  return seen ? current() : 0.0;
}

namespace {

class CrostonModel final : public StatModel {
 public:
  CrostonModel(CrostonVariant v, CrostonParams p, const char* name) : m_variant(v), m_params(p), m_name(name) {}
  std::string name() const override { return m_name; }
  void forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) const override {
    double* resid = thread_scratch(0, in.n);
    int64_t n_resid = 0;
    CrostonVariant variant = m_variant;
    CrostonParams params = m_params;
    if (variant == CrostonVariant::Optimized) {
      // Demand sizes and intervals (first interval = position + 1), each into its own scratch.
      double* demand = thread_scratch(2, in.n);
      double* interval = thread_scratch(3, in.n);
      int64_t k = 0, last = -1;
      for (int64_t t = 0; t < in.n; ++t) {
        if (in.y[t] == 0.0) continue;
        demand[k] = in.y[t];
        interval[k++] = static_cast<double>(t - last);
        last = t;
      }
      params.alpha_demand = optimize_ses_alpha(demand, k, 0.1, 0.3);
      params.alpha_interval = optimize_ses_alpha(interval, k, 0.1, 0.3);
      variant = CrostonVariant::Classic;
    }
    const double f = croston_fit(variant, params, in.y, in.n, resid, &n_resid);
    for (int64_t h = 0; h < spec.horizon; ++h) out.mean[h] = f;
    residual_quantiles(spec, resid, n_resid, out.mean, out.quantiles, thread_scratch(1, n_resid));
    const bool non_negative = std::all_of(in.y, in.y + in.n, [](double x) { return x >= 0.0; });
    if (non_negative) {
      for (int64_t i = 0; i < spec.horizon * spec.n_levels; ++i) out.quantiles[i] = std::max(0.0, out.quantiles[i]);
    }
  }

 private:
  CrostonVariant m_variant;
  CrostonParams m_params;
  const char* m_name;
};

}  // namespace

std::unique_ptr<StatModel> make_croston(CrostonParams p) {
  return std::make_unique<CrostonModel>(CrostonVariant::Classic, p, "croston");
}
std::unique_ptr<StatModel> make_sba(CrostonParams p) {
  return std::make_unique<CrostonModel>(CrostonVariant::Sba, p, "sba");
}
std::unique_ptr<StatModel> make_tsb(CrostonParams p) {
  return std::make_unique<CrostonModel>(CrostonVariant::Tsb, p, "tsb");
}
std::unique_ptr<StatModel> make_croston_optimized() {
  return std::make_unique<CrostonModel>(CrostonVariant::Optimized, CrostonParams{}, "croston_opt");
}

}  // namespace skucast
