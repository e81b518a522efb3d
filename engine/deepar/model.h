// engine/deepar/model.h — the global DeepAR-style forecaster (DESIGN.md "Models"):
// one LSTM or GRU trained across every series of a panel, its configuration (JSON, for
// checkpoints), its state (weights, embeddings, AdamW moments), training with validation,
// early stopping and a learning-rate schedule, and forecasting by ancestral sampling.
//
// Inputs per step tau (columns of x [T, B, F], Note [DeepAR inputs] in engine/deepar/data.cpp):
//   kernels/features.hpp base columns (scaled lag 1, observed flag, seasonal lag, rolling
//   mean/std), then shared per-step columns (calendar sin/cos, one flag per
//   /calendar/events entry, each shared /dynamic covariate), then one column per per-series
//   /dynamic covariate (binary covariates raw, others as value / the series' median
//   observed value - 1, so a price at its regular level reads 0) with, by default, its lead,
//   lag and change, then the series' static reals (Note [Derived inputs]), then one learned
//   embedding per static attribute (dim min(16, (K+1)/2)).
//
// Weights: one flat float buffer [n_params] = RNN (Note [RNN weight layout]) | dense head
// (A [P, Hd], b [P]) | attention with --attention on (W_qkv [3Hd, Hd], W_o [Hd, Hd]; Note
// [Attention] in engine/nn/attention.h; absent when off) | embedding tables in panel static
// order, each [K, d] row-major.
// AdamW updates all of it, so the embeddings train with the rest.
//
// Reproducibility: every random draw (weights, windows, dropout, sample paths) is a
// counter-based hash of (seed, what, index) (engine/nn/rng.h), so the same seed and the
// same thread count give the same weights and forecasts.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "io/shard.h"
#include "io/time_axis.h"  // Freq
#include "kernels/device.hpp"

namespace skucast {

class PanelReader;
struct PanelHeader;
struct ForecastFile;
struct HierarchyStructure;

// The model configuration; serialized to JSON in checkpoints (deepar_options_to_json).
struct DeepArOptions {
  // lstm | gru. GRU by default: on Dominick's orange juice it is 9 % more accurate than the
  // LSTM (MASE of the median 0.414 against 0.455, four seeds each) and on the synthetic
  // catalog within 0.2 % (RMSSE 0.7147 against 0.7135), with fewer weights (README "The
  // global model on real promotion data").
  std::string cell = "gru";
  int64_t hidden = 64;                 // Hd
  int64_t layers = 2;                  // L
  int64_t context = 0;                 // steps the encoder sees before a forecast; 0 = from the
                                       // panel (Note [Defaults from the panel])
  int64_t horizon = 28;                // H: training windows' horizon part, validation steps
  double dropout = 0.2;                // between recurrent layers (0.2 beat 0.1: README "Accuracy so far")
  // gaussian | student_t | negbin | tweedie | mse | mae, or "auto": chosen from the panel's
  // target when the model is created (Note [Likelihood from the data]); the commands' default.
  // The library's default stays gaussian, which needs no look at the data.
  std::string likelihood = "gaussian";
  // The scale the model sees its target on (Note [Target transform] in engine/deepar/internal.h):
  // "log1p" (every series without negative values is modelled as log(1 + y), with the
  // gaussian, student_t, mse and mae likelihoods), "log1p_window" (the same, each window seen
  // relative to its own location: Note [Window location] in engine/deepar/internal.h), "none",
  // or "auto" (the commands' default: Note [Target transform from the data]).
  // Model files written before the option existed read as "none".
  std::string target_transform = "log1p";
  // The per-series input columns (Note [Derived inputs] in engine/deepar/data.cpp): "derived"
  // (each per-series covariate with its lead, lag and change, and the series' static reals:
  // sales level, zero share, each covariate's level) or "base" (the covariates alone). Model
  // files written before the option existed read as "base".
  std::string inputs = "derived";
  // With inputs "derived": "on" adds the series' volatility to its static reals (Note [Derived
  // inputs]), "auto" (the default; resolved by deepar_resolve_defaults) does so with the target
  // transform log1p_window, i.e. on smooth catalogs. Model files written before the option
  // existed read as "off"; a layout made from an unresolved "auto" has none.
  std::string volatility = "auto";
  // With inputs "derived": "on" adds the timing inputs of Note [Distance inputs]
  // (engine/deepar/data.cpp): per event, how many steps to its next and since its last day, and
  // per series its age since launch. Off by default (measured: level or worse; the Note), and
  // model files written before the option read as "off".
  std::string distances = "off";
  double tweedie_power = 1.5;
  double lr = 1e-3;
  double weight_decay = 0.0;
  double clip = 10.0;                  // global gradient norm; 0 = off
  int64_t batch = 256;
  int64_t epochs = 20;
  int64_t windows_per_epoch = 0;       // 0 = auto: S windows, at least 32 and at most 200 batches
  uint64_t seed = 0;
  int64_t val_steps = 0;               // held-out final steps of each series; 0 = horizon
  int64_t patience = 5;                // epochs without validation improvement before stopping
  // "on": after early stopping picked the best epoch E, train again from the same start on
  // every step (the validation window included) for E epochs (Note [Refit on every step] in
  // engine/deepar/train.cpp). Model files written before the option existed read as "off".
  std::string refit = "off";
  // Decay per batch of an exponential moving average of the weights, which validation,
  // early stopping and the model file use (Note [Weight average] in engine/deepar/train.cpp);
  // 0 = off (the last batch's weights). 0.98 by default: on Dominick's orange juice it lowers
  // the GRU's median MASE from 0.414 to 0.404 (four seeds each) and leaves the synthetic
  // catalog as it was (RMSSE 0.7153 against 0.7147). Model files written before the option
  // read 0.
  double ema = 0.98;
  // "on": causal self-attention over the top recurrent layer's outputs, added to them before the
  // likelihood head (Note [Attention] in engine/nn/attention.h). Off by default: issue 15 makes it
  // the default only if it improves both benchmarks, and on Dominick's orange juice it is 1 %
  // worse (GRU, MASE of the median over seeds 0-3: 0.408 against 0.404) while on the synthetic
  // catalog it is level (RMSSE 0.7147 against 0.7153; bench/README.md).
  // Model files written before the option existed read "off".
  std::string attention = "off";
  int64_t val_max_series = 4096;       // validation uses at most this many series (evenly spaced)
  int32_t season_length = 0;           // seasonal lag; 0 = the panel's season_length
  int32_t roll_short = 7, roll_long = 28;
  // Which series training windows come from (Note [Weighted window sampling] in
  // engine/deepar/internal.h): "uniform" (every series alike) or "weight" (in proportion to
  // /series/weight, e.g. dollar sales, to favour the series a weighted metric favours).
  std::string sampling = "uniform";
  // Embedding width per static attribute. Empty: min(16, (K+1)/2) of the training panel's K
  // levels; deepar_init pins it, so that levels appended later (deepar_extend_levels) keep
  // the input layout.
  std::vector<int64_t> embedding_dims;

  // Throws InputError naming the bad field, what was expected and what was received.
  void validate() const;
};

// Note [Defaults from the panel]
//   Options left at 0 are chosen from the panel the model first trains on, before
//   deepar_init pins them into the model (and its file):
//   - context: 4 x horizon, and at least two seasons when the season length is 2..60; at most
//     half the steps before the validation window (a context longer than the history is
//     mostly padding: Dominick's 109 weeks against the former fixed 112), at least 1.
//     A daily catalog with a 28-day horizon keeps 112.
//   - likelihood "auto": Note [Likelihood from the data] (needs the target's profile).
//   - a Student-t never sees log(1 + y): the exponential of a Student-t has no mean, and the
//     sample paths diverge (synthetic catalog, 3,000 series: RMSSE 6.07 against the
//     Gaussian's 0.715), so target_transform becomes "none" with it.
//   Returns one line naming each choice and why, empty when every option was given.
//
// What the target looks like, for the likelihood's choice: over every observed history value.
struct TargetProfile {
  int64_t n_obs = 0, n_zero = 0;
  bool counts = true;     // every observed value a whole number >= 0
  bool negative = false;  // some observed value < 0
  // The median over series (with two observed values or more) of the mean |change| of
  // log(1 + max(y, 0)) between consecutive observed values: how much a typical series moves
  // from one step to the next, relatively (Note [Target transform from the data]); 0: none.
  double log_change = 0.0;
  double zero_share() const { return n_obs > 0 ? static_cast<double>(n_zero) / static_cast<double>(n_obs) : 0.0; }
};
// Reads the panel's target in blocks of series (memory: one block).
TargetProfile target_profile(const PanelReader& panel);

// Note [Likelihood from the data]
//   --likelihood auto (train's and backtest's default) picks, from the target's profile:
//     - negbin for counts (whole numbers >= 0) of which at least 25 % are zero: intermittent
//       retail demand. On the synthetic catalog (3,000 × 1,028 days, 53 % slow movers, GRU,
//       `backtest --folds 1`) negbin gives RMSSE 0.7095 and pinball 0.440 against the
//       Gaussian on log(1 + y)'s 0.7153 and 0.456;
//     - gaussian (on log(1 + y) for the series without negative values, Note [Target
//       transform]) otherwise: fast movers, continuous values, signed series. On Dominick's
//       orange juice (counts in the thousands, no zeros) it gives MASE 0.404 where negbin
//       gives 0.533 (seeds 0 and 1: 0.556, 0.511).
//   The threshold sits between the two measured catalogs (0 % and 51 % zeros); the choice is
//   stored in the model file as the likelihood itself, and printed.
// Note [Target transform from the data]
//   target_transform "auto" (train's and backtest's default) picks, for the continuous
//   likelihoods, "log1p_window" (Note [Window location] in engine/deepar/internal.h) when the
//   profile's log_change is below 0.25, else "log1p". The two catalogs it was measured on sit
//   far apart: M3 (smooth economic series; log_change 0.045-0.086), where the window location
//   lowers the GRU's MASE from 1.56 to 1.06 (monthly) and 5.65 to 3.36 (yearly), and Dominick's
//   orange juice (promotions; 0.65), where it is worse (0.4225 against 0.4023). Count
//   likelihoods keep "log1p" (which they ignore). The choice is stored in the model file.
std::string deepar_resolve_defaults(DeepArOptions& options, const PanelHeader& header,
                                    const TargetProfile* profile = nullptr);

// The steps of the validation window: val_steps, or the horizon when 0.
int64_t deepar_val_steps(const DeepArOptions& options);
// Training needs at least 2 steps before the validation window's n_val: InputError naming the
// panel and its n_steps otherwise. `train` checks it before the defaults are chosen from the
// panel (Note [Defaults from the panel]), so a panel too short says so first.
void deepar_check_training_steps(int64_t n_steps, int64_t n_val, const std::string& panel_path);

// Note [Ensemble from the training cost]
//   `train --ensemble auto` (the default) trains 3 models (seeds seed .. seed + 2, pooled: Note
//   [Pooled models]) when one model's planned training is cheap, else 1. The cost is the
//   window-steps one model may train on: batches per epoch (windows_per_epoch / batch, or the
//   catalog's default, S windows, between 32 and 200 batches) x batch x (context + horizon) x
//   epochs, from options whose context is already resolved (deepar_resolve_defaults); cheap is at
//   most kEnsembleCheapSteps = 2^24 (16.8 M). Measured (bench/README.md, 2026-12-07, the default
//   GRU against --ensemble 3, MASE of the median, seed 0): Dominick's orange juice test weeks
//   0.4070 -> 0.4035, its earlier split 0.4853 -> 0.4821, M3 quarterly 1.438 -> 1.418; each of
//   these trains about 40 s a model on 2 cores (orange juice 9.8 M window-steps, M3 monthly
//   11.8 M). The pooled paths average out the seed (one GRU's median MASE on orange juice spans
//   0.401-0.407 over seeds 0-3) and the pool beats the mean of its members. A daily catalog's
//   model is several times dearer (the synthetic 10,000 x 1,100: 40 batches of 140-step windows,
//   28.7 M; 1,000 x 700: 22.9 M), and the nightly budget goes to one model there. The forecast
//   costs the same either way (the paths are split between the members). `backtest --models
//   lstm|gru` trains one model per fold whatever the catalog (its folds already multiply the cost).
inline constexpr int64_t kEnsembleCheapSteps = int64_t{1} << 24;
// Batches per epoch of a panel of S series (the rule above; train.cpp uses the same).
int64_t deepar_batches_per_epoch(const DeepArOptions& o, int64_t n_series);
// Window-steps one model may train on (options resolved: context > 0).
int64_t deepar_training_cost(const DeepArOptions& o, int64_t n_series);
// The ensemble size `auto` picks, and why (one line).
int64_t deepar_auto_ensemble(const DeepArOptions& o, int64_t n_series, std::string* why = nullptr);

std::string deepar_options_to_json(const DeepArOptions& o);
DeepArOptions deepar_options_from_json(const std::string& json);  // InputError on bad JSON

// Note [Panel frequency of a model]
//   The calendar inputs depend on the panel's axis: the day of week on a daily panel, the
//   position modulo season_length otherwise, and the distance and age inputs count steps of the
//   panel's frequency (Note [Distance inputs]). A model trained on a daily panel reads a weekly
//   panel's steps as days, so a forecast, resumed training or fine-tuning on a panel of another
//   frequency or season length is refused (check_matches), like one with other covariates.
//   Model files record the frequency since this check; in older files it is unknown and not
//   checked (the season length, recorded from the start, still is).

// What the model's input layout depends on; a panel must match it to be forecast.
struct PanelFingerprint {
  int64_t n_series = 0;
  std::vector<std::string> static_names;
  std::vector<std::vector<std::string>> static_levels;  // [attr][K]
  std::vector<std::string> dynamic_names;
  std::vector<uint8_t> dynamic_per_series;               // [n_dynamic] 1 = [S, T+F]
  std::vector<std::string> event_names;
  int32_t season_length = 1;
  std::optional<Freq> freq;  // nullopt: a model file written before it was recorded (not checked)

  static PanelFingerprint of(const PanelHeader& h);
  // Throws InputError when `h` has another frequency or season length (Note [Panel frequency
  // of a model]), or other statics, a static level the model never saw (Note [Static levels by
  // name]), other dynamics or events.
  void check_matches(const PanelHeader& h, const std::string& what) const;
  // Static attribute a's levels in `panel_levels` that are not among the model's, in their order.
  std::vector<std::string> unseen_levels(size_t a, const std::vector<std::string>& panel_levels) const;
};

// Everything a checkpoint holds.
struct DeepArState {
  DeepArOptions options;
  PanelFingerprint panel;
  std::vector<float> weights;         // [n_params]
  std::vector<float> adam_m, adam_v;  // [n_params]
  int64_t adam_step = 0;
  int64_t epochs_done = 0;
  int64_t bad_epochs = 0;             // epochs since the best validation loss
  double lr_now = 0.0;                // current learning rate (schedule)
  double best_val_loss = std::numeric_limits<double>::infinity();
  double resid_sd = 1.0;              // RMS scaled one-step residual on validation (mse/mae quantiles)
  double tweedie_phi = 1.0;           // Tweedie dispersion estimated on validation
  // Note [What the model has seen]: the panel steps its training used, on the panel's axis.
  // Training windows' targets came from [0, train_end); the validation window [train_end,
  // trained_steps) chose the best epoch (early stopping) and the residual statistics. Both are
  // the latest over every training call (resume, fine-tune); -1 in files written before they
  // were recorded (or resumed from such a file): unknown.
  int64_t train_end = -1;
  int64_t trained_steps = -1;
};

// Note [What the model has seen]
//   `train` fits the weights on windows whose targets lie before T − V (V = --val-steps, default
//   the horizon) and looks at the last V steps only through the validation loss, which picks the
//   epoch kept (early stopping) and the residual statistics (resid_sd, tweedie_phi). Forecast
//   errors at targets from train_end on are therefore out of sample for the weights' fit; those
//   in [train_end, trained_steps) are not wholly unseen (the kept epoch was the one that did best
//   there), those from trained_steps on are (a panel that grew since training). `forecast
//   --intervals conformal`, `--model auto` and `--combine weighted` with lstm/gru forecast from
//   origins at or after train_end only (Note [Checkpoint folds] in engine/eval/backtest.h).

// The steps of the panel axis the models of a --checkpoint value have seen: the latest
// train_end and trained_steps over every file and member. Throws InputError naming the file when
// one does not record them (written before they were, or resumed from such a file), with a hint.
struct SeenSteps {
  int64_t train_end = 0, trained_steps = 0;
  // No validation window left: the model trained on every step it saw (`--refit on`, Note [Refit
  // on every step]), so no origin on its training panel is out of sample.
  bool every_step() const { return trained_steps > 0 && train_end >= trained_steps; }
};
SeenSteps checkpoint_seen_steps(const std::string& checkpoint);

// Fresh state for a panel: validates the options, initializes weights from options.seed.
// profile: the target's, needed when options.likelihood is "auto" (InputError otherwise).
DeepArState deepar_init(const DeepArOptions& options, const PanelHeader& header,
                        const TargetProfile* profile = nullptr);
// Number of input features F for an options + panel pair.
int64_t deepar_n_features(const DeepArOptions& options, const PanelFingerprint& panel);

struct EpochInfo {
  int64_t epoch = 0, n_epochs = 0;  // 1-based epoch, total planned in this call
  int64_t batch = 0, n_batches = 0; // batches done in this epoch
  double train_loss = 0.0, val_loss = std::numeric_limits<double>::quiet_NaN();
  double windows_per_s = 0.0, lr = 0.0;
  bool epoch_done = false;
  bool refit = false;  // an epoch of the refit pass (Note [Refit on every step]): no validation
};
using ProgressFn = std::function<void(const EpochInfo&)>;

struct TrainReport {
  int64_t epochs_run = 0;
  double last_train_loss = 0.0, best_val_loss = 0.0, windows_per_s = 0.0, seconds = 0.0;
  bool early_stopped = false;
  int64_t best_epoch = 0;    // epoch of this call whose weights the first pass kept (0: none improved)
  int64_t refit_epochs = 0;  // epochs of the refit pass (0: none ran)
};

// The recurrent layers' arithmetic on the GPU (Note [cuDNN precision] in engine/nn/cuda/cudnn_rnn.h):
// FP32, or FP16 / BF16 activations and weights on tensor cores with FP32 accumulation. The
// weights, their gradients, the head and AdamW stay FP32 (the master copy), so a checkpoint is
// the same FP32 model whatever trained it. The CPU always trains in FP32.
enum class TrainPrecision { Fp32, Fp16, Bf16 };
// "fp32" | "fp16" | "bf16" (InputError otherwise, naming the value).
TrainPrecision parse_train_precision(const std::string& name);

// Where the training steps run (kernels/device.hpp, chosen by resolve_device): a run-time
// choice, not part of the model, never stored in checkpoints, so a model trained on either
// device forecasts on either.
struct TrainDeviceOptions {
  TrainDeviceOptions() = default;
  TrainDeviceOptions(Device d) : device(d) {}  // NOLINT: a plain device reads as its options
  Device device = Device::Cpu;
  TrainPrecision precision = TrainPrecision::Fp32;  // Device::Cuda only
  // Device::Cuda: device memory the resident panel may take (bytes; 0 = what fits in 80 %
  // of the free device memory). A panel that fits is cut into windows on the device and
  // validated there; a larger one is composed on the host per batch (Note [DeepAR training on
  // the GPU] in engine/deepar/cuda/train_step.h). The training step's own buffers are sized by --batch.
  size_t max_panel_bytes = 0;
};

// Trains `state` on the panel for up to n_epochs more epochs (resuming from its weights,
// AdamW moments, schedule and step counters). Keeps the weights of the best validation
// epoch. The panel's target (and dynamic covariates) are held in memory as float [S, T]
// (and [S, T+F]); windows are cut per batch, never materialized.
// Device::Cuda runs each training step (and, when the panel is resident on the device,
// the window cutting and the validation) on the GPU (Note [DeepAR training on the GPU] in
// engine/deepar/cuda/train_step.h); it throws DeviceError without a usable device (or in a build
// without CUDA; resolve_device says why beforehand). `report_note`, when given, receives one line
// saying where the parts ran (e.g. "panel composed on the host: 9.1 GiB > --gpu-memory 8 GiB").
TrainReport deepar_train(DeepArState& state, const PanelReader& panel, int64_t n_epochs,
                         const ProgressFn& progress = {}, const TrainDeviceOptions& device = {},
                         std::string* report_note = nullptr);

// Validation loss of the current weights on the held-out final steps (teacher forced).
double deepar_validation_loss(const DeepArState& state, const PanelReader& panel);

// Note [New static levels]: a panel that grew (skucast update) may have levels appended to a
// static attribute (a new item, a new store), and a re-ingested one may have new levels
// anywhere among its sorted ones. The model's tables get one row per level it has not seen,
// set to the mean of the trained rows (the "typical member" for a cold start; AdamW moments
// 0), and its fingerprint appends those levels to its own (the panel's codes are translated
// by name: Note [Static levels by name] in engine/deepar/data.cpp). Widths stay pinned
// (embedding_dims), so every other weight keeps its place. Returns the number of rows added;
// does nothing when the static attributes' names differ (check_matches then names them).
int64_t deepar_extend_levels(DeepArState& state, const PanelHeader& header);

// Note [Fine-tuning on an updated panel] (`skucast update --checkpoint`): continues training a
// checkpoint on a panel that grew by new steps or series. The panel must match the model's
// fingerprint (same statics with the same levels, covariates, events). The validation window
// moved with the data, so the old best validation loss is not comparable: it is replaced by
// the loaded weights' loss on the new window and the patience counter restarts. deepar_train
// then keeps the fine-tuned weights only if they beat the loaded ones there.
TrainReport deepar_fine_tune(DeepArState& state, const PanelReader& panel, int64_t n_epochs,
                             const ProgressFn& progress = {}, const TrainDeviceOptions& device = {});

// Where a forecast samples its paths. A run-time choice, like the training device: a model
// trained on either device forecasts on either. Every trained model has a GPU forecast path
// (dropout is a training-time mask; inference has none).
struct ForecastDeviceOptions {
  Device device = Device::Cpu;
  // Device::Cuda: device memory one block of series may use (bytes; 0 = the default,
  // 2 GiB). The catalog streams through the GPU in blocks of that size (Note [DeepAR
  // forecasting on the GPU] in engine/deepar/cuda/sampler.h).
  size_t max_block_bytes = 0;
};

// A hierarchy over the panel's series whose aggregates a forecast adds (`forecast --levels`,
// Note [Summed sample paths] in engine/deepar/aggregate_paths.h).
struct ForecastHierarchy {
  const HierarchyStructure* structure = nullptr;  // bottom series = the panel's, in order
  std::vector<std::string> aggregate_ids;          // [A] `total`, `store=2`, ...
};

// Note [Sample paths from the catalog size]
//   The mean and quantiles of a forecast are those of n_paths sample paths, so they carry Monte
//   Carlo noise: the median of N paths is off the model's own median by about 1.25 sd / sqrt(N).
//   `forecast` and `backtest` choose N from the number of series in the panel (all of them, also
//   under --shard, so every shard draws the same paths as the whole run): N = 10^6 / S, at least
//   100 and at most 1,000. A catalog of 10,000 series or more keeps the 100 paths of before; a
//   smaller one spends the same sampling work (series x paths) as that catalog on a less noisy
//   median, up to 1,000 paths at 1,000 series or fewer. On Dominick's orange juice (913 series,
//   the default GRU) 1,000 paths against 100 lowered the MASE of the median on every seed
//   tried: on the 12 weeks before the test weeks (seeds 0, 1) 0.4899 -> 0.4852 and 0.4886 ->
//   0.4846, then on the test weeks (seeds 0-3) 0.404 -> 0.401 (bench/README.md). The cost is
//   the sampling's: ten times the forecast's time there. --paths N overrides it.
inline int deepar_default_paths(int64_t n_series) {
  constexpr int64_t kPathRows = 1000000, kMin = 100, kMax = 1000;
  return static_cast<int>(std::clamp<int64_t>(kPathRows / std::max<int64_t>(1, n_series), kMin, kMax));
}

// Forecasts every series H steps past the history (origin = T) with n_paths ancestral
// sample paths (point losses: one deterministic path, Gaussian quantiles from resid_sd).
// Whether a forecast corrects each series by its recent out-of-sample bias (Note [Recent bias
// correction] in engine/deepar/residuals.cpp; `forecast --bias-correction auto|off`). Auto
// corrects where the model and panel allow it (ForecastFile::bias_note says why not).
enum class BiasCorrection { Auto, Off };

// levels: quantile levels in (0, 1). Deterministic in seed. Device::Cuda samples on
// the GPU with the same draws (throws DeviceError without a usable device or CUDA build).
// `shard` forecasts only its slice of the series (Note [Sharding the catalog] in
// io/shard.h): the same values as that slice of the whole forecast.
// `hierarchy` (when given): the forecast holds its aggregates first, then the panel's series
// (the order of an aggregated panel, Note [Aggregate series] in engine/eval/hierarchy.h), with
// each series' level; sampled on the CPU whatever the device (the caller says so when that
// overrides --device cuda); no shard (InputError).
ForecastFile deepar_forecast(const DeepArState& state, const PanelReader& panel, int64_t horizon,
                             const std::vector<double>& levels, int n_paths, uint64_t seed,
                             const ForecastDeviceOptions& device = {}, const SeriesShard& shard = {},
                             const ForecastHierarchy* hierarchy = nullptr, BiasCorrection bias = BiasCorrection::Auto);

// The same from a checkpoint file (engine/deepar/checkpoint.h) — for `skucast forecast --model
// lstm|gru --checkpoint model.h5`. A comma-separated list of model files of one layout (e.g.
// trained with different --seed) pools their sample paths (Note [Pooled models] in
// engine/deepar/internal.h): n_paths split among them, means and quantiles of all paths. A
// file of K models (`train --ensemble K`) counts as its K models.
ForecastFile forecast_with_checkpoint(const PanelReader& panel, const std::string& checkpoint, int64_t horizon,
                                      const std::vector<double>& levels, int n_paths, uint64_t seed,
                                      const ForecastDeviceOptions& device = {}, const SeriesShard& shard = {},
                                      const ForecastHierarchy* hierarchy = nullptr,
                                      BiasCorrection bias = BiasCorrection::Auto);

// In-sample one-step residuals y_t − ŷ_t|t−1 [S', T] of the model on the panel's history, for
// `forecast --model lstm|gru --residuals` (reconcile wls_var|mint_shrink): ŷ teacher-forced
// on windows of the model's context + horizon sliding by its horizon (Note [Global model
// residuals] in engine/deepar/residuals.cpp). S' = the shard's series; NaN at steps up to a
// series' first observation and where the actual is NaN. Runs on the CPU. The checkpoint form
// reads files as forecast_with_checkpoint does; pooled models' predictions are averaged.
std::vector<float> deepar_residuals(const DeepArState& state, const PanelReader& panel, const SeriesShard& shard = {});
std::vector<float> residuals_with_checkpoint(const PanelReader& panel, const std::string& checkpoint,
                                             const SeriesShard& shard = {});

// The model files of a --checkpoint value: comma-separated names (InputError on an empty one).
std::vector<std::string> split_checkpoints(const std::string& list);

}  // namespace skucast
