// engine/stat/optim.h — bounded Nelder-Mead minimiser for the per-series model fits.
//
// Used by ETS (likelihood over smoothing parameters and initial states) and Theta (SSE of
// SES). Header-only and allocation-free: the simplex lives in a fixed-size workspace on the
// caller's stack (kNmMaxDim), the objective is a functor called as f(const double* x), so
// the whole fit runs as one CUDA thread per series without virtual calls (SKU_HD, Note [One
// source for CPU and GPU models] in kernels/hd.hpp).
//
// Note [Bounded Nelder-Mead]: coordinates with finite bounds are clamped into [lower, upper]
// whenever a trial point is formed (as statsforecast's ETS optimiser does); constraints that
// couple coordinates (beta < alpha, gamma < 1 - alpha) are the objective's business: it
// returns a huge value outside them, as R's etsTargetFunction does. Stopping rule as R's
// optim/nmmin: the simplex's spread of f falls below reltol * (|f_best| + reltol), or the
// number of evaluations reaches max_evals.
#pragma once

#include <cmath>

#include "kernels/hd.hpp"

namespace skucast {

inline constexpr int kNmMaxDim = 32;

struct NelderMeadOptions {
  int max_evals = 2000;    // R's ets uses maxit = 2000
  double reltol = 1e-8;    // as optim's default
};

struct NelderMeadResult {
  double f_min = 0.0;
  int n_evals = 0;
  bool converged = false;
};

// Minimises f over x [n] (in: start, out: best point). step [n]: initial simplex edge per
// coordinate (vertex i = x + step_i e_i). lower/upper [n]: bounds (use +-inf for none).
template <class F>
SKU_HD NelderMeadResult nelder_mead(F& f, double* x, int n, const double* step, const double* lower, const double* upper,
                             const NelderMeadOptions& opt) {
  double simplex[kNmMaxDim + 1][kNmMaxDim];  // [n+1, n] vertices
  double fv[kNmMaxDim + 1];                  // [n+1] objective at each vertex
  double centroid[kNmMaxDim], trial[kNmMaxDim], trial2[kNmMaxDim];
  NelderMeadResult res;
  if (n <= 0) {  // nothing to move: one evaluation at x (also tells the compiler simplex is set below)
    res.n_evals = 1;
    const double v = f(static_cast<const double*>(x));
    res.f_min = std::isfinite(v) ? v : 1e300;
    res.converged = true;
    return res;
  }
  auto clamp_eval = [&](double* p) {
    for (int j = 0; j < n; ++j) {
      if (p[j] < lower[j]) p[j] = lower[j];
      if (p[j] > upper[j]) p[j] = upper[j];
    }
    ++res.n_evals;
    const double v = f(static_cast<const double*>(p));
    return std::isfinite(v) ? v : 1e300;
  };
  for (int j = 0; j < n; ++j) simplex[0][j] = x[j];
  fv[0] = clamp_eval(simplex[0]);
  for (int i = 1; i <= n; ++i) {
    for (int j = 0; j < n; ++j) simplex[i][j] = simplex[0][j];
    double s = step[i - 1];
    // Step inward when the start sits on (or near) the upper bound.
    if (simplex[0][i - 1] + s > upper[i - 1]) s = -s;
    simplex[i][i - 1] += s;
    fv[i] = clamp_eval(simplex[i]);
  }
  while (true) {
    // Find best (lo), worst (hi) and second worst (nh) vertices.
    int lo = 0, hi = 0;
    for (int i = 1; i <= n; ++i) {
      if (fv[i] < fv[lo]) lo = i;
      if (fv[i] > fv[hi]) hi = i;
    }
    int nh = lo;
    for (int i = 0; i <= n; ++i)
      if (i != hi && fv[i] > fv[nh]) nh = i;
    if (fv[hi] - fv[lo] <= opt.reltol * (std::fabs(fv[lo]) + opt.reltol)) {
      res.converged = true;
      break;
    }
    if (res.n_evals >= opt.max_evals) break;
    for (int j = 0; j < n; ++j) {
      double s = 0.0;
      for (int i = 0; i <= n; ++i)
        if (i != hi) s += simplex[i][j];
      centroid[j] = s / n;
    }
    // Reflection.
    for (int j = 0; j < n; ++j) trial[j] = 2.0 * centroid[j] - simplex[hi][j];
    const double fr = clamp_eval(trial);
    if (fr < fv[lo]) {
      // Expansion.
      for (int j = 0; j < n; ++j) trial2[j] = 3.0 * centroid[j] - 2.0 * simplex[hi][j];
      const double fe = clamp_eval(trial2);
      const double* take = fe < fr ? trial2 : trial;
      for (int j = 0; j < n; ++j) simplex[hi][j] = take[j];
      fv[hi] = fe < fr ? fe : fr;
      continue;
    }
    if (fr < fv[nh]) {
      for (int j = 0; j < n; ++j) simplex[hi][j] = trial[j];
      fv[hi] = fr;
      continue;
    }
    // Contraction: outside if the reflection improved on the worst, inside otherwise.
    const bool outside = fr < fv[hi];
    for (int j = 0; j < n; ++j)
      trial2[j] = outside ? centroid[j] + 0.5 * (trial[j] - centroid[j]) : centroid[j] + 0.5 * (simplex[hi][j] - centroid[j]);
    const double fc = clamp_eval(trial2);
    if (fc < (outside ? fr : fv[hi])) {
      for (int j = 0; j < n; ++j) simplex[hi][j] = trial2[j];
      fv[hi] = fc;
      continue;
    }
    // Shrink towards the best vertex.
    for (int i = 0; i <= n; ++i) {
      if (i == lo) continue;
      for (int j = 0; j < n; ++j) simplex[i][j] = simplex[lo][j] + 0.5 * (simplex[i][j] - simplex[lo][j]);
      fv[i] = clamp_eval(simplex[i]);
    }
  }
  int lo = 0;
  for (int i = 1; i <= n; ++i)
    if (fv[i] < fv[lo]) lo = i;
  for (int j = 0; j < n; ++j) x[j] = simplex[lo][j];
  res.f_min = fv[lo];
  return res;
}

}  // namespace skucast
