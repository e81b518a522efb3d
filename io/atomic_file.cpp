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

void check_output_path(const std::string& path, const std::string& flag,
                       const std::vector<std::pair<std::string, std::string>>& others) {
  namespace fs = std::filesystem;
  if (path.empty()) throw InputError(flag + ": no output file given");
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw IoError(flag + ": '" + path + "' is a folder; expected the name of a file to write");
  const fs::path dir = fs::path(path).parent_path();
  if (!dir.empty() && !fs::is_directory(dir, ec))
    throw IoError(flag + ": cannot write '" + path + "': the folder '" + dir.string() + "' does not exist");
  // The same file: one that exists under both names, or (not written yet) one name.
  auto same = [&](const std::string& other) {
    std::error_code e1, e2, e3;
    if (fs::equivalent(path, other, e1)) return true;
    const fs::path a = fs::weakly_canonical(path, e2), b = fs::weakly_canonical(other, e3);
    return !e2 && !e3 && a == b;
  };
  for (const auto& [other_flag, other] : others)
    if (!other.empty() && same(other))
      throw InputError(flag + " '" + path + "' is the same file as " + other_flag + " '" + other +
                       "'; writing it would destroy that file (choose another name)");
}

}  // namespace skucast
