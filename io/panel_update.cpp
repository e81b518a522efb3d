// io/panel_update.cpp — merging a CSV increment into a panel (Note [Panel update semantics]
// in panel_update.h).
#include "io/panel_update.h"

#include "io/atomic_file.h"
#include "io/csv_export.h"
#include "io/csv_reader.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernels/common.hpp"

namespace skucast {

namespace {

constexpr int64_t kBlockRows = 4096;  // series per streamed block

// Position on the panel's axis of the CSV's step 0, checked.
int64_t csv_offset(const PanelHeader& panel, const PanelHeader& inc, const std::string& panel_path,
                   const std::string& csv_path, int64_t first_line) {
  const int64_t ord = inc.axis.ordinal_at(0);
  const std::optional<int64_t> pos = panel.axis.position(ord);
  const std::string where = first_line > 0 ? csv_where(csv_path, first_line) : csv_path;
  if (!pos)
    throw InputError(where + ": time " + inc.axis.label(0) + " is not on the axis of " + panel_path +
                     " (frequency " + freq_name(panel.axis.freq) + ", start " + panel.axis.start_label() + ")");
  if (*pos < 0)
    throw InputError(where + ": time " + inc.axis.label(0) + " is before the start of " + panel_path + " (" +
                     panel.axis.start_label() + "); an update cannot extend the axis backwards (a mistyped "
                     "year?), ingest anew");
  return *pos;
}

// Note [Long update]
//   One mistyped year in a nightly CSV (2034-01-11 for 2024-01-11) would stretch every series'
//   history by a decade of NaN, and `update` rewrites the production panel in place by default.
//   A nightly run adds one step; a job that missed some runs adds days or a few weeks; a panel
//   brought up to date with a month of daily rows adds ~30. A typo adds years. So update refuses
//   (before anything is written) to move the end of the history more than
//       max(half the old history's length, a quarter of a year of steps)
//   beyond its old end, with the quarter counted as 92 steps daily (and on an integer axis),
//   13 weekly and 4 steps monthly, quarterly or yearly. The known future is held to the same
//   allowance beyond both the old axis's end and the new history's end (a typo in a row of
//   next week's prices). Examples: 30 new days on a 300-day panel (allowance 150) and 3 missed
//   weeks on a 20-week panel (13) pass; 2034 for 2024 on a 2-year daily panel (3,650 steps
//   against 365) is refused, naming the CSV line and time. --allow-long-axis (as for ingest,
//   Note [Long axis] in csv_ingest.cpp, which still checks the CSV's own axis) accepts it.
//   The rule looks only at the update's size against the panel's, not at the CSV's rows, so a
//   one-row CSV is caught as surely as a big one.
int64_t long_update_floor(Freq f) {
  switch (f) {
    case Freq::Day:
    case Freq::Index: return 92;
    case Freq::Week: return 13;
    case Freq::Month:
    case Freq::Quarter:
    case Freq::Year: return 4;
  }
  return 4;
}

void check_update_length(const PanelHeader& P, int64_t n_steps, int64_t n_total, const IngestStats& cs,
                         const std::string& panel_path, const std::string& csv_path) {
  const int64_t allowance = std::max(P.n_steps / 2, long_update_floor(P.axis.freq));
  const std::string rule = "an update may add at most " + std::to_string(allowance) +
                           " steps (the larger of half the old history, " + std::to_string(P.n_steps / 2) + ", and " +
                           std::to_string(long_update_floor(P.axis.freq)) + " at frequency " +
                           freq_name(P.axis.freq) + "; Note [Long update] in io/panel_update.cpp)";
  const std::string hint = ": a mistyped date? (pass --allow-long-axis if the panel is meant to grow this much)";
  if (n_steps - P.n_steps > allowance)
    throw InputError(csv_where(csv_path, cs.last_value_line) + ": time '" + cs.last_value_text +
                     "' would extend the history of " + panel_path + " from " + std::to_string(P.n_steps) + " to " +
                     std::to_string(n_steps) + " steps (its end from " + P.axis.label(P.n_steps - 1) + " to " +
                     P.axis.label(n_steps - 1) + ", " + std::to_string(n_steps - P.n_steps) + " steps later); " +
                     rule + hint);
  const int64_t end = std::max(P.n_total(), n_steps);
  if (n_total - end > allowance)
    throw InputError(csv_where(csv_path, cs.last_time_line) + ": time '" + cs.last_time_text +
                     "' would extend the known future of " + panel_path + " to " + P.axis.label(n_total - 1) + ", " +
                     std::to_string(n_total - end) + " steps beyond " + P.axis.label(end - 1) +
                     " (the later of the old axis's end and the new history's end; the known future grows from " +
                     std::to_string(P.n_future) + " to " + std::to_string(n_total - n_steps) + " steps); " + rule +
                     hint);
}

// Note [Update column defaults]
//   `export` writes a panel's static attributes and weight as columns named like them
//   (csv_export.h), and a nightly CSV cut from such a file carries them. Without --static,
//   update reads every panel static attribute whose name is a column of the CSV's header;
//   without --weight-col, in a weighted panel, it reads the column export names the weight
//   ("weight") when the header has it. Both are then read exactly as if named: new series take
//   their levels and weights from it (instead of "" and 0), and a static value that differs
//   from an existing series' is counted in the warning of merge_statics. Columns already read
//   as id, time, value or dynamic covariate are not taken again. This mirrors --dynamic, which
//   defaults to the panel's covariates. A flag that is given is taken as is.
void default_update_columns(const PanelHeader& P, IngestOptions& csv) {
  const bool want_statics = csv.statics.empty() && !P.statics.empty();
  const bool want_weight = csv.weight_col.empty() && !P.weights.empty();
  if (!want_statics && !want_weight) return;
  const std::vector<std::string> names = read_csv_header(csv.csv_path);
  auto in = [](const std::vector<std::string>& v, const std::string& n) {
    return std::find(v.begin(), v.end(), n) != v.end();
  };
  auto free_column = [&](const std::string& n) {
    return in(names, n) && n != csv.id_col && n != csv.time_col && n != csv.value_col && !in(csv.dynamic, n) &&
           !in(csv.statics, n);
  };
  if (want_statics)
    for (const StaticAttr& a : P.statics)
      if (free_column(a.name)) csv.statics.push_back(a.name);
  const std::string weight = PanelExportOptions{}.weight_col;
  if (want_weight && free_column(weight)) csv.weight_col = weight;
}

// Merged static attributes: panel codes kept, new levels appended.
void merge_statics(const PanelHeader& panel, const PanelHeader& inc, const std::vector<int64_t>& inc_to_new,
                   PanelHeader& out, UpdateStats& st, const std::string& csv_path) {
  for (const StaticAttr& a : inc.statics)
    if (!panel.find_static(a.name))
      throw InputError(csv_path + ": static column '" + a.name +
                       "' is not an attribute of the panel; an update cannot add one, ingest anew");
  const int64_t S_old = panel.n_series(), S_new = out.n_series();
  out.statics = panel.statics;
  int64_t n_conflict = 0;
  std::string first_conflict;
  for (StaticAttr& a : out.statics) {
    a.codes.resize(static_cast<size_t>(S_new), -1);
    std::unordered_map<std::string, int32_t> code_of;
    for (size_t k = 0; k < a.levels.size(); ++k) code_of.emplace(a.levels[k], static_cast<int32_t>(k));
    auto code = [&](const std::string& level) {
      auto [it, added] = code_of.emplace(level, static_cast<int32_t>(a.levels.size()));
      if (added) a.levels.push_back(level);
      return it->second;
    };
    const StaticAttr* src = inc.find_static(a.name);
    for (int64_t r = 0; r < inc.n_series(); ++r) {
      const int64_t i = inc_to_new[static_cast<size_t>(r)];
      if (!src) continue;
      const std::string& level = src->levels[static_cast<size_t>(src->codes[static_cast<size_t>(r)])];
      if (i >= S_old) {
        a.codes[static_cast<size_t>(i)] = code(level);
      } else if (level != a.levels[static_cast<size_t>(a.codes[static_cast<size_t>(i)])] && !level.empty()) {
        if (n_conflict++ == 0)
          first_conflict = "series '" + out.ids[static_cast<size_t>(i)] + "' " + a.name + " '" + level + "' (panel: '" +
                           a.levels[static_cast<size_t>(a.codes[static_cast<size_t>(i)])] + "')";
      }
    }
    for (int64_t i = S_old; i < S_new; ++i)
      if (a.codes[static_cast<size_t>(i)] < 0) a.codes[static_cast<size_t>(i)] = code("");
  }
  if (n_conflict > 0)
    st.warnings.push_back(std::to_string(n_conflict) + " static value(s) in " + csv_path +
                          " differ from the panel's and were ignored (codes stay stable for models), first: " +
                          first_conflict);
}

}  // namespace

UpdateStats update_panel(const std::string& panel_path, IngestOptions csv, const std::string& out_path,
                         const std::function<void(const PanelHeader&)>& check,
                         std::unique_ptr<AtomicPath>* uncommitted) {
  UpdateStats st;
  const PanelReader old(panel_path);
  const PanelHeader& P = old.header();
  csv.freq = freq_name(P.axis.freq);
  csv.season_length = P.axis.season_length;
  if (csv.dynamic.empty())
    for (const DynamicSpec& d : P.dynamic) csv.dynamic.push_back(d.name);
  if (csv.events.empty()) csv.events = {"auto"};
  for (const std::string& name : csv.dynamic)
    if (!P.find_dynamic(name))
      throw InputError(csv.csv_path + ": dynamic column '" + name + "' is not a covariate of " + panel_path +
                       "; an update cannot add one, ingest anew");
  for (const DynamicSpec& d : P.dynamic)
    if (std::find(csv.dynamic.begin(), csv.dynamic.end(), d.name) == csv.dynamic.end())
      throw InputError(csv.csv_path + ": the panel's dynamic covariate '" + d.name +
                       "' must be a column of the update (it supplies the new steps)");
  default_update_columns(P, csv);  // Note [Update column defaults]
  PanelData inc = read_long_csv(csv, &st.csv);
  const PanelHeader& I = inc.header;
  const int64_t off = csv_offset(P, I, panel_path, csv.csv_path, st.csv.first_time_line);

  // ---- the merged header ----
  PanelHeader H;
  H.axis = P.axis;
  H.n_steps = std::max(P.n_steps, off + I.n_steps);
  const int64_t total = std::max(P.n_total(), off + I.n_total());
  if (!csv.allow_long_axis) check_update_length(P, H.n_steps, total, st.csv, panel_path, csv.csv_path);
  H.n_future = total - H.n_steps;
  H.ids = P.ids;
  std::unordered_map<std::string, int64_t> index_of;
  index_of.reserve(P.ids.size() + I.ids.size());
  for (size_t i = 0; i < P.ids.size(); ++i) index_of.emplace(P.ids[i], static_cast<int64_t>(i));
  std::vector<int64_t> inc_to_new(I.ids.size());
  for (size_t r = 0; r < I.ids.size(); ++r) {
    auto [it, added] = index_of.emplace(I.ids[r], static_cast<int64_t>(H.ids.size()));
    if (added) H.ids.push_back(I.ids[r]);
    inc_to_new[r] = it->second;
  }
  const int64_t S_old = P.n_series(), S_new = H.n_series();
  std::vector<int64_t> new_to_inc(static_cast<size_t>(S_new), -1);
  for (size_t r = 0; r < inc_to_new.size(); ++r) new_to_inc[static_cast<size_t>(inc_to_new[r])] = static_cast<int64_t>(r);
  merge_statics(P, I, inc_to_new, H, st, csv.csv_path);

  if (!P.weights.empty() || !I.weights.empty()) {
    H.weights = P.weights;
    H.weights.resize(static_cast<size_t>(S_new), P.weights.empty() ? 0.0f : -1.0f);
    int64_t n_unweighted = 0;
    for (int64_t i = 0; i < S_new; ++i) {
      const int64_t r = new_to_inc[static_cast<size_t>(i)];
      if (r >= 0 && !I.weights.empty()) H.weights[static_cast<size_t>(i)] = I.weights[static_cast<size_t>(r)];
      if (H.weights[static_cast<size_t>(i)] < 0.0f) H.weights[static_cast<size_t>(i)] = 0.0f, ++n_unweighted;
    }
    if (P.weights.empty() && S_old > 0)
      st.warnings.push_back(std::to_string(S_old) + " series of " + panel_path +
                            " had no weights and get weight 0 (the update's weight column adds weights)");
    if (n_unweighted > 0)
      st.warnings.push_back(std::to_string(n_unweighted) +
                            " new series have no weight in a weighted panel and get weight 0");
  }

  H.dynamic = P.dynamic;
  H.events = P.events;
  for (EventSeries& e : H.events) e.flags.resize(static_cast<size_t>(total), 0);
  for (const EventSeries& e : I.events) {
    auto it = std::find_if(H.events.begin(), H.events.end(), [&](const EventSeries& x) { return x.name == e.name; });
    if (it == H.events.end()) {
      H.events.push_back(EventSeries{e.name, std::vector<uint8_t>(static_cast<size_t>(total), 0)});
      it = H.events.end() - 1;
    }
    for (int64_t t = 0; t < I.n_total(); ++t) it->flags[static_cast<size_t>(off + t)] |= e.flags[static_cast<size_t>(t)];
  }
  H.validate();
  if (check) check(H);

  st.old_series = S_old, st.new_series = S_new;
  st.old_steps = P.n_steps, st.new_steps = H.n_steps;
  st.old_future = P.n_future, st.new_future = H.n_future;

  // ---- stream the tensors ----
  PanelWriter w(out_path, H);
  const int64_t T_old = P.n_steps, TF_old = P.n_total(), T = H.n_steps, TI = I.n_steps, TFI = I.n_total();
  std::vector<float> src, dst;
  for (int64_t i0 = 0; i0 < S_new; i0 += kBlockRows) {
    const int64_t i1 = std::min(S_new, i0 + kBlockRows), nb = i1 - i0, o1 = std::min(i1, S_old);
    dst.assign(static_cast<size_t>(nb * T), NAN);
    if (i0 < o1) {
      src.resize(static_cast<size_t>((o1 - i0) * T_old));
      old.read_target(i0, o1, src.data());
      for (int64_t i = i0; i < o1; ++i)
        std::copy_n(src.data() + (i - i0) * T_old, T_old, dst.data() + (i - i0) * T);
    }
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t r = new_to_inc[static_cast<size_t>(i)];
      if (r < 0) continue;
      const float* v = inc.target.data() + r * TI;
      float* d = dst.data() + (i - i0) * T + off;
      for (int64_t t = 0; t < TI; ++t) {
        if (!std::isfinite(v[t])) continue;
        ++st.cells_written;
        if (std::isfinite(d[t]) && d[t] != v[t]) ++st.cells_restated;
        d[t] = v[t];
      }
    }
    w.write_target(i0, nb, dst.data());
  }
  for (size_t k = 0; k < H.dynamic.size(); ++k) {
    const DynamicSpec& spec = H.dynamic[k];
    const size_t ki = static_cast<size_t>(
        std::find_if(I.dynamic.begin(), I.dynamic.end(), [&](const DynamicSpec& x) { return x.name == spec.name; }) -
        I.dynamic.begin());
    const std::vector<float>& cv = inc.dynamic[ki];  // [S_inc, TFI]
    if (!spec.per_series) {
      std::vector<float> row(static_cast<size_t>(total), NAN);
      const std::vector<float> old_row = old.read_dynamic(spec.name, 0, std::min<int64_t>(1, S_old));
      std::copy(old_row.begin(), old_row.end(), row.begin());
      for (int64_t t = 0; t < TFI; ++t) {
        int64_t first = -1;
        for (int64_t r = 0; r < I.n_series(); ++r) {
          const float v = cv[static_cast<size_t>(r * TFI + t)];
          if (!std::isfinite(v)) continue;
          if (first < 0) {
            first = r;
            row[static_cast<size_t>(off + t)] = v;
          } else if (v != row[static_cast<size_t>(off + t)]) {
            throw InputError(csv.csv_path + ": the panel's covariate '" + spec.name + "' is shared by all series, but at " +
                             H.axis.label(off + t) + " series '" + I.ids[static_cast<size_t>(first)] + "' has " +
                             std::to_string(row[static_cast<size_t>(off + t)]) + " and '" +
                             I.ids[static_cast<size_t>(r)] + "' has " + std::to_string(v));
          }
        }
      }
      w.write_dynamic_shared(spec.name, row.data());
      continue;
    }
    for (int64_t i0 = 0; i0 < S_new; i0 += kBlockRows) {
      const int64_t i1 = std::min(S_new, i0 + kBlockRows), nb = i1 - i0, o1 = std::min(i1, S_old);
      dst.assign(static_cast<size_t>(nb * total), NAN);
      if (i0 < o1) {
        src.resize(static_cast<size_t>((o1 - i0) * TF_old));
        old.read_dynamic(spec.name, i0, o1, src.data());
        for (int64_t i = i0; i < o1; ++i)
          std::copy_n(src.data() + (i - i0) * TF_old, TF_old, dst.data() + (i - i0) * total);
      }
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t r = new_to_inc[static_cast<size_t>(i)];
        if (r < 0) continue;
        const float* v = cv.data() + r * TFI;
        float* d = dst.data() + (i - i0) * total + off;
        for (int64_t t = 0; t < TFI; ++t)
          if (std::isfinite(v[t])) d[t] = v[t];
      }
      w.write_dynamic(spec.name, i0, nb, dst.data());
    }
  }
  if (uncommitted) *uncommitted = w.close();
  else w.commit();
  return st;
}

}  // namespace skucast
