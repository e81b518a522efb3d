// kernels/features.hpp — the inputs of the global recurrent models, cut from the panel into
// batches of windows (DESIGN.md "Models": scaled lagged target, calendar, rolling statistics).
//
// A batch holds B windows; window b reads series row series[b] of y [S, N] (row-major, NaN =
// not observed) over the absolute steps t0[b] .. t0[b] + T - 1 (T = context + horizon).
// Every feature of step tau = t0[b] + t uses only values strictly before tau, so the same
// kernel serves teacher-forced training and ancestral sampling (the caller writes each
// sampled value into its y buffer before cutting the next step). Missing values read as 0.
//
// Output x [T, B, F] is time-major like the recurrent input (engine/nn/rnn.h). Feature
// columns, in order (nu = scale[b]):
//   0                 y[tau-1] / nu                                  (lag 1)
//   1                 1 if y[tau-1] is observed, else 0
//   2                 y[tau-m] / nu, m = season_length               (only when m > 1)
//   next 2 per window w in {roll_short, roll_long} that is > 0:
//                     mean and population std of the observed y[tau-w .. tau-1], / nu
//   last C            calendar[tau, 0..C-1]                          (0 outside the calendar)
#pragma once

#include <cstdint>

#include "kernels/stream.hpp"

namespace skucast {

struct FeatureSpec {
  int32_t season_length = 7;  // m; <= 1 turns the seasonal lag off
  int32_t roll_short = 7;     // rolling window lengths; 0 turns one off
  int32_t roll_long = 28;
  int32_t n_calendar = 0;     // C calendar columns
};

// Number of feature columns F for a spec.
inline int64_t feature_count(const FeatureSpec& s) {
  return 2 + (s.season_length > 1 ? 1 : 0) + (s.roll_short > 0 ? 2 : 0) + (s.roll_long > 0 ? 2 : 0) + s.n_calendar;
}

// Batch geometry shared by the window kernels.
struct WindowBatch {
  const int64_t* series = nullptr;  // [B] row of y for each window
  const int64_t* t0 = nullptr;      // [B] absolute first step of each window (may be < 0: padding)
  int64_t n_batch = 0;              // B
  int64_t n_steps = 0;              // T
};

// The per-element math of these kernels is kernels/features_math.hpp's (STYLE B10).
// CPU reference, OpenMP over windows. y [S, N]; scale [B]; calendar [n_cal, C] or nullptr
// when C = 0; x [T, B, F]. Host pointers. loc [B] (nullptr: 0): each window's location, which
// the lags and the rolling means read relative to ((y - loc) / scale; Note [Window location]
// in engine/deepar/internal.h).
void features_fwd_cpu(const FeatureSpec& spec, const float* y, int64_t n_series, int64_t n_time,
                      const float* scale, const WindowBatch& batch, const float* calendar, int64_t n_cal,
                      float* x, const float* loc = nullptr);

// DeepAR's per-window scale: nu[b] = 1 + mean |y| over the observed values of the first
// n_context steps of window b (1 when none is observed). scale [B].
void window_scale_cpu(const float* y, int64_t n_series, int64_t n_time, const WindowBatch& batch,
                      int64_t n_context, float* scale);

// The window location and scale of Note [Window location] (engine/deepar/internal.h): loc[b] =
// the mean of the observed values of the first n_context steps of window b, scale[b] = 1 + their
// mean absolute deviation from it (0 and 1 when none is observed). loc, scale [B].
void window_loc_scale_cpu(const float* y, int64_t n_series, int64_t n_time, const WindowBatch& batch,
                          int64_t n_context, float* loc, float* scale);

// Targets of the batch: target [T, B] = y[series[b], t0[b] + t] - loc[b], NaN outside 0 .. N-1
// (NaN stays NaN). loc [B] or nullptr (0): the window location of Note [Window location].
void window_target_cpu(const float* y, int64_t n_series, int64_t n_time, const WindowBatch& batch, float* target,
                       const float* loc = nullptr);

// ------------------------------------------------------------------- CUDA ----
// CUDA twins: the same arguments, layout and semantics as the _cpu functions above, with
// every pointer — batch.series and batch.t0 included — a device pointer. Async on stream;
// the optional location comes after the stream (before it on the CPU: features_fwd_cpu's last
// argument, window_target_cpu's).
void features_fwd(const FeatureSpec& spec, const float* y /*[S, N]*/, int64_t n_series, int64_t n_time,
                  const float* scale /*[B]*/, const WindowBatch& batch, const float* calendar /*[n_cal, C]*/,
                  int64_t n_cal, float* x /*[T, B, F]*/, cudaStream_t stream, const float* loc /*[B]*/ = nullptr);
void window_scale(const float* y /*[S, N]*/, int64_t n_series, int64_t n_time, const WindowBatch& batch,
                  int64_t n_context, float* scale /*[B]*/, cudaStream_t stream);
void window_loc_scale(const float* y /*[S, N]*/, int64_t n_series, int64_t n_time, const WindowBatch& batch,
                      int64_t n_context, float* loc /*[B]*/, float* scale /*[B]*/, cudaStream_t stream);
void window_target(const float* y /*[S, N]*/, int64_t n_series, int64_t n_time, const WindowBatch& batch,
                   float* target /*[T, B]*/, cudaStream_t stream, const float* loc /*[B]*/ = nullptr);

}  // namespace skucast
