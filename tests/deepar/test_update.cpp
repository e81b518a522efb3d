// tests/deepar/test_update.cpp — `skucast update` and io/panel_update (Note [Panel update
// semantics]): new days, restatements, new series and levels, future covariates, events,
// weights; bad increments refused with the panel untouched; fine-tuning a checkpoint.
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "engine/deepar/checkpoint.h"
#include "engine/deepar/model.h"
#include "io/csv_ingest.h"
#include "io/panel.h"
#include "io/panel_update.h"
#include "io/time_axis.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

using testing::CliResult;
using testing::read_text;
using testing::run_skucast;
using testing::ScratchTest;

class Update : public ScratchTest {
 protected:
  // Base panel: A and B on 2024-01-01..05, store and price, weights, one event.
  std::string base_panel() {
    const std::string csv = write("base.csv",
                                  "series_id,time,value,price,store,weight,event_sale\n"
                                  "A,2024-01-01,1,2.0,s1,10,0\n"
                                  "A,2024-01-02,2,2.0,s1,10,1\n"
                                  "A,2024-01-03,3,2.0,s1,10,0\n"
                                  "A,2024-01-04,4,2.0,s1,10,0\n"
                                  "A,2024-01-05,5,2.0,s1,10,0\n"
                                  "B,2024-01-03,7,1.0,s2,5,0\n"
                                  "B,2024-01-04,8,1.0,s2,5,0\n"
                                  "B,2024-01-05,9,1.0,s2,5,0\n");
    IngestOptions o;
    o.csv_path = csv;
    o.dynamic = {"price"};
    o.statics = {"store"};
    o.weight_col = "weight";
    o.events = {"auto"};
    ingest_csv(o, path("p.h5"));
    return path("p.h5");
  }
  IngestOptions inc(const std::string& text, std::vector<std::string> statics = {"store"}) {
    IngestOptions o;
    o.csv_path = write("inc.csv", text);
    o.statics = std::move(statics);
    o.weight_col = "weight";
    return o;
  }
};

TEST_F(Update, NewDaysRestatementsNewSeriesAndFutureCovariates) {
  const std::string p = base_panel();
  // A: two new days; B: one new day and a restated 2024-01-03 (7 -> 6); C: a new series in a
  // new store; two future days of prices; the event on a new day.
  const UpdateStats st = update_panel(p,
                                      inc("series_id,time,value,price,store,weight,event_sale\n"
                                          "A,2024-01-06,6,2.5,s1,12,1\n"
                                          "A,2024-01-07,7,2.5,s1,,0\n"
                                          "B,2024-01-03,6,1.0,s2,5,0\n"
                                          "B,2024-01-06,10,1.0,s2,,1\n"
                                          "C,2024-01-07,3,4.0,s0,2,0\n"
                                          "A,2024-01-08,,3.0,s1,,0\n"
                                          "B,2024-01-08,,1.5,s2,,0\n"
                                          "C,2024-01-09,,4.5,s0,,0\n"),
                                      path("q.h5"));
  EXPECT_EQ(st.old_series, 2);
  EXPECT_EQ(st.new_series, 3);
  EXPECT_EQ(st.old_steps, 5);
  EXPECT_EQ(st.new_steps, 7);
  EXPECT_EQ(st.new_future, 2);
  EXPECT_EQ(st.cells_written, 5);
  EXPECT_EQ(st.cells_restated, 1);

  const PanelReader r(path("q.h5"));
  const PanelHeader& h = r.header();
  ASSERT_EQ(h.ids, (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(h.axis.start_label(), "2024-01-01");
  const std::vector<float> y = r.read_target(0, 3);  // [3, 7]
  const std::vector<float> wantA = {1, 2, 3, 4, 5, 6, 7};
  for (int t = 0; t < 7; ++t) EXPECT_EQ(y[static_cast<size_t>(t)], wantA[static_cast<size_t>(t)]) << t;
  EXPECT_TRUE(std::isnan(y[7 + 0]));
  EXPECT_EQ(y[7 + 2], 6.0f);  // restated
  EXPECT_EQ(y[7 + 5], 10.0f);
  EXPECT_TRUE(std::isnan(y[7 + 6]));  // B has no value for 01-07: missing, not erased history
  for (int t = 0; t < 6; ++t) EXPECT_TRUE(std::isnan(y[static_cast<size_t>(14 + t)])) << t;
  EXPECT_EQ(y[14 + 6], 3.0f);

  const std::vector<float> price = r.read_dynamic("price", 0, 3);  // [3, 9]
  EXPECT_EQ(price[4], 2.0f);   // kept
  EXPECT_EQ(price[5], 2.5f);   // new day
  EXPECT_EQ(price[7], 3.0f);   // future
  EXPECT_EQ(price[9 + 7], 1.5f);
  EXPECT_EQ(price[18 + 8], 4.5f);
  EXPECT_TRUE(std::isnan(price[18 + 0]));

  // Stable codes, new level appended; weights kept / new.
  ASSERT_EQ(h.statics.size(), 1u);
  EXPECT_EQ(h.statics[0].levels, (std::vector<std::string>{"s1", "s2", "s0"}));
  EXPECT_EQ(h.statics[0].codes, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(h.weights, (std::vector<float>{12, 5, 2}));
  ASSERT_EQ(h.events.size(), 1u);
  EXPECT_EQ(h.events[0].flags, (std::vector<uint8_t>{0, 1, 0, 0, 0, 1, 0, 0, 0}));
}

TEST_F(Update, SameAsIngestingTheWholeCsv) {
  // base + increment through update == ingest of the concatenation (series order and the
  // sorted levels coincide here).
  const std::string head = "series_id,time,value,price,store\n";
  const std::string part1 = "A,2024-03-01,1,1.0,x\nA,2024-03-02,2,1.0,x\nB,2024-03-02,5,2.0,y\n";
  const std::string part2 = "A,2024-03-03,3,1.0,x\nB,2024-03-03,6,2.0,y\nA,2024-03-05,,1.2,x\nB,2024-03-05,,2.2,y\n";
  IngestOptions o;
  o.dynamic = {"price"};
  o.statics = {"store"};
  o.csv_path = write("b.csv", head + part1);
  ingest_csv(o, path("b.h5"));
  o.csv_path = write("all.csv", head + part1 + part2);
  ingest_csv(o, path("all.h5"));
  IngestOptions u;
  u.statics = {"store"};
  u.csv_path = write("i.csv", head + part2);
  update_panel(path("b.h5"), u, path("u.h5"));
  EXPECT_EQ(read_text(path("u.h5")), read_text(path("all.h5")));  // byte-identical
}

TEST_F(Update, CliRewritesThePanelInPlace) {
  const std::string p = base_panel();
  write("i.csv", "series_id,time,value,price\nA,2024-01-06,6,2.0\nB,2024-01-06,1,1.0\n");
  const CliResult r = run_skucast({"update", "--panel", p, "--append", path("i.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("history 5 → 6 steps"), std::string::npos) << r.output;
  EXPECT_EQ(PanelReader(p).header().n_steps, 6);
  EXPECT_EQ(testing::list_dir(m_dir), (std::vector<std::string>{"base.csv", "i.csv", "p.h5"}));  // no temp left
}

// Bad flags are refused before anything is read: --threads out of range (100000 crashed
// libgomp), --panel-out over the CSV it reads (it would destroy it), a weight column that
// gives a negative weight.
TEST_F(Update, BadFlagsAndOutputsAreRefusedWithThePanelUntouched) {
  const std::string p = base_panel();
  const std::string before = read_text(p);
  const std::string csv = write("i.csv", "series_id,time,value,price,w\nA,2024-01-06,6,2.0,-1\n");
  const std::string csv_text = read_text(csv);
  CliResult r = run_skucast({"update", "--panel", p, "--append", csv, "--threads", "100000"});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("--threads: Value 100000 not in range 0 to 1024"), std::string::npos) << r.output;
  r = run_skucast({"update", "--panel", p, "--append", csv, "--threads", "-1"});
  EXPECT_EQ(r.rc, 2) << r.output;
  r = run_skucast({"update", "--panel", p, "--append", csv, "--panel-out", csv});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("--panel-out '" + csv + "' is the same file as --append"), std::string::npos) << r.output;
  EXPECT_EQ(read_text(csv), csv_text);
  r = run_skucast({"update", "--panel", p, "--append", csv, "--weight-col", "w"});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("i.csv:2: column 5 'w': negative weight '-1'"), std::string::npos) << r.output;
  EXPECT_EQ(read_text(p), before);
  EXPECT_EQ(testing::list_dir(m_dir), (std::vector<std::string>{"base.csv", "i.csv", "p.h5"}));
}

struct BadIncrement {
  const char* name;
  const char* csv;
  const char* expect;  // part of the message
};

class UpdateBad : public Update, public ::testing::WithParamInterface<BadIncrement> {};

TEST_P(UpdateBad, RefusedWithThePanelUntouched) {
  const std::string p = base_panel();
  const std::string before = read_text(p);
  write("bad.csv", GetParam().csv);
  const CliResult r = run_skucast({"update", "--panel", p, "--append", path("bad.csv"), "--static", "store"});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find(GetParam().expect), std::string::npos) << r.output;
  EXPECT_EQ(read_text(p), before);
  EXPECT_EQ(testing::list_dir(m_dir), (std::vector<std::string>{"bad.csv", "base.csv", "p.h5"}));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, UpdateBad,
    ::testing::Values(
        BadIncrement{"BeforeStart", "series_id,time,value,price,store\nA,2023-12-31,1,2.0,s1\n",
                     "before the start of"},
        BadIncrement{"MissingCovariate", "series_id,time,value,store\nA,2024-01-06,1,s1\n", "price"},
        BadIncrement{"BadValue", "series_id,time,value,price,store\nA,2024-01-06,abc,2.0,s1\n", "bad.csv:2"},
        BadIncrement{"NegativeSales", "series_id,time,value,price,store\nA,2024-01-06,-3,2.0,s1\n", "bad.csv:2"},
        BadIncrement{"WrongFrequency", "series_id,time,value,price,store\nA,2024-01-06T,1,2.0,s1\n", "bad.csv:2"}),
    [](const ::testing::TestParamInfo<BadIncrement>& i) { return std::string(i.param.name); });

TEST_F(Update, NewStaticAttributeAndUnknownCovariateAreRefused) {
  const std::string p = base_panel();
  write("i.csv", "series_id,time,value,price,dept\nA,2024-01-06,1,2.0,d1\n");
  CliResult r = run_skucast({"update", "--panel", p, "--append", path("i.csv"), "--static", "dept"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.output.find("static column 'dept' is not an attribute"), std::string::npos) << r.output;
  r = run_skucast({"update", "--panel", p, "--append", path("i.csv"), "--dynamic", "price,dept"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.output.find("dynamic column 'dept' is not a covariate"), std::string::npos) << r.output;
}

TEST_F(Update, WeeklyTimeOffTheAxisIsRefused) {
  IngestOptions o;
  o.csv_path = write("w.csv", "series_id,time,value\nA,2024-01-01,1\nA,2024-01-08,2\n");  // Mondays
  ingest_csv(o, path("w.h5"));
  IngestOptions u;
  u.csv_path = write("i.csv", "series_id,time,value\nA,2024-01-16,3\n");  // a Tuesday
  try {
    update_panel(path("w.h5"), u, path("w.h5"));
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not on the axis"), std::string::npos) << e.what();
  }
}

TEST_F(Update, SharedCovariateMustAgreeAcrossSeries) {
  PanelHeader h;
  h.axis = make_axis(Freq::Day, "2024-01-01", 7);
  h.n_steps = 2;
  h.ids = {"A", "B"};
  h.dynamic = {DynamicSpec{"temp", false}};
  write_panel(path("s.h5"), h, {1, 2, 3, 4}, {{10.0f, 11.0f}});
  IngestOptions u;
  u.csv_path = write("ok.csv", "series_id,time,value,temp\nA,2024-01-03,1,12\nB,2024-01-03,2,12\nA,2024-01-04,,13\n");
  update_panel(path("s.h5"), u, path("s2.h5"));
  const PanelReader r(path("s2.h5"));
  EXPECT_FALSE(r.header().dynamic[0].per_series);
  EXPECT_EQ(r.read_dynamic("temp", 0, 1), (std::vector<float>{10, 11, 12, 13}));
  u.csv_path = write("bad.csv", "series_id,time,value,temp\nA,2024-01-03,1,12\nB,2024-01-03,2,14\n");
  try {
    update_panel(path("s.h5"), u, path("s3.h5"));
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("2024-01-03"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(testing::fs::exists(path("s3.h5")));
}

// The nightly job: synth → export → ingest the first part → train → update with the rest and
// fine-tune → forecast with the fine-tuned model.
TEST_F(Update, FineTunesACheckpointOnTheGrownPanel) {
  ASSERT_EQ(run_skucast({"synth", "--series", "24", "--days", "140", "--horizon", "7", "--seed", "3", "--out",
                         path("full.h5")})
                .rc,
            0);
  ASSERT_EQ(run_skucast({"export", path("full.h5"), "--csv", path("full.csv")}).rc, 0);
  const std::string all = read_text(path("full.csv"));
  std::string head, part1, part2;
  size_t pos = all.find('\n') + 1;
  head = all.substr(0, pos);
  const std::string cut = "2011-06-01";  // synth starts 2011-01-29
  while (pos < all.size()) {
    const size_t end = all.find('\n', pos) + 1;
    const std::string line = all.substr(pos, end - pos);
    const size_t c1 = line.find(',');
    (line.substr(c1 + 1, 10) < cut ? part1 : part2) += line;
    pos = end;
  }
  write("p1.csv", head + part1);
  write("p2.csv", head + part2);
  const std::vector<std::string> cols = {"--dynamic", "price,promo,snap_CA,snap_TX,snap_WI", "--static",
                                         "cat,dept,item,state,store",  "--events",  "auto"};
  std::vector<std::string> args = {"ingest", "--csv", path("p1.csv"), "--out", path("p.h5")};
  args.insert(args.end(), cols.begin(), cols.end());
  CliResult r = run_skucast(args);
  ASSERT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"train", "--model", "lstm", "--panel", path("p.h5"), "--horizon", "7", "--hidden", "8", "--layers", "1", "--context",
                   "28", "--epochs", "1", "--batch", "16", "--out", path("m1.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  // A bad --precision is refused before the panel is touched.
  const std::vector<std::string> update = {"update", "--panel", path("p.h5"), "--append", path("p2.csv"), "--static",
                                           "cat,dept,item,state,store", "--checkpoint", path("m1.h5"), "--epochs",
                                           "1", "--out", path("m2.h5"), "--device", "cuda"};
  const int64_t steps_before = PanelReader(path("p.h5")).header().n_steps;
  std::vector<std::string> bad = update;
  bad.insert(bad.end(), {"--precision", "fp64"});
  r = run_skucast(bad);
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("fp64"), std::string::npos) << r.output;
  EXPECT_EQ(PanelReader(path("p.h5")).header().n_steps, steps_before) << "the panel was written";
  // --device cuda fine-tunes on the GPU when there is one, else says why and uses the CPU.
  r = run_skucast(update);
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("fine-tuned"), std::string::npos) << r.output;
  EXPECT_TRUE(r.output.find("training on the GPU") != std::string::npos ||
              r.output.find("training runs on the CPU") != std::string::npos)
      << r.output;
  EXPECT_EQ(PanelReader(path("p.h5")).header().n_steps, PanelReader(path("full.h5")).header().n_steps);
  r = run_skucast({"forecast", "--panel", path("p.h5"), "--model", "lstm", "--checkpoint", path("m2.h5"),
                   "--horizon", "7", "--paths", "20", "--out", path("fc.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
}

TEST_F(Update, NewStaticLevelGetsTheMeanEmbedding) {
  const std::string p = base_panel();
  CliResult r = run_skucast({"train", "--ensemble", "1", "--model", "lstm", "--panel", p, "--horizon", "1", "--hidden",
                             "4", "--layers", "1", "--context", "2", "--epochs", "1", "--batch", "2", "--out",
                             path("m.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  const DeepArState before = load_checkpoint(path("m.h5"));
  ASSERT_EQ(before.options.embedding_dims, (std::vector<int64_t>{1}));  // pinned: min(16, (2+1)/2)
  // A new series in a new store: the table grows from 2 to 3 rows, the width stays 1.
  write("i.csv", "series_id,time,value,price,store\nC,2024-01-06,1,2.0,s9\nA,2024-01-06,6,2.0,s1\n");
  r = run_skucast({"update", "--panel", p, "--append", path("i.csv"), "--static", "store", "--checkpoint",
                   path("m.h5"), "--out", path("m2.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("1 new static level(s)"), std::string::npos) << r.output;
  DeepArState grown = before;
  EXPECT_EQ(deepar_extend_levels(grown, PanelReader(p).header()), 1);
  ASSERT_EQ(grown.weights.size(), before.weights.size() + 1);
  const size_t n = before.weights.size();
  EXPECT_FLOAT_EQ(grown.weights[n], 0.5f * (before.weights[n - 2] + before.weights[n - 1]));
  EXPECT_EQ(grown.panel.static_levels[0], (std::vector<std::string>{"s1", "s2", "s9"}));
  const DeepArState tuned = load_checkpoint(path("m2.h5"));
  EXPECT_EQ(tuned.weights.size(), grown.weights.size());
  // The old model forecasts the grown panel too (cold start for the new store).
  r = run_skucast({"forecast", "--panel", p, "--model", "lstm", "--checkpoint", path("m.h5"), "--horizon", "1",
                   "--paths", "10", "--out", path("fc.h5")});
  EXPECT_EQ(r.rc, 0) << r.output;
}

// An ensemble file (train --ensemble 2, Note [Pooled models]): update grows and fine-tunes
// every model and writes them all back.
TEST_F(Update, EnsembleFineTunesEveryModel) {
  const std::string p = base_panel();
  CliResult r = run_skucast({"train", "--model", "lstm", "--panel", p, "--horizon", "1", "--hidden", "4", "--layers", "1", "--context",
                             "2", "--epochs", "1", "--batch", "2", "--ensemble", "2", "--out", path("m.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  const std::vector<DeepArState> before = load_checkpoint_members(path("m.h5"));
  ASSERT_EQ(before.size(), 2u);
  EXPECT_NE(before[0].weights, before[1].weights);  // seeds 0 and 1
  EXPECT_THROW(load_checkpoint(path("m.h5")), InputError);  // one-model readers refuse an ensemble
  write("i.csv", "series_id,time,value,price,store\nC,2024-01-06,1,2.0,s9\nA,2024-01-06,6,2.0,s1\n");
  r = run_skucast({"update", "--panel", p, "--append", path("i.csv"), "--static", "store", "--checkpoint",
                   path("m.h5"), "--out", path("m2.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("(2 model(s))"), std::string::npos) << r.output;
  const std::vector<DeepArState> tuned = load_checkpoint_members(path("m2.h5"));
  ASSERT_EQ(tuned.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(tuned[k].weights.size(), before[k].weights.size() + 1) << k;  // the new store's row
    EXPECT_EQ(tuned[k].panel.static_levels[0], (std::vector<std::string>{"s1", "s2", "s9"})) << k;
    EXPECT_GT(tuned[k].adam_step, before[k].adam_step) << k;
  }
}

TEST_F(Update, CheckpointThatCannotReadTheUpdatedPanelIsRefusedFirst) {
  const std::string p = base_panel();
  // A model trained on a panel without the price covariate.
  IngestOptions o;
  o.csv_path = write("o.csv", "series_id,time,value\nA,2024-01-01,1\nA,2024-01-02,2\nA,2024-01-03,3\n"
                              "A,2024-01-04,4\nA,2024-01-05,5\n");
  ingest_csv(o, path("o.h5"));
  ASSERT_EQ(run_skucast({"train", "--model", "lstm", "--panel", path("o.h5"), "--horizon", "1", "--hidden", "4", "--layers", "1",
                         "--context", "2", "--epochs", "1", "--batch", "2", "--out", path("m.h5")})
                .rc,
            0);
  const std::string before = read_text(p);
  write("i.csv", "series_id,time,value,price,store\nA,2024-01-06,1,2.0,s1\n");
  const CliResult r = run_skucast({"update", "--panel", p, "--append", path("i.csv"), "--static", "store",
                                   "--checkpoint", path("m.h5"), "--out", path("m2.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("does not match the model's"), std::string::npos) << r.output;
  EXPECT_EQ(read_text(p), before);
  EXPECT_FALSE(testing::fs::exists(path("m2.h5")));
}

// Note [Panel frequency of a model]: check_matches compares the frequency (when the model file
// records it) and the season length, naming the panel file and both values.
TEST(PanelFingerprintCheck, FrequencyAndSeasonLengthMustMatch) {
  PanelHeader daily;
  daily.axis.freq = Freq::Day;
  daily.axis.season_length = 7;
  daily.ids = {"A"};
  PanelHeader weekly = daily;
  weekly.axis.freq = Freq::Week;
  weekly.axis.season_length = 52;
  const PanelFingerprint fp = PanelFingerprint::of(daily);
  ASSERT_EQ(fp.freq, Freq::Day);
  EXPECT_NO_THROW(fp.check_matches(daily, "daily.h5"));
  auto message = [](const PanelFingerprint& f, const PanelHeader& h) -> std::string {
    try {
      f.check_matches(h, "weekly.h5");
    } catch (const InputError& e) {
      return e.what();
    }
    return "(no error)";
  };
  std::string m = message(fp, weekly);
  EXPECT_NE(m.find("weekly.h5: "), std::string::npos) << m;
  EXPECT_NE(m.find("frequency expected D, got W"), std::string::npos) << m;
  weekly.axis.season_length = 7;  // the frequency alone
  m = message(fp, weekly);
  EXPECT_NE(m.find("frequency expected D, got W"), std::string::npos) << m;
  PanelHeader fortnight = daily;  // the season alone
  fortnight.axis.season_length = 14;
  m = message(fp, fortnight);
  EXPECT_NE(m.find("season length expected 7, got 14"), std::string::npos) << m;
  PanelFingerprint old = fp;  // a model file from before the frequency was recorded
  old.freq.reset();
  EXPECT_NO_THROW(old.check_matches(weekly, "weekly.h5"));  // season 7 both: not checked further
  EXPECT_THROW(old.check_matches(fortnight, "fortnight.h5"), InputError);
}

TEST_F(Update, CheckpointOfADailyPanelIsRefusedOnAWeeklyPanel) {
  std::string daily = "series_id,time,value\n", weekly = daily;
  for (int d = 1; d <= 28; ++d)
    daily += "A," + std::string("2024-01-") + (d < 10 ? "0" : "") + std::to_string(d) + "," + std::to_string(d % 5) + "\n";
  for (int w = 0; w < 28; ++w) {  // Mondays from 2024-01-01
    const int64_t day = days_from_civil(2024, 1, 1) + 7 * w;
    int64_t y;
    unsigned mo, dd;
    civil_from_days(day, y, mo, dd);
    char date[16];
    std::snprintf(date, sizeof date, "%04d-%02u-%02u", static_cast<int>(y), mo, dd);
    weekly += std::string("A,") + date + "," + std::to_string(w % 5) + "\n";
  }
  ASSERT_EQ(run_skucast({"ingest", "--csv", write("d.csv", daily), "--out", path("d.h5")}).rc, 0);
  ASSERT_EQ(run_skucast({"ingest", "--csv", write("w.csv", weekly), "--out", path("w.h5")}).rc, 0);
  ASSERT_EQ(run_skucast({"ingest", "--csv", path("w.csv"), "--season-length", "7", "--out", path("w7.h5")}).rc, 0);
  CliResult r = run_skucast({"train", "--model", "gru", "--panel", path("d.h5"), "--horizon", "2", "--hidden", "4",
                             "--layers", "1", "--context", "4", "--epochs", "1", "--batch", "2", "--ensemble", "1",
                             "--out", path("m.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  DeepArState st = load_checkpoint(path("m.h5"));
  EXPECT_EQ(st.panel.freq, Freq::Day);
  auto forecast = [&](const std::string& panel, const std::string& model) {
    return run_skucast({"forecast", "--panel", panel, "--model", "gru", "--checkpoint", model, "--horizon", "2",
                        "--out", path("f.h5")});
  };
  for (const std::string& panel : {path("w.h5"), path("w7.h5")}) {
    r = forecast(panel, path("m.h5"));
    EXPECT_EQ(r.rc, 2) << r.output;
    EXPECT_NE(r.output.find(panel + ": the panel does not match the model's: frequency expected D, got W"),
              std::string::npos)
        << r.output;
  }
  EXPECT_FALSE(testing::fs::exists(path("f.h5")));
  EXPECT_EQ(forecast(path("d.h5"), path("m.h5")).rc, 0);

  // A model file without the attribute (written before it) loads with the frequency unknown:
  // only the season length is checked.
  st.panel.freq.reset();
  save_checkpoint(path("old.h5"), st);
  EXPECT_EQ(load_checkpoint(path("old.h5")).panel.freq, std::nullopt);
  r = forecast(path("w.h5"), path("old.h5"));
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("season length expected 7, got 52"), std::string::npos) << r.output;
  r = forecast(path("w7.h5"), path("old.h5"));
  EXPECT_EQ(r.rc, 0) << r.output;
}

}  // namespace
}  // namespace skucast
