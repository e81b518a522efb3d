// tools/cmd_info.cpp — placeholder until the subcommand lands; replaced by its owner.
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {
void add_info(CLI::App& app) {
  auto* sub = app.add_subcommand("info", "(not built yet)");
  sub->callback([] { throw Error("'info' is not built yet"); });
}
}  // namespace skucast::cli
