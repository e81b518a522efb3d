// tools/cmd_update.cpp — `skucast update`: the nightly increment. Merges a CSV of new rows
// into the panel (io/panel_update.h, Note [Panel update semantics]) and, with --checkpoint,
// fine-tunes the trained model on the grown panel (Note [Fine-tuning on an updated panel]).
#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>
#include <string>

#include "engine/deepar/checkpoint.h"
#include "engine/deepar/model.h"
#include "io/atomic_file.h"
#include "io/file_lock.h"
#include "io/panel.h"
#include "io/panel_update.h"
#include "kernels/common.hpp"
#include "tools/commands.h"
#include "tools/progress.h"
#include "tools/train_device.h"

namespace skucast::cli {

namespace {

struct UpdateCli {
  std::string panel, panel_out, checkpoint, out;
  IngestOptions csv;
  int64_t epochs = 1;
  int threads = 0;
  TrainDeviceCli device;  // fine-tuning (--checkpoint)
};

void run_update(UpdateCli o) {
  if (!o.checkpoint.empty() && o.out.empty())
    throw InputError("update: --checkpoint needs --out for the fine-tuned model file");
  if (o.checkpoint.empty() && !o.out.empty()) throw InputError("update: --out (a model file) needs --checkpoint");
  if (o.epochs < 1) throw InputError("update: --epochs must be at least 1, got " + std::to_string(o.epochs));
  if (o.threads > 0) omp_set_num_threads(o.threads);
  const TrainDeviceOptions dev =
      o.checkpoint.empty() ? TrainDeviceOptions{} : resolve_train_device(o.device);  // before any write
  const std::string panel_out = o.panel_out.empty() ? o.panel : o.panel_out;
  // Before anything is read: --panel-out may be --panel (rewritten in place), never the CSV;
  // --out may overwrite --checkpoint, never a panel.
  if (!o.panel_out.empty())
    check_output_path(panel_out, "--panel-out", {{"--append", o.csv.csv_path}, {"--checkpoint", o.checkpoint}});
  if (!o.out.empty())
    check_output_path(o.out, "--out", {{"--panel", o.panel}, {"--panel-out", panel_out}, {"--append", o.csv.csv_path}});
  // Note [Output locks]: held from before the panel is read until the run ends, so a second
  // update of this panel waits (--wait) or fails instead of overwriting this one's rows.
  const FileLock panel_lock(panel_out);
  const auto t0 = std::chrono::steady_clock::now();

  // Load the model first, so a panel it cannot read is refused before anything is written.
  std::vector<DeepArState> members;  // one model, or an ensemble's K (Note [Pooled models])
  std::function<void(const PanelHeader&)> check;
  if (!o.checkpoint.empty()) {
    members = load_checkpoint_members(o.checkpoint);
    check = [&](const PanelHeader& h) {
      int64_t added = 0;
      for (DeepArState& st : members) {
        added = deepar_extend_levels(st, h);  // Note [New static levels]: the same levels for every model
        st.panel.check_matches(h, panel_out + " after the update (" + o.checkpoint + ")");
      }
      if (added > 0)
        std::fprintf(stderr, "skucast: update: %lld new static level(s) get the mean embedding of their attribute\n",
                     static_cast<long long>(added));
    };
  }
  // With --checkpoint nothing is renamed until the model is fine-tuned and written: the new
  // panel waits under its temporary name (Note [Output sets] in io/forecast_file.h).
  std::unique_ptr<AtomicPath> panel_tmp;
  const UpdateStats u = update_panel(o.panel, o.csv, panel_out, check, members.empty() ? nullptr : &panel_tmp);
  for (const auto& w : u.csv.warnings) std::fprintf(stderr, "skucast: warning: %s\n", w.c_str());
  for (const auto& w : u.warnings) std::fprintf(stderr, "skucast: warning: %s\n", w.c_str());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr,
               "skucast: update: %lld rows from %s: series %lld → %lld, history %lld → %lld steps, known future "
               "%lld → %lld steps, %lld values written (%lld restated) in %.2f s → %s%s\n",
               static_cast<long long>(u.csv.n_rows), o.csv.csv_path.c_str(), static_cast<long long>(u.old_series),
               static_cast<long long>(u.new_series), static_cast<long long>(u.old_steps),
               static_cast<long long>(u.new_steps), static_cast<long long>(u.old_future),
               static_cast<long long>(u.new_future), static_cast<long long>(u.cells_written),
               static_cast<long long>(u.cells_restated), secs, panel_out.c_str(),
               members.empty() ? "" : " (renamed into place once the model is fine-tuned)");
  if (members.empty()) return;

  const PanelReader reader(panel_tmp->tmp());
  TrainReport rep;
  double seconds = 0.0;
  for (DeepArState& st : members) {  // each model of an ensemble fine-tunes alike
    TrainProgress progress(isatty(fileno(stderr)) != 0);
    rep = deepar_fine_tune(st, reader, o.epochs, [&progress](const EpochInfo& e) { progress(e); }, dev);
    seconds += rep.seconds;
  }
  std::unique_ptr<AtomicPath> model_tmp = save_checkpoint_uncommitted(o.out, members);
  model_tmp->commit();  // the model, then the panel it was tuned on: one run id in both
  panel_tmp->commit();
  std::fprintf(stderr, "skucast: update: fine-tuned %s (%zu model(s)) for %lld epoch(s), val loss %.4f, %.1f s → %s\n",
               o.checkpoint.c_str(), members.size(), static_cast<long long>(rep.epochs_run), rep.best_val_loss,
               seconds, o.out.c_str());
}

}  // namespace

void add_update(CLI::App& app) {
  auto o = std::make_shared<UpdateCli>();
  auto* sub = app.add_subcommand(
      "update", "Nightly increment: merge new rows (long CSV) into a panel; optionally fine-tune a model on it");
  sub->add_option("--panel", o->panel, "panel file (.h5), rewritten atomically unless --panel-out is given")
      ->required();
  sub->add_option("--append", o->csv.csv_path,
                  "long CSV of new rows, as `ingest` reads it: new days, restated values, new series, known "
                  "covariates of the coming days")
      ->required();
  sub->add_option("--panel-out", o->panel_out, "write the updated panel here instead of over --panel");
  sub->add_option("--id-col", o->csv.id_col, "series id column")->capture_default_str();
  sub->add_option("--time-col", o->csv.time_col, "time column")->capture_default_str();
  sub->add_option("--value-col", o->csv.value_col, "sales column")->capture_default_str();
  sub->add_option("--dynamic", o->csv.dynamic,
                  "dynamic covariate columns (default: the panel's covariates, which the CSV must carry)")
      ->delimiter(',');
  sub->add_option("--static", o->csv.statics,
                  "static columns (levels of new series; default: every static attribute of the panel that is a "
                  "column of the CSV, as export writes them)")
      ->delimiter(',');
  sub->add_option("--events", o->csv.events, "event flag columns; default 'auto' (every event_* column)")
      ->delimiter(',');
  sub->add_option("--weight-col", o->csv.weight_col,
                  "per-series weight column (default: in a weighted panel, the CSV's 'weight' column if it has one, "
                  "as export writes it)");
  sub->add_flag("--allow-negative", o->csv.allow_negative, "keep negative sales instead of failing");
  sub->add_flag("--allow-long-axis", o->csv.allow_long_axis,
                "accept an update that grows the history or the known future by more than max(half the old "
                "history, about a quarter of a year of steps), or a CSV whose own axis is over 100 times its "
                "median series' span (by default both, usually one mistyped date, are errors naming the row)");
  sub->add_option("--checkpoint", o->checkpoint, "model file (.h5) to fine-tune on the updated panel");
  sub->add_option("--epochs", o->epochs, "fine-tuning epochs")->capture_default_str();
  sub->add_option("--threads", o->threads, "OpenMP threads (0 = default)")
      ->capture_default_str()
      ->check(CLI::Range(0, kMaxThreads));
  add_train_device_options(sub, o->device);  // where --checkpoint fine-tunes
  sub->add_option("--out", o->out, "fine-tuned model file (.h5), with --checkpoint");
  sub->callback([o] { run_update(*o); });
}

}  // namespace skucast::cli
