// tests/cli/test_cli_damage.cpp — issue #19: the damaged-file corpus. Fresh files from every
// writer (panel, forecast, model, backtest) are damaged with seeded corruption (byte flips,
// overwritten runs, zeroed blocks, truncation), and every command that reads them is run
// against each: it must end with exit 0, 2 or 3 within seconds, never a signal or a hang, and
// an exit 0 must give exactly the output of the intact file (a damage it did not read, such as
// free space), so no damage changes a forecast silently. `info --verify` passing a file means
// the command that uses it succeeds. Also: version 1 files (committed fixtures written by the
// last version 1 build) are refused with a hint and `skucast upgrade` converts them.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/synth/random.h"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

namespace fs = std::filesystem;
using testing::CliResult;
using testing::read_text;
using testing::sh_quote;

// Runs skucast under a 30 s kill timer; returns the exit code (timeout gives 137, a signal 128 + n).
CliResult run_timed(const std::vector<std::string>& args, double* seconds) {
  std::string cmd = "timeout -s KILL 30 " + sh_quote(testing::skucast_binary());
  for (const auto& a : args) cmd += " " + sh_quote(a);
  const auto t0 = std::chrono::steady_clock::now();
  CliResult r = testing::run_shell(cmd + " 2>&1");
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// Deterministic draws: the project's splitmix64 (engine/synth/random.h).
struct Rng {
  uint64_t s;
  uint64_t next() { return synth::splitmix64(s); }
  size_t below(size_t n) { return n ? static_cast<size_t>(next() % n) : 0; }
};

// Damage number k of a file's bytes: four kinds in turn.
std::string damage(std::string bytes, int k, Rng& rng, std::string* what) {
  const size_t n = bytes.size();
  switch (k % 4) {
    case 0: {  // one byte flipped
      const size_t at = rng.below(n);
      bytes[at] = static_cast<char>(bytes[at] ^ static_cast<char>(1 + rng.below(255)));
      *what = "byte " + std::to_string(at) + " flipped";
      break;
    }
    case 1: {  // a run of 16 random bytes
      const size_t at = rng.below(n > 16 ? n - 16 : 1);
      for (size_t i = at; i < std::min(n, at + 16); ++i) bytes[i] = static_cast<char>(rng.below(256));
      *what = "bytes " + std::to_string(at) + "+16 overwritten";
      break;
    }
    case 2: {  // a 512-byte block zeroed
      const size_t at = rng.below(n / 512 + 1) * 512;
      for (size_t i = at; i < std::min(n, at + 512); ++i) bytes[i] = 0;
      *what = "block at " + std::to_string(at) + " zeroed";
      break;
    }
    default: {  // truncated
      const size_t len = rng.below(n);
      bytes.resize(len);
      *what = "truncated to " + std::to_string(len) + " bytes";
    }
  }
  return bytes;
}

class DamagedFiles : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    // Byte-identical files on every run (the run id is the only thing that varies), so the
    // seeded damage hits the same bytes every time and a failure reproduces.
    setenv("SKUCAST_RUN_ID", "damage-corpus", 1);
    auto ok = [](const CliResult& r) { ASSERT_EQ(r.rc, 0) << r.output; };
    using testing::run_skucast;
    ok(run_skucast({"synth", "--series", "24", "--days", "160", "--horizon", "7", "--seed", "5", "--out", path("p.h5")}));
    ok(run_skucast({"forecast", "--panel", path("p.h5"), "--model", "ets", "--horizon", "7", "--out", path("fc.h5")}));
    ok(run_skucast({"train", "--panel", path("p.h5"), "--model", "lstm", "--horizon", "7", "--hidden", "8", "--layers",
                    "1", "--context", "21", "--epochs", "1", "--seed", "1", "--out", path("m.h5")}));
    ok(run_skucast({"backtest", "--panel", path("p.h5"), "--models", "naive", "--horizon", "7", "--out",
                    path("bt.h5")}));
  }

  // The command that uses each kind of file, writing `out` (a CSV), as a list of arguments.
  std::vector<std::string> use(const std::string& kind, const std::string& file, const std::string& out) const {
    if (kind == "p") return {"forecast", "--panel", file, "--model", "naive", "--horizon", "5", "--out", out + ".h5", "--csv", out};
    if (kind == "fc") return {"export", file, "--csv", out};
    if (kind == "m")
      return {"forecast", "--panel", path("p.h5"), "--model", "lstm", "--checkpoint", file, "--horizon", "7",
              "--paths", "20", "--seed", "3", "--out", out + ".h5", "--csv", out};
    if (kind == "btl")  // a backtest with /levels: the report of the aggregated panel
      return {"report", "--panel", path("agg.h5"), "--forecast", path("aggfc.h5"), "--backtest", file, "--out", out};
    return {"report", "--panel", path("p.h5"), "--forecast", path("fc.h5"), "--backtest", file, "--out", out};
  }

  // SKUCAST_DAMAGE_ROUNDS=R runs R times as many damaged copies (a longer seeded search, by hand).
  void run_corpus(const std::string& kind, int variants, uint64_t seed) {
    if (const char* r = std::getenv("SKUCAST_DAMAGE_ROUNDS")) variants *= std::max(1, std::atoi(r));
    double secs = 0;
    const std::string intact = path(kind + ".h5"), bad = path(kind + "_bad.h5");
    fs::copy_file(intact, bad);  // the reference run reads the same name (a report prints it)
    const CliResult ref = run_timed(use(kind, bad, path(kind + "_ref.out")), &secs);
    ASSERT_EQ(ref.rc, 0) << ref.output;
    const std::string ref_out = read_text(path(kind + "_ref.out"));
    const std::string bytes = read_text(intact);
    ASSERT_GT(bytes.size(), 1000u);
    Rng rng{seed};
    int detected = 0;
    for (int k = 0; k < variants; ++k) {
      std::string what;
      {
        std::ofstream f(bad, std::ios::binary | std::ios::trunc);
        const std::string d = damage(bytes, k, rng, &what);
        f.write(d.data(), static_cast<std::streamsize>(d.size()));
      }
      const std::string label = kind + ".h5 " + what;
      const CliResult v = run_timed({"info", "--verify", bad}, &secs);
      EXPECT_TRUE(v.rc == 0 || v.rc == 2 || v.rc == 3) << label << ": info --verify exit " << v.rc << "\n" << v.output;
      EXPECT_LT(secs, 10.0) << label << ": info --verify took " << secs << " s";
      const std::string out = path(kind + "_bad.out");
      fs::remove(out);
      const CliResult u = run_timed(use(kind, bad, out), &secs);
      EXPECT_TRUE(u.rc == 0 || u.rc == 2 || u.rc == 3) << label << ": " << use(kind, bad, out)[0] << " exit " << u.rc << "\n"
                                                       << u.output;
      EXPECT_LT(secs, 10.0) << label << ": took " << secs << " s";
      if (u.rc == 0) {
        EXPECT_EQ(read_text(out), ref_out) << label << ": accepted, but its output differs from the intact file's";
      } else {
        EXPECT_NE(u.output.find("bad.h5"), std::string::npos) << label << ": the error does not name the file\n" << u.output;
      }
      if (v.rc == 0) {
        EXPECT_EQ(u.rc, 0) << label << ": info --verify passed a file the command refused\n" << u.output;
      }
      detected += v.rc != 0;
    }
    // Nearly every damage lands in data or metadata; say how many were caught, for the log.
    std::printf("%s.h5: %d of %d damaged copies refused by info --verify\n", kind.c_str(), detected, variants);
    EXPECT_GT(detected, variants / 2);
  }
};

// A file cut short after its signature says so (it was "cannot open ... for reading" alone).
TEST_F(DamagedFiles, TruncatedFileIsSaidToBeDamaged) {
  const std::string bytes = read_text(path("p.h5"));
  {
    std::ofstream f(path("cut.h5"), std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), 3000);
  }
  const CliResult r = testing::run_skucast({"info", "--verify", path("cut.h5")});
  EXPECT_EQ(r.rc, 3) << r.output;
  EXPECT_NE(r.output.find("cut.h5' for reading: it is damaged or truncated"), std::string::npos) << r.output;
}

TEST_F(DamagedFiles, Panel) { run_corpus("p", 40, 11); }
TEST_F(DamagedFiles, Forecast) { run_corpus("fc", 40, 12); }
TEST_F(DamagedFiles, Model) { run_corpus("m", 24, 13); }
TEST_F(DamagedFiles, Backtest) { run_corpus("bt", 24, 14); }
// Scored by level and reconciled (backtest --reconcile on an aggregated panel): the report reads
// /levels (its tables and the total series' last fold).
TEST_F(DamagedFiles, BacktestWithLevels) {
  using testing::run_skucast;
  auto ok = [](const CliResult& r) { ASSERT_EQ(r.rc, 0) << r.output; };
  ok(run_skucast({"aggregate", "--panel", path("p.h5"), "--levels", "total;store", "--out", path("agg.h5")}));
  ok(run_skucast({"forecast", "--panel", path("agg.h5"), "--model", "naive", "--horizon", "7", "--out", path("aggfc.h5")}));
  ok(run_skucast({"backtest", "--panel", path("agg.h5"), "--models", "naive", "--horizon", "7", "--reconcile", "bu,ols",
                  "--out", path("btl.h5")}));
  run_corpus("btl", 24, 15);
}

// Version 1 files: tests/data/v1/ holds a panel, a forecast, a model and a backtest written by the
// last version 1 build (a9c4618). Commands refuse them with the upgrade hint; `upgrade` converts
// them, and the converted files give the same results as the version 2 files written today.
class Version1 : public testing::ScratchTest {};

TEST_F(Version1, RefusedWithHintThenUpgraded) {
  using testing::run_skucast;
  const fs::path src = fs::path(SKUCAST_TEST_DATA) / "v1";
  for (const char* f : {"p.h5", "fc.h5", "m.h5", "bt.h5"}) fs::copy_file(src / f, m_dir / f);
  CliResult r = run_skucast({"forecast", "--panel", path("p.h5"), "--model", "naive", "--horizon", "3", "--out", path("o.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("skucast upgrade"), std::string::npos) << r.output;
  r = run_skucast({"export", path("fc.h5"), "--csv", path("o.csv")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("version 1"), std::string::npos) << r.output;
  r = run_skucast({"info", "--verify", path("m.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;

  r = run_skucast({"upgrade", path("p.h5"), path("fc.h5"), path("m.h5"), path("bt.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("skucast-model, version 2"), std::string::npos) << r.output;
  r = run_skucast({"upgrade", path("p.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;  // already version 2
  EXPECT_NE(r.output.find("already version 2"), std::string::npos) << r.output;

  // The upgraded panel gives the forecast the version 1 build wrote from it (fc.h5 there: ets, 7 steps).
  ASSERT_EQ(run_skucast({"forecast", "--panel", path("p.h5"), "--model", "ets", "--horizon", "7", "--out", path("n.h5"),
                         "--csv", path("n.csv")}).rc, 0);
  ASSERT_EQ(run_skucast({"export", path("fc.h5"), "--csv", path("old.csv")}).rc, 0);
  EXPECT_EQ(read_text(path("n.csv")), read_text(path("old.csv")));
  // The upgraded model forecasts, and the backtest file goes into a report.
  r = run_skucast({"forecast", "--panel", path("p.h5"), "--model", "lstm", "--checkpoint", path("m.h5"), "--horizon", "7",
                   "--paths", "10", "--out", path("l.h5")});
  EXPECT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"report", "--panel", path("p.h5"), "--forecast", path("fc.h5"), "--backtest", path("bt.h5"), "--out",
                   path("r.html")});
  EXPECT_EQ(r.rc, 0) << r.output;
}

}  // namespace
}  // namespace skucast
