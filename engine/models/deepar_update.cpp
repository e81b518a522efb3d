// engine/models/deepar_update.cpp — fine-tuning a trained model on an updated panel
// (Note [Fine-tuning on an updated panel] in deepar_model.h).
#include <string>

#include "engine/models/deepar_model.h"
#include "io/panel.h"
#include "kernels/common.hpp"

namespace skucast {

TrainReport deepar_fine_tune(DeepArState& st, const PanelReader& panel, int64_t n_epochs, const ProgressFn& progress) {
  if (n_epochs < 1) throw InputError("update: --epochs must be at least 1, got " + std::to_string(n_epochs));
  st.best_val_loss = deepar_validation_loss(st, panel);
  st.bad_epochs = 0;
  return deepar_train(st, panel, n_epochs, progress);
}

}  // namespace skucast
