// io/atomic_file.cpp — temp-then-rename file commits (see atomic_file.h).
#include "io/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "kernels/common.hpp"

namespace skucast {

std::string temp_path_for(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  // Hidden, same folder, unique per process: ".<name>.tmp.<pid>".
  const fs::path tmp = p.parent_path() / ("." + p.filename().string() + ".tmp." + std::to_string(::getpid()));
  return tmp.string();
}

void commit_temp(const std::string& tmp, const std::string& path) {
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw IoError("cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(errno));
}

void discard_temp(const std::string& tmp) noexcept { std::remove(tmp.c_str()); }

}  // namespace skucast
