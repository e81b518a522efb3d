// engine/deepar/checkpoint.cpp — save/load of DeepAR model files (engine/deepar/checkpoint.h).
#include "engine/deepar/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "engine/deepar/internal.h"
#include "io/atomic_file.h"
#include "io/h5.h"
#include "kernels/common.hpp"

namespace skucast {

namespace {
const char* kFormat = "skucast-model";

std::vector<float> slice(const std::vector<float>& v, int64_t a, int64_t b) {
  return std::vector<float>(v.begin() + a, v.begin() + b);
}
}  // namespace

namespace {

// One model's part of the file at loc (the root for model 0, /member_<k> for the others):
// attributes config and state, groups weights and optimizer.
void write_member(hid_t loc, const DeepArState& st, const deepar::Layout& l, const std::string& f) {
  h5::write_attr(loc, "config", deepar_options_to_json(st.options));
  nlohmann::json s{{"epochs_done", st.epochs_done}, {"bad_epochs", st.bad_epochs}, {"lr_now", st.lr_now},
                   {"resid_sd", st.resid_sd},       {"tweedie_phi", st.tweedie_phi},
                   {"train_end", st.train_end},     {"trained_steps", st.trained_steps}};
  s["best_val_loss"] = std::isfinite(st.best_val_loss) ? nlohmann::json(st.best_val_loss) : nlohmann::json(nullptr);
  h5::write_attr(loc, "state", s.dump());
  h5::Handle wg = h5::create_group(loc, "weights", f);
  h5::write_vector(wg, "rnn", slice(st.weights, 0, l.n_rnn), f);
  h5::write_vector(wg, "head", slice(st.weights, l.n_rnn, l.n_rnn + l.n_head), f);
  if (l.n_att > 0) h5::write_vector(wg, "attention", slice(st.weights, l.att_off, l.att_off + l.n_att), f);
  for (size_t a = 0; a < l.emb_k.size(); ++a) {
    const std::string name = "embedding_" + std::to_string(a);
    h5::write_vector(wg, name, slice(st.weights, l.emb_off[a], l.emb_off[a] + l.emb_k[a] * l.emb_dim[a]), f);
    h5::Handle ds = h5::open_dataset(wg, name, f);
    h5::write_attr(ds, "name", st.panel.static_names[a]);
    h5::write_attr(ds, "k", l.emb_k[a]);
    h5::write_attr(ds, "dim", l.emb_dim[a]);
  }
  h5::Handle og = h5::create_group(loc, "optimizer", f);
  h5::write_attr(og, "step", st.adam_step);
  h5::write_vector(og, "m", st.adam_m, f);
  h5::write_vector(og, "v", st.adam_v, f);
}

// write_member's inverse; `panel` is the file's fingerprint (/panel), `where` names the part in errors.
DeepArState read_member(hid_t loc, const PanelFingerprint& panel, const std::string& path, const std::string& where,
                        const std::string& hint) {
  DeepArState st;
  st.options = deepar_options_from_json(h5::read_attr_string(loc, "config", path));
  try {
    const nlohmann::json s = nlohmann::json::parse(h5::read_attr_string(loc, "state", path));
    st.epochs_done = s.at("epochs_done").get<int64_t>();
    st.bad_epochs = s.at("bad_epochs").get<int64_t>();
    st.lr_now = s.at("lr_now").get<double>();
    st.resid_sd = s.at("resid_sd").get<double>();
    st.tweedie_phi = s.at("tweedie_phi").get<double>();
    // Note [What the model has seen]: absent in files written before it was recorded.
    st.train_end = s.contains("train_end") ? s.at("train_end").get<int64_t>() : -1;
    st.trained_steps = s.contains("trained_steps") ? s.at("trained_steps").get<int64_t>() : -1;
    st.best_val_loss = s.at("best_val_loss").is_null() ? std::numeric_limits<double>::infinity()
                                                       : s.at("best_val_loss").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": bad training state attribute" + where + ": " + e.what() + hint);
  }
  st.panel = panel;
  const deepar::Layout l = deepar::make_layout(st.options, st.panel);
  h5::Handle wg = h5::open_group(loc, "weights", path);
  st.weights.reserve(l.n_params);
  auto append = [&](const std::string& name, int64_t n) {
    const std::vector<float> v = h5::read_vector<float>(wg, name, path);
    if (static_cast<int64_t>(v.size()) != n)
      throw InputError(path + ": weights/" + name + where + " has " + std::to_string(v.size()) +
                       " values, the config needs " + std::to_string(n) + hint);
    st.weights.insert(st.weights.end(), v.begin(), v.end());
  };
  append("rnn", l.n_rnn);
  append("head", l.n_head);
  if (l.n_att > 0) append("attention", l.n_att);
  for (size_t a = 0; a < l.emb_k.size(); ++a) append("embedding_" + std::to_string(a), l.emb_k[a] * l.emb_dim[a]);
  h5::Handle og = h5::open_group(loc, "optimizer", path);
  st.adam_step = h5::read_attr_int(og, "step", path);
  st.adam_m = h5::read_vector<float>(og, "m", path);
  st.adam_v = h5::read_vector<float>(og, "v", path);
  if (static_cast<int64_t>(st.adam_m.size()) != l.n_params || static_cast<int64_t>(st.adam_v.size()) != l.n_params)
    throw InputError(path + ": optimizer moments" + where + " do not match the model's " +
                     std::to_string(l.n_params) + " parameters" + hint);
  return st;
}

}  // namespace

void save_checkpoint(const std::string& path, const DeepArState& st) {
  save_checkpoint(path, std::vector<DeepArState>{st});
}

void save_checkpoint(const std::string& path, const std::vector<DeepArState>& members) {
  save_checkpoint_uncommitted(path, members)->commit();
}

std::unique_ptr<AtomicPath> save_checkpoint_uncommitted(const std::string& path, const std::vector<DeepArState>& members) {
  if (members.empty()) throw Error("save_checkpoint: no model to write");
  const DeepArState& st = members[0];
  std::vector<deepar::Layout> layouts;
  for (const DeepArState& m : members) {
    layouts.push_back(deepar::make_layout(m.options, m.panel));
    const deepar::Layout& l = layouts.back();
    if (static_cast<int64_t>(m.weights.size()) != l.n_params)
      throw Error("save_checkpoint: " + std::to_string(m.weights.size()) + " weights for a model of " +
                  std::to_string(l.n_params));
    if (m.options.cell != st.options.cell)
      throw Error("save_checkpoint: the models of one file must share their cell");
    // Note [Finite forecasts] (engine/deepar/guard.h): a model file never holds NaN or Inf.
    auto finite = [](const std::vector<float>& v) {
      return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
    };
    if (!finite(m.weights) || !finite(m.adam_m) || !finite(m.adam_v) || !std::isfinite(m.resid_sd) ||
        !std::isfinite(m.tweedie_phi) || !std::isfinite(m.lr_now))
      throw InputError("refusing to write '" + path + "': the model's weights or state are not finite (training "
                       "diverged; retrain with a lower --lr)");
  }
  h5::silence_errors();
  auto out = std::make_unique<AtomicPath>(path);
  {
    const std::string& f = out->tmp();
    h5::Handle file = h5::create_file(f);
    h5::write_attr(file, "format", std::string(kFormat));
    h5::write_attr(file, "version", static_cast<int64_t>(kModelVersion));
    h5::write_attr(file, "model", st.options.cell);
    h5::write_attr(file, "members", static_cast<int64_t>(members.size()));

    h5::Handle pg = h5::create_group(file, "panel", f);
    h5::write_attr(pg, "n_series", st.panel.n_series);
    h5::write_attr(pg, "season_length", static_cast<int64_t>(st.panel.season_length));
    if (st.panel.freq) h5::write_attr(pg, "freq", freq_name(*st.panel.freq));  // Note [Panel frequency of a model]
    h5::write_strings(pg, "static_names", st.panel.static_names, f);
    h5::write_strings(pg, "dynamic_names", st.panel.dynamic_names, f);
    h5::write_strings(pg, "event_names", st.panel.event_names, f);
    h5::write_vector(pg, "dynamic_per_series", st.panel.dynamic_per_series, f);
    for (size_t i = 0; i < st.panel.static_levels.size(); ++i)
      h5::write_strings(pg, "static_levels_" + std::to_string(i), st.panel.static_levels[i], f);
    pg.reset();

    write_member(file, st, layouts[0], f);
    for (size_t k = 1; k < members.size(); ++k) {
      h5::Handle mg = h5::create_group(file, "member_" + std::to_string(k), f);
      write_member(mg, members[k], layouts[k], f);
    }
    h5::close_file(file, f);  // a full disk fails here, before the rename
  }
  return out;
}

std::vector<DeepArState> load_checkpoint_members(const std::string& path) {
  h5::silence_errors();
  h5::Handle file = h5::open_file_ro(path);
  const std::string hint = " (retrain with `skucast train ... --out " + path + "`)";
  h5::check_format(file, kFormat, "model", path, "retrain with `skucast train ... --out " + path + "`");
  // Files written before ensembles have no "members": one model.
  const int64_t n_members = h5::has_attr(file, "members") ? h5::read_attr_int(file, "members", path) : 1;
  if (n_members < 1 || n_members > kMaxEnsemble)
    throw InputError(path + ": attribute members is " + std::to_string(n_members) + ", expected 1.." +
                     std::to_string(kMaxEnsemble) + hint);
  PanelFingerprint fp;
  h5::Handle pg = h5::open_group(file, "panel", path);
  fp.n_series = h5::read_attr_int(pg, "n_series", path);
  fp.season_length = static_cast<int32_t>(h5::read_attr_int(pg, "season_length", path));
  // Note [Panel frequency of a model]: absent in older files, unknown and not checked.
  if (h5::has_attr(pg, "freq")) {
    const std::string freq = h5::read_attr_string(pg, "freq", path);
    try {
      fp.freq = parse_freq(freq);
    } catch (const InputError&) {
      throw InputError(path + ": /panel attribute freq is '" + freq + "', expected D, W, M, Q, Y or 1" + hint);
    }
  }
  fp.static_names = h5::read_strings(pg, "static_names", path);
  fp.dynamic_names = h5::read_strings(pg, "dynamic_names", path);
  fp.event_names = h5::read_strings(pg, "event_names", path);
  fp.dynamic_per_series = h5::read_vector<uint8_t>(pg, "dynamic_per_series", path);
  for (size_t i = 0; i < fp.static_names.size(); ++i)
    fp.static_levels.push_back(h5::read_strings(pg, "static_levels_" + std::to_string(i), path));
  std::vector<DeepArState> members;
  members.push_back(read_member(file, fp, path, "", hint));
  for (int64_t k = 1; k < n_members; ++k) {
    const std::string name = "member_" + std::to_string(k);
    h5::Handle mg = h5::open_group(file, name, path);
    members.push_back(read_member(mg, fp, path, " (" + name + ")", hint));
  }
  return members;
}

DeepArState load_checkpoint(const std::string& path) {
  std::vector<DeepArState> members = load_checkpoint_members(path);
  if (members.size() != 1)
    throw InputError(path + ": the file holds " + std::to_string(members.size()) +
                     " models (an ensemble); this command reads one");
  return std::move(members[0]);
}

}  // namespace skucast
