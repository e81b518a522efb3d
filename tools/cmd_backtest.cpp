// tools/cmd_backtest.cpp — placeholder until the subcommand lands; replaced by its owner.
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {
void add_backtest(CLI::App& app) {
  auto* sub = app.add_subcommand("backtest", "(not built yet)");
  sub->callback([] { throw Error("'backtest' is not built yet"); });
}
}  // namespace skucast::cli
