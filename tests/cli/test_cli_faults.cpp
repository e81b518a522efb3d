// tests/cli/test_cli_faults.cpp — issue #19: faults and damaged input through the `skucast`
// binary. A full disk (RLIMIT_FSIZE via `ulimit -f`, SIGXFSZ ignored) gives exit 3 and keeps the
// previous output loadable; temporary files carry host and pid, stale ones of dead processes
// are removed, SIGTERM/SIGINT remove the run's own; training that diverges writes nothing;
// inputs the model cannot represent are refused; ingest refuses NUL bytes and a runaway axis;
// the small flag and number checks; outputs named by links keep the link, pipes are refused.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/deepar/guard.h"
#include "io/atomic_file.h"
#include "io/csv_fields.h"
#include "io/csv_ingest.h"
#include "io/file_lock.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

namespace fs = std::filesystem;
using testing::CliResult;
using testing::run_skucast;
using testing::sh_quote;

// Runs skucast with files limited to 512 bytes (dash's `ulimit -f 1`) and SIGXFSZ ignored, so a
// write past the limit fails with EFBIG as on a full disk.
CliResult run_skucast_full_disk(const std::vector<std::string>& args) {
  std::string cmd = "ulimit -f 1 && trap '' XFSZ && exec " + sh_quote(testing::skucast_binary());
  for (const auto& a : args) cmd += " " + sh_quote(a);
  return testing::run_shell(cmd + " 2>&1");  // a signal: negative rc
}

// Temporary files (Note [Temporary names]) in a folder.
std::vector<std::string> temps_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& n : testing::list_dir(dir))
    if (n.find(".tmp.") != std::string::npos) out.push_back(n);
  return out;
}

class Faults : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    ASSERT_EQ(run_skucast({"synth", "--series", "12", "--days", "120", "--horizon", "7", "--seed", "3", "--out",
                           path("p.h5")})
                  .rc,
              0);
  }
  std::vector<std::string> train_args(const std::string& out, const std::string& lr = "1e-3") {
    // (--model last: tests index the arguments before it; lstm, as the forecasts below say)
    return {"train", "--panel", path("p.h5"), "--horizon", "7", "--hidden", "4", "--layers", "1", "--context", "14",
            "--epochs", "2", "--batch", "8", "--windows-per-epoch", "64", "--lr", lr, "--out", out, "--model", "lstm"};
  }
};

// Item 1: every writer, on a full disk, exits 3 (never a signal), says so, and leaves the previous
// file byte for byte, loadable, with no temporary file behind.
TEST_F(Faults, FullDiskKeepsThePreviousOutputOfEveryWriter) {
  ASSERT_EQ(run_skucast(train_args(path("m.h5"))).rc, 0);
  ASSERT_EQ(run_skucast({"forecast", "--panel", path("p.h5"), "--model", "naive", "--horizon", "7", "--out",
                         path("fc.h5"), "--csv", path("fc.csv")})
                .rc,
            0);
  ASSERT_EQ(run_skucast({"export", path("p.h5"), "--csv", path("p.csv")}).rc, 0);
  ASSERT_EQ(run_skucast({"merge", path("fc.h5"), "--out", path("merged.h5")}).rc, 0);
  ASSERT_EQ(run_skucast({"aggregate", "--panel", path("p.h5"), "--levels", "total;store", "--out", path("agg.h5")}).rc, 0);
  ASSERT_EQ(run_skucast({"forecast", "--panel", path("agg.h5"), "--model", "naive", "--horizon", "7", "--out",
                         path("fca.h5")})
                .rc,
            0);
  ASSERT_EQ(run_skucast({"reconcile", "--base", path("fca.h5"), "--structure", path("agg.h5"), "--method", "ols",
                         "--out", path("rec.h5")})
                .rc,
            0);
  struct Case {
    std::vector<std::string> args;
    std::string out;
  };
  const std::vector<Case> cases = {
      {{"synth", "--series", "12", "--days", "120", "--seed", "4", "--out", path("p.h5")}, "p.h5"},
      {{"ingest", "--csv", path("p.csv"), "--out", path("p.h5")}, "p.h5"},
      {{"forecast", "--panel", path("p.h5"), "--model", "snaive", "--horizon", "7", "--out", path("fc.h5")}, "fc.h5"},
      {{"forecast", "--panel", path("p.h5"), "--model", "snaive", "--horizon", "7", "--out", path("x.h5"), "--csv",
        path("fc.csv")},
       "fc.csv"},
      {{"merge", path("fc.h5"), "--out", path("merged.h5")}, "merged.h5"},
      {train_args(path("m.h5")), "m.h5"},
      {{"export", path("fc.h5"), "--csv", path("p.csv")}, "p.csv"},
      {{"aggregate", "--panel", path("p.h5"), "--levels", "total;store", "--out", path("agg.h5")}, "agg.h5"},
      {{"reconcile", "--base", path("fca.h5"), "--structure", path("agg.h5"), "--method", "ols", "--out",
        path("rec.h5")},
       "rec.h5"},
  };
  for (const Case& c : cases) {
    const std::string before = testing::read_text(m_dir / c.out);
    ASSERT_GT(before.size(), 512u) << c.out;
    const CliResult r = run_skucast_full_disk(c.args);
    EXPECT_EQ(r.rc, 3) << c.args[0] << " -> " << c.out << ": " << r.output;
    EXPECT_NE(r.output.find("I/O error"), std::string::npos) << r.output;
    EXPECT_EQ(testing::read_text(m_dir / c.out), before) << c.args[0] << " changed " << c.out;
    EXPECT_EQ(temps_in(m_dir), std::vector<std::string>{}) << c.args[0];
  }
  // Still loadable.
  EXPECT_EQ(run_skucast({"info", path("p.h5")}).rc, 0);
  EXPECT_EQ(read_forecast(path("fc.h5")).ids.size(), 12u);
  EXPECT_EQ(run_skucast({"forecast", "--panel", path("p.h5"), "--model", "lstm", "--checkpoint", path("m.h5"),
                         "--horizon", "7", "--paths", "10", "--out", path("fc2.h5")})
                .rc,
            0);
}

// Item 7: temporary names carry host and pid; a run removes those of dead processes of this
// host in its output folder, and keeps live ones and other hosts' ones.
TEST_F(Faults, StaleTempFilesOfDeadProcessesAreRemoved) {
  const std::string mine = temp_path_for(path("out.h5"));  // ".out.h5.tmp.<host>.<our pid>"
  const std::string pid = std::to_string(::getpid());
  ASSERT_EQ(mine.substr(mine.size() - pid.size()), pid);
  const std::string prefix = mine.substr(0, mine.size() - pid.size());  // ".../.out.h5.tmp.<host>."
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // now a dead pid
  const std::string dead = prefix + std::to_string(child);
  const std::string other_host = path(".out.h5.tmp.some-other-host." + std::to_string(child));
  const std::string old_style = path(".old.h5.tmp." + std::to_string(child));
  for (const std::string& f : {dead, mine, other_host, old_style}) testing::write_text(f, "partial");
  ASSERT_EQ(run_skucast({"forecast", "--panel", path("p.h5"), "--model", "naive", "--horizon", "3", "--out",
                         path("out.h5")})
                .rc,
            0);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(mine));  // this test process is alive
  EXPECT_TRUE(fs::exists(other_host));
  EXPECT_TRUE(fs::exists(old_style));
}

// Item 7: SIGTERM and SIGINT remove the run's own temporary file; the process still dies of
// the signal, and the output name never appears.
TEST_F(Faults, SignalsRemoveTheRunsTempFile) {
  const char* bin = testing::skucast_binary().c_str();
  for (int sig : {SIGTERM, SIGINT}) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      // skucast keeps ignoring a signal it was started with ignored (nohup; io/atomic_file.cpp),
      // and a shell's background job starts with SIGINT ignored: give the run the default
      // dispositions, whatever this test inherited.
      ::signal(SIGINT, SIG_DFL);
      ::signal(SIGTERM, SIG_DFL);
      ::execl(bin, bin, "synth", "--series", "20000", "--days", "2000", "--out",
              path("big.h5").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ASSERT_GT(pid, 0);
    bool seen = false;
    for (int i = 0; i < 3000 && !seen; ++i) {  // up to 30 s
      seen = !temps_in(m_dir).empty();
      if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(seen) << "no temporary file appeared";
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig) << "status " << status;
    EXPECT_EQ(temps_in(m_dir), std::vector<std::string>{}) << "signal " << sig;
    EXPECT_FALSE(fs::exists(path("big.h5")));
  }
}

// Item 5: a run whose loss becomes NaN/Inf stops with exit 2 naming the epoch and --lr, and the
// model already at --out is untouched.
TEST_F(Faults, DivergedTrainingWritesNoModel) {
  ASSERT_EQ(run_skucast(train_args(path("m.h5"))).rc, 0);
  const std::string before = testing::read_text(m_dir / "m.h5");
  const CliResult r = run_skucast(train_args(path("m.h5"), "1e38"));
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("epoch"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--lr"), std::string::npos) << r.output;
  EXPECT_EQ(testing::read_text(m_dir / "m.h5"), before);
  EXPECT_EQ(temps_in(m_dir), std::vector<std::string>{});
}

// Item 5: values the model cannot represent are refused, naming the series.
TEST_F(Faults, UnrepresentableInputsAreRefused) {
  ASSERT_EQ(run_skucast(train_args(path("m.h5"))).rc, 0);
  PanelReader reader(path("p.h5"));
  PanelHeader h = reader.header();
  std::vector<float> y = reader.read_target(0, h.n_series());
  y[5 * h.n_steps + 40] = 3e35f;
  std::vector<std::vector<float>> dyn;
  for (const DynamicSpec& d : h.dynamic) dyn.push_back(reader.read_dynamic(d.name, 0, d.per_series ? h.n_series() : 1));
  write_panel(path("huge.h5"), h, y, dyn);
  const std::string id = h.ids[5];
  CliResult r = run_skucast({"forecast", "--panel", path("huge.h5"), "--model", "lstm", "--checkpoint", path("m.h5"),
                             "--horizon", "7", "--out", path("fc.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find(id), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path("fc.h5")));
  std::vector<std::string> a = train_args(path("m2.h5"));
  a[2] = path("huge.h5");
  r = run_skucast(a);
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find(id), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path("m2.h5")));
}

// Item 5: diverged paths are bounded to kPathBound times the series' history max, NaN
// included, quantiles kept ascending, and counted.
TEST(FaultsUnit, ForecastsAreBoundedByTheHistory) {
  deepar::PanelData d;
  d.n_series = 2;
  d.n_time = 3;
  d.y = {1, 5, NAN, -2, 0.5f, 1};  // history max |y|: 5, then 2
  std::vector<float> mean = {3, INFINITY, NAN, -1e9f};     // [2, 2]
  std::vector<float> q = {1, 2, NAN, 1e20f, 0, 1, -1e9f, 0};  // [2, 2, 2]
  const deepar::BoundCount c = deepar::bound_forecast(d, 0, 2, 2, mean, q);
  EXPECT_EQ(mean, (std::vector<float>{3, 50, 20, -20}));
  EXPECT_EQ(q, (std::vector<float>{1, 2, 50, 50, 0, 1, -20, 0}));
  EXPECT_EQ(c.n_values, 6);
  EXPECT_EQ(c.n_series, 2);
}

// Item 6: NUL bytes in a field and a runaway axis are refused, naming file and line.
TEST_F(Faults, IngestRefusesNulBytesAndARunawayAxis) {
  std::string csv = "series_id,time,value\n";
  csv += std::string("a\0b", 3) + ",2021-01-01,1\n";
  const std::string nul = write("nul.csv", csv);
  CliResult r = run_skucast({"ingest", "--csv", nul, "--out", path("n.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("nul.csv:2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("NUL"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path("n.h5")));

  std::string rows = "series_id,time,value\n";
  for (const char* s : {"a", "b", "c"})
    for (int d = 1; d <= 28; ++d) rows += std::string(s) + ",2011-02-" + (d < 10 ? "0" : "") + std::to_string(d) + ",1\n";
  rows += "b,2511-02-03,2\n";  // line 86: a mistyped year
  rows += "c,2011-03-01,1\n";
  const std::string longx = write("long.csv", rows);
  r = run_skucast({"ingest", "--csv", longx, "--out", path("l.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("long.csv:86"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2511-02-03"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--allow-long-axis"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path("l.h5")));
  r = run_skucast({"ingest", "--csv", longx, "--allow-long-axis", "--out", path("l.h5")});
  EXPECT_EQ(r.rc, 0) << r.output;
}

// Item 9: huge sizes name their flag (exit 2), empty quantile levels are refused, 1e-400 is a
// (tiny) number, CR-only line ends are reported as such.
TEST_F(Faults, SmallInputChecks) {
  CliResult r = run_skucast({"forecast", "--panel", path("p.h5"), "--model", "lstm", "--checkpoint", path("none.h5"),
                             "--horizon", "7", "--paths", "100000000", "--out", path("fc.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("--paths"), std::string::npos) << r.output;
  std::vector<std::string> a = train_args(path("m.h5"));
  a[16] = "100000000";  // --windows-per-epoch
  ASSERT_EQ(a[15], "--windows-per-epoch");
  r = run_skucast(a);
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("--windows-per-epoch"), std::string::npos) << r.output;
  for (const char* bad : {"0.1,,0.9", "0.1,0.9,", ",0.5"}) {
    r = run_skucast({"forecast", "--panel", path("p.h5"), "--model", "naive", "--horizon", "7", "--quantiles", bad,
                     "--out", path("fc.h5")});
    EXPECT_EQ(r.rc, 2) << bad << ": " << r.output;
    EXPECT_NE(r.output.find("--quantiles"), std::string::npos) << r.output;
  }
  float v = 1.0f;
  EXPECT_EQ(csv::parse_float("1e-400", v), csv::NumKind::Finite);
  EXPECT_EQ(v, 0.0f);
  EXPECT_EQ(csv::parse_float("-1e-400", v), csv::NumKind::Finite);
  EXPECT_TRUE(v == 0.0f && std::signbit(v));
  EXPECT_EQ(csv::parse_float("1e400", v), csv::NumKind::Overflow);
  const std::string cr = write("cr.csv", "series_id,time,value\ra,2021-01-01,1\ra,2021-01-02,2\r");
  r = run_skucast({"ingest", "--csv", cr, "--out", path("c.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("CR only"), std::string::npos) << r.output;
}

// Item 4: a run finds the output (or the panel an update rewrites) locked by another run: it
// fails at once naming the file and --wait, or with --wait queues and then succeeds; no lock
// file is left behind.
TEST_F(Faults, LockedOutputsFailOrWait) {
  std::string rows = "series_id,time,value\n";
  for (const char* s : {"a", "b"})
    for (int d = 1; d <= 30; ++d) rows += std::string(s) + ",2021-01-" + (d < 10 ? "0" : "") + std::to_string(d) + ",1\n";
  ASSERT_EQ(run_skucast({"ingest", "--csv", write("s.csv", rows), "--out", path("u.h5")}).rc, 0);
  const std::string add = write("add.csv", "series_id,time,value\na,2021-01-31,4\n");
  {
    const FileLock held(path("u.h5"));  // as another run would
    CliResult r = run_skucast({"update", "--panel", path("u.h5"), "--append", add});
    EXPECT_EQ(r.rc, 3) << r.output;
    EXPECT_NE(r.output.find("u.h5"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("--wait"), std::string::npos) << r.output;
    r = run_skucast({"forecast", "--panel", path("p.h5"), "--model", "naive", "--horizon", "3", "--out", path("u.h5")});
    EXPECT_EQ(r.rc, 3) << r.output;
  }
  EXPECT_EQ(PanelReader(path("u.h5")).header().n_steps, 30);
  CliResult waited;
  {
    auto held = std::make_unique<FileLock>(path("u.h5"));
    std::thread t([&] { waited = run_skucast({"update", "--panel", path("u.h5"), "--append", add, "--wait"}); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    held.reset();
    t.join();
  }
  EXPECT_EQ(waited.rc, 0) << waited.output;
  EXPECT_NE(waited.output.find("waiting"), std::string::npos) << waited.output;
  EXPECT_EQ(PanelReader(path("u.h5")).header().n_steps, 31);
  for (const auto& n : testing::list_dir(m_dir)) EXPECT_EQ(n.find(".lock"), std::string::npos) << n;
}

// Note [Outputs through links] in io/atomic_file.h: an output named by a symbolic link keeps
// the link and writes the file it names (a dangling link creates it); a FIFO, or a link to one
// (as /dev/stdout is), is refused before anything is written, leaving no temporary or lock file.
TEST_F(Faults, OutputsThroughLinksKeepTheLinkAndPipesAreRefused) {
  auto no_leftovers = [&](const fs::path& dir) {
    EXPECT_EQ(temps_in(dir), std::vector<std::string>{});
    for (const auto& n : testing::list_dir(dir)) EXPECT_EQ(n.find(".lock"), std::string::npos) << n;
  };
  // A link to a file in another folder: the temporary file sits beside the target, not the link.
  fs::create_directories(m_dir / "real");
  testing::write_text(m_dir / "real" / "target.csv", "old\n");
  fs::create_symlink("real/target.csv", m_dir / "lnk.csv");
  fs::create_symlink("lnk.csv", m_dir / "lnk2.csv");  // a chain
  for (const char* name : {"lnk.csv", "lnk2.csv"}) {
    testing::write_text(m_dir / "real" / "target.csv", "old\n");
    const CliResult r = run_skucast({"export", path("p.h5"), "--csv", path(name)});
    ASSERT_EQ(r.rc, 0) << name << ": " << r.output;
    EXPECT_TRUE(fs::is_symlink(m_dir / name)) << name;
    EXPECT_EQ(fs::read_symlink(m_dir / "lnk.csv"), fs::path("real/target.csv"));
    const std::string got = testing::read_text(m_dir / "real" / "target.csv");
    EXPECT_EQ(got.rfind("series_id,", 0), 0u) << name << ": " << got.substr(0, 40);
    no_leftovers(m_dir);
    no_leftovers(m_dir / "real");
  }
  EXPECT_EQ(resolve_output_target(path("lnk2.csv")), fs::canonical(m_dir / "real" / "target.csv").string());
  EXPECT_EQ(resolve_output_target(path("real/target.csv")), path("real/target.csv"));  // not a link: as given
  EXPECT_EQ(resolve_output_target(path("new.csv")), path("new.csv"));

  // A dangling link: the file it names is created; one into a missing folder is an IoError.
  fs::create_symlink("made.csv", m_dir / "dangling.csv");
  CliResult r = run_skucast({"export", path("p.h5"), "--csv", path("dangling.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_TRUE(fs::is_symlink(m_dir / "dangling.csv"));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(m_dir / "made.csv")));
  EXPECT_EQ(testing::read_text(m_dir / "made.csv").rfind("series_id,", 0), 0u);
  fs::create_symlink("nodir/x.csv", m_dir / "dangling2.csv");
  r = run_skucast({"export", path("p.h5"), "--csv", path("dangling2.csv")});
  EXPECT_EQ(r.rc, 3) << r.output;
  EXPECT_NE(r.output.find("the folder '" + path("nodir") + "' does not exist"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_symlink(m_dir / "dangling2.csv"));
  fs::create_symlink("loop_b.csv", m_dir / "loop_a.csv");
  fs::create_symlink("loop_a.csv", m_dir / "loop_b.csv");
  r = run_skucast({"export", path("p.h5"), "--csv", path("loop_a.csv")});
  EXPECT_EQ(r.rc, 3) << r.output;
  EXPECT_TRUE(fs::is_symlink(m_dir / "loop_a.csv"));

  // A FIFO, directly and through a link (never opened: a wrong open would block here).
  ASSERT_EQ(::mkfifo(path("pipe.csv").c_str(), 0600), 0);
  fs::create_symlink("pipe.csv", m_dir / "stdout.csv");
  for (const char* name : {"pipe.csv", "stdout.csv"}) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"export", path("p.h5"), "--csv", path(name)},
          std::vector<std::string>{"forecast", "--panel", path("p.h5"), "--model", "naive", "--horizon", "3", "--out",
                                   path(name)}}) {
      r = run_skucast(args);
      EXPECT_EQ(r.rc, 2) << name << ": " << r.output;
      EXPECT_NE(r.output.find("'" + path(name) + "' is not a regular file (a pipe or device)"), std::string::npos)
          << r.output;
    }
    EXPECT_THROW(AtomicPath{path(name)}, InputError) << name;
    EXPECT_THROW(check_output_path(path(name), "--csv"), InputError) << name;
  }
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(m_dir / "pipe.csv")));
  EXPECT_TRUE(fs::is_symlink(m_dir / "stdout.csv"));
  no_leftovers(m_dir);
}

// Item 3 (Note [Output sets] in io/forecast_file.h): a forecast file records the CSV written with
// it (name, size, CRC-32) and the run's id; `info` says whether the CSV beside it is that one,
// and `info --verify` fails on a mixed set (a CSV from another run).
TEST_F(Faults, OutputSetsAreRecordedAndMixedSetsShow) {
  const std::vector<std::string> a = {"forecast", "--panel", path("p.h5"), "--model", "naive", "--horizon", "7",
                                      "--out", path("fc.h5"), "--csv", path("fc.csv")};
  ASSERT_EQ(run_skucast(a).rc, 0);
  CliResult r = run_skucast({"info", path("fc.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("run:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fc.csv matches"), std::string::npos) << r.output;
  r = run_skucast({"info", "--verify", path("fc.h5")});
  EXPECT_EQ(r.rc, 0) << r.output;
  // A set of which only the CSV was replaced (as a kill between the two renames would leave it).
  const std::string first_csv = testing::read_text(m_dir / "fc.csv");
  ASSERT_EQ(run_skucast({"forecast", "--panel", path("p.h5"), "--model", "snaive", "--horizon", "7", "--out",
                         path("fc2.h5"), "--csv", path("fc.csv")})
                .rc,
            0);
  ASSERT_NE(testing::read_text(m_dir / "fc.csv"), first_csv);
  r = run_skucast({"info", path("fc.h5")});
  EXPECT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("does not match"), std::string::npos) << r.output;
  r = run_skucast({"info", "--verify", path("fc.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("mixed set"), std::string::npos) << r.output;
  // Without a CSV nothing is recorded, and info says nothing about one.
  ASSERT_EQ(run_skucast({"forecast", "--panel", path("p.h5"), "--model", "naive", "--horizon", "7", "--out",
                         path("solo.h5")}).rc, 0);
  r = run_skucast({"info", path("solo.h5")});
  EXPECT_EQ(r.output.find("csv:"), std::string::npos) << r.output;
}

// Item 3: `update --checkpoint` renames nothing until the model is fine-tuned and written: when
// the model cannot be written (a file-size limit that the new panel fits under and the model
// does not), the update fails with exit 3 and leaves the panel exactly as it was (before, the new
// panel was already in place beside the old model).
TEST_F(Faults, UpdateCommitsThePanelOnlyAfterFineTuning) {
  std::vector<std::string> train = train_args(path("m.h5"));
  for (size_t i = 0; i + 1 < train.size(); ++i)
    if (train[i] == "--hidden") train[i + 1] = "64";  // a model file well above the panel's size
  ASSERT_EQ(run_skucast(train).rc, 0);
  ASSERT_EQ(run_skucast({"export", path("p.h5"), "--csv", path("all.csv")}).rc, 0);
  // One more day: the last day's rows again, one day later.
  const std::string all = testing::read_text(m_dir / "all.csv");
  std::vector<std::string> lines;
  for (size_t i = 0, j; i < all.size(); i = j + 1) {
    j = all.find('\n', i);
    if (j == std::string::npos) j = all.size();
    if (j > i) lines.push_back(all.substr(i, j - i));
  }
  auto field = [](const std::string& line, int k) {
    size_t a = 0;
    for (int i = 0; i < k; ++i) a = line.find(',', a) + 1;
    return line.substr(a, line.find(',', a) - a);
  };
  std::string last;
  for (size_t i = 1; i < lines.size(); ++i)
    if (!field(lines[i], 2).empty()) last = std::max(last, field(lines[i], 1));
  std::string add = lines[0] + "\n";
  for (size_t i = 1; i < lines.size(); ++i)
    if (field(lines[i], 1) == last && !field(lines[i], 2).empty()) add += lines[i] + "\n";  // restated days
  write("add.csv", add);
  const std::string before = testing::read_text(m_dir / "p.h5");
  const size_t panel_bytes = before.size(), model_bytes = testing::read_text(m_dir / "m.h5").size();
  ASSERT_GT(model_bytes, 3 * panel_bytes);
  const std::string limit = std::to_string((2 * panel_bytes) / 512);  // ulimit -f counts 512-byte blocks
  const CliResult failed = testing::run_shell(
      "ulimit -f " + limit + " && trap '' XFSZ && exec " + sh_quote(testing::skucast_binary()) + " update --panel " +
      sh_quote(path("p.h5")) + " --append " + sh_quote(path("add.csv")) + " --checkpoint " + sh_quote(path("m.h5")) +
      " --epochs 1 --out " + sh_quote(path("m2.h5")) + " 2>&1");
  EXPECT_EQ(failed.rc, 3) << failed.output;
  EXPECT_NE(failed.output.find("once the model is fine-tuned"), std::string::npos) << failed.output;  // it got that far
  EXPECT_TRUE(testing::read_text(m_dir / "p.h5") == before) << "the panel changed although the model was not written";
  EXPECT_FALSE(fs::exists(m_dir / "m2.h5"));
  EXPECT_TRUE(temps_in(m_dir).empty());
  // Run to the end, both are written, with one run id.
  const CliResult r = run_skucast({"update", "--panel", path("p.h5"), "--append", path("add.csv"), "--checkpoint",
                                   path("m.h5"), "--epochs", "1", "--out", path("m2.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_FALSE(testing::read_text(m_dir / "p.h5") == before);
  EXPECT_EQ(run_skucast({"info", "--verify", path("m2.h5")}).rc, 0);
}

}  // namespace
}  // namespace skucast
