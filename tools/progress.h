// tools/progress.h — training progress on stderr, shared by `train` and `update`: a live \r
// bar when stderr is a terminal, one plain line per epoch otherwise (tools/cmd_train.cpp).
#pragma once

#include "engine/deepar/model.h"

namespace skucast::cli {

void print_train_progress(const EpochInfo& e, bool tty);

}  // namespace skucast::cli
