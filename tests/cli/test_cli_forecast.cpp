// tests/cli/test_cli_forecast.cpp — `skucast forecast` and `skucast backtest` through the binary
// (testing::skucast_binary()): outputs on success; on bad flags a non-zero exit, a clear message
// and no output file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "io/forecast_file.h"
#include "io/panel.h"
#include "kernels/device.hpp"
#include "tests/cli_helpers.h"
#include "tools/stat_cli.h"

namespace skucast {
namespace {

using testing::CliResult;
using testing::run_skucast;

// A backtest summary CSV without its last column (seconds), which differs run to run.
std::string without_seconds(const std::string& text) {
  std::string out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out += line.substr(0, line.rfind(',')) + "\n";
  return out;
}

class CliForecast : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    // 6 weekly series of 70 days; series 3 all NaN.
    PanelHeader h;
    h.axis = make_axis(Freq::Day, "2021-03-01", 7);
    h.n_steps = 70;
    std::vector<float> y;
    for (int s = 0; s < 6; ++s) {
      h.ids.push_back("sku," + std::to_string(s));  // a comma: CSV quoting is exercised
      for (int t = 0; t < 70; ++t) y.push_back(s == 3 ? std::nanf("") : static_cast<float>((t % 7) * (s + 1)));
    }
    m_panel = path("p.h5");
    write_panel(m_panel, h, y, {});
  }
  bool exists(const std::string& name) const { return std::filesystem::exists(m_dir / name); }
  std::string m_panel;
};

TEST_F(CliForecast, WritesForecastFileAndCsv) {
  CliResult r = run_skucast({"forecast", "--panel", m_panel, "--model", "snaive", "--horizon", "10", "--quantiles",
                             "0.1,0.5,0.9", "--out", path("fc.h5"), "--csv", path("fc.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  const ForecastFile fc = read_forecast(path("fc.h5"));
  EXPECT_EQ(fc.origin, 70);
  EXPECT_EQ(fc.horizon, 10);
  EXPECT_EQ(fc.ids.size(), 6u);
  EXPECT_EQ(fc.levels, (std::vector<double>{0.1, 0.5, 0.9}));
  EXPECT_FLOAT_EQ(fc.mean[1 * 10 + 2], 2.0f * 2.0f);  // series 1, step 3 = day 72 → t%7 = 2
  for (float v : fc.mean) EXPECT_TRUE(std::isfinite(v));
  EXPECT_TRUE(exists("fc.csv"));
  EXPECT_NE(r.output.find("1 fallback"), std::string::npos) << r.output;  // the all-NaN series
}

// Note [Series that stopped selling]: series whose last value lies more than max(horizon, season
// length) steps before the end are counted in a note naming one; the fixture's panel has none.
TEST_F(CliForecast, SeriesThatStoppedSellingAreNoted) {
  CliResult r = run_skucast({"forecast", "--panel", m_panel, "--model", "ses", "--horizon", "5", "--out", path("a.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_EQ(r.output.find("no value in the panel's last"), std::string::npos) << r.output;
  PanelHeader h;
  h.axis = make_axis(Freq::Day, "2021-03-01", 7);
  h.n_steps = 70;
  std::vector<float> y;
  for (int s = 0; s < 5; ++s) {
    h.ids.push_back("s" + std::to_string(s));
    // s1 ends 20 steps early, s3 10 and s4 8: all three past a gap of 8, s4 within one of 10.
    const int end = s == 1 ? 50 : s == 3 ? 60 : s == 4 ? 62 : 70;
    for (int t = 0; t < 70; ++t) y.push_back(t < end ? static_cast<float>(1 + (t + s) % 5) : std::nanf(""));
  }
  write_panel(path("stale.h5"), h, y, {});
  r = run_skucast({"forecast", "--panel", path("stale.h5"), "--model", "ses", "--horizon", "8", "--out", path("b.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("3 series have no value in the panel's last 8 steps (e.g. 's1', last observed 2021-04-19)"),
            std::string::npos)
      << r.output;
  r = run_skucast({"forecast", "--panel", path("stale.h5"), "--model", "ses", "--horizon", "10", "--out", path("c.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("2 series have no value in the panel's last 10 steps"), std::string::npos) << r.output;
}

TEST_F(CliForecast, EnsembleAndDeviceNotice) {
  CliResult r = run_skucast({"forecast", "--panel", m_panel, "--model", "naive+snaive", "--combine", "median",
                             "--horizon", "3", "--device", "cuda", "--block", "4", "--out", path("fc.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("CPU"), std::string::npos) << r.output;
  EXPECT_EQ(read_forecast(path("fc.h5")).model, "naive+snaive");
}

// Note [Statistical models on the GPU] (cmd_forecast.cpp): --device cuda runs a single model
// on the GPU when there is one, else says why it runs on the CPU; an ensemble always runs on
// the CPU (checked above).
TEST_F(CliForecast, DeviceCudaRunsOnTheGpuOrSaysWhy) {
  const CliResult r = run_skucast({"forecast", "--panel", m_panel, "--model", "ses", "--horizon", "3", "--device",
                                   "cuda", "--out", path("fc.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  if (cuda_device_count() == 0)
    EXPECT_NE(r.output.find(built_with_cuda() ? "no CUDA device" : "built without CUDA"), std::string::npos)
        << r.output;
  else
    EXPECT_NE(r.output.find("on the GPU"), std::string::npos) << r.output;
  EXPECT_EQ(read_forecast(path("fc.h5")).model, "ses");
  const CliResult bad = run_skucast({"forecast", "--panel", m_panel, "--model", "ses", "--horizon", "3", "--device",
                                     "tpu", "--out", path("fc2.h5")});
  EXPECT_EQ(bad.rc, 2) << bad.output;
}

TEST_F(CliForecast, BadFlagsFailWithoutOutput) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--model", "prophet", "--horizon", "5"}, "unknown model 'prophet'"},
      {{"--model", "naive", "--horizon", "0"}, "horizon"},
      {{"--model", "naive", "--horizon", "-3"}, "horizon"},
      {{"--model", "lstm", "--horizon", "5"}, "needs a trained checkpoint"},
      {{"--model", "naive", "--horizon", "5", "--quantiles", "0.9,0.1"}, "ascending, got 0.1 after 0.9"},
      {{"--model", "naive", "--horizon", "5", "--quantiles", "1.5"}, "between 0 and 1"},
      {{"--model", "naive", "--horizon", "10000000000"}, "--horizon must be at most 134217728"},  // not "out of memory"
      {{"--model", "naive", "--horizon", "5", "--block", "-1"}, "--block must be 0 (automatic)"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"forecast", "--panel", m_panel, "--out", path("fc.h5")};
    args.insert(args.end(), c.args.begin(), c.args.end());
    CliResult r = run_skucast(args);
    EXPECT_NE(r.rc, 0) << c.message;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
    EXPECT_FALSE(exists("fc.h5")) << c.message;
  }
  CliResult r = run_skucast(
      {"forecast", "--panel", path("missing.h5"), "--model", "naive", "--horizon", "5", "--out", path("fc.h5")});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.output.find("missing.h5"), std::string::npos) << r.output;
  EXPECT_FALSE(exists("fc.h5"));
  EXPECT_EQ(testing::list_dir(m_dir), (std::vector<std::string>{"p.h5"}));  // no temporary left either
}

TEST_F(CliForecast, BacktestPrintsTableAndWritesOutputs) {
  CliResult r = run_skucast({"backtest", "--panel", m_panel, "--models", "naive,snaive", "--horizon", "7", "--folds",
                             "2", "--csv", path("ps.csv"), "--summary", path("s.csv"), "--out", path("bt.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("WRMSSE"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("origins 56 63"), std::string::npos) << r.output;
  EXPECT_TRUE(exists("ps.csv") && exists("s.csv") && exists("bt.h5"));
  EXPECT_NE(testing::read_text(m_dir / "ps.csv").find("\"sku,1\",snaive,1,"), std::string::npos);
}

// Note [Statistical models on the GPU] (tools/stat_cli.h): backtest --device cuda runs the
// single statistical models on the GPU when there is one, else says why; the scores equal
// the CPU run's (exactly here, where both run on the CPU; GPU parity: tests/gpu).
TEST_F(CliForecast, BacktestDeviceCudaAndGpuMemory) {
  CliResult cpu = run_skucast({"backtest", "--panel", m_panel, "--models", "ses,naive+snaive", "--horizon", "7",
                               "--folds", "2", "--summary", path("cpu.csv")});
  ASSERT_EQ(cpu.rc, 0) << cpu.output;
  CliResult gpu = run_skucast({"backtest", "--panel", m_panel, "--models", "ses,naive+snaive", "--horizon", "7",
                               "--folds", "2", "--device", "cuda", "--gpu-memory", "64M", "--summary", path("gpu.csv")});
  ASSERT_EQ(gpu.rc, 0) << gpu.output;
  if (cuda_device_count() == 0) {
    EXPECT_NE(gpu.output.find(built_with_cuda() ? "no CUDA device" : "built without CUDA"), std::string::npos)
        << gpu.output;
    EXPECT_NE(gpu.output.find("model 'naive+snaive' runs on the CPU"), std::string::npos) << gpu.output;
    // The same scores; only the last column (seconds) may differ.
    EXPECT_EQ(without_seconds(testing::read_text(m_dir / "cpu.csv")), without_seconds(testing::read_text(m_dir / "gpu.csv")));
  } else {
    EXPECT_NE(gpu.output.find("model 'naive+snaive' has no GPU path"), std::string::npos) << gpu.output;
  }
  for (const char* bad : {"lots", "-1G", "12Q"}) {
    CliResult r = run_skucast({"backtest", "--panel", m_panel, "--models", "ses", "--horizon", "7", "--device", "cuda",
                               "--gpu-memory", bad, "--summary", path("bad.csv")});
    EXPECT_EQ(r.rc, 2) << r.output;
    EXPECT_NE(r.output.find("--gpu-memory: '" + std::string(bad) + "' is not a size"), std::string::npos) << r.output;
    EXPECT_FALSE(exists("bad.csv"));
    r = run_skucast({"forecast", "--panel", m_panel, "--model", "ses", "--horizon", "3", "--device", "cuda",
                     "--gpu-memory", bad, "--out", path("bad.h5")});
    EXPECT_EQ(r.rc, 2) << r.output;
    EXPECT_FALSE(exists("bad.h5"));
  }
  CliResult ok = run_skucast({"forecast", "--panel", m_panel, "--model", "ses", "--horizon", "3", "--device", "cuda",
                              "--gpu-memory", "1.5GiB", "--out", path("ok.h5")});
  EXPECT_EQ(ok.rc, 0) << ok.output;
}

TEST_F(CliForecast, BacktestBadFlagsFailWithoutOutput) {
  const std::vector<std::vector<std::string>> cases = {
      {"--models", "naive,prophet", "--horizon", "7"},
      {"--models", "naive", "--horizon", "0"},
      {"--models", "naive", "--horizon", "7", "--folds", "20"},  // more history than the panel has
      {"--models", "naive,,snaive", "--horizon", "7"},
      {"--models", "snaive,lstm", "--horizon", "7", "--epochs", "0"},  // an untrained model scored
      {"--models", "naive", "--horizon", "7", "--block", "-5"},
      {"--models", "naive", "--horizon", "7", "--step", "0"},  // as --calibration-step 0; was the default
      {"--models", "naive", "--horizon", "7", "--step", "-5"},
      {"--models", "auto:ets,theta", "--horizon", "7"},  // a forecast option, said as such
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"backtest", "--panel", m_panel, "--summary", path("s.csv"), "--csv", path("ps.csv")};
    args.insert(args.end(), c.begin(), c.end());
    CliResult r = run_skucast(args);
    EXPECT_EQ(r.rc, 2) << r.output;
    EXPECT_NE(r.output.find("error"), std::string::npos) << r.output;
    if (c.size() > 5 && c[4] == "--step") {
      EXPECT_NE(r.output.find("--step must be at least 1, got " + c[5]), std::string::npos) << r.output;
    }
    if (c[1].rfind("auto", 0) == 0) {
      EXPECT_NE(r.output.find("auto (a per-series choice) is a `forecast --model` option"), std::string::npos)
          << r.output;
    }
    EXPECT_FALSE(exists("s.csv") || exists("ps.csv")) << r.output;
  }
  CliResult r = run_skucast({"backtest", "--panel", path("nope.h5"), "--models", "naive", "--horizon", "7"});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.output.find("nope.h5"), std::string::npos) << r.output;
}

// Every output is checked before any work, so a run that fails on its last output has not
// replaced the first one, and no output may be an input or another output.
TEST_F(CliForecast, FailedRunLeavesEveryOutputAsItWas) {
  testing::write_text(m_dir / "fc.h5", "precious");
  CliResult r = run_skucast({"forecast", "--panel", m_panel, "--model", "naive", "--horizon", "3", "--out",
                             path("fc.h5"), "--csv", path("nodir/fc.csv")});
  EXPECT_EQ(r.rc, 3) << r.output;
  EXPECT_NE(r.output.find("--csv: cannot write"), std::string::npos) << r.output;
  EXPECT_EQ(testing::read_text(m_dir / "fc.h5"), "precious");

  testing::write_text(m_dir / "ps.csv", "precious");
  r = run_skucast({"backtest", "--panel", m_panel, "--models", "naive", "--horizon", "7", "--csv", path("ps.csv"),
                   "--out", path("nodir/bt.h5")});
  EXPECT_EQ(r.rc, 3) << r.output;
  EXPECT_NE(r.output.find("--out: cannot write"), std::string::npos) << r.output;
  EXPECT_EQ(testing::read_text(m_dir / "ps.csv"), "precious");

  // An output that is an input or another output: exit 2, nothing written.
  r = run_skucast({"forecast", "--panel", m_panel, "--model", "naive", "--horizon", "3", "--out", m_panel});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("is the same file as --panel"), std::string::npos) << r.output;
  EXPECT_EQ(PanelReader(m_panel).header().n_steps, 70);  // still the panel
  r = run_skucast({"forecast", "--panel", m_panel, "--model", "naive", "--horizon", "3", "--out", path("fc.h5"),
                   "--csv", path("fc.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_EQ(testing::read_text(m_dir / "fc.h5"), "precious");
  r = run_skucast({"backtest", "--panel", m_panel, "--models", "naive", "--horizon", "7", "--csv", path("ps.csv"),
                   "--summary", path("ps.csv")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("--summary '" + path("ps.csv") + "' is the same file as --csv"), std::string::npos)
      << r.output;
  EXPECT_EQ(testing::read_text(m_dir / "ps.csv"), "precious");
  EXPECT_EQ(testing::list_dir(m_dir), (std::vector<std::string>{"fc.h5", "p.h5", "ps.csv"}));  // no temporary left
}

}  // namespace
}  // namespace skucast

namespace skucast {
namespace {

// train → forecast --model lstm --checkpoint: the neural path through the CLI.
TEST_F(CliForecast, LstmFromCheckpoint) {
  CliResult r = run_skucast({"train", "--panel", m_panel, "--model", "lstm", "--horizon", "7", "--hidden", "8",
                             "--layers", "1", "--context", "21", "--epochs", "2", "--out", path("m.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"forecast", "--panel", m_panel, "--model", "lstm", "--checkpoint", path("m.h5"), "--horizon", "7",
                   "--paths", "20", "--out", path("fc.h5"), "--csv", path("fc.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  const ForecastFile fc = read_forecast(path("fc.h5"));
  EXPECT_EQ(fc.model, "lstm");
  EXPECT_EQ(fc.horizon, 7);
  EXPECT_EQ(fc.origin, 70);
  for (float v : fc.mean) EXPECT_TRUE(std::isfinite(v) && v >= 0.0f) << v;  // sales never forecast < 0
  for (float v : fc.quantiles) EXPECT_TRUE(std::isfinite(v) && v >= 0.0f) << v;
  // Without --paths: 10^6 / 6 series, capped at 1,000 (Note [Sample paths from the catalog size]).
  r = run_skucast({"forecast", "--panel", m_panel, "--model", "lstm", "--checkpoint", path("m.h5"), "--horizon", "7",
                   "--out", path("fc_auto.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find(", 1000 paths,"), std::string::npos) << r.output;
  // Wrong cell type for the checkpoint, and a statistical model given a checkpoint: errors, no file.
  r = run_skucast({"forecast", "--panel", m_panel, "--model", "gru", "--checkpoint", path("m.h5"), "--horizon", "7",
                   "--out", path("bad.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("holds a 'lstm' model"), std::string::npos) << r.output;
  r = run_skucast({"forecast", "--panel", m_panel, "--model", "ets", "--checkpoint", path("m.h5"), "--horizon", "7",
                   "--out", path("bad.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_FALSE(exists("bad.h5"));
}

// train --distances on (Note [Distance inputs] in engine/deepar/data.cpp) on a catalog with
// events and late launches: the model file keeps the choice (info says so, --resume and forecast
// read it), the layout differs from the default's, and a bad value is refused.
TEST_F(CliForecast, DistanceInputsOnTrainAndForecast) {
  ASSERT_EQ(run_skucast({"synth", "--series", "12", "--days", "120", "--horizon", "7", "--seed", "3", "--out",
                         path("p.h5")})
                .rc,
            0);
  auto train = [&](const std::string& distances, const std::string& out) {
    return run_skucast({"train", "--panel", path("p.h5"), "--model", "gru", "--horizon", "7", "--hidden", "8",
                        "--layers", "1", "--context", "21", "--epochs", "1", "--ensemble", "1", "--threads", "2",
                        "--distances", distances, "--out", path(out)});
  };
  CliResult r = train("on", "on.h5");
  ASSERT_EQ(r.rc, 0) << r.output;
  ASSERT_EQ(train("off", "off.h5").rc, 0);
  r = run_skucast({"info", path("on.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find(", event distances and age)"), std::string::npos) << r.output;
  // 25 events: each adds two columns; the age one more. The weights count shows it.
  const CliResult off = run_skucast({"info", path("off.h5")});
  ASSERT_EQ(off.rc, 0) << off.output;
  EXPECT_NE(off.output.find(", no distances)"), std::string::npos) << off.output;
  auto weights = [](const std::string& info) {
    const size_t at = info.find(" weights");
    const size_t from = info.rfind(", ", at);
    return std::stoll(info.substr(from + 2, at - from - 2));
  };
  EXPECT_EQ(weights(r.output) - weights(off.output), (25 * 2 + 1) * 3 * 8) << r.output << off.output;
  r = run_skucast({"forecast", "--panel", path("p.h5"), "--model", "gru", "--checkpoint", path("on.h5"), "--horizon",
                   "7", "--paths", "20", "--out", path("f.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"train", "--panel", path("p.h5"), "--model", "gru", "--horizon", "7", "--epochs", "1",
                   "--threads", "2", "--resume", path("on.h5"), "--out", path("r.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(run_skucast({"info", path("r.h5")}).output.find(", event distances and age)"), std::string::npos);
  r = train("maybe", "bad.h5");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.output.find("--distances"), std::string::npos) << r.output;
  EXPECT_FALSE(exists("bad.h5"));
}

// train --ensemble 2 writes both models into one file (Note [Pooled models]): its forecast is
// the pooled forecast of the two single models trained with the same seeds, and update
// fine-tunes both.
TEST_F(CliForecast, EnsembleFileHoldsEveryModel) {
  auto train = [&](const std::vector<std::string>& extra, const std::string& out) {
    std::vector<std::string> a{"train", "--panel", m_panel, "--model", "gru", "--horizon", "7", "--hidden", "8",
                               "--layers", "1", "--context", "21", "--epochs", "2", "--threads", "2", "--out", out};
    a.insert(a.end(), extra.begin(), extra.end());
    return run_skucast(a);
  };
  CliResult r = train({"--seed", "3", "--ensemble", "2"}, path("e.h5"));
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("2 models (seeds 3..4)"), std::string::npos) << r.output;
  // `info` reads a model file: what it was trained with and on.
  r = run_skucast({"info", path("e.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  for (const char* line : {"model:         gru, 1 x 8 units", "2 member(s) (seeds 3..4)", "horizon:       7, context 21",
                           "target transform log1p", "inputs:        derived (no volatility, no distances)",
                           "panel:         6 series"})
    EXPECT_NE(r.output.find(line), std::string::npos) << line << "\n" << r.output;
  ASSERT_EQ(train({"--seed", "3", "--ensemble", "1"}, path("s3.h5")).rc, 0);
  ASSERT_EQ(train({"--seed", "4", "--ensemble", "1"}, path("s4.h5")).rc, 0);
  auto forecast = [&](const std::string& checkpoint, const std::string& csv) {
    return run_skucast({"forecast", "--panel", m_panel, "--model", "gru", "--checkpoint", checkpoint, "--horizon",
                        "7", "--paths", "20", "--out", path(csv + ".h5"), "--csv", path(csv)});
  };
  ASSERT_EQ(forecast(path("e.h5"), "e.csv").rc, 0);
  r = forecast(path("s3.h5") + "," + path("s4.h5"), "s.csv");
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_EQ(testing::read_text(m_dir / "e.csv"), testing::read_text(m_dir / "s.csv"));
  // --resume continues both models; update fine-tunes both and keeps them in one file.
  r = train({"--resume", path("e.h5")}, path("e2.h5"));
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("(2 model(s))"), std::string::npos) << r.output;
  r = train({"--resume", path("e.h5"), "--ensemble", "3"}, path("e3.h5"));  // not silently ignored
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("--ensemble 3 goes with a new model; --resume"), std::string::npos) << r.output;

  // The default, --ensemble auto (Note [Ensemble from the training cost]): this panel is cheap
  // (32 batches of 256 windows of 21 + 7 steps, 2 epochs: 0.46 M window-steps), so 3 models.
  r = train({}, path("a.h5"));
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("ensemble 3 (a model trains on at most 0.5 M window-steps: cheap, under 16.8 M)"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("3 models (seeds 0..2)"), std::string::npos) << r.output;
  for (const char* bad : {"0", "65", "two", "3x"}) {
    r = train({"--ensemble", bad}, path("bad.h5"));
    EXPECT_EQ(r.rc, 2) << bad << ": " << r.output;
    EXPECT_NE(r.output.find("expected auto or a whole number from 1 to 64, got '" + std::string(bad) + "'"),
              std::string::npos)
        << r.output;
  }
}

// backtest --models snaive,lstm: the global model is trained afresh for every fold.
TEST_F(CliForecast, BacktestTrainsLstmPerFold) {
  // The fold panels go to $TMPDIR: point it at this test's scratch folder so the leftover
  // check below sees only this run (and not a backtest running elsewhere on the machine).
  const char* old_tmp = std::getenv("TMPDIR");
  const std::string saved = old_tmp ? old_tmp : "";
  ::setenv("TMPDIR", m_dir.c_str(), 1);
  CliResult r = run_skucast({"backtest", "--panel", m_panel, "--models", "snaive,lstm", "--horizon", "7", "--folds",
                             "2", "--epochs", "2", "--hidden", "8", "--layers", "1", "--context", "21", "--paths", "20",
                             "--summary", path("sum.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("lstm"), std::string::npos) << r.output;
  const std::string sum = testing::read_text(path("sum.csv"));
  const size_t at = sum.find("\nlstm,");
  ASSERT_NE(at, std::string::npos) << sum;
  EXPECT_EQ(sum.find("nan", at), std::string::npos) << sum;  // every lstm metric defined
  if (old_tmp) ::setenv("TMPDIR", saved.c_str(), 1);
  else ::unsetenv("TMPDIR");
  for (const auto& e : std::filesystem::directory_iterator(m_dir))
    EXPECT_EQ(e.path().filename().string().rfind("skucast_bt_", 0), std::string::npos) << "leftover " << e.path();
}

// backtest --device cuda on the lstm folds: trains and forecasts on the GPU when there is one
// (layers 1: dropout has no effect, so the scores can be compared), else says why per part and
// gives the CPU run's scores.
TEST_F(CliForecast, BacktestLstmFoldsDeviceCuda) {
  const char* old_tmp = std::getenv("TMPDIR");
  const std::string saved = old_tmp ? old_tmp : "";
  ::setenv("TMPDIR", m_dir.c_str(), 1);
  const std::vector<std::string> common = {"backtest", "--panel", m_panel, "--models", "lstm", "--horizon", "7",
                                           "--epochs", "1", "--hidden", "8", "--layers", "1", "--context", "21",
                                           "--paths", "10", "--dropout", "0"};
  std::vector<std::string> cpu_args = common, gpu_args = common;
  cpu_args.insert(cpu_args.end(), {"--summary", path("cpu.csv")});
  gpu_args.insert(gpu_args.end(), {"--device", "cuda", "--summary", path("gpu.csv")});
  const CliResult cpu = run_skucast(cpu_args), gpu = run_skucast(gpu_args);
  if (old_tmp) ::setenv("TMPDIR", saved.c_str(), 1);
  else ::unsetenv("TMPDIR");
  ASSERT_EQ(cpu.rc, 0) << cpu.output;
  ASSERT_EQ(gpu.rc, 0) << gpu.output;
  if (cuda_device_count() == 0) {
    EXPECT_NE(gpu.output.find("the lstm/gru folds train and forecast on the CPU"), std::string::npos) << gpu.output;
    EXPECT_EQ(without_seconds(testing::read_text(m_dir / "cpu.csv")), without_seconds(testing::read_text(m_dir / "gpu.csv")));
  }
}

// Note [Series block size]: an explicit --block is kept; 0 reads 4,096 series on the CPU and,
// for a GPU run, a 1 GiB block of rows, at least 4,096 series and at most the panel.
TEST(SeriesBlock, AutomaticSizeFollowsTheDevice) {
  EXPECT_EQ(cli::series_block(100, true, 1000000, 1941), 100);
  EXPECT_EQ(cli::series_block(0, false, 1000000, 1941), 4096);
  EXPECT_EQ(cli::series_block(0, true, 1000000, 1941), (int64_t{1} << 30) / (1941 * 4));  // 138,296
  EXPECT_EQ(cli::series_block(0, true, 30000, 1941), 30000);                               // the whole panel
  EXPECT_EQ(cli::series_block(0, true, 10, 1941), 4096);                                   // never below 4,096
  EXPECT_EQ(cli::series_block(0, true, 5000000, 120), (int64_t{1} << 30) / (120 * 4));    // 2,236,962
  EXPECT_EQ(cli::series_block(0, true, 100, 0), 4096);                                     // no history: no division by 0
}

}  // namespace
}  // namespace skucast
