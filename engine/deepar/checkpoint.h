// engine/deepar/checkpoint.h — model files of the global DeepAR-style model (HDF5, written
// atomically: temporary name in the same folder, renamed into place).
//
//   /                         attrs format="skucast-model", version=2, model ("lstm"/"gru"),
//                             config (DeepArOptions as JSON), state (JSON: epochs_done,
//                             bad_epochs, lr_now, best_val_loss, resid_sd, tweedie_phi)
//   /panel                    fingerprint: attrs n_series, season_length, freq ("D", "W", ...;
//                             absent in older files: not checked, Note [Panel frequency of a
//                             model] in engine/deepar/model.h); string datasets
//                             static_names, dynamic_names, event_names, static_levels_<i>;
//                             uint8 dynamic_per_series
//   /weights/rnn              float32 [n_rnn]  flat cuDNN layout (Note [RNN weight layout])
//   /weights/head             float32 [P*Hd + P]
//   /weights/attention        float32 [4*Hd*Hd] W_qkv then W_o, only with config attention "on"
//                             (Note [Attention] in engine/nn/attention.h)
//   /weights/embedding_<i>    float32 [K*d] for static attribute i (attr name, k, dim)
//   /optimizer/m, /optimizer/v float32 [n_params]; attr step (AdamW)
//   attr members = K          models in the file (Note [Pooled models]: `train --ensemble K`);
//                             absent in older files: 1
//   /member_<k>/...           k = 1..K-1: attrs config, state and groups weights, optimizer
//                             as at the root (which holds model 0); /panel is shared
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/deepar/model.h"

namespace skucast {

class AtomicPath;  // io/atomic_file.h

inline constexpr int kModelVersion = 2;  // Note [File format 2] in io/h5.h
inline constexpr int64_t kMaxEnsemble = 64;  // models one file may hold

// Throws IoError when the file cannot be written.
void save_checkpoint(const std::string& path, const DeepArState& state);
// K models of one panel and cell in one file (an ensemble; the root holds members[0]).
void save_checkpoint(const std::string& path, const std::vector<DeepArState>& members);
// The same, closed under its temporary name and not renamed: the caller commits it with the
// run's other outputs (`update --checkpoint`: the model, then the panel).
std::unique_ptr<AtomicPath> save_checkpoint_uncommitted(const std::string& path, const std::vector<DeepArState>& members);
// Throws IoError when the file cannot be read, InputError when it is not a skucast model
// file or has another version (with a hint to retrain), or holds more than one model.
DeepArState load_checkpoint(const std::string& path);
// Every model of the file (one for a file without the members attribute).
std::vector<DeepArState> load_checkpoint_members(const std::string& path);

}  // namespace skucast
