// engine/deepar/checkpoint.h — model files of the global DeepAR-style model (HDF5, written
// atomically: temporary name in the same folder, renamed into place).
//
//   /                         attrs format="skucast-model", version=1, model ("lstm"/"gru"),
//                             config (DeepArOptions as JSON), state (JSON: epochs_done,
//                             bad_epochs, lr_now, best_val_loss, resid_sd, tweedie_phi)
//   /panel                    fingerprint: attrs n_series, season_length; string datasets
//                             static_names, dynamic_names, event_names, static_levels_<i>;
//                             uint8 dynamic_per_series
//   /weights/rnn              float32 [n_rnn]  flat cuDNN layout (Note [RNN weight layout])
//   /weights/head             float32 [P*Hd + P]
//   /weights/embedding_<i>    float32 [K*d] for static attribute i (attr name, k, dim)
//   /optimizer/m, /optimizer/v float32 [n_params]; attr step (AdamW)
#pragma once

#include <string>

#include "engine/deepar/model.h"

namespace skucast {

inline constexpr int kModelVersion = 1;

// Throws IoError when the file cannot be written.
void save_checkpoint(const std::string& path, const DeepArState& state);
// Throws IoError when the file cannot be read, InputError when it is not a skucast model
// file or has another version (with a hint to retrain).
DeepArState load_checkpoint(const std::string& path);

}  // namespace skucast
