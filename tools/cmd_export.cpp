// tools/cmd_export.cpp — placeholder until the subcommand lands; replaced by its owner.
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {
void add_export(CLI::App& app) {
  auto* sub = app.add_subcommand("export", "(not built yet)");
  sub->callback([] { throw Error("'export' is not built yet"); });
}
}  // namespace skucast::cli
