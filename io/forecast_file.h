// io/forecast_file.h — forecast files (HDF5), written atomically like panels.
//
//   /                          attrs format="skucast-forecast", version=1, model, freq,
//                              start (label of axis position 0), season_length,
//                              origin (axis position of step 1), shard_index, shard_count
//                              (`forecast --shard K/N`: K and N; 0 and 1 for a whole run;
//                              files written before these attributes read as 0/1)
//   /series/id                 string  [S]
//   /series/level              string  [S]      optional: each series' hierarchy level, for
//                              forecasts of an aggregated panel (`skucast aggregate`)
//   /forecast/mean             float32 [S, H]
//   /forecast/quantiles        float32 [S, H, Q]   (absent when Q = 0)
//   /forecast/quantile_levels  float64 [Q]
//   /forecast/residuals        float32 [S, R]   optional (`forecast --residuals`): in-sample
//                              one-step residuals y_t − ŷ_t|t−1 on the panel's last R = T
//                              steps, NaN where the series was not observed; used by
//                              `reconcile --method wls_var|mint_shrink`
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/time_axis.h"

namespace skucast {

inline constexpr int kForecastVersion = 1;

struct ForecastFile {
  std::string model;
  TimeAxis axis;
  int64_t origin = 0;               // position on axis of forecast step 1
  int64_t horizon = 0;              // H
  std::vector<std::string> ids;     // [S]
  std::vector<std::string> series_level;  // [S] or empty: hierarchy level of each series
  std::vector<float> mean;          // [S, H]
  std::vector<double> levels;       // [Q]
  std::vector<float> quantiles;     // [S, H, Q]
  int64_t shard_index = 0, shard_count = 1;  // shard K of N (Note [Sharding the catalog] in io/shard.h)
  int64_t residual_steps = 0;       // R; 0 when the file has no residuals
  std::vector<float> residuals;     // [S, R]
};

// Joins the shards of one run (Note [Sharding the catalog] in io/shard.h) in shard order,
// whatever order they are given in. They must agree on the model, time axis, origin, horizon,
// quantile levels and shard count N, form the complete set 0..N-1 of shards, each once, and no
// series id may appear twice; InputError names the file (names[i]) and what differs, or the
// missing shard, otherwise. The result is a whole run (shard 0/1).
ForecastFile merge_forecasts(const std::vector<ForecastFile>& parts, const std::vector<std::string>& names);

void write_forecast(const std::string& path, const ForecastFile& fc);
ForecastFile read_forecast(const std::string& path);

// CSV columns: series_id,time,step,mean,q<level>... (DESIGN.md), then `level` when the
// forecast has series_level (an aggregated panel's). Written atomically.
void write_forecast_csv(const std::string& path, const ForecastFile& fc);

}  // namespace skucast
