// tools/cmd_upgrade.cpp — `skucast upgrade FILE... [--out NEW]`: converts version 1 panel,
// forecast, model and backtest files to version 2 (Note [File format 2] in io/h5.h).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "io/file_check.h"
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {

void add_upgrade(CLI::App& app) {
  auto files = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("upgrade", "Convert version 1 skucast files to version 2 (checksums, fixed-length strings)");
  sub->add_option("files", *files, "version 1 panel, forecast, model or backtest files (.h5), replaced in place")->required();
  sub->add_option("--out", *out, "write the converted file here instead of replacing it (one file only)");
  sub->callback([files, out] {
    if (!out->empty() && files->size() != 1) throw InputError("--out takes one file; got " + std::to_string(files->size()));
    for (const std::string& f : *files) {
      const std::string dst = out->empty() ? f : *out;
      const FileCheck c = upgrade_hdf5(f, dst);
      std::printf("upgraded %s -> %s: %s, version 1 -> %lld, %lld datasets\n", f.c_str(), dst.c_str(), c.format.c_str(),
                  static_cast<long long>(c.version), static_cast<long long>(c.datasets));
      check_file(dst);
    }
  });
}

}  // namespace skucast::cli
