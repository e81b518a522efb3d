// engine/deepar/update.cpp — keeping a trained model in step with a growing panel:
// new static levels (Note [New static levels]) and fine-tuning on an updated panel (Note
// [Fine-tuning on an updated panel]), both in engine/deepar/model.h.
#include <algorithm>
#include <string>
#include <utility>

#include "engine/deepar/internal.h"
#include "engine/deepar/model.h"
#include "io/panel.h"
#include "kernels/common.hpp"

namespace skucast {

int64_t deepar_extend_levels(DeepArState& st, const PanelHeader& h) {
  const PanelFingerprint now = PanelFingerprint::of(h);
  PanelFingerprint& fp = st.panel;
  if (now.static_names != fp.static_names) return 0;
  // The model's levels, then the panel's levels it has not seen, in the panel's order (Note
  // [Static levels by name]: the panel's codes are translated by name when it is read).
  std::vector<std::vector<std::string>> levels = fp.static_levels;
  bool grows = false;
  for (size_t a = 0; a < fp.static_levels.size(); ++a)
    for (std::string& v : fp.unseen_levels(a, now.static_levels[a])) {
      levels[a].push_back(std::move(v));
      grows = true;
    }
  if (!grows) return 0;

  const deepar::Layout old_l = deepar::make_layout(st.options, fp);
  if (static_cast<int64_t>(st.weights.size()) != old_l.n_params)
    throw InputError("deepar: the model holds " + std::to_string(st.weights.size()) + " weights, its config needs " +
                     std::to_string(old_l.n_params));
  if (st.options.embedding_dims.empty()) st.options.embedding_dims = old_l.emb_dim;  // checkpoints before pinning
  PanelFingerprint grown = fp;
  grown.static_levels = std::move(levels);
  const deepar::Layout l = deepar::make_layout(st.options, grown);

  // Everything before the first table keeps its place; each table gets its new rows.
  const int64_t n_fixed = old_l.att_off + old_l.n_att;  // RNN | head | attention
  std::vector<float> w(static_cast<size_t>(l.n_params), 0.0f), m(w.size(), 0.0f), v(w.size(), 0.0f);
  std::copy_n(st.weights.begin(), n_fixed, w.begin());
  std::copy_n(st.adam_m.begin(), n_fixed, m.begin());
  std::copy_n(st.adam_v.begin(), n_fixed, v.begin());
  int64_t added = 0;
  for (size_t a = 0; a < l.emb_k.size(); ++a) {
    const int64_t d = l.emb_dim[a], k_old = old_l.emb_k[a], k_new = l.emb_k[a];
    const int64_t src = old_l.emb_off[a], dst = l.emb_off[a];
    std::copy_n(st.weights.begin() + src, k_old * d, w.begin() + dst);
    std::copy_n(st.adam_m.begin() + src, k_old * d, m.begin() + dst);
    std::copy_n(st.adam_v.begin() + src, k_old * d, v.begin() + dst);
    // A table of a model trained without levels (K clamped to 1) has one placeholder row.
    const int64_t k_trained = static_cast<int64_t>(fp.static_levels[a].size());
    for (int64_t j = 0; j < d; ++j) {
      double mean = 0.0;
      for (int64_t r = 0; r < k_trained; ++r) mean += st.weights[static_cast<size_t>(src + r * d + j)];
      mean = k_trained > 0 ? mean / static_cast<double>(k_trained) : 0.0;
      for (int64_t r = k_old; r < k_new; ++r) w[static_cast<size_t>(dst + r * d + j)] = static_cast<float>(mean);
    }
    added += k_new - k_old;
  }
  st.weights = std::move(w);
  st.adam_m = std::move(m);
  st.adam_v = std::move(v);
  fp = std::move(grown);
  return added;
}

TrainReport deepar_fine_tune(DeepArState& st, const PanelReader& panel, int64_t n_epochs, const ProgressFn& progress,
                             const TrainDeviceOptions& device) {
  if (n_epochs < 1) throw InputError("update: --epochs must be at least 1, got " + std::to_string(n_epochs));
  deepar_extend_levels(st, panel.header());
  st.best_val_loss = deepar_validation_loss(st, panel);
  st.bad_epochs = 0;
  return deepar_train(st, panel, n_epochs, progress, device);
}

}  // namespace skucast
