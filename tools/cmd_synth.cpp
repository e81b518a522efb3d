// tools/cmd_synth.cpp — placeholder until the subcommand lands; replaced by its owner.
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {
void add_synth(CLI::App& app) {
  auto* sub = app.add_subcommand("synth", "(not built yet)");
  sub->callback([] { throw Error("'synth' is not built yet"); });
}
}  // namespace skucast::cli
