// tools/cmd_report.cpp — placeholder until the subcommand lands; replaced by its owner.
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {
void add_report(CLI::App& app) {
  auto* sub = app.add_subcommand("report", "(not built yet)");
  sub->callback([] { throw Error("'report' is not built yet"); });
}
}  // namespace skucast::cli
