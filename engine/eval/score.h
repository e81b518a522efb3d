// engine/eval/score.h — scoring a forecast file against the actuals a panel has since gained
// (`skucast score`): the nightly "how did yesterday's forecast do" without refitting anything.
//
// Note [Scoring a forecast]
//   The forecast's steps [origin, origin + H) are matched by position with the panel's axis
//   (the two must share frequency and start) and its series by id (every forecast id must be
//   in the panel; panel series the forecast lacks are ignored). Steps the panel has not yet
//   observed are missing actuals, which every metric skips (engine/eval/metrics.h), so a
//   28-day forecast can be scored after one day, then again after each new day. The scales
//   of MASE and RMSSE come from each series' history before the origin, as in a backtest.
//   The panel is read in blocks of series, so memory is bounded by the block.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/eval/metrics.h"

namespace skucast {

struct ForecastFile;  // io/forecast_file.h
class PanelReader;    // io/panel.h

struct ScoreResult {
  MetricLayout layout;
  int64_t n_series = 0;          // the forecast's series
  int64_t steps_available = 0;   // forecast steps the panel's history now covers, 0..H
  int64_t cells_observed = 0;    // observed actual cells among them
  std::vector<double> values;    // [n_series, layout.size()], forecast order; NaN: undefined
  std::vector<std::string> summary_names;  // layout's names, then wrmsse
  std::vector<double> summary;             // mean over series with a defined value; wrmsse weighted
  std::vector<int64_t> summary_n;          // series that entered each summary value
};

// Throws InputError naming the file when the axes differ, an id is missing from the panel, or
// no forecast step is observed yet (nothing to score).
ScoreResult score_forecast(const ForecastFile& fc, const std::string& fc_path, const PanelReader& panel,
                           int64_t block_series = 4096);

}  // namespace skucast
