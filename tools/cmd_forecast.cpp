// tools/cmd_forecast.cpp — placeholder until the subcommand lands; replaced by its owner.
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {
void add_forecast(CLI::App& app) {
  auto* sub = app.add_subcommand("forecast", "(not built yet)");
  sub->callback([] { throw Error("'forecast' is not built yet"); });
}
}  // namespace skucast::cli
