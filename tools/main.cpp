// tools/main.cpp — the `skucast` command: parses the subcommand and maps errors to exit codes.
//   0 ok, 1 internal error, 2 bad input (InputError, bad flags), 3 I/O error, 4 device error.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "io/atomic_file.h"
#include "io/file_lock.h"
#include "io/h5.h"
#include "kernels/common.hpp"
#include "tools/commands.h"

int main(int argc, char** argv) {
  skucast::install_temp_cleanup_handlers();  // Note [Temporary names] in io/atomic_file.h
  skucast::h5::skip_shutdown_at_exit();  // Note [HDF5 at exit] in io/h5.h
  CLI::App app{"skucast — batch forecasting for whole retail catalogs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "skucast 0.1");
  // Anywhere on the line (fallthrough): `skucast update ... --wait` (Note [Output locks]).
  app.add_flag_callback("--wait", [] { skucast::set_lock_wait(true); },
                        "when another run is writing one of this run's outputs (or updating its panel), wait for it "
                        "instead of failing");
  app.fallthrough();
  skucast::cli::add_synth(app);
  skucast::cli::add_ingest(app);
  skucast::cli::add_info(app);
  skucast::cli::add_export(app);
  skucast::cli::add_merge(app);
  skucast::cli::add_forecast(app);
  skucast::cli::add_backtest(app);
  skucast::cli::add_report(app);
  skucast::cli::add_train(app);
  skucast::cli::add_update(app);
  skucast::cli::add_upgrade(app);
  skucast::cli::add_score(app);
  skucast::cli::add_plan(app);
  skucast::cli::add_aggregate(app);
  skucast::cli::add_reconcile(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const skucast::InputError& e) {
    std::fprintf(stderr, "skucast: error: %s\n", e.what());
    return 2;
  } catch (const skucast::IoError& e) {
    std::fprintf(stderr, "skucast: I/O error: %s\n", e.what());
    return 3;
  } catch (const skucast::DeviceError& e) {
    std::fprintf(stderr, "skucast: device error: %s\n", e.what());
    return 4;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "skucast: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skucast: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
