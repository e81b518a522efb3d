// tests/cli_helpers.h — helpers for tests that drive the `skucast` binary (skucast_binary()):
// a scratch folder per test, writing fixture files, running a command line and capturing
// its exit code and combined stdout/stderr.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace skucast::testing {

namespace fs = std::filesystem;

struct CliResult {
  int rc = -1;
  std::string output;  // stdout + stderr
};

// Quotes an argument for /bin/sh.
inline std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// Runs a shell command line; returns its exit code (minus the signal's number when a signal
// ended it) and everything it printed on stdout (add 2>&1 for stderr).
inline CliResult run_shell(const std::string& cmd) {
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return r;
}

// The skucast binary under test: the one the build puts beside its tests/ folder (BUILD/skucast,
// the test executables in BUILD/tests/). Found at run time, not compiled in as a path, so that a
// test's object file does not depend on the build folder: the CPU-only configuration of
// scripts/test.sh then takes the CUDA configuration's compiled tests from ccache instead of
// compiling them again. Not $SKUCAST_BIN (the benchmarks' variable): a shell that exported it for
// a benchmark would test another build.
inline const std::string& skucast_binary() {
  static const std::string path = [] {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("skucast") : (self.parent_path().parent_path() / "skucast").string();
  }();
  return path;
}

// Runs `skucast <args...>`; returns the exit code and everything it printed.
inline CliResult run_skucast(const std::vector<std::string>& args) {
  std::string cmd = sh_quote(skucast_binary());
  for (const auto& a : args) {
    cmd += ' ';
    cmd += sh_quote(a);
  }
  return run_shell(cmd + " 2>&1");
}

inline void write_text(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
}

inline std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Names of the entries of a folder, sorted.
inline std::vector<std::string> list_dir(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// A scratch folder under the system's temp folder, made if missing and removed with everything
// in it when the test process exits (ctest runs each test in a process of its own, so after
// every test); SKUCAST_KEEP_TEST_FILES=1 keeps them for a look. One folder: a '/' in the name
// (a parameterised test's "Name/3") becomes '_'.
inline fs::path scratch_dir(std::string name) {
  std::replace(name.begin(), name.end(), '/', '_');
  struct Owner {
    std::vector<fs::path> dirs;
    ~Owner() {
      const char* keep = std::getenv("SKUCAST_KEEP_TEST_FILES");
      if (keep != nullptr && std::string(keep) == "1") return;
      for (const fs::path& d : dirs) {
        std::error_code ec;
        fs::remove_all(d, ec);
      }
    }
  };
  static Owner owner;
  const fs::path d = fs::temp_directory_path() / name;
  fs::create_directories(d);
  if (std::find(owner.dirs.begin(), owner.dirs.end(), d) == owner.dirs.end()) owner.dirs.push_back(d);
  return d;
}

// The running test's scratch folder, prefix + "<pid>_<suite>_<test>" (scratch_dir).
inline fs::path test_scratch_dir(const std::string& prefix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return scratch_dir(prefix + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name());
}

// A fresh scratch folder per test, removed afterwards.
class ScratchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = test_scratch_dir("skucast_test_");
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(m_dir, ec);
  }
  std::string path(const std::string& name) const { return (m_dir / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    write_text(m_dir / name, text);
    return path(name);
  }
  fs::path m_dir;
};

}  // namespace skucast::testing
