// tests/gpu/deepar_test_panel.hpp — the small in-memory DeepAR panel of the GPU parity tests
// (test_deepar_train_parity.cpp, test_deepar_forecast_parity.cpp). In memory, not HDF5: the
// GPU test binaries are packed for the device without HDF5 (bench/gpu_pack.sh).
//
// S series of T steps of counts (interior NaN holes, late launches), one per-series covariate
// "price", calendar + one event column (+ its two distances, and an age slab, with
// DeepArOptions::distances on), and optionally two static attributes whose codes include one
// out of range (reads level 0, no gradient).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/deepar/internal.h"

namespace skucast::deepar::fixture {

struct DeepArTestCase {
  std::string cell, likelihood;
  bool statics;
  bool log1p = false;  // the panel's non-negative series modelled as log(1 + y) (apply_log1p)
  bool window_loc = false;  // target transform log1p_window (Note [Window location]); with log1p
  bool distances = false;   // each event's nearness and the series' age (Note [Distance inputs])
  std::string name() const {
    return cell + "_" + likelihood + (statics ? "_embeddings" : "_plain") + (log1p ? "_log1p" : "") +
           (window_loc ? "_loc" : "") + (distances ? "_dist" : "");
  }
};

struct TestPanelShape {
  int64_t n_series = 37, n_steps = 80;
  int64_t future_cov = 0;  // covariate steps past T (then the last value repeats)
  int64_t pad_extra = 1;   // pad = context + lookback + pad_extra
  int late_every = 6;      // every k-th series launches late ...
  int64_t late_start = 45;  // ... at late_start + i % 30 (some inside the context)
  bool negative_series = false;  // series 4 shifted below zero (not clipped; gaussian only)
  uint32_t seed = 1234;
};

// Fills fp, the layout l (from o and fp) and the panel d.
inline void make_test_panel(const DeepArOptions& o, bool statics, const TestPanelShape& sh, PanelFingerprint& fp,
                            Layout& l, PanelData& d) {
  const int64_t S = sh.n_series, T = sh.n_steps;
  fp.n_series = S;
  fp.season_length = 7;
  fp.dynamic_names = {"price"};
  fp.dynamic_per_series = {1};
  fp.event_names = {"holiday"};
  if (statics) {
    fp.static_names = {"store", "dept"};
    fp.static_levels = {{"s1", "s2", "s3"}, {"d1", "d2", "d3", "d4", "d5"}};
  }
  l = make_layout(o, fp);
  std::mt19937 rng(sh.seed);
  std::uniform_real_distribution<float> U(0.0f, 1.0f);
  d.n_series = S;
  d.n_time = T;
  d.n_cov = T + sh.future_cov;
  d.y.assign(S * T, NAN);
  d.first.assign(S, -1);
  d.last.assign(S, -1);
  for (int64_t i = 0; i < S; ++i) {
    const int64_t start = i % sh.late_every == 0 ? sh.late_start + i % 30 : 0;
    const float level = 1.0f + 20.0f * U(rng);
    for (int64_t t = start; t < T; ++t) {
      if (U(rng) < 0.05f) continue;  // interior holes
      float v = std::floor(level * (1.0f + 0.5f * std::sin(0.9f * t)) * U(rng) * 2.0f);  // counts >= 0
      if (i == 4 && sh.negative_series) v -= 3.0f;
      d.y[i * T + t] = v;
      if (d.first[i] < 0) d.first[i] = t;
      d.last[i] = t;
    }
  }
  d.dyn.resize(l.n_slabs * S * d.n_cov);  // one per-series covariate (and the age): [n_slabs, S, T+F]
  for (float& v : d.dyn) v = U(rng) - 0.5f;
  d.sreal.resize(l.n_sreal * S);  // static reals (Note [Derived inputs]): [n_sreal, S]
  for (float& v : d.sreal) v = 2.0f * U(rng) - 1.0f;
  d.pad = o.context + lookback(l) + sh.pad_extra;
  d.n_shared = T + o.horizon;
  d.n_shared_cols = l.spec.n_calendar;
  d.shared.assign((d.pad + d.n_shared) * d.n_shared_cols, 0.0f);
  for (int64_t tau = 0; tau < d.n_shared; ++tau)
    for (int64_t k = 0; k < d.n_shared_cols; ++k) d.shared[(d.pad + tau) * d.n_shared_cols + k] = 2.0f * U(rng) - 1.0f;
  for (size_t a = 0; a < fp.static_names.size(); ++a) {
    std::vector<int32_t> codes(S);
    const int32_t K = static_cast<int32_t>(fp.static_levels[a].size());
    for (int64_t i = 0; i < S; ++i) codes[i] = static_cast<int32_t>(i % (K + 1)) - (i == 3 ? K + 2 : 0);
    d.code_store.push_back(std::move(codes));
  }
  for (const auto& cs : d.code_store) d.codes.push_back(cs.data());
}

}  // namespace skucast::deepar::fixture
