// tools/stat_cli.h — helpers shared by the statistical subcommands (forecast, backtest):
// parsing --quantiles and the --device notice.
#pragma once

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/common.hpp"
#include "kernels/device.hpp"

namespace skucast::cli {

// Parses "0.1,0.5,0.9" (shared with cmd_backtest.cpp); empty text → no quantiles.
inline std::vector<double> parse_levels(const std::string& text) {
  std::vector<double> levels;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.find_first_not_of(" \t") == std::string::npos) continue;
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
      throw InputError("--quantiles: levels must be strictly ascending, got " + item + " after " +
                       std::to_string(levels.back()));
    levels.push_back(v);
  }
  return levels;
}

// One line on stderr when --device cuda asks for something the statistical path cannot use.
inline void device_notice(const std::string& device) {
  if (device != "cuda") return;
  if (cuda_device_count() == 0)
    std::fprintf(stderr, "skucast: note: no CUDA device (%s); the statistical models run on the CPU\n",
                 cuda_device_description().c_str());
  else
    std::fprintf(stderr, "skucast: note: the statistical models run on the CPU (no CUDA path for them yet)\n");
}

}  // namespace skucast::cli
