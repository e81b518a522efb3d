// io/atomic_file.h — write-then-rename, so a crash never leaves a half-written file under
// the real name and never destroys the file that was there before.
//
// Note [Durable commits]
//   An output is written under a temporary name in its own folder, closed (its writer checks
//   the close: a full disk shows up there), fsynced, renamed over the real name, and then the
//   folder is fsynced so the rename itself survives a power cut. Any failure before the rename
//   leaves the previous file untouched; the temporary file is removed by the RAII owner.
//
// Note [Temporary names]
//   ".<name>.tmp.<host>.<pid>" beside the output (host: gethostname with anything but
//   [A-Za-z0-9_-] replaced by '_'). A run killed with SIGKILL leaves its temporary file behind;
//   the next run that writes an output into that folder removes every temporary file whose host
//   is this host and whose pid is no longer running (remove_stale_temps). Files of other hosts
//   are never touched: on a shared (NFS) folder another machine's pid says nothing here, so
//   those are left for a run on their own host. SIGINT and SIGTERM remove the run's own
//   temporary files before the process dies (install_temp_cleanup_handlers, called by main).
//
// Note [Outputs through links]
//   An output's name may be a symbolic link (a chain of them): the link stays a link, and the
//   file it names gets the new content, atomically. The temporary file is written beside that
//   file and renamed onto it (a rename onto the link itself would replace the link with a
//   regular file), and the lock is that file's (lock_path_for in io/file_lock.cpp resolves
//   links too). A dangling link is followed as a shell's `>` follows it: the file it names is
//   created, when its folder exists. An existing output that is not a regular file (a FIFO, a
//   terminal or other device, a socket: /dev/stdout, /dev/null) is refused before anything is
//   written: a rename would put a regular file in place of the device node (as root, in /dev),
//   and the writers cannot stream (HDF5 seeks back; a CSV is committed with the run's other
//   outputs, Note [Output sets] in io/forecast_file.h). A folder is an IoError, as before.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace skucast {

class FileLock;  // io/file_lock.h

// The file that writing `path` replaces (Note [Outputs through links]): `path` itself unless it
// is a symbolic link, else the file the link finally names, existing or not. Throws InputError
// when that is an existing file other than a regular file (a pipe or device), IoError when it is
// a folder or the links loop. `flag` ("--csv", may be empty) prefixes the messages.
std::string resolve_output_target(const std::string& path, const std::string& flag = "");
// A temporary path in the same folder as `path` (same filesystem, so rename is atomic).
std::string temp_path_for(const std::string& path);
// fsyncs tmp, renames tmp → path, fsyncs the folder; throws IoError naming both paths on failure.
void commit_temp(const std::string& tmp, const std::string& path);
// Removes tmp if it exists; never throws.
void discard_temp(const std::string& tmp) noexcept;

// Removes the temporary files (Note [Temporary names]) in `dir` ("" = the current folder) left
// by dead processes of this host; returns how many. Never throws.
int remove_stale_temps(const std::string& dir) noexcept;

// SIGINT / SIGTERM: remove every temporary file this process is writing, then die of the signal
// as before. Idempotent; the command-line tool calls it once at start.
void install_temp_cleanup_handlers();

// Checks an output path before a command does any work, so a run that would fail on its
// last write fails first, and a run with several outputs never replaces one and then fails
// on the next. `flag` names the option in messages ("--out"). Throws InputError when the path
// is empty or is the same file as one of `others` (the command's inputs and earlier outputs,
// as {flag, path}; empty paths are skipped): writing it would destroy that file. Throws
// IoError when the path is a folder or its folder does not exist.
void check_output_path(const std::string& path, const std::string& flag,
                       const std::vector<std::pair<std::string, std::string>>& others = {});

// RAII: holds a temp path; removes it on destruction unless commit() was called. The temp
// path sits beside target(), the file the path names (Note [Outputs through links]); the
// constructor throws, having created nothing, when that is not a regular file. While it
// lives, it holds the output's lock (Note [Output locks] in io/file_lock.h) and its temp path is
// registered for the signal handlers; constructing one removes stale temporary files of dead
// processes in the same folder.
class AtomicPath {
 public:
  explicit AtomicPath(std::string path);
  ~AtomicPath();
  AtomicPath(const AtomicPath&) = delete;
  AtomicPath& operator=(const AtomicPath&) = delete;
  const std::string& tmp() const { return m_tmp; }
  const std::string& path() const { return m_path; }
  const std::string& target() const { return m_target; }  // path(), or the file its link names
  void commit();  // Note [Durable commits]

 private:
  std::string m_path, m_target;      // resolved before the lock is taken
  std::unique_ptr<FileLock> m_lock;  // released last, after the temp file is removed
  std::string m_tmp;
  int m_slot = -1;  // signal-handler registry slot, -1 when none was free
  bool m_committed = false;
};

}  // namespace skucast
