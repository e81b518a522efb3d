// engine/deepar/train.cpp — training of the global DeepAR-style model
// (engine/deepar/model.h): window sampling, the training step (features -> RNN -> head ->
// likelihood -> backward into weights and embeddings -> AdamW), validation on the held-out
// final steps, early stopping and the learning-rate schedule. Each batch goes to a TrainStep
// (engine/deepar/train_step.h: the CPU, or the GPU with Note [DeepAR training on the GPU] in
// engine/deepar/cuda/train_step.h), chosen once by make_train_step; nothing here branches on
// the device.
//
// Note [DeepAR windows]
//   A training window is context + horizon steps of one series; the loss covers every step
//   (teacher forcing, DeepAR), masked where the target is NaN (missing, before launch,
//   after delisting) and at or after T - V (the validation steps). The series is drawn
//   among those observed before T - V: uniformly (not scale-weighted: every SKU counts the
//   same, and the per-window mean scale nu already equalizes magnitudes), or, with
//   options.sampling = "weight", in proportion to /series/weight (Note [Weighted window
//   sampling] in engine/deepar/internal.h); the origin is drawn uniformly among those whose horizon part
//   overlaps the observed span and whose context holds the series' first observation or a
//   later one (the window's scale nu is the mean of the observed context: a context with no
//   observation would scale the targets by 1, a loss in the units of the sales, thousands of
//   times the others). Windows may start before step 0 (padding reads as missing with an
//   'observed' flag of 0), so recently launched series train too. Windows are cut per batch from the [S, T]
//   target: nothing per window is stored.
//
// Note [DeepAR schedule]
//   The learning rate follows one curve over the run's planned steps N = epochs x batches:
//   a linear warm-up over the first min(100, N / 10) steps of a model's first run (a resumed
//   or fine-tuned model starts at the peak), then a half cosine from the peak options.lr down
//   to options.lr / 100 at the last planned step (cosine annealing without restarts). Halving
//   the rate on every epoch that did not improve (the schedule before) stopped training on
//   short histories after a few noisy epochs, with the rate already at lr / 32.
//   After each epoch the validation loss (teacher forced, on the last V steps of up to
//   val_max_series evenly spaced series whose validation context holds an observation) is
//   compared with the best so far; `patience` epochs in a row without improvement stop
//   training. The best epoch's weights (and optimizer state) are kept.
//
// Note [Weight average]
//   With options.ema = d > 0 the trainer keeps an exponential moving average of the weights,
//   updated after every training batch (a = w after the first batch, then a = d a + (1 - d) w),
//   and everything that judges or keeps a model uses the average: validation, early stopping,
//   the best epoch's weights and the model file. Training itself continues from the raw weights
//   (the step's own), and the AdamW moments kept with the best weights are the raw run's. The
//   average is taken through TrainStep::download after each batch, so it is the same on every
//   device; on a GPU that copies the weights and both moments to the host each batch (12
//   bytes per weight: 0.6-0.7 MB for the default GRU on the panels in README), which a
//   device-side average would avoid once a GPU run shows it matters.
//   Why: on a small, noisy panel the weights after any one batch are a noisy point of the
//   trajectory, and the validation loss jumps from epoch to epoch by more than it improves
//   (Dominick's: 0.71, 0.76, 0.84, 0.75 in four epochs), so the early stop keeps a lucky
//   snapshot; the average is smoother (Polyak averaging).
//
// Note [Refit on every step]
//   With options.refit = "on", a model's first run trains twice. The first pass is the one
//   above: it holds out the last V steps and early stopping picks the best epoch E. The
//   second pass starts again from the same initial weights (same seed) and trains E epochs
//   on every step of the panel, the validation window included, with the same batches per
//   epoch and the same learning-rate curve (the first pass's planned steps, so its first E
//   epochs see exactly the rates the first pass saw), and keeps the weights it ends with.
//   On short histories the held-out window is the most recent part of a series and a large
//   share of it (Dominick's: 12 of 109 weeks); the refit learns from it. What the second pass
//   cannot have is a validation loss of its own: the model file's best_val_loss and the
//   residual statistics (resid_sd, tweedie_phi) are the first pass's, measured on the held-out
//   window by the first pass's best weights. A resumed or fine-tuned run (epochs_done > 0)
//   does not refit. The static reals (Note [Derived inputs] in data.cpp) come from every step
//   in the second pass, as at forecast time. Cost: E more epochs (about two thirds more time
//   with the default patience).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "engine/deepar/guard.h"
#include "engine/deepar/internal.h"
#include "engine/deepar/train_step.h"
#include "engine/nn/adam.h"
#include "engine/nn/loss.h"
#include "engine/nn/rng.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "kernels/device.hpp"

namespace skucast {

using namespace deepar;

int64_t deepar_n_features(const DeepArOptions& options, const PanelFingerprint& panel) {
  return make_layout(options, panel).n_features;
}

TargetProfile target_profile(const PanelReader& panel) {
  const int64_t S = panel.header().n_series(), T = panel.header().n_steps;
  const int64_t block = std::max<int64_t>(1, (int64_t{16} << 20) / std::max<int64_t>(1, T));  // ~64 MB of floats
  TargetProfile p;
  std::vector<float> y;
  std::vector<double> change;  // per series: mean |change of log(1 + max(y, 0))| (Note [Target transform from the data])
  for (int64_t i0 = 0; i0 < S; i0 += block) {
    const int64_t i1 = std::min(S, i0 + block);
    y.resize(static_cast<size_t>(checked_mul(i1 - i0, T)));
    panel.read_target(i0, i1, y.data());
    for (const float v : y) {
      if (!std::isfinite(v)) continue;
      ++p.n_obs;
      p.n_zero += v == 0.0f;
      if (v < 0.0f) p.negative = true;
      if (v < 0.0f || v != std::floor(v)) p.counts = false;
    }
    for (int64_t i = 0; i < i1 - i0; ++i) {
      double sum = 0, last = NAN;
      int64_t n = 0;
      for (int64_t t = 0; t < T; ++t) {
        const float v = y[static_cast<size_t>(i * T + t)];
        if (!std::isfinite(v)) continue;
        const double z = std::log1p(std::max(0.0, static_cast<double>(v)));
        if (!std::isnan(last)) sum += std::fabs(z - last), ++n;
        last = z;
      }
      if (n > 0) change.push_back(sum / static_cast<double>(n));
    }
  }
  if (!change.empty()) {
    const size_t mid = change.size() / 2;
    std::nth_element(change.begin(), change.begin() + static_cast<std::ptrdiff_t>(mid), change.end());
    p.log_change = change[mid];
  }
  return p;
}

int64_t deepar_val_steps(const DeepArOptions& o) { return o.val_steps > 0 ? o.val_steps : o.horizon; }

void deepar_check_training_steps(int64_t n_steps, int64_t n_val, const std::string& panel_path) {
  if (n_steps - n_val >= 2) return;
  throw InputError(panel_path + ": the panel has " + std::to_string(n_steps) + " steps; training needs more than " +
                   std::to_string(n_val + 1) + " (validation steps + 2)");
}

std::string deepar_resolve_defaults(DeepArOptions& o, const PanelHeader& h, const TargetProfile* profile) {
  std::string note;
  auto add = [&note](const std::string& what) { note += (note.empty() ? "" : "; ") + what; };
  if (o.likelihood == "auto") {  // Note [Likelihood from the data]
    if (!profile) throw InputError("deepar: likelihood auto is chosen from the panel's target; none was given");
    char share[32];
    std::snprintf(share, sizeof share, "%.0f %%", 100.0 * profile->zero_share());
    if (profile->counts && profile->n_obs > 0 && profile->zero_share() >= 0.25) {
      o.likelihood = "negbin";
      add(std::string("likelihood negbin (counts, ") + share + " zeros)");
    } else {
      o.likelihood = "gaussian";
      add(std::string("likelihood gaussian (") +
          (profile->negative ? "negative values" : !profile->counts ? "not counts" : std::string(share) + " zeros") +
          ")");
    }
  }
  if (o.target_transform == "auto") {  // Note [Target transform from the data]
    if (!likelihood_is_continuous(nn::likelihood_from_name(o.likelihood)) || o.likelihood == "student_t") {
      o.target_transform = "log1p";  // a count likelihood ignores it; a Student-t is set to none below
    } else {
      if (!profile) throw InputError("deepar: target transform auto is chosen from the panel's target; none was given");
      char ch[32];
      std::snprintf(ch, sizeof ch, "%.3f", profile->log_change);
      if (profile->log_change < 0.25) {
        o.target_transform = "log1p_window";
        add(std::string("target transform log1p_window (smooth series: median |change of log(1 + y)| ") + ch + ")");
      } else {
        o.target_transform = "log1p";
      }
    }
  }
  if (o.likelihood == "student_t" && (o.target_transform == "log1p" || o.target_transform == "log1p_window")) {
    o.target_transform = "none";
    add("target transform none (a Student-t on log(1 + y) has no mean)");
  }
  if (o.volatility == "auto") {  // Note [Derived inputs]: with the window location only
    o.volatility = o.inputs == "derived" && o.target_transform == "log1p_window" ? "on" : "off";
    if (o.volatility == "on") add("the series' volatility as an input (window location)");
  }
  if (o.context == 0) {
    const int64_t m = h.axis.season_length, V = deepar_val_steps(o);
    int64_t ctx = 4 * o.horizon;
    std::string why = "4 x horizon";
    if (m >= 2 && m <= 60 && 2 * m > ctx) ctx = 2 * m, why = "two seasons";
    const int64_t cap = std::max<int64_t>(1, (h.n_steps - V) / 2);
    // (A panel with fewer than 2 steps before validation cannot train: deepar_check_training_steps,
    // which `train` runs first; the note then names no negative count.)
    if (ctx > cap)
      ctx = cap, why = h.n_steps - V >= 2 ? "half the " + std::to_string(h.n_steps - V) + " steps before validation"
                                          : "the panel's " + std::to_string(h.n_steps) + " steps leave none before the " +
                                                std::to_string(V) + " of validation";
    o.context = ctx;
    add("context " + std::to_string(ctx) + " (" + why + ")");
  }
  return note;
}

int64_t deepar_batches_per_epoch(const DeepArOptions& o, int64_t n_series) {
  const int64_t B = std::max<int64_t>(1, o.batch);
  return o.windows_per_epoch > 0 ? std::max<int64_t>(1, (o.windows_per_epoch + B - 1) / B)
                                 : std::clamp<int64_t>((n_series + B - 1) / B, 32, 200);
}

int64_t deepar_training_cost(const DeepArOptions& o, int64_t n_series) {
  if (o.context <= 0) throw Error("deepar_training_cost: the context is not resolved yet");
  return checked_mul(checked_mul(checked_mul(deepar_batches_per_epoch(o, n_series), std::max<int64_t>(1, o.batch)),
                                 o.context + o.horizon),
                     std::max<int64_t>(1, o.epochs));
}

int64_t deepar_auto_ensemble(const DeepArOptions& o, int64_t n_series, std::string* why) {
  const int64_t cost = deepar_training_cost(o, n_series);
  const int64_t k = cost <= kEnsembleCheapSteps ? 3 : 1;
  if (why) {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  k > 1 ? "ensemble %lld (a model trains on at most %.1f M window-steps: cheap, under %.1f M)"
                        : "ensemble %lld (a model trains on up to %.1f M window-steps, over the %.1f M for 3)",
                  static_cast<long long>(k), static_cast<double>(cost) / 1e6,
                  static_cast<double>(kEnsembleCheapSteps) / 1e6);
    *why = buf;
  }
  return k;
}

DeepArState deepar_init(const DeepArOptions& options, const PanelHeader& header, const TargetProfile* profile) {
  options.validate();
  DeepArState st;
  st.options = options;
  deepar_resolve_defaults(st.options, header, profile);
  st.panel = PanelFingerprint::of(header);
  const Layout l = make_layout(st.options, st.panel);
  st.options.embedding_dims = l.emb_dim;  // pinned (Note [New static levels])
  init_weights(l, options.seed, st.weights);
  st.adam_m.assign(l.n_params, 0.0f);
  st.adam_v.assign(l.n_params, 0.0f);
  st.lr_now = options.lr;
  return st;
}

namespace {

// The panel in memory and the windows of the run (Note [DeepAR windows]); the batches
// themselves go to a TrainStep (engine/deepar/train_step.h), wherever it runs.
struct Trainer {
  const DeepArState& st;
  Layout l;
  PanelData d;
  int64_t n_val = 0, t_train = 0;     // V, T - V
  std::vector<int64_t> eligible;      // series observed before T - V
  SeriesSampler sampler;              // draws from eligible (Note [Weighted window sampling])
  std::vector<int64_t> last_train;    // [S] last observed step before T - V
  std::vector<int64_t> series, t0;    // [B]
  EvalRows rows;                      // validation rows of one batch

  // all_steps: no validation window (the refit pass, Note [Refit on every step]).
  Trainer(const DeepArState& s, const PanelReader& panel, bool all_steps = false)
      : st(s), l(make_layout(s.options, s.panel)) {
    s.panel.check_matches(panel.header(), panel.path());
    const DeepArOptions& o = s.options;
    n_val = all_steps ? 0 : deepar_val_steps(o);
    // The static reals from the training part only: validation targets reach no input.
    d = load_panel(panel, l, o.horizon, o.context + lookback(l) + o.horizon, panel.header().n_steps - n_val);
    t_train = d.n_time - n_val;
    deepar_check_training_steps(d.n_time, n_val, panel.path());
    // (With all_steps, validate() finds no series and returns NaN.)
    last_train.assign(d.n_series, -1);
    for (int64_t s2 = 0; s2 < d.n_series; ++s2) {
      for (int64_t t = std::min(d.last[s2], t_train - 1); t >= 0 && d.first[s2] >= 0; --t)
        if (!std::isnan(d.y[s2 * d.n_time + t])) {
          last_train[s2] = t;
          break;
        }
      if (last_train[s2] >= 0) eligible.push_back(s2);
    }
    if (eligible.empty())
      throw InputError(panel.path() + ": no series has an observed value before the validation steps");
    if (st.options.sampling == "weight" && d.weight.empty())
      throw InputError(panel.path() + ": --sampling weight needs /series/weight, and the panel has no weights");
    sampler = SeriesSampler(eligible, st.options.sampling == "weight" ? d.weight : std::vector<float>{});
  }

  // Windows for training batch number `step` (Note [DeepAR windows]).
  void sample(uint64_t step, int64_t B) {
    const int64_t ctx = st.options.context, W = ctx + st.options.horizon;
    series.resize(B);
    t0.resize(B);
    const uint64_t key = nn::splitmix64(st.options.seed ^ nn::splitmix64(step + 0x5A3Dull));
    for (int64_t b = 0; b < B; ++b) {
      const int64_t s = sampler.draw(nn::uniform01(key, 1, b));
      const int64_t lo = std::max<int64_t>(d.first[s] - ctx + 1, -ctx);  // the context sees the launch
      const int64_t hi = std::max(lo, std::min<int64_t>(last_train[s] - ctx, t_train - W));
      series[b] = s;
      t0[b] = lo + std::min<int64_t>(static_cast<int64_t>(nn::uniform01(key, 2, b) * (hi - lo + 1)), hi - lo);
    }
  }

  // Teacher-forced loss on the last V steps of weights w, through the run's step (on the GPU
  // when its panel is resident there: the same windows, masks and loss); also the residual
  // statistics.
  double validate(TrainStep& step, const float* w, double* resid_sd, double* tweedie_phi) {
    const int64_t ctx = st.options.context, n_steps = ctx + n_val, T = d.n_time;
    std::vector<int64_t> cand;
    for (int64_t s = 0; s < d.n_series; ++s)  // observed in the validation steps and in its context
      if (d.last[s] >= T - n_val && d.first[s] < T - n_val && last_train[s] >= T - n_val - ctx) cand.push_back(s);
    if (cand.empty()) return NAN;
    const int64_t n_use = std::min<int64_t>(static_cast<int64_t>(cand.size()), st.options.val_max_series);
    double num = 0, den = 0, r2 = 0, nr = 0, ph = 0;
    const int64_t Bmax = st.options.batch;
    for (int64_t i0 = 0; i0 < n_use; i0 += Bmax) {
      const int64_t B = std::min(Bmax, n_use - i0);
      series.resize(B);
      t0.resize(B);
      for (int64_t b = 0; b < B; ++b) {
        series[b] = cand[(i0 + b) * static_cast<int64_t>(cand.size()) / n_use];
        t0[b] = T - n_val - ctx;
      }
      const nn::LossValue v = step.evaluate(w, WindowSet{series.data(), t0.data(), B, n_steps, T, ctx}, rows);
      num += v.loss * v.weight_sum;
      den += v.weight_sum;
      for (int64_t r = 0; r < n_steps * B; ++r) {
        const float y = rows.target[r];
        if (std::isnan(y)) continue;
        const double z = y / rows.scale[r % B], raw0 = rows.head0[r];
        if (l.lik.kind == Likelihood::Tweedie) {
          const double m = std::exp(raw0);
          ph += (z - m) * (z - m) / std::pow(std::max(m, 1e-6), l.lik.tweedie_power);
        }
        r2 += (raw0 - z) * (raw0 - z);
        nr += 1;
      }
    }
    if (resid_sd && nr > 0) *resid_sd = std::sqrt(r2 / nr);
    if (tweedie_phi && nr > 0) *tweedie_phi = std::max(ph / nr, 1e-3);
    return den > 0 ? num / den : NAN;
  }
};

}  // namespace

double deepar_validation_loss(const DeepArState& state, const PanelReader& panel) {
  Trainer tr(state, panel);
  const DeepArOptions& o = state.options;
  TrainStepSetup setup;
  setup.max_batch = o.batch;
  setup.max_steps = o.context + tr.n_val;
  setup.context = o.context;
  const std::unique_ptr<TrainStep> step =
      make_train_step(tr.l, tr.d, nn::AdamWConfig{}, state.weights, state.adam_m, state.adam_v, state.adam_step, setup);
  return tr.validate(*step, state.weights.data(), nullptr, nullptr);
}

// Note [Finite forecasts] (engine/deepar/guard.h): a diverged run stops; nothing is saved.
static void check_finite_loss(double loss, int64_t epoch, double lr) {
  if (std::isfinite(loss)) return;
  std::ostringstream lower;
  lower << lr / 10.0;
  throw InputError("train: the training loss became " + std::string(std::isnan(loss) ? "NaN" : "infinite") +
                   " in epoch " + std::to_string(epoch) + " (the model diverged); no model was written. Try a lower "
                   "learning rate, e.g. --lr " + lower.str() + ", or a smaller --clip");
}

TrainPrecision parse_train_precision(const std::string& name) {
  if (name == "fp32") return TrainPrecision::Fp32;
  if (name == "fp16") return TrainPrecision::Fp16;
  if (name == "bf16") return TrainPrecision::Bf16;
  throw InputError("train: unknown precision '" + name + "'; expected fp32, fp16 or bf16");
}

TrainReport deepar_train(DeepArState& st, const PanelReader& panel, int64_t n_epochs, const ProgressFn& progress,
                         const TrainDeviceOptions& dev, std::string* report_note) {
  st.options.validate();
  Trainer tr(st, panel);
  const DeepArOptions& o = st.options;
  const Layout& l = tr.l;
  const int64_t prior_epochs = st.epochs_done;
  if (static_cast<int64_t>(st.weights.size()) != l.n_params)
    throw InputError("deepar: the state holds " + std::to_string(st.weights.size()) + " weights, the model needs " +
                     std::to_string(l.n_params));
  const nn::AdamWConfig adam{o.lr, 0.9, 0.999, 1e-8, o.weight_decay, o.clip};  // lr: set per step

  const int64_t B = o.batch, S = tr.d.n_series, W = o.context + o.horizon;
  const int64_t n_batches = deepar_batches_per_epoch(o, S);
  // The step keeps the weights and AdamW moments during an epoch (on the device for a GPU
  // step); they come back to st.weights / m / v after it, for validation, the best-epoch
  // bookkeeping and the checkpoint, so everything below reads the same state.
  TrainStepSetup setup;
  setup.device = dev.device;
  if (setup.device == Device::Cuda && l.n_att > 0) {  // Note [Attention] in engine/nn/attention.h
    std::fprintf(stderr, "skucast: note: attention has no GPU path yet; the %s model trains on the CPU\n",
                 o.cell.c_str());
    setup.device = Device::Cpu;
  }
  setup.precision = dev.precision;
  setup.max_panel_bytes = static_cast<int64_t>(dev.max_panel_bytes);
  setup.max_batch = B;
  setup.max_steps = std::max(W, o.context + tr.n_val);
  setup.context = o.context;
  setup.seed = o.seed;
  const std::unique_ptr<TrainStep> step =
      make_train_step(l, tr.d, adam, st.weights, st.adam_m, st.adam_v, st.adam_step, setup);
  if (report_note && !step->note().empty()) *report_note = step->note();
  // The AdamW state after each epoch (the step's download), and the best state so far (Note
  // [DeepAR schedule]); both start at the state we were given.
  std::vector<float> m = st.adam_m, v = st.adam_v;
  int64_t adam_step = st.adam_step;
  std::vector<float> best_w = st.weights, best_m = st.adam_m, best_v = st.adam_v;
  int64_t best_step = st.adam_step;
  double best_resid_sd = st.resid_sd, best_tweedie_phi = st.tweedie_phi;
  bool have_best_stats = false;  // set by an epoch that improved (its validation pass's statistics)

  // Note [DeepAR schedule]: warm-up (a model's first run only), then a half cosine.
  const int64_t n_planned = n_epochs * n_batches;
  const int64_t n_warm = st.epochs_done == 0 ? std::max<int64_t>(1, std::min<int64_t>(100, n_planned / 10)) : 0;
  auto lr_at = [&](int64_t j) {
    if (j < n_warm) return o.lr * static_cast<double>(j + 1) / static_cast<double>(n_warm);
    const double p = static_cast<double>(j - n_warm) / static_cast<double>(std::max<int64_t>(1, n_planned - n_warm - 1));
    const double lo = o.lr * 0.01;
    return lo + 0.5 * (o.lr - lo) * (1.0 + std::cos(M_PI * std::min(1.0, p)));
  };

  check_model_inputs(tr.d, panel.header().ids, panel.path());  // Note [Finite forecasts] in guard.h
  // ema: the exponential moving average of the weights after each batch (Note [Weight
  // average]), when options.ema > 0.
  std::vector<float> ema, ema_tw, ema_tm, ema_tv;
  // One epoch (0-based e, of n_shown in the progress line) of training batches of `t` through
  // `s`: the sums of the losses and their weights, and the epoch's progress record.
  auto run_epoch = [&](Trainer& t, TrainStep& s, int64_t e, int64_t n_shown, bool refit,
                       std::chrono::steady_clock::time_point te, double& loss_sum, double& loss_w) {
    EpochInfo info;
    info.epoch = e + 1;
    info.n_epochs = n_shown;
    info.n_batches = n_batches;
    info.lr = lr_at(e * n_batches);
    info.refit = refit;
    for (int64_t k = 0; k < n_batches; ++k) {
      st.lr_now = lr_at(e * n_batches + k);
      s.set_lr(st.lr_now);
      t.sample(static_cast<uint64_t>(s.n_steps()), B);
      s.train(WindowSet{t.series.data(), t.t0.data(), B, W, t.t_train, 0});
      if (o.ema > 0.0) {
        int64_t ts = 0;
        s.download(ema_tw, ema_tm, ema_tv, ts);
        if (ema.empty()) {
          ema = ema_tw;
        } else {
          const float d = static_cast<float>(o.ema), c = 1.0f - d;
          for (size_t i = 0; i < ema.size(); ++i) ema[i] = d * ema[i] + c * ema_tw[i];
        }
      }
      for (const nn::LossValue& lv : s.take_losses(false)) {  // those already done; never waits
        check_finite_loss(lv.loss, e + 1, o.lr);
        loss_sum += lv.loss * lv.weight_sum;
        loss_w += lv.weight_sum;
      }
      if (progress) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - te).count();
        info.batch = k + 1;
        info.train_loss = loss_w > 0 ? loss_sum / loss_w : 0.0;
        info.windows_per_s = secs > 0 ? static_cast<double>((k + 1) * B) / secs : 0.0;
        progress(info);
      }
    }
    for (const nn::LossValue& lv : s.take_losses(true)) {
      check_finite_loss(lv.loss, e + 1, o.lr);
      loss_sum += lv.loss * lv.weight_sum;
      loss_w += lv.weight_sum;
    }
    return info;
  };
  const bool fresh = st.epochs_done == 0;  // a model's first run (Note [Refit on every step])
  int64_t best_epoch = 0;                  // 1-based epoch of this call whose weights are kept
  TrainReport rep;
  const auto t_start = std::chrono::steady_clock::now();
  double total_windows = 0, total_s = 0;
  for (int64_t e = 0; e < n_epochs; ++e) {
    const auto te = std::chrono::steady_clock::now();
    double loss_sum = 0, loss_w = 0;
    EpochInfo info = run_epoch(tr, *step, e, n_epochs, false, te, loss_sum, loss_w);
    step->download(st.weights, m, v, adam_step);
    if (!std::all_of(st.weights.begin(), st.weights.end(), [](float x) { return std::isfinite(x); }))
      check_finite_loss(NAN, e + 1, o.lr);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - te).count();
    total_windows += static_cast<double>(n_batches * B);
    total_s += secs;
    // The residual statistics come with the validation pass: those of the best epoch are the
    // model's, so no pass on the best weights is needed at the end.
    double resid_sd = st.resid_sd, tweedie_phi = st.tweedie_phi;  // kept when nothing is observed
    if (o.ema > 0.0) st.weights = ema;  // validated, and kept when best (Note [Weight average])
    const double val = tr.validate(*step, st.weights.data(), &resid_sd, &tweedie_phi);
    ++st.epochs_done;
    ++rep.epochs_run;
    rep.last_train_loss = loss_w > 0 ? loss_sum / loss_w : 0.0;
    const double best = st.best_val_loss;
    const bool improved = std::isfinite(val) && (!std::isfinite(best) || val < best - 1e-4 * std::abs(best));
    if (improved || !std::isfinite(val)) {
      if (std::isfinite(val)) st.best_val_loss = val;
      st.bad_epochs = 0;
      best_w = st.weights;
      best_m = m;
      best_v = v;
      best_step = adam_step;
      best_resid_sd = resid_sd;
      best_tweedie_phi = tweedie_phi;
      have_best_stats = true;
      best_epoch = e + 1;
    } else {
      ++st.bad_epochs;
    }
    if (progress) {
      info.batch = n_batches;
      info.train_loss = rep.last_train_loss;
      info.val_loss = val;
      info.windows_per_s = secs > 0 ? static_cast<double>(n_batches * B) / secs : 0.0;
      info.epoch_done = true;
      progress(info);
    }
    if (st.bad_epochs >= o.patience) {
      rep.early_stopped = true;
      break;
    }
  }
  st.weights = best_w;
  st.adam_m = best_m;
  st.adam_v = best_v;
  st.adam_step = best_step;
  if (have_best_stats) {
    st.resid_sd = best_resid_sd;
    st.tweedie_phi = best_tweedie_phi;
  } else {  // no epoch of this call improved: the statistics of the weights it started from
    tr.validate(*step, st.weights.data(), &st.resid_sd, &st.tweedie_phi);
  }
  // Note [What the model has seen]: the latest steps any call used; a model resumed from a file
  // that did not record them stays unknown.
  const bool known = prior_epochs == 0 || st.train_end >= 0;
  st.train_end = known ? std::max(st.train_end, tr.t_train) : -1;
  st.trained_steps = known ? std::max(st.trained_steps, tr.d.n_time) : -1;
  rep.best_val_loss = st.best_val_loss;
  rep.best_epoch = best_epoch;

  if (o.refit == "on" && fresh && best_epoch > 0) {  // Note [Refit on every step]
    Trainer all(st, panel, /*all_steps=*/true);
    std::vector<float> w0;
    init_weights(l, o.seed, w0);
    std::vector<float> m0(l.n_params, 0.0f), v0(l.n_params, 0.0f);
    setup.max_steps = W;
    const std::unique_ptr<TrainStep> step2 = make_train_step(l, all.d, adam, w0, m0, v0, 0, setup);
    for (int64_t e = 0; e < best_epoch; ++e) {
      const auto te = std::chrono::steady_clock::now();
      double loss_sum = 0, loss_w = 0;
      if (e == 0) ema.clear();
      EpochInfo info = run_epoch(all, *step2, e, best_epoch, true, te, loss_sum, loss_w);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - te).count();
      total_windows += static_cast<double>(n_batches * B);
      total_s += secs;
      rep.last_train_loss = loss_w > 0 ? loss_sum / loss_w : 0.0;
      if (progress) {
        info.batch = n_batches;
        info.train_loss = rep.last_train_loss;
        info.windows_per_s = secs > 0 ? static_cast<double>(n_batches * B) / secs : 0.0;
        info.epoch_done = true;
        progress(info);
      }
    }
    step2->download(st.weights, st.adam_m, st.adam_v, st.adam_step);
    if (o.ema > 0.0) st.weights = ema;
    if (!std::all_of(st.weights.begin(), st.weights.end(), [](float x) { return std::isfinite(x); }))
      check_finite_loss(NAN, best_epoch, o.lr);
    rep.refit_epochs = best_epoch;
    // Note [What the model has seen]: the refit trained on every step, the validation window too.
    if (st.train_end >= 0) st.train_end = std::max(st.train_end, all.t_train);
  }
  rep.windows_per_s = total_s > 0 ? total_windows / total_s : 0.0;
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return rep;
}

}  // namespace skucast
