// engine/deepar/data.cpp — the DeepAR model's options (validation, JSON), panel
// fingerprint, input layout, the composition of a batch's inputs (Note [DeepAR inputs]; the
// covariate and embedding columns through the CPU twins of the device kernels,
// engine/deepar/kernels.h), the CPU embedding gradient and the embedding kernels' arguments.
// The panel held in memory (load_panel) is in engine/deepar/panel.cpp: this file links without HDF5.
//
// Note [DeepAR inputs]
//   Column order of x [T, B, F] for a window step tau (absolute position on the axis):
//   1. kernels/features.hpp: y[tau-1]/nu, observed flag of y[tau-1], y[tau-m]/nu, rolling
//      mean/std over 7 and 28 steps (/nu); missing values read 0 (padding before launch
//      and in short contexts: the observed flag tells the network).
//   2. shared columns at tau (its "calendar" input): sin/cos of the day of week (daily
//      axes; position mod season_length otherwise), sin/cos of the day of year, one 0/1
//      column per /calendar/events entry, each shared /dynamic covariate (binary: raw;
//      otherwise standardized over the history).
//   3. one column per per-series /dynamic covariate at tau: binary covariates (every
//      finite history value 0 or 1, e.g. promotion flags) raw; others value / median of
//      the series' positive history values - 1 (price relative to its regular price).
//      NaN reads 0. With inputs "derived" (the default), Note [Derived inputs] adds columns.
//   4. one embedding per static attribute: row codes[s] of its table [K, d],
//      d = min(16, (K+1)/2).
//   Covariates are known into the future ([T+F]); past T+F the last known value repeats.
//
// Note [Derived inputs]
//   What retail demand reacts to is not only this week's price and promotion: shoppers stock
//   up the week before a promotion they know of and buy less the week after it, and a price
//   cut sells through its change as much as its level. A recurrent network can remember the
//   past from its state, but it cannot see a covariate's next step, and the state learns a
//   difference slowly. So, with DeepArOptions::inputs "derived", each per-series covariate j
//   gives four columns in this order (DynColumn, engine/deepar/kernels.h):
//     its value at tau, at tau + 1 (lead; known: covariates are given for the future),
//     at tau - 1 (lag; 0 before the axis), and its change value(tau) - value(tau - 1),
//   all on the normalised scale of part 3 (a price reads relative to its regular price).
//   Then come the series' static reals (PanelData::sreal, the same at every step), which tell
//   the network what the window's mean scaling hides: the level and intermittency of the
//   series and where its covariates sit against the other series':
//     0. sales level: log(1 + mean |y|) over the observed history, standardised across series;
//     1. zero share: the share of observed history steps whose value is 0 (in [0, 1]);
//     2 + j. covariate j's level: log of its regular value (the median of part 3),
//        standardised across series (a brand's price tier), or for a binary covariate the
//        share of history steps it is 1 (how often the series is on promotion);
//     last, with DeepArOptions::volatility "on": the series' volatility, log(0.01 + the mean
//        |change of log(1 + |y|)| between consecutive observed history values), standardised
//        across the series that have such a pair (the others read 0). "auto", the default,
//        turns it on with the target transform log1p_window (Note [Target transform from the
//        data]: smooth catalogs, where each window is read relative to its own location and
//        MAD, which divide out how much the series moves for its level). Measured
//        (bench/README.md, 2026-12-07): on M3 quarterly (the median series moving 4.5 % a
//        quarter) the few volatile series got absurd spreads without it (N0872, between 872
//        and 2,955 in its last 12 quarters, a step-1 80 % interval of 280 to 14,736), 36
//        series' paths ran into the bound of Note [Finite forecasts], and the mean of the
//        paths scored MASE 3.53 / 2.85 (seeds 0 / 1) against the median's 1.49 / 1.39; with it
//        1.46 / 1.48 against 1.44 / 1.43, nothing bounded; M3 yearly mean 4.45 -> 3.26,
//        median 3.36 -> 3.11; monthly mean 1.218 -> 1.091, median 1.062 -> 1.062. On orange
//        juice (log1p, where it stays off) it cost 3 % (median MASE 0.4153 against 0.4033 over
//        seeds 0-3). A static real is composed by the same dyn_column_value on the device, so
//        the GPU path reads it as the CPU does.
//   Series with no observation read 0 for every static real. Statistics use the history
//   (steps < T) only; those of the target stop where training's validation window starts
//   (load_panel's stats_end), so that no validation target reaches an input. The column count
//   depends on the panel's fingerprint and the options alone (4 per per-series covariate + 2 +
//   their number, + 1 with the volatility, + Note [Distance inputs]'s), so a model's input layout
//   never depends on values.
//   The device composes the same columns with the same function (dyn_column_value).
//
// Note [Distance inputs]
//   Demand moves before and after an event, not only on its day (the shopping days before a
//   holiday, the slump after it), and a product sells differently in its first weeks than a year
//   on (the launch ramp-up). The calendar flag of an event marks its day alone, and the observed
//   flag of part 1 says only whether last step had a value. So, with DeepArOptions::distances
//   "on" (with inputs "derived"; off by default, below), the model also reads
//     - per event, right after its flag column (shared, part 2): the steps d to its next day
//       and the steps since its last one, each as max(0, 1 - d / D): 1 on the day, falling to 0
//       D steps away and 0 when no event day is that near. D = 28 on a daily axis, 4 weekly, 2
//       otherwise (distance_span). Event days are known for the history and the future part of
//       the covariates; past them an event counts as not seen (the next day unknown);
//     - per series, after its covariates' columns (a per-series slab, PanelData::dyn slab
//       Layout::slab_age): its age at tau, min(1, log(1 + tau - first) / log(1 + A)), first
//       its first observed step (the forecast origin T for a series with none yet), A a year
//       of steps (365 daily, 52 weekly, 12 monthly, 4 quarterly, 1 yearly; on an index axis,
//       whose steps have no length, the season length when it is 2 or more, else 52:
//       age_span); 0 before the launch. The log keeps the first weeks apart (a 20-day-old
//       daily series reads 0.52, a 90-day-old one 0.76). Past the covariates' future part the
//       age keeps its last value, as every per-series covariate does (covariate_at).
//   Both depend on the panel's axis and observations alone, not on the target's values, so the
//   validation window leaks nothing through them; the column count depends on the fingerprint
//   (2 per event, 1 per model). The device reads them as it reads the calendar table and the
//   covariate slabs (no kernel of its own). Model files written before the option read as off.
//   Why off by default (bench/README.md, 2026-12-07; the GRU's defaults otherwise, on -> off):
//   the synthetic catalog (3,000 series, 25 events with build-ups of 1-3 days, 37 % launched
//   late with a 90-day ramp-up; `backtest --models gru --folds 1`) is level whether the held-out
//   28 days hold no big event (RMSSE 0.7067 against 0.7065, pinball 0.4368 / 0.4365) or
//   Thanksgiving (0.7000 / 0.6991, 0.4239 / 0.4243), at 4-6 % more training time; orange juice
//   (no events: the age alone) is level on its test weeks (3 pooled GRUs, seeds 0.. and 3..:
//   0.4024 / 0.4027 against 0.4035 / 0.4002) and better on its earlier split (0.4690 / 0.4816
//   against 0.4821 / 0.4798); M3, whose series start where their records do, is better yearly
//   (3.003 against 3.123, one seed) and worse quarterly (1.446 / 1.496 against 1.418 / 1.455)
//   and monthly (1.062 against 1.056, pinball 0.643 against 0.624). A catalog with strong
//   build-ups before its events is where to try it.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/deepar/internal.h"
#include "engine/deepar/kernels.h"
#include "engine/nn/loss.h"
#include "engine/nn/rng.h"
#include "io/panel.h"
#include "kernels/common.hpp"

namespace skucast {

// ------------------------------------------------------------- options ----
void DeepArOptions::validate() const {
  auto bad = [](const std::string& field, const std::string& want, const std::string& got) {
    throw InputError("deepar: " + field + " must be " + want + ", got " + got);
  };
  // Upper bounds: a window is cut from a panel's axis (at most kMaxPanelSteps); one layer of
  // 65,536 units already holds 137 GB of weights; 64 layers and 2^20 windows a batch are far
  // past any use. Beyond them sizes would overflow int64 (an internal error) or a run would
  // never end, where they should be a plain error naming the flag.
  auto in = [&](const char* field, int64_t v, int64_t hi) {
    if (v < 1 || v > hi) bad(field, "in 1.." + std::to_string(hi), std::to_string(v));
  };
  if (cell != "lstm" && cell != "gru") bad("cell", "lstm or gru", "'" + cell + "'");
  in("hidden", hidden, int64_t{1} << 16);
  in("layers", layers, 64);
  if (context < 0 || context > kMaxPanelSteps)  // 0: from the panel (deepar_resolve_defaults)
    bad("context", "in 0.." + std::to_string(kMaxPanelSteps), std::to_string(context));
  in("horizon", horizon, kMaxPanelSteps);
  if (!(dropout >= 0.0 && dropout < 1.0)) bad("dropout", "in [0, 1)", std::to_string(dropout));
  if (likelihood != "auto") nn::likelihood_from_name(likelihood);  // throws on an unknown name
  if (target_transform != "log1p" && target_transform != "log1p_window" && target_transform != "none" &&
      target_transform != "auto")
    bad("target_transform", "auto, log1p, log1p_window or none", "'" + target_transform + "'");
  if (inputs != "derived" && inputs != "base") bad("inputs", "derived or base", "'" + inputs + "'");
  if (volatility != "auto" && volatility != "on" && volatility != "off")
    bad("volatility", "auto, on or off", "'" + volatility + "'");
  if (distances != "on" && distances != "off") bad("distances", "on or off", "'" + distances + "'");
  if (!(tweedie_power > 1.0 && tweedie_power < 2.0)) bad("tweedie_power", "in (1, 2)", std::to_string(tweedie_power));
  if (!(lr > 0.0 && std::isfinite(lr))) bad("lr", "finite and > 0", std::to_string(lr));
  if (!(weight_decay >= 0.0 && std::isfinite(weight_decay)))
    bad("weight_decay", "finite and >= 0", std::to_string(weight_decay));
  if (!(clip >= 0.0)) bad("clip", ">= 0", std::to_string(clip));
  in("batch", batch, int64_t{1} << 20);
  if (epochs < 0) bad("epochs", ">= 0", std::to_string(epochs));
  if (windows_per_epoch < 0) bad("windows_per_epoch", ">= 0", std::to_string(windows_per_epoch));
  if (val_steps < 0 || val_steps > kMaxPanelSteps)
    bad("val_steps", "in 0.." + std::to_string(kMaxPanelSteps), std::to_string(val_steps));
  if (patience < 1) bad("patience", ">= 1", std::to_string(patience));
  if (refit != "on" && refit != "off") bad("refit", "on or off", refit);
  if (!(ema >= 0.0 && ema < 1.0)) bad("ema", "in [0, 1)", std::to_string(ema));
  if (attention != "on" && attention != "off") bad("attention", "on or off", "'" + attention + "'");
  if (val_max_series < 1) bad("val_max_series", ">= 1", std::to_string(val_max_series));
  if (sampling != "uniform" && sampling != "weight") bad("sampling", "uniform or weight", "'" + sampling + "'");
  for (int64_t d : embedding_dims)
    if (d < 1) bad("embedding_dims", "all >= 1", std::to_string(d));
  if (season_length < 0 || roll_short < 0 || roll_long < 0)
    bad("season_length/roll_short/roll_long", ">= 0", std::to_string(season_length) + "/" +
                                                         std::to_string(roll_short) + "/" + std::to_string(roll_long));
}

std::string deepar_options_to_json(const DeepArOptions& o) {
  nlohmann::json j{{"cell", o.cell},
                   {"hidden", o.hidden},
                   {"layers", o.layers},
                   {"context", o.context},
                   {"horizon", o.horizon},
                   {"dropout", o.dropout},
                   {"likelihood", o.likelihood},
                   {"target_transform", o.target_transform},
                   {"inputs", o.inputs},
                   {"volatility", o.volatility},
                   {"distances", o.distances},
                   {"tweedie_power", o.tweedie_power},
                   {"lr", o.lr},
                   {"weight_decay", o.weight_decay},
                   {"clip", o.clip},
                   {"batch", o.batch},
                   {"epochs", o.epochs},
                   {"windows_per_epoch", o.windows_per_epoch},
                   {"seed", o.seed},
                   {"val_steps", o.val_steps},
                   {"patience", o.patience},
                   {"refit", o.refit},
                   {"ema", o.ema},
                   {"attention", o.attention},
                   {"val_max_series", o.val_max_series},
                   {"season_length", o.season_length},
                   {"roll_short", o.roll_short},
                   {"roll_long", o.roll_long},
                   {"embedding_dims", o.embedding_dims},
                   {"sampling", o.sampling}};
  return j.dump();
}

DeepArOptions deepar_options_from_json(const std::string& text) {
  DeepArOptions o;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    auto get = [&](const char* k, auto& v) {
      if (j.contains(k)) j.at(k).get_to(v);
    };
    get("cell", o.cell);
    get("hidden", o.hidden);
    get("layers", o.layers);
    get("context", o.context);
    get("horizon", o.horizon);
    get("dropout", o.dropout);
    get("likelihood", o.likelihood);
    o.target_transform = j.contains("target_transform") ? j.at("target_transform").get<std::string>() : "none";
    o.inputs = j.contains("inputs") ? j.at("inputs").get<std::string>() : "base";
    o.volatility = j.contains("volatility") ? j.at("volatility").get<std::string>() : "off";  // older files: none
    o.distances = j.contains("distances") ? j.at("distances").get<std::string>() : "off";     // older files: none
    get("tweedie_power", o.tweedie_power);
    get("lr", o.lr);
    get("weight_decay", o.weight_decay);
    get("clip", o.clip);
    get("batch", o.batch);
    get("epochs", o.epochs);
    get("windows_per_epoch", o.windows_per_epoch);
    get("seed", o.seed);
    get("val_steps", o.val_steps);
    get("patience", o.patience);
    o.ema = j.contains("ema") ? j.at("ema").get<double>() : 0.0;
    o.refit = j.contains("refit") ? j.at("refit").get<std::string>() : "off";  // older files: no second pass
    o.attention = j.contains("attention") ? j.at("attention").get<std::string>() : "off";  // older files: none
    get("val_max_series", o.val_max_series);
    get("season_length", o.season_length);
    get("roll_short", o.roll_short);
    get("roll_long", o.roll_long);
    get("embedding_dims", o.embedding_dims);
    get("sampling", o.sampling);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("deepar: model config is not valid JSON: ") + e.what());
  }
  o.validate();
  return o;
}

// --------------------------------------------------------- fingerprint ----
PanelFingerprint PanelFingerprint::of(const PanelHeader& h) {
  PanelFingerprint p;
  p.n_series = h.n_series();
  for (const StaticAttr& a : h.statics) {
    p.static_names.push_back(a.name);
    p.static_levels.push_back(a.levels);
  }
  for (const DynamicSpec& d : h.dynamic) {
    p.dynamic_names.push_back(d.name);
    p.dynamic_per_series.push_back(d.per_series ? 1 : 0);
  }
  for (const EventSeries& e : h.events) p.event_names.push_back(e.name);
  p.season_length = h.axis.season_length;
  p.freq = h.axis.freq;
  return p;
}

std::vector<std::string> PanelFingerprint::unseen_levels(size_t a, const std::vector<std::string>& panel_levels) const {
  const std::vector<std::string>& known = static_levels.at(a);
  std::vector<std::string> unseen;
  for (const std::string& v : panel_levels)
    if (std::find(known.begin(), known.end(), v) == known.end()) unseen.push_back(v);
  return unseen;
}

// Note [Static levels by name]
//   A model's embedding table for a static attribute has one row per level it was trained with,
//   in its fingerprint's order. A panel may list those levels in another order or only some of
//   them: `ingest` sorts levels and keeps only those some series uses, so the same catalog
//   re-ingested (or exported and ingested again) after a store closed, or a panel cut to a few
//   brands, has other codes for the same names. check_matches accepts any panel whose levels
//   are all among the model's, and load_panel translates its codes by name; a level the model
//   never saw is an error naming it (`skucast update --checkpoint` appends new levels to a
//   model: Note [New static levels] in engine/deepar/model.h).
void PanelFingerprint::check_matches(const PanelHeader& h, const std::string& what) const {
  const PanelFingerprint o = of(h);
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return "[" + s + "]";
  };
  auto fail = [&](const std::string& part, const std::string& want, const std::string& got) {
    throw InputError(what + ": the panel does not match the model's: " + part + " expected " + want + ", got " + got +
                     " (retrain with skucast train on this panel)");
  };
  // Note [Panel frequency of a model]
  if (freq && o.freq != freq) fail("frequency", freq_name(*freq), freq_name(*o.freq));
  if (o.season_length != season_length)
    fail("season length", std::to_string(season_length), std::to_string(o.season_length));
  if (o.static_names != static_names) fail("static attributes", join(static_names), join(o.static_names));
  // Note [Static levels by name]: the panel's levels may be any of the model's, in any order.
  for (size_t i = 0; i < static_names.size(); ++i) {
    const std::vector<std::string> unseen = unseen_levels(i, o.static_levels[i]);
    if (!unseen.empty())
      throw InputError(what + ": static '" + static_names[i] + "' has level(s) the model never saw: " + join(unseen) +
                       " (the model knows " + join(static_levels[i]) + "); `skucast update --checkpoint` adds new "
                       "levels to a model, or retrain with skucast train on this panel");
  }
  if (o.dynamic_names != dynamic_names || o.dynamic_per_series != dynamic_per_series)
    fail("dynamic covariates", join(dynamic_names), join(o.dynamic_names));
  if (o.event_names != event_names) fail("events", join(event_names), join(o.event_names));
}

namespace deepar {

// -------------------------------------------------------------- layout ----
int64_t distance_span(const TimeAxis& axis) {  // Note [Distance inputs]
  return axis.freq == Freq::Day ? 28 : axis.freq == Freq::Week ? 4 : 2;
}

int64_t age_span(const TimeAxis& axis) {  // Note [Distance inputs]: a year of steps
  switch (axis.freq) {
    case Freq::Day: return 365;
    case Freq::Week: return 52;
    case Freq::Month: return 12;
    case Freq::Quarter: return 4;
    case Freq::Year: return 1;
    case Freq::Index: break;  // steps of unknown length: the season's, else a weekly year
  }
  return axis.season_length >= 2 ? axis.season_length : 52;
}

Layout make_layout(const DeepArOptions& o, const PanelFingerprint& p) {
  Layout l;
  l.spec.season_length = o.season_length > 0 ? o.season_length : p.season_length;
  l.spec.roll_short = o.roll_short;
  l.spec.roll_long = o.roll_long;
  int64_t n_cov_slabs = 0, n_shared_dyn = 0;
  for (uint8_t ps : p.dynamic_per_series) (ps ? n_cov_slabs : n_shared_dyn) += 1;
  // Note [Derived inputs]
  const bool derived = o.inputs == "derived";
  const bool distances = derived && o.distances == "on";  // Note [Distance inputs]
  l.slab_age = distances ? n_cov_slabs : -1;
  l.n_slabs = n_cov_slabs + (distances ? 1 : 0);
  for (int64_t j = 0; j < n_cov_slabs; ++j) {
    const int32_t slab = static_cast<int32_t>(j);
    l.dyn_cols.push_back(DynColumn{DynKind::Value, slab, 0});
    if (!derived) continue;
    l.dyn_cols.push_back(DynColumn{DynKind::Value, slab, 1});
    l.dyn_cols.push_back(DynColumn{DynKind::Value, slab, -1});
    l.dyn_cols.push_back(DynColumn{DynKind::Change, slab, 0});
  }
  if (distances) l.dyn_cols.push_back(DynColumn{DynKind::Value, static_cast<int32_t>(l.slab_age), 0});  // the age
  const bool volatility = derived && o.volatility == "on";
  l.n_sreal = derived ? 2 + n_cov_slabs + (volatility ? 1 : 0) : 0;
  l.sreal_volatility = volatility ? l.n_sreal - 1 : -1;
  for (int64_t k = 0; k < l.n_sreal; ++k) l.dyn_cols.push_back(DynColumn{DynKind::Static, static_cast<int32_t>(k), 0});
  l.n_dyn = static_cast<int64_t>(l.dyn_cols.size());
  l.spec.n_calendar =
      static_cast<int32_t>(4 + static_cast<int64_t>(p.event_names.size()) * (distances ? 3 : 1) + n_shared_dyn);
  l.n_base = feature_count(l.spec);
  int64_t col = l.n_base + l.n_dyn;
  l.rnn = nn::RnnConfig{o.cell == "gru" ? nn::CellType::Gru : nn::CellType::Lstm, 0, o.hidden, o.layers,
                        static_cast<float>(o.dropout)};
  l.lik.kind = nn::likelihood_from_name(o.likelihood);
  l.lik.tweedie_power = o.tweedie_power;
  // Note [Target transform]: continuous likelihoods only (a count likelihood models counts).
  const bool continuous = likelihood_is_continuous(l.lik.kind);
  if (o.target_transform == "auto")
    throw Error("deepar: target_transform auto must be resolved from the panel before the layout");
  l.log1p = (o.target_transform == "log1p" || o.target_transform == "log1p_window") && continuous;
  l.window_loc = o.target_transform == "log1p_window" && continuous;  // Note [Window location]
  std::vector<int64_t> ks;
  for (const auto& lv : p.static_levels) ks.push_back(std::max<int64_t>(1, static_cast<int64_t>(lv.size())));
  l.static_levels = p.static_levels;
  if (!o.embedding_dims.empty() && o.embedding_dims.size() != ks.size())
    throw InputError("deepar: the model has " + std::to_string(o.embedding_dims.size()) +
                     " embedding widths, the panel " + std::to_string(ks.size()) + " static attributes");
  for (size_t a = 0; a < ks.size(); ++a) {
    const int64_t k = ks[a];
    const int64_t d = o.embedding_dims.empty() ? std::min<int64_t>(16, (k + 1) / 2) : o.embedding_dims[a];
    l.emb_k.push_back(k);
    l.emb_dim.push_back(d);
    l.emb_col.push_back(col);
    col += d;
  }
  l.n_features = col;
  l.rnn.n_input = col;
  l.rnn.validate();
  l.n_rnn = nn::rnn_n_params(l.rnn);
  l.n_head = o.hidden * likelihood_n_params(l.lik.kind) + likelihood_n_params(l.lik.kind);
  l.att_off = l.n_rnn + l.n_head;
  l.n_att = o.attention == "on" ? nn::attention_n_params(nn::AttentionConfig{o.hidden, o.hidden}) : 0;
  int64_t off = l.att_off + l.n_att;
  for (size_t a = 0; a < ks.size(); ++a) {
    l.emb_off.push_back(off);
    off += l.emb_k[a] * l.emb_dim[a];
  }
  l.n_params = off;
  return l;
}

int64_t lookback(const Layout& l) {
  return std::max<int64_t>({l.spec.season_length, l.spec.roll_short, l.spec.roll_long, 1});
}

void init_weights(const Layout& l, uint64_t seed, std::vector<float>& w) {
  w.assign(l.n_params, 0.0f);
  const Net net(l);
  net.rnn.init_uniform(w.data(), seed);
  net.head.init_uniform(w.data() + l.n_rnn, nn::splitmix64(seed ^ 0x4EADull));
  if (net.att) net.att->init_uniform(w.data() + l.att_off, nn::splitmix64(seed ^ 0xA77Eull));
  // Embeddings: drawn by their index in the flat buffer, as before attention existed (its
  // block moves them, so an attention model's tables differ from a plain one's of the same seed).
  for (int64_t i = l.att_off + l.n_att; i < l.n_params; ++i)
    w[i] = static_cast<float>(nn::uniform01(seed, 0xE3BEDull, i) - 0.5);
}

// ------------------------------------------------------------- sampler ----
SeriesSampler::SeriesSampler(const std::vector<int64_t>& eligible, const std::vector<float>& weight) {
  if (weight.empty()) {
    m_series = eligible;
    return;
  }
  double total = 0;
  for (int64_t s : eligible) {
    if (s < 0 || s >= static_cast<int64_t>(weight.size()))
      throw Error("deepar sampler: series " + std::to_string(s) + " outside the " + std::to_string(weight.size()) +
                  " weights");
    const float w = weight[s];
    if (!(std::isfinite(w) && w >= 0.0f))
      throw InputError("deepar: /series/weight of series " + std::to_string(s) +
                       " must be finite and >= 0, got " + std::to_string(w));
    if (w == 0.0f) continue;  // never drawn
    total += w;
    m_series.push_back(s);
    m_cdf.push_back(total);
  }
  if (m_series.empty())
    throw InputError("deepar: every series eligible for training has /series/weight 0; expected at least one > 0");
  for (double& c : m_cdf) c /= total;
  m_cdf.back() = 1.0;
}

int64_t SeriesSampler::draw(double u) const {
  const int64_t n = size();
  if (m_cdf.empty()) return m_series[std::min<int64_t>(static_cast<int64_t>(u * static_cast<double>(n)), n - 1)];
  // First series whose cumulative probability exceeds u: P(s) = cdf[s] - cdf[s-1].
  const auto it = std::upper_bound(m_cdf.begin(), m_cdf.end(), u);
  return m_series[std::min<int64_t>(it - m_cdf.begin(), n - 1)];
}

// ------------------------------------------------------------- compose ----
void compose_inputs(const PanelData& d, const Layout& l, const float* weights, const float* y_rows, int64_t n_rows,
                    int64_t y_stride, int64_t y_origin, const int64_t* rows, const int64_t* series, const int64_t* t0,
                    int64_t n_batch, int64_t n_steps, const float* scale, ComposeScratch& sc, float* x,
                    const float* loc) {
  const int64_t B = n_batch, F = l.n_features, F0 = l.n_base, C = d.n_shared_cols;
  if (d.pad + y_origin < 0) throw Error("deepar: compose_inputs: origin before the padded calendar");
  // 1-2. The base columns (lagged target, rolling statistics, shared columns) into scratch.
  sc.t0_local.resize(B);
  for (int64_t b = 0; b < B; ++b) sc.t0_local[b] = t0[b] - y_origin;
  sc.base.resize(checked_mul(n_steps * B, F0));
  const WindowBatch wb{rows, sc.t0_local.data(), B, n_steps};
  features_fwd_cpu(l.spec, y_rows, n_rows, y_stride, scale, wb, d.shared.data() + (d.pad + y_origin) * C,
                   d.n_shared - y_origin, sc.base.data(), loc);
  // The base columns copied into x, then 3. the per-series covariates at the windows' absolute steps.
  compose_tail_cpu(sc.base.data(), F0, d.dyn.data(), d.sreal.empty() ? nullptr : d.sreal.data(), l.dyn_cols.data(),
                   l.n_dyn, d.n_series, d.n_cov, series, t0, B, n_steps, x, F);
  // 4. The embedding columns: the windows' codes [A, B], then the rows of the tables.
  const int64_t n_emb = static_cast<int64_t>(l.emb_k.size());
  if (n_emb == 0) return;
  sc.codes.resize(checked_mul(n_emb, B));
  for (int64_t a = 0; a < n_emb; ++a)  // attribute a's codes [S] as a [1, S] table
    gather_codes_cpu(d.codes[a], 1, d.n_series, series, B, sc.codes.data() + a * B);
  sc.emb_cols = embedding_columns(l);
  const int64_t col0 = l.n_base + l.n_dyn;
  embedding_fwd_cpu(sc.emb_cols.data(), checked_int(static_cast<int64_t>(sc.emb_cols.size()), "embedding columns"),
                    col0, sc.codes.data(), weights, x, n_steps * B, B, F);
}

// Note [Embedding gradient order]
//   The embedding tables' gradient is a sum over every (window, step) whose input row holds
//   the table row. The CPU trainer adds the terms in float, serially: attribute by
//   attribute, window by window, step by step (embedding_backward below). The device sums
//   each window's steps in double (embedding_dx_sum), then each touched row's windows in
//   double (embedding_bwd), both rounded once: deterministic too, but a different order and
//   precision, so the two agree to float rounding, not bit for bit. The CPU twins of those
//   kernels (embedding_dx_sum_cpu, embedding_bwd_cpu in engine/deepar/kernels.h) repeat the
//   device's order, so no twin produces the CPU trainer's bytes: embedding_backward stays
//   the CPU's own function (changing its order would change every CPU-trained model), and
//   tests/deepar/test_deepar_kernels.cpp checks the twins against it at a tolerance.
void embedding_backward(const PanelData& d, const Layout& l, const int64_t* series, int64_t n_batch, int64_t n_steps,
                        const float* dx, float* grad) {
  const int64_t F = l.n_features;
  // Serial over windows so the sum order (and the weights) do not depend on threads.
  for (size_t a = 0; a < l.emb_k.size(); ++a) {
    const int64_t dim = l.emb_dim[a];
    for (int64_t b = 0; b < n_batch; ++b) {
      const int32_t code = d.codes[a][series[b]];
      if (code < 0 || code >= l.emb_k[a]) continue;
      float* g = grad + l.emb_off[a] + code * dim;
      for (int64_t t = 0; t < n_steps; ++t) {
        const float* row = dx + (t * n_batch + b) * F + l.emb_col[a];
        for (int64_t k = 0; k < dim; ++k) g[k] += row[k];
      }
    }
  }
}

// ------------------------------------------------ embedding kernel arguments ----
std::vector<EmbeddingColumn> embedding_columns(const Layout& l) {
  std::vector<EmbeddingColumn> cols;  // column j of x is n_base + n_dyn + j
  for (size_t a = 0; a < l.emb_k.size(); ++a)
    for (int64_t k = 0; k < l.emb_dim[a]; ++k)
      cols.push_back(EmbeddingColumn{l.emb_off[a] + k, checked_int(l.emb_dim[a], "embedding width"),
                                     checked_int(l.emb_k[a], "embedding levels"),
                                     checked_int(static_cast<int64_t>(a), "static attribute")});
  return cols;
}

std::vector<EmbeddingAttr> embedding_attrs(const Layout& l) {
  std::vector<EmbeddingAttr> attrs;
  for (size_t a = 0; a < l.emb_k.size(); ++a)
    attrs.push_back(EmbeddingAttr{l.emb_off[a], checked_int(l.emb_dim[a], "embedding width"),
                                  checked_int(l.emb_col[a], "embedding column")});
  return attrs;
}

int embedding_segments(const Layout& l, const std::vector<const int32_t*>& codes, const int64_t* series,
                       int64_t n_batch, std::vector<std::pair<int32_t, int32_t>>& scratch, EmbeddingSegment* out,
                       int32_t* win) {
  int n_segs = 0;
  int32_t n_win = 0;
  const int64_t n_attr = static_cast<int64_t>(l.emb_k.size());
  for (int64_t a = 0; a < n_attr; ++a) {
    scratch.clear();
    for (int64_t b = 0; b < n_batch; ++b) {
      const int32_t code = codes[a][series[b]];
      if (code >= 0 && code < l.emb_k[a]) scratch.emplace_back(code, static_cast<int32_t>(b));
    }
    std::sort(scratch.begin(), scratch.end());  // by code, then window
    for (size_t i = 0; i < scratch.size(); ++i) {
      if (i == 0 || scratch[i].first != scratch[i - 1].first) {
        if (n_segs > 0 && out[n_segs - 1].attr == a) out[n_segs - 1].end = n_win;
        out[n_segs++] = EmbeddingSegment{static_cast<int32_t>(a), scratch[i].first, n_win, n_win};
      }
      win[n_win++] = scratch[i].second;
    }
    if (n_segs > 0 && out[n_segs - 1].attr == a) out[n_segs - 1].end = n_win;
  }
  return n_segs;
}

}  // namespace deepar
}  // namespace skucast
