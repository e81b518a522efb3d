// tools/commands.h — one function per subcommand; each adds itself to the app and sets a
// callback that fills a plain Options struct and hands it to engine/ or io/ (STYLE C1).
// Callbacks throw skucast::Error subclasses; main() maps them to exit codes.
#pragma once

#include <CLI/CLI.hpp>

namespace skucast::cli {

void add_synth(CLI::App& app);     // tools/cmd_synth.cpp
void add_ingest(CLI::App& app);    // tools/cmd_ingest.cpp
void add_info(CLI::App& app);      // tools/cmd_info.cpp
void add_export(CLI::App& app);    // tools/cmd_export.cpp
void add_forecast(CLI::App& app);  // tools/cmd_forecast.cpp
void add_backtest(CLI::App& app);  // tools/cmd_backtest.cpp
void add_report(CLI::App& app);    // tools/cmd_report.cpp
void add_train(CLI::App& app);     // tools/cmd_train.cpp
void add_update(CLI::App& app);    // tools/cmd_update.cpp

}  // namespace skucast::cli
