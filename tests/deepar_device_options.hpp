// tests/deepar_device_options.hpp — the small model of the device tests of the DeepAR trainer
// (tests/deepar/test_deepar_device.cpp on any machine, tests/gpu/test_deepar_epoch_parity.cpp
// with a device), one definition so that both train the same network.
#pragma once

#include "engine/deepar/model.h"

namespace skucast::testing {

inline DeepArOptions tiny_device_options() {
  DeepArOptions o;
  o.cell = "lstm";  // written for the LSTM before the default became the GRU
  o.hidden = 8;
  o.layers = 2;
  o.context = 21;
  o.horizon = 7;
  o.dropout = 0.0;
  o.batch = 16;
  o.windows_per_epoch = 64;
  o.seed = 3;
  return o;
}

}  // namespace skucast::testing
