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

// An integer option's range, said plainly: "--paths: must be in 1..100000, got 100000000". The
// upper bounds keep a typo from asking for memory or time no run has (Note [Size limits]).
inline CLI::Validator in_range(long long lo, long long hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        char* end = nullptr;
        const long double v = std::strtold(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0') return {};
        if (v >= static_cast<long double>(lo) && v <= static_cast<long double>(hi)) return {};
        return "must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + text;
      },
      "INT in " + std::to_string(lo) + ".." + std::to_string(hi));
}

// Note [Size limits]
//   --paths at most kMaxPaths: quantiles from 100,000 paths are already exact to the third
//   decimal, and each path holds its own recurrent state (a typo of 10^8 paths asked for
//   terabytes and died of "out of memory"). --windows-per-epoch at most kMaxWindowsPerEpoch
//   (2^24, hours of training per epoch on a GPU); 0 keeps the automatic choice.
inline constexpr long long kMaxPaths = 100000;
inline constexpr long long kMaxWindowsPerEpoch = 1LL << 24;

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
void add_upgrade(CLI::App& app);   // tools/cmd_upgrade.cpp
void add_score(CLI::App& app);     // tools/cmd_score.cpp

// `info --verify`: every checksum and the readers' own checks; prints one line, throws on damage
// (tools/cmd_info.cpp).
void check_file(const std::string& path);
void add_plan(CLI::App& app);      // tools/cmd_plan.cpp
void add_aggregate(CLI::App& app); // tools/cmd_aggregate.cpp
void add_reconcile(CLI::App& app); // tools/cmd_reconcile.cpp

}  // namespace skucast::cli
