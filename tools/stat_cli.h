// tools/stat_cli.h — helpers shared by the statistical subcommands (forecast, backtest):
// parsing --quantiles and --gpu-memory, and where (CPU or GPU) a statistical model runs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "engine/stat/gpu_models.h"
#include "kernels/common.hpp"
#include "kernels/device.hpp"

namespace skucast::cli {

// Parses "0.1,0.5,0.9" (shared with cmd_backtest.cpp); empty text → no quantiles.
inline std::vector<double> parse_levels(const std::string& text) {
  std::vector<double> levels;
  // Only an empty list means "no quantiles": an empty item inside one is a typo.
  if (text.find_first_not_of(" \t") == std::string::npos) return levels;
  if (text.back() == ',' || text.find_first_not_of(" \t") == text.find(','))
    throw InputError("--quantiles: '" + text + "' has an empty level (expected e.g. 0.1,0.5,0.9)");
  std::stringstream ss(text);
  std::string item, previous;
  while (std::getline(ss, item, ',')) {
    if (item.find_first_not_of(" \t") == std::string::npos)
      throw InputError("--quantiles: '" + text + "' has an empty level between two commas (expected e.g. 0.1,0.5,0.9)");
    size_t used = 0;
    double v = 0.0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || item.find_first_not_of(" \t", used) != std::string::npos)
      throw InputError("--quantiles: '" + item + "' is not a number (expected e.g. 0.1,0.5,0.9)");
    if (!(v > 0.0 && v < 1.0)) throw InputError("--quantiles: level " + item + " is not strictly between 0 and 1");
    if (!levels.empty() && !(v > levels.back()))
      throw InputError("--quantiles: levels must be strictly ascending, got " + item + " after " + previous);
    levels.push_back(v);
    previous = item;
  }
  return levels;
}

// Parses --gpu-memory: bytes, or a number with K, M, G or T (powers of 1024, optional "iB"/"B"),
// e.g. "512M", "8G", "1.5GiB". Empty or "0" -> 0 (the default budget). Throws InputError.
inline size_t parse_memory_size(const std::string& text) {
  if (text.empty()) return 0;
  size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = used > 0 ? text.substr(used) : "";
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double mult = 0.0;
  if (unit.empty() || unit == "B") mult = 1.0;
  else if (unit == "K" || unit == "KB" || unit == "KIB") mult = 1024.0;
  else if (unit == "M" || unit == "MB" || unit == "MIB") mult = 1024.0 * 1024.0;
  else if (unit == "G" || unit == "GB" || unit == "GIB") mult = 1024.0 * 1024.0 * 1024.0;
  else if (unit == "T" || unit == "TB" || unit == "TIB") mult = 1024.0 * 1024.0 * 1024.0 * 1024.0;
  if (used == 0 || mult == 0.0 || !(v >= 0.0) || !(v * mult < 1e18))
    throw InputError("--gpu-memory: '" + text + "' is not a size (expected e.g. 512M, 8G or a number of bytes)");
  return static_cast<size_t>(v * mult);
}

// Note [Series block size]: `forecast` and `backtest` read the panel in blocks of series and
// hand each block to the model. On the CPU 4,096 series a block keep memory small and every
// core busy. The GPU wants far more: each forecast_batch_cuda call is one grid of one thread
// per series, and an H200 keeps ~34,000 ETS series resident (132 SMs x 2 blocks x 128), so a
// block of 4,096 would leave three quarters of it idle and pay each block's setup again.
// `--block 0` (the default) therefore means 4,096 series on the CPU and, when a model runs on
// the GPU, as many series as 1 GiB of host rows holds (138,000 of 1,941 days; 2.2 million of
// 120 months), at least 4,096 and at most the panel.
inline int64_t series_block(int64_t requested, bool gpu, int64_t n_series, int64_t n_steps) {
  if (requested > 0) return requested;
  constexpr int64_t kCpuBlock = 4096, kGpuHostBytes = int64_t{1} << 30;
  if (!gpu) return kCpuBlock;
  const int64_t fit = kGpuHostBytes / (std::max<int64_t>(n_steps, 1) * static_cast<int64_t>(sizeof(float)));
  return std::max<int64_t>(kCpuBlock, std::min(fit, std::max<int64_t>(n_series, 1)));
}

// Note [Statistical models on the GPU]: a statistical model runs on the GPU only when asked
// with --device cuda, a device is present, the model has a GPU path (stat_gpu_model_names(),
// single models, engine/stat/gpu_models.h) and it runs without regressors or a transform.
// `auto` keeps the CPU until the GPU parity tests have run on a device. Every request that
// cannot be met prints one line saying why, and the model runs on the CPU.
// device: the --device value (auto|cpu|cuda); what: the model's name for the note.
inline bool stat_model_on_gpu(const std::string& device, const std::string& model, bool with_regressors,
                              bool with_transform) {
  const std::vector<std::string> gpu_models = stat_gpu_model_names();
  std::string unable;
  if (std::find(gpu_models.begin(), gpu_models.end(), model) == gpu_models.end())
    unable = "model '" + model + "' has no GPU path";
  else if (with_regressors || with_transform)
    unable = "regressors and transforms have no GPU path";
  const DeviceChoice where = resolve_device(device, unable);  // Note [Device choice] in kernels/device.hpp
  if (!where.note.empty())
    std::fprintf(stderr, "skucast: note: %s; model '%s' runs on the CPU\n", where.note.c_str(), model.c_str());
  return where.device == Device::Cuda;
}

}  // namespace skucast::cli
