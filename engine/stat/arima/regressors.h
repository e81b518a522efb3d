// engine/stat/arima/regressors.h — the regressors of the statistical models (arimax) taken
// from the panel: the --regressors list, its checks against the panel, and reading them in
// blocks of series as the [S, T+F, K] tensor forecast_batch takes (BatchOptions::xreg).
//
// Note [Regressor names]: --regressors is a comma-separated list of
//   NAME       the panel's /dynamic/NAME covariate (per series [S, T+F] or shared [T+F]) as is;
//   NAME:log   its natural log (for prices: a constant elasticity; values must be > 0);
//   event:NAME the 0/1 flags of /calendar/events/NAME;
//   events     every event of the panel.
// An empty list means every dynamic covariate of the panel, as is, and no events. Prices need
// no "relative to the regular price" form: dividing by a per-series constant is a linear
// change of the column, which the regression's beta absorbs exactly (same fit, same forecast);
// price:log differs (multiplicative effect). At most kArimaMaxXreg (8) columns.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/stat/model.h"

namespace skucast {

struct PanelHeader;
class PanelReader;

struct RegressorColumn {
  enum class Source { Dynamic, Event };
  Source source = Source::Dynamic;
  std::string name;  // dataset name under /dynamic or /calendar/events
  bool log = false;  // NAME:log
  std::string label() const;    // as written in --regressors: price, price:log, event:xmas
  std::string dataset() const;  // /dynamic/price, /calendar/events/xmas
};

struct RegressorPlan {
  std::vector<RegressorColumn> columns;  // [K]
  bool listed = false;                   // named in --regressors (not the default: every covariate)
  int size() const { return static_cast<int>(columns.size()); }
  std::string describe() const;  // "price:log,promo"
};

// Parses `text` (Note [Regressor names]) against the panel. Throws InputError naming the panel
// and listing its dynamic covariates and events when a name is unknown, a column is listed
// twice, there are more than 8, or `text` is empty and the panel has no dynamic covariate.
RegressorPlan plan_regressors(const PanelHeader& hdr, const std::string& panel_path, const std::string& text);

// Forecasting H steps after the history needs the regressors' future part: throws InputError
// naming the dataset when the panel's F < H.
void check_regressor_horizon(const RegressorPlan& plan, const PanelHeader& hdr, const std::string& panel_path,
                             int64_t horizon);

// Note [Regressors without history]: a dynamic covariate named in --regressors that has no
// value in any series' history (steps [0, T) of the panel) can enter no series' regression
// (each would leave it out: Note [Regressor use] in engine/stat/model.h), so naming it is a
// mistake: throws InputError naming the column and the panel. The default list (every
// dynamic covariate) is not checked: `forecast` reports the columns its series left out
// instead (regressor_use_notes). Reads the columns in blocks of series, stopping at the first
// value.
void check_regressor_history(const PanelReader& panel, const RegressorPlan& plan);

// Note [Regressor use] over a run: per column, how many series had each RegressorUse.
struct RegressorUseCount {
  int64_t n_series = 0;
  std::vector<std::array<int64_t, kRegressorUseKinds>> by_column;  // [K]
  // Adds use [S, K] of S more series.
  void add(const RegressorUse* use, int64_t n_series, int k);
};

// One line per column that some series left out or forecast with missing future values, e.g.
//   "arimax: regressor 'allmiss' left out for 12 of 12 series (no value in their history)"
// (tools/ print them as notes). Empty when every series used every column as given.
std::vector<std::string> regressor_use_notes(const RegressorPlan& plan, const RegressorUseCount& count);

// Reads series [i0, i1) as out [i1 - i0, T+F, K] (NaN kept: forecast_batch fills them).
// NAME:log throws InputError naming the dataset, series and step of a finite value <= 0.
void read_regressors(const PanelReader& panel, const RegressorPlan& plan, int64_t i0, int64_t i1,
                     std::vector<float>& out);

}  // namespace skucast
