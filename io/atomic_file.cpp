// io/atomic_file.cpp — temp-then-rename file commits (see atomic_file.h).
#include "io/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "io/file_lock.h"
#include "kernels/common.hpp"

namespace skucast {

namespace {

// This host's name as it appears in temporary names (Note [Temporary names]).
const std::string& host_tag() {
  static const std::string tag = [] {
    char buf[256] = {0};
    if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') std::strcpy(buf, "localhost");
    std::string s(buf);
    for (char& c : s)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        c = '_';
    return s;
  }();
  return tag;
}

// ---- the signal handlers' registry: fixed slots, async-signal-safe to read.
constexpr int kSlots = 32;
constexpr size_t kPathMax = 4096;
struct Slot {
  std::atomic<int> state{0};  // 0 free, 1 being filled, 2 live
  char path[kPathMax];
};
Slot g_slots[kSlots];

int register_temp(const std::string& tmp) {
  if (tmp.size() >= kPathMax) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (!g_slots[i].state.compare_exchange_strong(expected, 1)) continue;
    std::memcpy(g_slots[i].path, tmp.c_str(), tmp.size() + 1);
    g_slots[i].state.store(2);
    return i;
  }
  return -1;  // more than kSlots outputs at once: that one is not removed on a signal
}

void unregister_temp(int slot) {
  if (slot >= 0) g_slots[slot].state.store(0);
}

extern "C" void remove_temps_and_die(int sig) {
  for (Slot& s : g_slots)
    if (s.state.load() == 2) ::unlink(s.path);  // async-signal-safe
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

int fsync_path(const char* path, int flags) {
  const int fd = ::open(path, flags | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  errno = err;
  return rc;
}

}  // namespace

std::string resolve_output_target(const std::string& path, const std::string& flag) {
  namespace fs = std::filesystem;
  const std::string who = (flag.empty() ? "" : flag + ": ") + "'" + path + "'";
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {  // exists, links followed
    if (S_ISDIR(st.st_mode)) throw IoError(who + " is a folder; expected the name of a file to write");
    if (!S_ISREG(st.st_mode))
      throw InputError(who + " is not a regular file (a pipe or device); skucast writes its outputs to regular "
                             "files (write one, then copy or cat it)");
    struct stat lst;
    if (::lstat(path.c_str(), &lst) == 0 && !S_ISLNK(lst.st_mode)) return path;
    // A link to an existing regular file: its real path, checked to be that same file (a /proc
    // fd link to a deleted file reads "... (deleted)").
    std::error_code ec;
    const fs::path real = fs::canonical(path, ec);
    struct stat rst;
    if (ec || ::stat(real.c_str(), &rst) != 0 || rst.st_dev != st.st_dev || rst.st_ino != st.st_ino)
      throw IoError(who + " is a link, and the file it names cannot be found by name; write to that file's name");
    return real.string();
  }
  if (errno == ELOOP) throw IoError("cannot write " + who + ": " + std::strerror(errno));
  if (errno != ENOENT) return path;  // the write itself reports it (a folder that cannot be searched)
  // Missing, or a dangling link: follow the links by hand to the name the last one holds.
  fs::path p(path);
  for (int hops = 0; hops < 40; ++hops) {
    struct stat lst;
    if (::lstat(p.c_str(), &lst) != 0 || !S_ISLNK(lst.st_mode)) return p.string();
    std::error_code ec;
    const fs::path to = fs::read_symlink(p, ec);
    if (ec) throw IoError("cannot read the link " + who + ": " + ec.message());
    p = to.is_absolute() ? to : p.parent_path() / to;
  }
  throw IoError("cannot write " + who + ": " + std::strerror(ELOOP));
}

std::string temp_path_for(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  // Hidden, same folder, unique per host and process (Note [Temporary names]).
  const fs::path tmp =
      p.parent_path() / ("." + p.filename().string() + ".tmp." + host_tag() + "." + std::to_string(::getpid()));
  return tmp.string();
}

void commit_temp(const std::string& tmp, const std::string& path) {
  // Note [Durable commits]: the data on disk before the name points at it.
  if (fsync_path(tmp.c_str(), O_RDONLY) != 0)
    throw IoError("cannot write '" + tmp + "' (temporary file for '" + path + "') to disk: " + std::strerror(errno));
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw IoError("cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(errno));
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  // Some filesystems cannot fsync a folder (EINVAL); the rename is then as durable as they allow.
  if (fsync_path(dir.c_str(), O_RDONLY | O_DIRECTORY) != 0 && errno != EINVAL && errno != EROFS)
    throw IoError("wrote '" + path + "' but cannot sync its folder '" + dir + "': " + std::strerror(errno));
}

void discard_temp(const std::string& tmp) noexcept { std::remove(tmp.c_str()); }

int remove_stale_temps(const std::string& dir_in) noexcept {
  const std::string dir = dir_in.empty() ? "." : dir_in;
  const std::string marker = ".tmp." + host_tag() + ".";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;
  int n = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() < 2 || name[0] != '.') continue;
    const size_t at = name.rfind(marker);
    if (at == std::string::npos || at == 0) continue;
    const std::string digits = name.substr(at + marker.size());
    if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to ask): keep
    const std::string full = dir + "/" + name;
    struct stat st;
    if (::lstat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::unlink(full.c_str()) == 0) ++n;
  }
  ::closedir(d);
  return n;
}

void install_temp_cleanup_handlers() {
  static std::atomic<bool> done{false};
  if (done.exchange(true)) return;
  for (int sig : {SIGINT, SIGTERM}) {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = remove_temps_and_die;
    sigemptyset(&sa.sa_mask);
    struct sigaction old;
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;  // nohup'd: keep ignoring
    ::sigaction(sig, &sa, nullptr);
  }
}

AtomicPath::AtomicPath(std::string path)
    : m_path(std::move(path)),
      m_target(resolve_output_target(m_path)),
      m_lock(std::make_unique<FileLock>(m_target)),
      m_tmp(temp_path_for(m_target)) {
  remove_stale_temps(std::filesystem::path(m_target).parent_path().string());
  m_slot = register_temp(m_tmp);
}

AtomicPath::~AtomicPath() {
  if (!m_committed) discard_temp(m_tmp);
  unregister_temp(m_slot);
}

void AtomicPath::commit() {
  commit_temp(m_tmp, m_target);  // Note [Outputs through links]
  m_committed = true;
  unregister_temp(m_slot);
  m_slot = -1;
}

void check_output_path(const std::string& path, const std::string& flag,
                       const std::vector<std::pair<std::string, std::string>>& others) {
  namespace fs = std::filesystem;
  if (path.empty()) throw InputError(flag + ": no output file given");
  // A folder, a pipe or a device is refused here; a link is checked by the file it names.
  const std::string target = resolve_output_target(path, flag);
  std::error_code ec;
  const fs::path dir = fs::path(target).parent_path();
  if (!dir.empty() && !fs::is_directory(dir, ec))
    throw IoError(flag + ": cannot write '" + path + "'" + (target == path ? "" : " (a link to '" + target + "')") +
                  ": the folder '" + dir.string() + "' does not exist");
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
