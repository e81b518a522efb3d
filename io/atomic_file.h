// io/atomic_file.h — write-then-rename, so a crash never leaves a half-written file under
// the real name and never destroys the file that was there before.
#pragma once

#include <string>

namespace skucast {

// A temporary path in the same folder as `path` (same filesystem, so rename is atomic).
std::string temp_path_for(const std::string& path);
// Renames tmp → path; throws IoError naming both paths on failure.
void commit_temp(const std::string& tmp, const std::string& path);
// Removes tmp if it exists; never throws.
void discard_temp(const std::string& tmp) noexcept;

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
