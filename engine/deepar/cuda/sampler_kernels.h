// engine/deepar/cuda/sampler_kernels.h — the device kernels of DeepAR sampling on the
// GPU (engine/deepar/cuda/sampler.cu; Note [DeepAR forecasting on the GPU] in
// engine/deepar/cuda/sampler.h). Internal to engine/deepar/cuda/sampler.cpp. CUDA-free declarations;
// every pointer is a device pointer; every launcher is async on `stream`.
// CPU twins: the loops of forecast_paths_cpu (engine/deepar/paths.cpp) — replicate_rows is its copy
// of the encoder's states and history to the paths, step_inputs_fwd the part of
// compose_inputs after features_fwd_cpu, sample_paths_fwd its draw loop (the same
// engine/deepar/sample.h functions), path_stats_fwd its mean/quantile loop over sorted paths.
// tests/gpu/test_deepar_forecast_parity.cpp checks them through the whole forecast.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/likelihood.hpp"
#include "kernels/stream.hpp"

namespace skucast::deepar {

// dst[g, r, :] = src[g, r / n_copies, :] for g < n_groups, r < n_src * n_copies; rows of
// row_len floats. src [n_groups, n_src, row_len], dst [n_groups, n_src * n_copies, row_len].
void replicate_rows(const float* src, int64_t n_groups, int64_t n_src, int64_t row_len, int64_t n_copies,
                    float* dst, cudaStream_t stream);

// out[i] = a + b * i for i < n (an iota, or a fill when b = 0).
void fill_affine_i64(int64_t* out, int64_t n, int64_t a, int64_t b, cudaStream_t stream);
// out[i] = v for i < n.
void fill_f32(float* out, int64_t n, float v, cudaStream_t stream);

// x [R, F] of one step: x[r, j] = base[r, j] for j < F0 (features_fwd's columns), else
// exog[r / n_paths, j - F0] (exog [nb, F - F0]: that step's covariate and embedding columns).
void step_inputs_fwd(const float* base, const float* exog, int64_t n_rows, int64_t n_paths, int64_t n_base,
                     int64_t n_features, float* x, cudaStream_t stream);

// One horizon step's draws (forecast_paths_cpu's draw loop). Row r = i * n_paths + p is path
// p of block series i (panel series first_series + i).
struct SampleParams {
  Likelihood kind = Likelihood::Gaussian;
  double tweedie_power = 1.5, tweedie_phi = 1.0;
  uint64_t seed = 0;
  int64_t n_rows = 0, n_paths = 0, n_out = 0;  // R, N, P
  int64_t first_series = 0;                    // panel index of block series 0
  int64_t step = 0, n_horizon = 0;             // h, H
  int64_t y_stride = 0, y_col = 0;             // L; the column of step h in a path's history
  const float* raw = nullptr;                  // [R, P] head outputs
  const float* scale = nullptr;                // [R] nu of each row
  const float* loc = nullptr;                  // [R] each row's window location, added to the draw
                                               // (Note [Window location]); nullptr: none
  const uint8_t* nonneg = nullptr;             // [nb] 1: clip the series' paths at 0
  const uint8_t* log1p = nullptr;              // [nb] 1: the series is modelled as log(1 + sales)
  bool point = false;                          // mse/mae: paths stay on the model's scale
  float* y = nullptr;                          // [R, L] [out] y[r, y_col] = the draw (model's scale)
  float* paths = nullptr;                      // [nb, H, N] [out] paths[i, h, p] = the draw on the sales
                                               // scale (to_sales_scale), or the model's when point
};
void sample_paths_fwd(const SampleParams& p, cudaStream_t stream);

// Means and quantiles of a block (forecast_paths_cpu's last loop), one thread per (i, h).
struct PathStatsParams {
  int64_t n_series = 0, n_horizon = 0, n_paths = 0, n_levels = 0;  // nb, H, N, Q
  const float* paths = nullptr;   // [nb, H, N] in path order (the mean sums in this order)
  const float* sorted = nullptr;  // [nb, H, N] each (i, h) segment ascending; unused when point
  const double* levels = nullptr; // [Q]
  const double* z = nullptr;      // [Q] inverse_normal_cdf(levels[k]) (point losses)
  bool point = false;             // mse/mae: Gaussian quantiles around the mean
  double resid_sd = 1.0;
  const float* scale = nullptr;   // [nb] nu per series
  const uint8_t* nonneg = nullptr;// [nb]
  const uint8_t* log1p = nullptr; // [nb] point: the mean and quantiles go back to the sales scale
  float* mean = nullptr;          // [nb, H] out
  float* quantiles = nullptr;     // [nb, H, Q] out
};
void path_stats_fwd(const PathStatsParams& p, cudaStream_t stream);

// Sorts each of n_segments runs of seg_len finite floats ascending, keys_in -> keys_out
// (Note [Sorting the paths] in engine/deepar/cuda/sampler.cu).
void path_sort(const float* keys_in, float* keys_out, int64_t n_segments, int64_t seg_len, cudaStream_t stream);

}  // namespace skucast::deepar
