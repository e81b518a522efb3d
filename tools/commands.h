// tools/commands.h — one function per subcommand; each adds itself to the app and sets a
// callback that fills a plain Options struct and hands it to engine/ or io/ (STYLE C1).
// Callbacks throw skucast::Error subclasses; main() maps them to exit codes.
#pragma once

#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>

namespace skucast::cli {

// An integer option's lower bound, said plainly: "--batch: must be at least 1, got 0".
// (CLI11's PositiveNumber prints its bounds as "0.000000 to 1.8e308".) Text that is not a
// number passes here and fails CLI11's conversion with "Could not convert".
inline CLI::Validator at_least(long long min) {
  return CLI::Validator(
      [min](std::string& text) -> std::string {
        char* end = nullptr;
        const long double v = std::strtold(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0' || v >= static_cast<long double>(min)) return {};
        return "must be at least " + std::to_string(min) + ", got " + text;
      },
      "INT>=" + std::to_string(min));
}

// --threads (train, update): 0 is OpenMP's default. The bound keeps a typo (100000) from
// asking OpenMP for threads it cannot start (libgomp then crashes).
inline constexpr int kMaxThreads = 1024;

void add_synth(CLI::App& app);     // tools/cmd_synth.cpp
void add_ingest(CLI::App& app);    // tools/cmd_ingest.cpp
void add_info(CLI::App& app);      // tools/cmd_info.cpp
void add_export(CLI::App& app);    // tools/cmd_export.cpp
void add_merge(CLI::App& app);     // tools/cmd_merge.cpp
void add_forecast(CLI::App& app);  // tools/cmd_forecast.cpp
void add_backtest(CLI::App& app);  // tools/cmd_backtest.cpp
void add_report(CLI::App& app);    // tools/cmd_report.cpp
void add_train(CLI::App& app);     // tools/cmd_train.cpp
void add_update(CLI::App& app);    // tools/cmd_update.cpp

}  // namespace skucast::cli
