// tests/io/test_update_inputs.cpp — what `skucast update` reads from a nightly CSV beyond the
// plain rows: the guard against one mistyped date stretching the panel (Note [Long update] in
// io/panel_update.cpp) and the static and weight columns read without --static/--weight-col
// (Note [Update column defaults]). The merge itself is tested in tests/deepar/test_update.cpp.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "io/csv_ingest.h"
#include "io/panel.h"
#include "io/panel_update.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

using testing::CliResult;
using testing::read_text;
using testing::run_skucast;
using testing::ScratchTest;

// ISO date `days` days after 2024-01-01 (a Monday), by the civil calendar (2024 is a leap year).
std::string day(int days) {
  static const int kMonthDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int y = 2024, m = 0, d = days;
  for (;;) {
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    const int len = m == 1 ? (leap ? 29 : 28) : kMonthDays[m];
    if (d < len) break;
    d -= len;
    if (++m == 12) m = 0, ++y;
  }
  char buf[48];  // room for any int, so -Wformat-truncation is satisfied
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m + 1, d + 1);
  return buf;
}

class UpdateInputs : public ScratchTest {
 protected:
  // One series 'a' with a value on days [0, n_days) (every `stride` days), ingested as `name`.
  std::string panel(const std::string& name, int n_days, int stride = 1) {
    std::string rows = "series_id,time,value\n";
    for (int t = 0; t < n_days; t += stride) rows += "a," + day(t) + "," + std::to_string(t % 5) + "\n";
    IngestOptions o;
    o.csv_path = write(name + ".csv", rows);
    ingest_csv(o, path(name));
    return path(name);
  }
  // Updates `p` with one row of 'a' on `d` into out.h5; the InputError's text, or "" on success.
  std::string try_update(const std::string& p, const std::string& d, bool allow_long_axis = false) {
    IngestOptions u;
    u.csv_path = write("inc.csv", "series_id,time,value\na," + d + ",1\n");
    u.allow_long_axis = allow_long_axis;
    try {
      update_panel(p, u, path("out.h5"));
      return "";
    } catch (const InputError& e) {
      return e.what();
    }
  }
};

// ---------------------------------------------------------- Note [Long update] ----

// A typo the other way (2014 for 2024) lands before the panel's start: refused, naming the line.
TEST_F(UpdateInputs, TimeBeforeThePanelIsNamedByLine) {
  const std::string p = panel("p.h5", 20);
  IngestOptions u;
  u.csv_path = write("inc.csv", "series_id,time,value\na," + day(20) + ",1\na,2014-01-21,2\n");
  try {
    update_panel(p, u, path("out.h5"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("inc.csv:3: time 2014-01-21 is before the start of"), std::string::npos)
        << e.what();
  }
}

// The reproducer of the bug: ten days of history and three of known prices, then one row with
// 2034 typed for 2024. It stretched the history 10 -> 3664 steps; now it is refused, naming the
// line, the time and the lengths, and the panel (rewritten in place by default) is untouched.
TEST_F(UpdateInputs, MistypedYearIsRefusedWithThePanelUntouched) {
  std::string hist = "series_id,time,value,price\n";
  for (int i = 0; i < 13; ++i) hist += "a," + day(i) + "," + (i < 10 ? std::to_string(i % 4) : "") + ",1.5\n";
  ASSERT_EQ(run_skucast({"ingest", "--csv", write("hist.csv", hist), "--dynamic", "price", "--out", path("p.h5")}).rc,
            0);
  const std::string before = read_text(path("p.h5"));
  const std::string typo = write("typo.csv", "series_id,time,value,price\na,2034-01-11,3,1.5\n");
  CliResult r = run_skucast({"update", "--panel", path("p.h5"), "--append", typo});
  EXPECT_EQ(r.rc, 2) << r.output;
  for (const char* part : {"typo.csv:2: time '2034-01-11'", "from 10 to 3664 steps", "2024-01-10 to 2034-01-11",
                           "at most 92 steps", "--allow-long-axis"})
    EXPECT_NE(r.output.find(part), std::string::npos) << part << "\n" << r.output;
  EXPECT_EQ(read_text(path("p.h5")), before);
  EXPECT_EQ(testing::list_dir(m_dir), (std::vector<std::string>{"hist.csv", "p.h5", "typo.csv"}));  // no temp left

  // The same typo in a row of next days' prices (no value) stretches the known future.
  const std::string future =
      write("future.csv", "series_id,time,value,price\na,2024-01-11,3,1.5\na,2034-01-13,,1.5\n");
  r = run_skucast({"update", "--panel", path("p.h5"), "--append", future});
  EXPECT_EQ(r.rc, 2) << r.output;
  for (const char* part : {"future.csv:3: time '2034-01-13'", "known future", "--allow-long-axis"})
    EXPECT_NE(r.output.find(part), std::string::npos) << part << "\n" << r.output;
  EXPECT_EQ(read_text(path("p.h5")), before);

  // A gap that is meant: the flag accepts it.
  r = run_skucast({"update", "--panel", path("p.h5"), "--append", typo, "--allow-long-axis", "--panel-out",
                   path("p2.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("history 10 → 3664 steps"), std::string::npos) << r.output;
  EXPECT_EQ(PanelReader(path("p2.h5")).header().n_steps, 3664);
}

// A typo in one row of a big nightly CSV: the CSV's own axis is then long too, and ingest's
// check (Note [Long axis]) names the row first; the same flag accepts it.
TEST_F(UpdateInputs, MistypedYearAmongManyRowsIsNamedByTheCsvCheck) {
  const std::string p = panel("p.h5", 30);
  std::string rows = "series_id,time,value\n";
  for (int s = 0; s < 20; ++s) rows += "s" + std::to_string(s) + "," + day(30) + ",1\n";
  rows += "a,2034-01-31,2\n";  // line 22
  IngestOptions u;
  u.csv_path = write("inc.csv", rows);
  try {
    update_panel(p, u, path("out.h5"));
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("inc.csv:22"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--allow-long-axis"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(testing::fs::exists(path("out.h5")));
  u.allow_long_axis = true;
  update_panel(p, u, path("out.h5"));
}

// Plausible increments pass: a month of daily rows on a 300-day panel, the next week and three
// missed weeks on a weekly panel, a month on a young daily panel. The allowance is exact:
// max(T/2, 92) days, max(T/2, 13) weeks.
TEST_F(UpdateInputs, PlausibleIncrementsAreAccepted) {
  const std::string daily = panel("d.h5", 300);  // days 0..299
  EXPECT_EQ(try_update(daily, day(300)), "");
  EXPECT_EQ(try_update(daily, day(329)), "");   // 30 new days
  EXPECT_EQ(try_update(daily, day(449)), "");   // 150 = 300 / 2
  EXPECT_NE(try_update(daily, day(450)), "");   // 151
  EXPECT_EQ(try_update(daily, day(450), true), "");

  const std::string weekly = panel("w.h5", 20 * 7, 7);  // 20 Mondays
  ASSERT_EQ(PanelReader(weekly).header().axis.freq, Freq::Week);
  EXPECT_EQ(try_update(weekly, day(20 * 7)), "");        // the next week
  EXPECT_EQ(try_update(weekly, day(23 * 7)), "");        // three missed runs, then this week
  EXPECT_EQ(try_update(weekly, day(32 * 7)), "");        // 13 weeks: the floor
  const std::string late = try_update(weekly, day(33 * 7));
  EXPECT_NE(late.find("at most 13 steps"), std::string::npos) << late;

  const std::string young = panel("y.h5", 10);
  EXPECT_EQ(try_update(young, day(40)), "");   // a month on ten days
  EXPECT_EQ(try_update(young, day(101)), "");  // 92 new days
  EXPECT_NE(try_update(young, day(102)), "");
  // Restating old days never grows anything.
  EXPECT_EQ(try_update(young, day(0)), "");
}

// ------------------------------------------------- Note [Update column defaults] ----

// Export a panel with statics and weights, ingest it without two of its series, then update
// with the exported rows of those two and no --static/--weight-col: they come back with their
// attributes and weights. An existing series whose store differs keeps the panel's and is
// counted in the warning, as with --static.
TEST_F(UpdateInputs, ExportedStaticAndWeightColumnsAreReadWithoutFlags) {
  std::string rows = "series_id,time,value,price,store,dept,weight\n";
  const char* ids[] = {"A", "B", "C", "D"};
  const char* stores[] = {"s1", "s2", "s1", "s3"};
  const char* depts[] = {"food", "toys", "toys", "garden"};
  const char* weights[] = {"10", "5", "2.5", "7"};
  for (int s = 0; s < 4; ++s)
    for (int t = 0; t < 6; ++t)
      rows += std::string(ids[s]) + "," + day(t) + "," + std::to_string(s + t) + ",1.5," + stores[s] + "," +
              depts[s] + "," + weights[s] + "\n";
  ASSERT_EQ(run_skucast({"ingest", "--csv", write("all.csv", rows), "--dynamic", "price", "--static", "store,dept",
                         "--weight-col", "weight", "--out", path("all.h5")})
                .rc,
            0);
  ASSERT_EQ(run_skucast({"export", path("all.h5"), "--csv", path("exp.csv")}).rc, 0);
  const std::string exported = read_text(path("exp.csv"));
  const size_t eol = exported.find('\n');
  const std::string header = exported.substr(0, eol + 1);
  ASSERT_EQ(header, "series_id,time,value,price,dept,store,weight\n") << header;  // as export writes it
  std::string kept = header, dropped = header;
  for (size_t pos = eol + 1; pos < exported.size();) {
    const size_t next = exported.find('\n', pos) + 1;
    const std::string line = exported.substr(pos, next - pos);
    (line[0] == 'B' || line[0] == 'D' ? dropped : kept) += line;
    pos = next;
  }
  ASSERT_EQ(run_skucast({"ingest", "--csv", write("kept.csv", kept), "--dynamic", "price", "--static", "store,dept",
                         "--weight-col", "weight", "--out", path("p.h5")})
                .rc,
            0);
  // A's store changed in the feed: ignored (stable codes), said.
  dropped += "A," + day(5) + ",5,1.5,food,s9,10\n";
  const CliResult r =
      run_skucast({"update", "--panel", path("p.h5"), "--append", write("dropped.csv", dropped)});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_EQ(r.output.find("get weight 0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 static value(s) in " + path("dropped.csv") + " differ from the panel's"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("series 'A' store 's9' (panel: 's1')"), std::string::npos) << r.output;

  const PanelReader u(path("p.h5"));
  const PanelHeader& h = u.header();
  ASSERT_EQ(h.ids, (std::vector<std::string>{"A", "C", "B", "D"}));
  auto level = [&](const char* attr, size_t i) {
    const StaticAttr* a = h.find_static(attr);
    return a->levels[static_cast<size_t>(a->codes[i])];
  };
  const std::vector<std::string> want_store = {"s1", "s1", "s2", "s3"}, want_dept = {"food", "toys", "toys", "garden"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(level("store", i), want_store[i]) << h.ids[i];
    EXPECT_EQ(level("dept", i), want_dept[i]) << h.ids[i];
  }
  EXPECT_EQ(h.weights, (std::vector<float>{10, 2.5f, 5, 7}));

  // The whole panel came back: the same as ingesting everything, up to series order.
  const PanelReader all(path("all.h5"));
  const std::vector<float> y = u.read_target(0, 4), y_all = all.read_target(0, 4);  // [4, 6]
  const size_t perm[] = {0, 2, 1, 3};  // u's row i is all's row perm[i]
  for (size_t i = 0; i < 4; ++i)
    for (size_t t = 0; t < 6; ++t) EXPECT_EQ(y[i * 6 + t], y_all[perm[i] * 6 + t]) << h.ids[i] << " " << t;
}

// Flags given are taken as they are; a CSV without the columns keeps the old behaviour; an
// unweighted panel does not start reading a 'weight' column on its own.
TEST_F(UpdateInputs, ColumnDefaultsOnlyFillFlagsNotGiven) {
  const std::string base = write("b.csv",
                                 "series_id,time,value,store,dept,weight\n"
                                 "A,2024-01-01,1,s1,d1,4\nA,2024-01-02,2,s1,d1,4\n");
  IngestOptions o;
  o.csv_path = base;
  o.statics = {"store", "dept"};
  o.weight_col = "weight";
  ingest_csv(o, path("p.h5"));
  const std::string inc = write("i.csv", "series_id,time,value,store,dept,weight\nN,2024-01-03,1,s2,d2,3\n");

  IngestOptions u;  // --static store only: dept is not read
  u.csv_path = inc;
  u.statics = {"store"};
  update_panel(path("p.h5"), u, path("q.h5"));
  {
    const PanelHeader h = PanelReader(path("q.h5")).header();
    const StaticAttr* store = h.find_static("store");
    const StaticAttr* dept = h.find_static("dept");
    EXPECT_EQ(store->levels[static_cast<size_t>(store->codes[1])], "s2");
    EXPECT_EQ(dept->levels[static_cast<size_t>(dept->codes[1])], "");
    EXPECT_EQ(h.weights, (std::vector<float>{4, 3}));  // the weight default still applies
  }

  u = IngestOptions{};  // no such columns: "" and weight 0, with the warning
  u.csv_path = write("j.csv", "series_id,time,value\nN,2024-01-03,1\n");
  const UpdateStats st = update_panel(path("p.h5"), u, path("r.h5"));
  ASSERT_EQ(st.warnings.size(), 1u);
  EXPECT_NE(st.warnings[0].find("1 new series have no weight"), std::string::npos) << st.warnings[0];

  o = IngestOptions{};  // an unweighted panel: the CSV's weight column is not taken on its own
  o.csv_path = base;
  ingest_csv(o, path("nw.h5"));
  u = IngestOptions{};
  u.csv_path = inc;
  update_panel(path("nw.h5"), u, path("nw2.h5"));
  EXPECT_TRUE(PanelReader(path("nw2.h5")).header().weights.empty());
}

}  // namespace
}  // namespace skucast
