// tools/train_device.h — the --device / --precision / --gpu-memory options of the commands
// that train the global LSTM/GRU (`train`, `update --checkpoint`), read the same way by both.
//
// Note [Recurrent training on the GPU]: only an explicit --device cuda trains there
// (engine/deepar/cuda/train_step.h: the training steps on the device, and the window cutting and
// validation too when the panel fits in --gpu-memory). `auto` keeps the CPU until
// tests/gpu/test_deepar_train_parity.cpp has been run on a device and its CPU-GPU agreement
// measured, as `forecast` does (Note [Statistical models on the GPU] in tools/stat_cli.h).
// Every case that cannot use the GPU (no device, a build without CUDA) says why in one line
// and trains on the CPU, like forecast's fallbacks; the checkpoint is the same either way.
#pragma once

#include <cstdio>
#include <string>

#include "engine/deepar/model.h"
#include "kernels/common.hpp"
#include "kernels/device.hpp"
#include "tools/stat_cli.h"

namespace skucast::cli {

struct TrainDeviceCli {
  std::string device = "auto", precision = "fp32", gpu_memory;
};

// Checks the options (InputError naming the bad value, before any file is read) and picks the
// device, printing one line on stderr: where the training runs, or why not the GPU.
inline TrainDeviceOptions resolve_train_device(const TrainDeviceCli& o) {
  TrainDeviceOptions dev;
  const DeviceChoice where = resolve_device(o.device);  // Note [Device choice] in kernels/device.hpp
  dev.precision = parse_train_precision(o.precision);
  dev.max_panel_bytes = parse_memory_size(o.gpu_memory);
  dev.device = where.device;
  if (where.device == Device::Cuda)
    std::fprintf(stderr, "skucast: training on the GPU (%s): %s\n", o.precision.c_str(),
                 cuda_device_description().c_str());
  else if (!where.note.empty())
    std::fprintf(stderr, "skucast: note: %s; training runs on the CPU\n", where.note.c_str());
  if (dev.device == Device::Cpu && o.precision != "fp32")
    std::fprintf(stderr, "skucast: note: --precision %s applies to GPU training; the CPU trains in fp32\n",
                 o.precision.c_str());
  return dev;
}

// Adds --device, --precision and --gpu-memory to a training subcommand.
inline void add_train_device_options(CLI::App* sub, TrainDeviceCli& o) {
  sub->add_option("--device", o.device, "auto|cpu|cuda (auto: the CPU)")->capture_default_str();
  sub->add_option("--precision", o.precision,
                  "cuda: recurrent layers in fp32, or fp16 / bf16 on tensor cores (FP32 master weights)")
      ->capture_default_str();
  sub->add_option("--gpu-memory", o.gpu_memory,
                  "cuda: device memory the panel may take to be cut into windows on the GPU, e.g. 8G "
                  "(default: 80% of the free memory); a larger panel is composed on the host");
}

}  // namespace skucast::cli
