// tools/cmd_ingest.cpp — placeholder until the subcommand lands; replaced by its owner.
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {
void add_ingest(CLI::App& app) {
  auto* sub = app.add_subcommand("ingest", "(not built yet)");
  sub->callback([] { throw Error("'ingest' is not built yet"); });
}
}  // namespace skucast::cli
