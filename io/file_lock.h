// io/file_lock.h — advisory locks that keep two runs from writing one file at once.
//
// Note [Output locks]
//   Every output (AtomicPath) and the panel an `update` rewrites is guarded by an exclusive
//   flock(2) on ".<name>.lock" beside it; the file itself cannot carry the lock, as it is
//   replaced by a rename. `update` takes the panel's lock before it reads the panel, so two
//   updates of one panel run one after the other instead of one losing the other's rows. A run
//   that finds the lock held fails at once (IoError, exit 3, naming the file) unless --wait
//   (set_lock_wait) asks it to queue. The lock file is removed by its holder before the lock is
//   released; a waiter that then wins the lock on a removed file notices (its inode is no longer
//   the path's) and locks the path again. Locks are per process (one lock per path, shared by
//   every holder in the process). Advisory locks need a local filesystem: on NFS flock may be
//   emulated or ignored, and runs on different machines are then not kept apart.
#pragma once

#include <memory>
#include <string>

namespace skucast {

// Whether a held lock is waited for (true) or an error (false, the default).
void set_lock_wait(bool wait);

// Holds the lock of `path` (Note [Output locks]) while it lives.
class FileLock {
 public:
  explicit FileLock(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  std::string m_key;
};

}  // namespace skucast
