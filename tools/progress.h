// tools/progress.h — training progress on stderr, shared by `train` and `update`: a live \r
// bar when stderr is a terminal, one plain line per epoch otherwise (tools/cmd_train.cpp),
// each with the windows/s of the training batches, the validation time apart and an estimate
// of the time left.
#pragma once

#include <chrono>

#include "engine/deepar/model.h"

namespace skucast::cli {

// Note [Time left]
//   deepar_train calls the progress function after every training batch and once more after
//   each epoch's validation. The time per batch comes from the calls of the current epoch
//   (from the second call on: the first one's start is not seen), the validation time from
//   the last batch's call to the epoch's closing call. The estimate assumes every planned
//   epoch runs (early stopping can only make the run shorter).
class TrainProgress {
 public:
  explicit TrainProgress(bool tty) : m_tty(tty) {}
  void operator()(const EpochInfo& e);
  // Seconds spent validating after each epoch, summed over the epochs so far (every pass:
  // deepar_train keeps the best epoch's residual statistics and needs no pass after the last
  // call, unless no epoch of the call improved).
  double validation_seconds() const { return m_val_total_s; }

 private:
  using Clock = std::chrono::steady_clock;
  double seconds_left(const EpochInfo& e) const;

  bool m_tty;
  Clock::time_point m_first_batch, m_last_batch;  // this epoch's first and latest batch calls
  Clock::time_point m_epoch_start;                // the previous epoch's closing call
  bool m_have_epoch_start = false;
  double m_batch_s = 0.0;                         // seconds per training batch (latest estimate)
  double m_val_s = 0.0, m_val_total_s = 0.0;      // latest validation, all validations
};

}  // namespace skucast::cli
