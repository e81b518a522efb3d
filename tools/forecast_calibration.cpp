// tools/forecast_calibration.cpp — `skucast forecast`: the rolling-origin folds before the
// origin, for --intervals conformal (calibration) and for --model auto / --combine weighted
// (selection), and the conformal quantiles made from them (engine/eval/conformal.h).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "engine/deepar/model.h"
#include "engine/eval/backtest.h"
#include "engine/eval/conformal.h"
#include "engine/eval/cumulative.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "tools/forecast_cli.h"

namespace skucast::cli {

// Note [Calibration folds]: `--intervals conformal` runs K rolling-origin folds of the same
// model (run_backtest, engine/eval/backtest.h) whose last origin is T − H and each earlier one
// --calibration-step (default H) before it, so every error is out of sample and no fold reaches
// past the forecast origin. K defaults to 5 (kDefaultCalibrationFolds, tools/forecast_cli.h):
// with one error per fold and step, a series reaches the 20 errors per step of its own quantiles
// only with K >= 20, so by default the quantiles come from pools of similar series (Note
// [Conformal pooling], engine/eval/conformal.h), and 5 folds give every pool 5 errors per series
// while costing 5 model fits. When the history is too short for the default, K is lowered to
// what fits (with a note); an explicit K that does not fit is an error. The global models (lstm/gru) are calibrated from the stored model's forecasts at
// origins after its training (Note [Global model calibration]).

// Note [Global model calibration]
//   `forecast --model lstm|gru --checkpoint m.h5 --intervals conformal` does not refit the
//   network per fold (a nightly run could not afford it). It forecasts from each calibration
//   origin with the stored model (Note [Checkpoint folds], engine/eval/backtest.h) and uses only
//   origins at or after the model's training end E (Note [What the model has seen],
//   engine/deepar/model.h): the last origin is T − H, each earlier one --calibration-step before
//   it, none before E. So the weights were never fitted to any target these errors measure. Not
//   wholly unseen: targets in the validation window [E, T_train) chose the epoch kept (early
//   stopping) and the residual statistics, which biases those errors slightly low; targets from
//   T_train on (a panel that grew since training) are unseen. The run prints how many folds
//   touch the validation window. With the default --val-steps (= H) and the training panel, one
//   fold fits; the quantiles then come from the pools (Note [Conformal pooling]: S errors per
//   step across the catalog), which is what the default K = 5 of the statistical models does
//   too. More folds: train with --val-steps K·H, or forecast a panel that has grown. When fewer
//   than the default fit, K is lowered with a note; an explicit --calibration-folds that does
//   not fit, or no fold at all, is an error saying how many fit. The same origins serve
//   `--model auto` and `--combine weighted` when a candidate or member is lstm/gru.
//   The score is ConformalScore::Scaled unless --conformal-score names another (Note [Conformal
//   scaled scores]): the network's sample paths give each series a spread of its own, which the
//   raw score replaces by one pooled width per zero-share bucket. Measured (bench/README.md,
//   `calibration`, 2026-12-07; the default GRU, its own quantiles -> raw -> scaled, 80 % / 95 %
//   coverage, scaled pinball): Dominick's orange juice (3 pooled models) 0.801 / 0.931 / 0.110
//   -> 0.792 / 0.949 / 0.152 -> 0.818 / 0.959 / 0.120; the synthetic catalog 0.929 / 0.980 /
//   0.179 -> 0.836 / 0.962 / 0.186 -> 0.810 / 0.950 / 0.208. Scaled is within 3 points of
//   nominal on both at both levels; raw over-covers the synthetic catalog at 80 %.

int64_t fitting_folds(int64_t requested, int64_t preferred, const char* flag, const char* what, int64_t n_steps,
                      int64_t horizon, int64_t step) {
  if (requested > 0) {
    try {
      fold_origins(n_steps, horizon, requested, step);
    } catch (const InputError& e) {
      throw InputError(std::string(flag) + ": " + e.what() + "; lower " + flag);
    }
    return requested;
  }
  // The most folds (<= the default) with one step of history before the first origin.
  const int64_t room = n_steps - 1 - horizon;
  if (room < 0)
    throw InputError(std::string(what) + ": the panel has " + std::to_string(n_steps) + " steps, too few for one " +
                     "fold of horizon " + std::to_string(horizon) + " (needs at least " + std::to_string(horizon + 1) +
                     ")");
  const int64_t fit = std::min(preferred, room / step + 1);
  if (fit < preferred)
    std::fprintf(stderr, "skucast: note: the history (%lld steps) holds %lld %s fold(s) of horizon %lld, "
                 "step %lld, not %lld\n", static_cast<long long>(n_steps), static_cast<long long>(fit), what,
                 static_cast<long long>(horizon), static_cast<long long>(step), static_cast<long long>(preferred));
  return fit;
}

int64_t checkpoint_folds(int64_t requested, int64_t preferred, const char* flag, const char* what,
                         const std::string& checkpoint, int64_t n_steps, int64_t horizon, int64_t step) {
  const SeenSteps seen = checkpoint_seen_steps(checkpoint);
  const int64_t fit = checkpoint_fold_count(n_steps, horizon, step, seen.train_end);
  const std::string why = checkpoint + ": the model trained on steps [0, " + std::to_string(seen.train_end) +
                          ") of the panel (validation window [" + std::to_string(seen.train_end) + ", " +
                          std::to_string(seen.trained_steps) + ")); out-of-sample " + what + " folds need origins from " +
                          std::to_string(seen.train_end) + " to T − H = " + std::to_string(n_steps - horizon) + ", and " +
                          std::to_string(fit) + " fold(s) of horizon " + std::to_string(horizon) + " with step " +
                          std::to_string(step) + " fit there";
  // A refit model has no validation window left; a longer --val-steps alone would not help it.
  const std::string hint = std::string(seen.every_step()
                                           ? "the model trained on every step of its panel (--refit on); train with "
                                             "--refit off and "
                                           : "train with ") +
                           "a longer --val-steps (K folds of step H need --val-steps K·H), or forecast a panel "
                           "that has grown since training";
  if (fit == 0) throw InputError(why + "; " + hint);
  if (requested > fit) throw InputError(std::string(flag) + " " + std::to_string(requested) + ": " + why + "; lower " + flag + " or " + hint);
  if (requested > 0) return requested;
  if (fit < preferred)
    std::fprintf(stderr, "skucast: note: %lld out-of-sample %s fold(s) of horizon %lld fit after the model's training "
                 "(steps %lld..%lld), not %lld\n",
                 static_cast<long long>(fit), what, static_cast<long long>(horizon),
                 static_cast<long long>(seen.train_end), static_cast<long long>(n_steps - 1), static_cast<long long>(preferred));
  return std::min(fit, preferred);
}

void classify_conformal_steps(CalibrationSet& cal, const PanelReader& panel, const std::vector<std::string>& given,
                              bool global, int64_t block) {
  const bool is_auto = given.empty() ? !global : given.size() == 1 && given[0] == "auto";
  const bool is_none = given.empty() ? global : given.size() == 1 && given[0] == "none";
  for (const std::string& n : given)
    if ((n == "auto" || n == "none") && given.size() > 1)
      throw InputError("--conformal-by: '" + n + "' stands alone, not in a list of names");
  if (is_none) return classify_calibration_steps(cal, panel, {}, block);
  if (!is_auto) return classify_calibration_steps(cal, panel, given, block);
  const PanelHeader& hdr = panel.header();
  const bool per_series_inputs = std::any_of(hdr.dynamic.begin(), hdr.dynamic.end(),
                                             [](const DynamicSpec& d) { return d.per_series; });
  if (per_series_inputs && hdr.n_future < cal.horizon)
    std::fprintf(stderr, "skucast: note: --conformal-by auto: the panel knows its inputs for %lld step(s) after the "
                 "history, fewer than the horizon (%lld), so no event classes\n",
                 static_cast<long long>(hdr.n_future), static_cast<long long>(cal.horizon));
  std::vector<std::string> names;
  std::string why;
  for (const AutoConformalEvent& e : auto_conformal_events(cal, panel, block)) {
    names.push_back(e.name);
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, " %.2fx", e.ratio);
    why += (why.empty() ? "" : ", ") + e.name + ratio;
  }
  classify_calibration_steps(cal, panel, names, block);
  if (!names.empty())
    std::fprintf(stderr, "skucast: conformal event classes (--conformal-by auto): the 80 %% quantile of the folds' "
                 "scaled |errors| where the input is on, over where it is off: %s\n", why.c_str());
}

void apply_conformal(const CalibrationSet& cal, double calibration_s, int64_t n_validation, const std::string& score,
                     const std::string& pool, ForecastFile& fc) {
  const auto c0 = std::chrono::steady_clock::now();
  ConformalOptions copt;
  copt.score = parse_conformal_score(score);
  copt.pool = parse_conformal_pool(pool);
  const ConformalStats cs = conformal_quantiles(cal, fc.mean.data(), fc.levels, fc.quantiles.data(), copt);
  // The demand summed over steps 1..h from the same folds (Note [Cumulative demand quantiles]).
  fc.cumulative_quantiles.resize(fc.quantiles.size());
  if (!fc.levels.empty())
    conformal_cumulative_quantiles(cal, fc.mean.data(), fc.quantiles.data(), fc.levels, fc.cumulative_quantiles.data(),
                                   copt);
  calibration_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
  fc.intervals = "conformal";
  fc.calibration_folds = cal.n_folds;
  fc.conformal_score = conformal_score_name(cs.score);  // the score used: raw when scaled had no spread
  fc.conformal_classes.clear();
  for (const std::string& n : cal.class_inputs) fc.conformal_classes += (fc.conformal_classes.empty() ? "" : ",") + n;
  const int64_t n_cells = cal.n_series * cal.horizon;
  std::string global_note;
  if (n_validation >= 0)
    global_note = "; forecast by the stored model after its training end, " + std::to_string(n_validation) +
                  " fold(s) with targets in its validation window (early stopping looked at them)";
  std::string score_note = cs.score == ConformalScore::Raw
                               ? std::string("raw scores (errors over the naive MAE)")
                               : std::string(conformal_score_name(cs.score)) + " scores over the model's own spread (" +
                                     std::to_string(cs.n_floored) + " cell(s) at its floor, " +
                                     std::to_string(cs.n_capped) + " at its cap)";
  if (copt.score != ConformalScore::Raw && cs.score == ConformalScore::Raw)
    score_note += ", as one quantile level gives no spread to scale by";
  if (!cal.fold_class.empty()) {  // Note [Conformal event classes]
    std::string inputs;
    for (const std::string& n : cal.class_inputs) inputs += (inputs.empty() ? "" : ", ") + n;
    score_note += "; " + std::to_string(cal.n_classes) + " event classes by " + inputs + ", " +
                  std::to_string(cs.n_class_pooled) + " pooled cell(s) from their class's pool";
  }
  std::fprintf(stderr,
               "skucast: conformal intervals: %lld calibration fold(s), %.3f s; %s; (series, step) cells from their own "
               "errors %lld, pooled %lld, model's %lld of %lld; %lld quantile(s) clamped to the extreme error "
               "(too few errors for the level), %lld bounded (Note [Bounded statistical forecasts])%s\n",
               static_cast<long long>(cal.n_folds), calibration_s, score_note.c_str(), static_cast<long long>(cs.n_own),
               static_cast<long long>(cs.n_pooled), static_cast<long long>(cs.n_model),
               static_cast<long long>(n_cells), static_cast<long long>(cs.n_clamped),
               static_cast<long long>(cs.n_bounded), global_note.c_str());
}

}  // namespace skucast::cli
