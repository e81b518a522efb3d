// io/file_lock.cpp — flock-based output locks (io/file_lock.h, Note [Output locks]).
#include "io/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

#include "kernels/common.hpp"

namespace skucast {

namespace {

std::atomic<bool> g_wait{false};

struct Held {
  int fd = -1;
  int count = 0;
};
std::mutex g_mutex;
std::map<std::string, Held> g_held;  // lock file path -> its descriptor in this process

std::string lock_path_for(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::weakly_canonical(path, ec);
  if (ec) p = fs::path(path);
  return (p.parent_path() / ("." + p.filename().string() + ".lock")).string();
}

// Locks `lock` (creating it); returns the descriptor. Throws IoError when held and not waiting.
int acquire(const std::string& lock, const std::string& path) {
  for (;;) {
    const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      // A read-only folder cannot hold a lock file; nothing can be written there either, and
      // the write itself will say so.
      if (errno == EACCES || errno == EROFS) return -1;
      throw IoError("cannot create the lock file '" + lock + "' for '" + path + "': " + std::strerror(errno));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK) {
        ::close(fd);
        return -1;  // no flock here (some network filesystems): proceed unlocked
      }
      if (!g_wait.load()) {
        ::close(fd);
        throw IoError("'" + path + "' is being written by another skucast run (it holds '" + lock +
                      "'); wait for it to finish, or pass --wait to queue behind it");
      }
      std::fprintf(stderr, "skucast: waiting for another run writing '%s' to finish...\n", path.c_str());
      if (::flock(fd, LOCK_EX) != 0) {
        ::close(fd);
        throw IoError("cannot lock '" + lock + "': " + std::strerror(errno));
      }
    }
    // The holder before us may have removed the file before unlocking: lock the path's file.
    struct stat a, b;
    if (::fstat(fd, &a) == 0 && ::stat(lock.c_str(), &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
      return fd;
    ::close(fd);
  }
}

}  // namespace

void set_lock_wait(bool wait) { g_wait.store(wait); }

FileLock::FileLock(const std::string& path) : m_key(lock_path_for(path)) {
  std::lock_guard<std::mutex> guard(g_mutex);
  Held& h = g_held[m_key];
  if (h.count == 0) {
    try {
      h.fd = acquire(m_key, path);
    } catch (...) {
      g_held.erase(m_key);
      throw;
    }
  }
  ++h.count;
}

FileLock::~FileLock() {
  std::lock_guard<std::mutex> guard(g_mutex);
  auto it = g_held.find(m_key);
  if (it == g_held.end() || --it->second.count > 0) return;
  if (it->second.fd >= 0) {
    ::unlink(m_key.c_str());  // while still locked (Note [Output locks])
    ::close(it->second.fd);
  }
  g_held.erase(it);
}

}  // namespace skucast
