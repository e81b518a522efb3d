// tests/io/test_update_inputs.cpp — what `skucast update` checks in a nightly CSV beyond the
// plain rows: the guard against one mistyped date stretching the panel (Note [Long update] in
// io/panel_update.cpp). The merge itself is tested in tests/deepar/test_update.cpp.
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

}  // namespace
}  // namespace skucast
