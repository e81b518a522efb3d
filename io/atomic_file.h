// io/atomic_file.h — write-then-rename, so a crash never leaves a half-written file under
// the real name and never destroys the file that was there before.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace skucast {

// A temporary path in the same folder as `path` (same filesystem, so rename is atomic).
std::string temp_path_for(const std::string& path);
// Renames tmp → path; throws IoError naming both paths on failure.
void commit_temp(const std::string& tmp, const std::string& path);
// Removes tmp if it exists; never throws.
void discard_temp(const std::string& tmp) noexcept;

// Checks an output path before a command does any work, so a run that would fail on its
// last write fails first, and a run with several outputs never replaces one and then fails
// on the next. `flag` names the option in messages ("--out"). Throws InputError when the path
// is empty or is the same file as one of `others` (the command's inputs and earlier outputs,
// as {flag, path}; empty paths are skipped): writing it would destroy that file. Throws
// IoError when the path is a folder or its folder does not exist.
void check_output_path(const std::string& path, const std::string& flag,
                       const std::vector<std::pair<std::string, std::string>>& others = {});

// RAII: holds a temp path; removes it on destruction unless commit() was called.
class AtomicPath {
 public:
  explicit AtomicPath(std::string path) : m_path(std::move(path)), m_tmp(temp_path_for(m_path)) {}
  ~AtomicPath() { if (!m_committed) discard_temp(m_tmp); }
  AtomicPath(const AtomicPath&) = delete;
  AtomicPath& operator=(const AtomicPath&) = delete;
  const std::string& tmp() const { return m_tmp; }
  const std::string& path() const { return m_path; }
  void commit() { commit_temp(m_tmp, m_path); m_committed = true; }

 private:
  std::string m_path, m_tmp;
  bool m_committed = false;
};

}  // namespace skucast
