// tools/cmd_train.cpp — `skucast train`: trains the global DeepAR-style LSTM/GRU on a panel
// (engine/deepar/model.h) and writes the model file (engine/deepar/checkpoint.h).
// Progress goes to stderr: a live \r bar when stderr is a terminal, one line per epoch
// otherwise.
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "engine/deepar/checkpoint.h"
#include "engine/deepar/model.h"
#include "io/atomic_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "kernels/device.hpp"
#include "tools/commands.h"
#include "tools/progress.h"
#include "tools/train_device.h"

namespace skucast::cli {

namespace {

struct TrainCli {
  std::string panel, model = "gru", out, resume;  // DeepArOptions' default cell
  TrainDeviceCli device;
  DeepArOptions opt;
  int threads = 0;
  // models trained (seeds seed .. seed + K - 1; Note [Pooled models]); "auto": Note [Ensemble
  // from the training cost] (engine/deepar/model.h)
  std::string ensemble = "auto";
};

}  // namespace

double TrainProgress::seconds_left(const EpochInfo& e) const {
  if (m_batch_s <= 0.0) return -1.0;  // not known yet
  const double epoch_s = static_cast<double>(e.n_batches) * m_batch_s + m_val_s;
  const double rest_of_this = e.epoch_done ? 0.0 : static_cast<double>(e.n_batches - e.batch) * m_batch_s + m_val_s;
  return rest_of_this + static_cast<double>(e.n_epochs - e.epoch) * epoch_s;
}

// Note [Time left] in tools/progress.h.
void TrainProgress::operator()(const EpochInfo& e) {
  const Clock::time_point now = Clock::now();
  if (!e.epoch_done) {
    if (e.batch == 1) {
      // The previous epoch's closing call (if any) marks this epoch's start.
      if (m_have_epoch_start) m_batch_s = std::chrono::duration<double>(now - m_epoch_start).count();
      m_first_batch = now;
    } else {
      m_batch_s = std::chrono::duration<double>(now - m_first_batch).count() / static_cast<double>(e.batch - 1);
    }
    m_last_batch = now;
  } else {
    m_val_s = std::chrono::duration<double>(now - m_last_batch).count();
    m_val_total_s += m_val_s;
    m_epoch_start = now;
    m_have_epoch_start = true;
  }
  const double left = seconds_left(e);
  if (m_tty) {
    constexpr int kWidth = 24;
    const int filled = e.n_batches > 0 ? static_cast<int>(kWidth * e.batch / e.n_batches) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%sepoch %lld/%lld [%s] loss %.4f", e.refit ? "refit " : "", static_cast<long long>(e.epoch),
                 static_cast<long long>(e.n_epochs), bar.c_str(), e.train_loss);
    if (e.epoch_done && std::isfinite(e.val_loss)) std::fprintf(stderr, " val %.4f", e.val_loss);
    std::fprintf(stderr, " %.0f windows/s lr %.2g", e.windows_per_s, e.lr);
    if (left >= 0.0) std::fprintf(stderr, ", %.0f s left", left);
    std::fprintf(stderr, "   ");
    if (e.epoch_done) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  } else if (e.epoch_done && e.refit) {
    std::fprintf(stderr,
                 "skucast: train refit epoch %lld/%lld (every step) loss %.4f %.0f windows/s lr %.2g, %.0f s left\n",
                 static_cast<long long>(e.epoch), static_cast<long long>(e.n_epochs), e.train_loss, e.windows_per_s,
                 e.lr, std::max(left, 0.0));
  } else if (e.epoch_done) {
    std::fprintf(stderr,
                 "skucast: train epoch %lld/%lld loss %.4f val %.4f %.0f windows/s lr %.2g; validation %.2f s, "
                 "%.0f s left\n",
                 static_cast<long long>(e.epoch), static_cast<long long>(e.n_epochs), e.train_loss, e.val_loss,
                 e.windows_per_s, e.lr, m_val_s, std::max(left, 0.0));
  }
}

namespace {

// "K" → K in 1..kMaxEnsemble; InputError otherwise.
int64_t parse_ensemble_size(const std::string& v) {
  int64_t k = 0;
  size_t used = 0;
  try {
    k = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size() || k < 1 || k > kMaxEnsemble)
    throw InputError("expected auto or a whole number from 1 to " + std::to_string(kMaxEnsemble) + ", got '" +
                     v + "'");
  return k;
}

void run_train(TrainCli o) {
  if (o.out.empty()) throw InputError("train: --out is required");
  if (o.model != "lstm" && o.model != "gru")
    throw InputError("train: --model must be lstm or gru, got '" + o.model + "'");
  const TrainDeviceOptions dev = resolve_train_device(o.device);  // checked before the panel is read
  check_output_path(o.out, "--out", {{"--panel", o.panel}});  // before hours of training
  if (o.threads > 0) omp_set_num_threads(o.threads);
  o.opt.cell = o.model;
  const PanelReader reader(o.panel);
  std::vector<DeepArState> members;  // one, or the ensemble's K (Note [Pooled models])
  if (!o.resume.empty()) {
    if (o.ensemble != "auto")
      throw InputError("train: --ensemble " + o.ensemble + " goes with a new model; --resume " + o.resume +
                       " continues the model(s) the file holds");
    members = load_checkpoint_members(o.resume);
    if (members[0].options.cell != o.model)
      throw InputError("train: --resume " + o.resume + " holds a " + members[0].options.cell + " model, --model says " +
                       o.model);
    for (DeepArState& st : members) st.options.epochs = o.opt.epochs;
    std::fprintf(stderr, "skucast: resuming %s (%zu model(s)) after %lld epoch(s), AdamW step %lld\n", o.resume.c_str(),
                 members.size(), static_cast<long long>(members[0].epochs_done),
                 static_cast<long long>(members[0].adam_step));
  } else {
    // Before the defaults' note: a panel too short to train says so first.
    deepar_check_training_steps(reader.header().n_steps, deepar_val_steps(o.opt), reader.path());
    const TargetProfile profile =
        o.opt.likelihood == "auto" || o.opt.target_transform == "auto" ? target_profile(reader) : TargetProfile{};
    std::string chosen = deepar_resolve_defaults(o.opt, reader.header(), &profile);
    int64_t n_models = 1;
    if (o.ensemble == "auto") {
      std::string why;
      n_models = deepar_auto_ensemble(o.opt, reader.header().n_series(), &why);
      chosen += (chosen.empty() ? "" : "; ") + why;
    } else {
      n_models = parse_ensemble_size(o.ensemble);
    }
    if (!chosen.empty()) std::fprintf(stderr, "skucast: train: from the panel: %s\n", chosen.c_str());
    for (int64_t k = 0; k < n_models; ++k) {
      DeepArOptions mk = o.opt;
      mk.seed = o.opt.seed + static_cast<uint64_t>(k);
      members.push_back(deepar_init(mk, reader.header()));
    }
  }
  std::fprintf(stderr, "skucast: train %s: %lld inputs per step, %zu weights%s\n", o.model.c_str(),
               static_cast<long long>(deepar_n_features(members[0].options, members[0].panel)),
               members[0].weights.size(),
               members.size() > 1 ? (", " + std::to_string(members.size()) + " models (seeds " +
                                     std::to_string(members[0].options.seed) + ".." +
                                     std::to_string(members.back().options.seed) + ")").c_str()
                                  : "");
  TrainReport rep;
  double validation_s = 0.0;
  for (size_t k = 0; k < members.size(); ++k) {
    DeepArState& st = members[k];
    if (members.size() > 1)
      std::fprintf(stderr, "skucast: train: model %zu of %zu (seed %llu)\n", k + 1, members.size(),
                   static_cast<unsigned long long>(st.options.seed));
    TrainProgress progress(isatty(fileno(stderr)) != 0);
    std::string where;
    rep = deepar_train(st, reader, o.opt.epochs, [&progress](const EpochInfo& e) { progress(e); }, dev, &where);
    validation_s = progress.validation_seconds();
    if (!where.empty()) std::fprintf(stderr, "skucast: note: %s\n", where.c_str());
    if (k + 1 < members.size())
      std::fprintf(stderr, "skucast: train %s model %zu: %lld epoch(s)%s, best val loss %.4f, %.1f s\n",
                   o.model.c_str(), k + 1, static_cast<long long>(rep.epochs_run),
                   rep.early_stopped ? " (early stop)" : "", rep.best_val_loss, rep.seconds);
  }
  save_checkpoint(o.out, members);
  std::fprintf(stderr,
               "skucast: train %s: %lld epoch(s)%s, best val loss %.4f%s, %.0f windows/s (training batches), "
               "validation %.2f s, %.1f s → %s\n",
               o.model.c_str(), static_cast<long long>(rep.epochs_run), rep.early_stopped ? " (early stop)" : "",
               rep.best_val_loss,
               rep.refit_epochs > 0 ? (" (epoch " + std::to_string(rep.best_epoch) + "), refit " +
                                       std::to_string(rep.refit_epochs) + " epoch(s) on every step")
                                          .c_str()
                                    : "",
               rep.windows_per_s, validation_s, rep.seconds, o.out.c_str());
}

}  // namespace

void add_train(CLI::App& app) {
  auto o = std::make_shared<TrainCli>();
  auto* sub = app.add_subcommand("train", "Train the global DeepAR-style LSTM/GRU on a panel → model file");
  sub->add_option("--panel", o->panel, "panel file (.h5)")->required();
  sub->add_option("--model", o->model, "gru or lstm")->capture_default_str();
  sub->add_option("--horizon", o->opt.horizon, "forecast horizon H (training windows, validation steps)")
      ->required()
      ->check(at_least(1));
  sub->add_option("--hidden", o->opt.hidden, "hidden units")->capture_default_str()->check(at_least(1));
  sub->add_option("--layers", o->opt.layers, "recurrent layers")->capture_default_str()->check(at_least(1));
  sub->add_option("--context", o->opt.context,
                  "context steps (default: from the panel, 4 x horizon, at least two seasons, at most half the "
                  "history)")
      ->check(at_least(1));
  sub->add_option("--epochs", o->opt.epochs, "epochs (at most; early stopping)")
      ->capture_default_str()
      ->check(at_least(1));
  sub->add_option("--batch", o->opt.batch, "windows per batch")->capture_default_str()->check(at_least(1));
  sub->add_option("--windows-per-epoch", o->opt.windows_per_epoch, "training windows per epoch; 0 = automatic")
      ->capture_default_str()
      ->check(in_range(0, kMaxWindowsPerEpoch));
  sub->add_option("--lr", o->opt.lr, "learning rate (AdamW)")->capture_default_str();
  sub->add_option("--weight-decay", o->opt.weight_decay, "decoupled weight decay")->capture_default_str();
  sub->add_option("--clip", o->opt.clip, "gradient norm clip (0 = off)")->capture_default_str();
  o->opt.likelihood = "auto";
  o->opt.target_transform = "auto";
  sub->add_option("--likelihood", o->opt.likelihood,
                  "auto|gaussian|student_t|negbin|tweedie|mse|mae; auto: negbin for counts with at least 25 % zeros, "
                  "else gaussian (Note [Likelihood from the data])")
      ->capture_default_str();
  sub->add_option("--target-transform", o->opt.target_transform,
                  "scale of the target the model sees: log1p (series without negative values, with gaussian, mse or "
                  "mae), log1p_window (the same, each window relative to its own level: Note [Window location]), none, "
                  "or auto: log1p_window for smooth catalogs, log1p otherwise (Note [Target transform from the data])")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "log1p", "log1p_window", "none"}));
  sub->add_option("--inputs", o->opt.inputs,
                  "per-series inputs: derived (each covariate with its lead, lag and change, and the series' static "
                  "reals: level, zero share, covariate levels) or base (the covariates alone)")
      ->capture_default_str()
      ->check(CLI::IsMember({"derived", "base"}));
  sub->add_option("--volatility", o->opt.volatility,
                  "with --inputs derived: on adds the series' volatility (mean |change of log(1 + y)|, standardised "
                  "across series) to its static reals, off leaves it out, auto: on with the target transform "
                  "log1p_window (smooth catalogs; Note [Derived inputs])")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "on", "off"}));
  sub->add_option("--distances", o->opt.distances,
                  "with --inputs derived: on adds each event's nearness (steps to its next and since its last day) "
                  "and each series' age since its first observation (Note [Distance inputs]); off leaves them out")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off"}));
  sub->add_option("--dropout", o->opt.dropout, "dropout between layers")->capture_default_str();
  sub->add_option("--patience", o->opt.patience, "early-stopping patience (epochs)")->capture_default_str();
  sub->add_option("--val-steps", o->opt.val_steps, "held-out final steps (0 = horizon)")->capture_default_str();
  sub->add_option("--ema", o->opt.ema,
                  "decay per batch of the moving average of the weights that validation and the model file use "
                  "(0 = off)")
      ->capture_default_str();
  sub->add_option("--attention", o->opt.attention,
                  "on: causal self-attention over the top recurrent layer's outputs before the likelihood head "
                  "(off: on the benchmarks it did not beat the plain model, bench/README.md; no GPU path yet: runs on "
                  "the CPU)")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off"}));
  sub->add_option("--refit", o->opt.refit,
                  "on: after early stopping picks the best epoch E, train again from the start on every step "
                  "(the validation window included) for E epochs")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off"}));
  sub->add_option("--seed", o->opt.seed, "random seed")->capture_default_str();
  sub->add_option("--sampling", o->opt.sampling,
                  "series of the training windows: uniform, or weight (in proportion to /series/weight)")
      ->capture_default_str();
  sub->add_option("--threads", o->threads, "OpenMP threads (0 = default)")
      ->capture_default_str()
      ->check(CLI::Range(0, kMaxThreads));
  sub->add_option("--ensemble", o->ensemble,
                  "auto or K: train K models (seeds seed .. seed+K-1) into one file; forecast pools their sample "
                  "paths; auto: 3 when one model's training is cheap (at most 2^24 window-steps: short weekly or "
                  "monthly panels), else 1 (Note [Ensemble from the training cost])")
      ->capture_default_str()
      ->check([](const std::string& v) {
        if (v == "auto") return std::string();
        try {
          parse_ensemble_size(v);
        } catch (const InputError& e) {
          return std::string(e.what());
        }
        return std::string();
      });
  sub->add_option("--resume", o->resume,
                  "continue training from this model file (its config is kept; --epochs more epochs)");
  add_train_device_options(sub, o->device);
  sub->add_option("--out", o->out, "output model file (.h5)")->required();
  sub->callback([o] { run_train(*o); });
}

}  // namespace skucast::cli
