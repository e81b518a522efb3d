// tests/io/test_ingest.cpp — `skucast ingest` and io/csv_ingest: happy paths on every
// frequency, gaps, staggered series, covariates, future rows and RFC 4180 quoting; and every
// kind of bad input, each checked for an error naming file, line and column, a non-zero
// exit, no output file, and an untouched pre-existing output.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "io/csv_fields.h"
#include "io/csv_ingest.h"
#include "io/csv_reader.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

using testing::CliResult;
using testing::run_skucast;
using testing::ScratchTest;

class Ingest : public ScratchTest {
 protected:
  PanelData read(const std::string& csv_text, IngestOptions opt = {}, IngestStats* st = nullptr) {
    opt.csv_path = write("in.csv", csv_text);
    return read_long_csv(opt, st);
  }
};

float at(const PanelData& p, int64_t s, int64_t t) { return p.target[static_cast<size_t>(s * p.header.n_steps + t)]; }

// ------------------------------------------------------------ tokenizer ----

TEST_F(Ingest, ReaderHandlesQuotesCrlfBomAndChunkBoundaries) {
  const std::string text =
      "\xEF\xBB\xBFid,name\r\n"
      "1,\"a,b\"\r\n"
      "\r\n"
      "2,\"say \"\"hi\"\"\"\n"
      "3,\"multi\nline\"\n"
      "4,\"\"\n"
      "5,plain";
  const std::string p = write("q.csv", text);
  for (size_t chunk : {size_t{1} << 20, size_t{64}, size_t{3}}) {  // 3: every record spans refills
    CsvReader r(p, chunk);
    CsvRecord rec;
    std::vector<std::vector<std::string>> rows;
    std::vector<int64_t> lines;
    while (r.next(rec)) {
      rows.emplace_back(rec.fields.begin(), rec.fields.end());
      lines.push_back(rec.line);
    }
    ASSERT_EQ(rows.size(), 6u) << "chunk " << chunk;
    EXPECT_EQ(rows[0], (std::vector<std::string>{"id", "name"}));
    EXPECT_EQ(rows[1][1], "a,b");
    EXPECT_EQ(rows[2][1], "say \"hi\"");
    EXPECT_EQ(rows[3][1], "multi\nline");
    EXPECT_EQ(rows[4][1], "");
    EXPECT_EQ(rows[5][1], "plain");
    EXPECT_EQ(lines, (std::vector<int64_t>{1, 2, 4, 5, 7, 8}));
  }
}

TEST_F(Ingest, ReaderGivesTheSameRecordsForEveryChunkSizeAndPart) {
  // Random fields with commas, quotes, CR/LF inside quotes; every record must come back the
  // same whatever the buffer size, and when read as byte ranges split at record boundaries.
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  auto next = [&] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  const char alphabet[] = "ab,\"\n\r 1";
  std::vector<std::vector<std::string>> want;
  std::string text;
  for (int r = 0; r < 300; ++r) {
    std::vector<std::string> row;
    for (int c = 0; c < 3; ++c) {
      std::string f;
      const int n = static_cast<int>(next() % 6);
      for (int i = 0; i < n; ++i) f += alphabet[next() % (sizeof alphabet - 1)];
      if (f.empty() && c == 0) f = "x";  // a lone empty field would be a blank line
      row.push_back(f);
      std::string enc = "\"";
      for (char ch : f) {
        if (ch == '"') enc += '"';
        enc += ch;
      }
      text += (c ? "," : "") + enc + "\"";
    }
    text += (r % 2) ? "\r\n" : "\n";
    want.push_back(row);
  }
  const std::string p = write("fuzz.csv", text);
  for (size_t chunk = 1; chunk <= 33; chunk += 4) {
    CsvReader r(p, chunk);
    CsvRecord rec;
    size_t i = 0;
    std::vector<std::pair<int64_t, int64_t>> bounds;  // (offset, line) of every 50th record
    while (true) {
      if (i % 50 == 0) bounds.emplace_back(r.offset(), r.line());
      if (!r.next(rec)) break;
      ASSERT_LT(i, want.size());
      ASSERT_EQ(std::vector<std::string>(rec.fields.begin(), rec.fields.end()), want[i]) << "record " << i << " chunk " << chunk;
      ++i;
    }
    ASSERT_EQ(i, want.size());
    bounds.emplace_back(r.offset(), r.line());
    // Parts [bounds[k], bounds[k+1]) read independently give the same records and lines.
    size_t j = 0;
    int64_t last_line = 0;
    for (size_t k = 0; k + 1 < bounds.size(); ++k) {
      CsvReader part(p, chunk, ',', bounds[k].first, bounds[k + 1].first, bounds[k].second);
      while (part.next(rec)) {
        ASSERT_EQ(std::vector<std::string>(rec.fields.begin(), rec.fields.end()), want[j]) << "part " << k;
        EXPECT_GT(rec.line, last_line);
        last_line = rec.line;
        ++j;
      }
    }
    EXPECT_EQ(j, want.size());
  }
}

// ----------------------------------------------------------- happy paths ----

TEST_F(Ingest, DailyGapsStaggeredAndFirstAppearanceOrder) {
  // Series "b" appears first; "a" starts later and has a gap; "b" ends earlier.
  const PanelData p = read(
      "series_id,time,value\n"
      "b,2020-01-01,1\n"
      "b,2020-01-02,2\n"
      "a,2020-01-02,5\n"
      "a,2020-01-05,0\n"
      "b,2020-01-03,3\n"
      "a,2020-01-03,6\n");
  const PanelHeader& h = p.header;
  EXPECT_EQ(h.ids, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(h.axis.freq, Freq::Day);
  EXPECT_EQ(h.axis.start_label(), "2020-01-01");
  EXPECT_EQ(h.axis.season_length, 7);
  ASSERT_EQ(h.n_steps, 5);
  EXPECT_EQ(h.n_future, 0);
  EXPECT_EQ(at(p, 0, 0), 1.0f);
  EXPECT_EQ(at(p, 0, 2), 3.0f);
  EXPECT_TRUE(std::isnan(at(p, 0, 3)));  // delisted
  EXPECT_TRUE(std::isnan(at(p, 1, 0)));  // not yet listed
  EXPECT_EQ(at(p, 1, 1), 5.0f);
  EXPECT_TRUE(std::isnan(at(p, 1, 3)));  // gap
  EXPECT_EQ(at(p, 1, 4), 0.0f);          // observed zero stays zero
}

TEST_F(Ingest, FrequenciesInferredAndExplicit) {
  struct Case {
    std::string times[3];
    std::string freq;  // given; "" = infer
    Freq want;
    std::string start;
    int64_t n_steps;
  };
  const std::vector<Case> cases = {
      {{"2021-01-04", "2021-01-18", "2021-01-11"}, "", Freq::Week, "2021-01-04", 3},
      {{"2021-01-04", "2021-01-18", "2021-01-11"}, "W", Freq::Week, "2021-01-04", 3},
      {{"2021-03-01", "2021-01-01", "2021-02-01"}, "", Freq::Month, "2021-01-01", 3},
      {{"2021-01-31", "2021-02-28", "2021-04-30"}, "", Freq::Month, "2021-01-31", 4},
      {{"2021-01-01", "2021-07-01", "2021-04-01"}, "", Freq::Quarter, "2021-01-01", 3},
      {{"2021-01-01", "2021-07-01", "2021-04-01"}, "M", Freq::Month, "2021-01-01", 7},
      {{"2019-01-01", "2021-01-01", "2020-01-01"}, "", Freq::Year, "2019-01-01", 3},
      {{"2021-01-01", "2021-01-03", "2021-01-02"}, "", Freq::Day, "2021-01-01", 3},
      {{"2021-01-01T00:00:00", "2021-01-03 00:00:00", "2021-01-02"}, "D", Freq::Day, "2021-01-01", 3},
      {{"-2", "3", "0"}, "", Freq::Index, "-2", 6},
      {{"10", "12", "11"}, "1", Freq::Index, "10", 3},
  };
  for (const Case& c : cases) {
    IngestOptions opt;
    opt.freq = c.freq;
    const PanelData p = read("series_id,time,value\nx," + c.times[0] + ",1\nx," + c.times[1] + ",2\ny," + c.times[2] + ",3\n", opt);
    SCOPED_TRACE(c.times[0] + " freq '" + c.freq + "'");
    EXPECT_EQ(p.header.axis.freq, c.want);
    EXPECT_EQ(p.header.axis.start_label(), c.start);
    EXPECT_EQ(p.header.n_steps, c.n_steps);
    EXPECT_EQ(p.header.axis.season_length, default_season_length(c.want));
  }
}

// Ids that differ only in spaces around them stay separate series, with a warning naming a pair.
TEST_F(Ingest, IdsDifferingInSpacesAreSaid) {
  IngestStats st;
  const PanelData p = read("series_id,time,value\na,2021-01-01,1\n\"a \",2021-01-01,2\nb,2021-01-01,3\n"
                           "\" b\",2021-01-01,4\nA,2021-01-01,5\n",
                           {}, &st);
  EXPECT_EQ(p.header.ids, (std::vector<std::string>{"a", "a ", "b", " b", "A"}));
  ASSERT_EQ(st.warnings.size(), 1u);
  EXPECT_NE(st.warnings[0].find("2 series id(s) differ from another only in spaces around them (e.g. 'a' and 'a ')"),
            std::string::npos)
      << st.warnings[0];
  st = {};
  read("series_id,time,value\na,2021-01-01,1\nA,2021-01-01,2\n", {}, &st);
  EXPECT_TRUE(st.warnings.empty());  // case is part of an id
}

// Note [Sparse inferred days]: weekly rows on two different weekdays infer as daily with most
// cells empty, and ingest says so (a warning, not an error); --freq D silences it, and evenly
// dated weekly rows and dense daily ones get no warning.
TEST_F(Ingest, SparseInferredDaysAreSaid) {
  std::string mixed = "series_id,time,value\n", weekly = mixed, daily = mixed;
  // Mondays for x, Sundays for y (six weeks from 2021-01-04 / 2021-01-03).
  const char* mondays[] = {"2021-01-04", "2021-01-11", "2021-01-18", "2021-01-25", "2021-02-01", "2021-02-08"};
  const char* sundays[] = {"2021-01-03", "2021-01-10", "2021-01-17", "2021-01-24", "2021-01-31", "2021-02-07"};
  for (int w = 0; w < 6; ++w) {
    mixed += std::string("x,") + mondays[w] + ",1\ny," + sundays[w] + ",2\n";
    weekly += std::string("x,") + mondays[w] + ",1\ny," + mondays[w] + ",2\n";
  }
  for (int d = 1; d <= 9; ++d) daily += "x,2021-01-0" + std::to_string(d) + ",1\n";
  IngestStats st;
  EXPECT_EQ(read(mixed, {}, &st).header.axis.freq, Freq::Day);
  ASSERT_EQ(st.warnings.size(), 1u);
  EXPECT_NE(st.warnings[0].find("inferred as daily, but only 16 % of the series x day cells"), std::string::npos)
      << st.warnings[0];
  EXPECT_NE(st.warnings[0].find("--freq W"), std::string::npos);
  IngestOptions d;
  d.freq = "D";
  st = {};
  read(mixed, d, &st);
  EXPECT_TRUE(st.warnings.empty());
  st = {};
  EXPECT_EQ(read(weekly, {}, &st).header.axis.freq, Freq::Week);
  EXPECT_TRUE(st.warnings.empty());
  st = {};
  read(daily, {}, &st);
  EXPECT_TRUE(st.warnings.empty());
}

TEST_F(Ingest, DynamicStaticWeightAndFutureRows) {
  IngestOptions opt;
  opt.dynamic = {"price", "promo"};
  opt.statics = {"store", "dept"};
  opt.weight_col = "w";
  opt.season_length = 3;
  // Columns in another order than the options; future rows (empty value) after 01-03.
  const PanelData p = read(
      "store,time,price,series_id,value,promo,dept,w\n"
      "S2,2020-01-01,1.5,A,4,0,D1,10\n"
      "S2,2020-01-02,1.5,A,,1,,10\n"
      "S1,2020-01-01,2.25,B,1,,D1,2.5\n"
      "S1,2020-01-03,2.0,B,7,0,D1,\n"
      "S2,2020-01-04,1.25,A,,1,D1,10\n"
      ",2020-01-05,1.0,B,,,,\n",
      opt);
  const PanelHeader& h = p.header;
  EXPECT_EQ(h.ids, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(h.n_steps, 3);
  EXPECT_EQ(h.n_future, 2);
  EXPECT_EQ(h.axis.season_length, 3);
  ASSERT_EQ(h.dynamic.size(), 2u);
  EXPECT_EQ(h.dynamic[0].name, "price");
  EXPECT_EQ(h.dynamic[1].name, "promo");
  const std::vector<float>& price = p.dynamic[0];  // [S, T+F]
  ASSERT_EQ(price.size(), 10u);
  EXPECT_EQ(price[0], 1.5f);
  EXPECT_EQ(price[1], 1.5f);
  EXPECT_TRUE(std::isnan(price[2]));
  EXPECT_EQ(price[3], 1.25f);  // A, future step 1
  EXPECT_TRUE(std::isnan(price[4]));
  EXPECT_EQ(price[5], 2.25f);
  EXPECT_EQ(price[9], 1.0f);  // B, future step 2
  EXPECT_TRUE(std::isnan(p.dynamic[1][5]));  // B promo empty on 01-01
  EXPECT_TRUE(std::isnan(at(p, 0, 1)));      // empty value in history: missing
  EXPECT_EQ(at(p, 1, 2), 7.0f);
  ASSERT_EQ(h.statics.size(), 2u);
  EXPECT_EQ(h.statics[0].name, "store");
  EXPECT_EQ(h.statics[0].levels, (std::vector<std::string>{"S1", "S2"}));  // sorted
  EXPECT_EQ(h.statics[0].codes, (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(h.statics[1].levels, (std::vector<std::string>{"D1"}));
  EXPECT_EQ(h.weights, (std::vector<float>{10.0f, 2.5f}));
}

TEST_F(Ingest, QuotedIdsAndNonFiniteValuesCountedAsMissing) {
  IngestStats st;
  const PanelData p = read(
      "series_id,time,value\r\n"
      "\"ACME, Inc. \"\"big\"\"\",1,NaN\r\n"
      "\"ACME, Inc. \"\"big\"\"\",2,inf\r\n"
      "plain,1,NA\r\n"
      "plain,2, 3.5 \r\n",
      {}, &st);
  EXPECT_EQ(p.header.ids, (std::vector<std::string>{"ACME, Inc. \"big\"", "plain"}));
  EXPECT_EQ(st.n_nonfinite_value, 3);
  ASSERT_EQ(st.warnings.size(), 1u);
  EXPECT_NE(st.warnings[0].find("3 NaN/Inf/NA"), std::string::npos);
  EXPECT_TRUE(std::isnan(at(p, 0, 0)));
  EXPECT_TRUE(std::isnan(at(p, 0, 1)));
  EXPECT_EQ(at(p, 1, 1), 3.5f);
}

// Note [Written NaN ends the history]: a value written NA or NaN marks a history step whose sale
// is missing (export pins a history end that way), an empty one a future row; when written
// NaN/NA values alone carry the history past its last number, ingest says so and how to fix it.
TEST_F(Ingest, WrittenNaEndsTheHistoryAndIsSaid) {
  const std::string rows = "series_id,time,value,price\n"
                           "a,1,3,1.5\n"
                           "a,2,4,1.5\n"
                           "a,3,@,1.25\n"
                           "a,4,@,1.25\n";
  IngestOptions opt;
  opt.dynamic = {"price"};
  auto with = [&](const std::string& missing) {
    std::string csv = rows;
    for (size_t at = csv.find('@'); at != std::string::npos; at = csv.find('@')) csv.replace(at, 1, missing);
    return csv;
  };
  IngestStats st;
  const PanelData empty = read(with(""), opt, &st);
  EXPECT_EQ(empty.header.n_steps, 2);
  EXPECT_EQ(empty.header.n_future, 2);
  EXPECT_TRUE(st.warnings.empty());
  for (const std::string missing : {"NA", "NaN"}) {
    IngestStats sn;
    const PanelData p = read(with(missing), opt, &sn);
    EXPECT_EQ(p.header.n_steps, 4) << missing;
    EXPECT_EQ(p.header.n_future, 0) << missing;
    ASSERT_EQ(sn.warnings.size(), 2u) << missing;  // the count, then the history's end
    EXPECT_NE(sn.warnings[1].find("in.csv: the history ends at 4, a step whose sales are written NaN/NA; the last "
                                  "number is at 2, so the 2 step(s) after it are history with missing sales"),
              std::string::npos)
        << sn.warnings[1];
    EXPECT_NE(sn.warnings[1].find("na = \"\""), std::string::npos) << sn.warnings[1];
  }
  IngestStats inside;  // a written NA before the last number: no second warning
  read("series_id,time,value\na,1,NA\na,2,4\n", {}, &inside);
  EXPECT_EQ(inside.warnings.size(), 1u);
}

TEST_F(Ingest, TinyChunksGiveTheSamePanel) {
  std::string csv = "series_id,time,value,price\n";
  for (int s = 0; s < 7; ++s)
    for (int t = 0; t < 30; t += 1 + s % 3)
      csv += "\"s," + std::to_string(s) + "\"," + std::to_string(t) + "," + std::to_string(s * 100 + t) + ".25," +
             std::to_string(t % 5) + "\n";
  IngestOptions opt;
  opt.dynamic = {"price"};
  const PanelData big = read(csv, opt);
  opt.chunk_bytes = 5;
  opt.split_bytes = 50;  // pass 2 in many parts, on all threads
  const PanelData small = read(csv, opt);
  EXPECT_EQ(small.header.ids, big.header.ids);
  ASSERT_EQ(small.target.size(), big.target.size());
  for (size_t i = 0; i < big.target.size(); ++i)
    EXPECT_TRUE(small.target[i] == big.target[i] || (std::isnan(small.target[i]) && std::isnan(big.target[i])));
  EXPECT_EQ(big.header.n_steps, 30);
  EXPECT_EQ(at(big, 2, 3), 203.25f);
}

TEST_F(Ingest, DuplicateFoundAcrossParallelParts) {
  std::string csv = "series_id,time,value\n";
  for (int t = 0; t < 200; ++t) csv += "a," + std::to_string(t) + ",1\n";
  csv += "a,17,2\n";
  IngestOptions opt;
  opt.split_bytes = 64;
  try {
    read(csv, opt);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("duplicate row for series 'a' at time '17'"), std::string::npos) << msg;
    // Either row of the pair may be the one reported when parts run in parallel.
    EXPECT_TRUE(msg.find("in.csv:19:") != std::string::npos || msg.find("in.csv:202:") != std::string::npos) << msg;
  }
}

TEST_F(Ingest, FastFloatPathMatchesFromChars) {
  // Plain decimals take a fast path in csv::parse_float; it must give the same float.
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 200000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const uint32_t m = static_cast<uint32_t>(x % 10000000);
    const int frac = static_cast<int>((x >> 40) % 8);
    uint32_t p10 = 1;
    for (int k = 0; k < frac; ++k) p10 *= 10;
    const char* sign = ((x >> 50) & 1) ? "-" : "";
    char buf[32];
    if (frac > 0) std::snprintf(buf, sizeof buf, "%s%u.%0*u", sign, m / p10, frac, m % p10);
    else std::snprintf(buf, sizeof buf, "%s%u", sign, m);
    const std::string s = buf;
    float fast = 0, ref = 0;
    ASSERT_EQ(csv::parse_float(s, fast), csv::NumKind::Finite) << s;
    std::from_chars(s.data(), s.data() + s.size(), ref);
    ASSERT_EQ(std::memcmp(&fast, &ref, sizeof fast), 0) << s << ": " << fast << " vs " << ref;
  }
}

TEST_F(Ingest, CliWritesPanelAndWarnsOnNaN) {
  const std::string csv = write("sales.csv",
                                "series_id,time,value,price,store\n"
                                "a,2020-01-06,1,9.5,S1\n"
                                "a,2020-01-13,nan,9.5,S1\n"
                                "b,2020-01-13,-2,9,S2\n"
                                "b,2020-01-20,,8,S2\n");
  const std::string out = path("p.h5");
  CliResult r = run_skucast({"ingest", "--csv", csv, "--dynamic", "price", "--static", "store", "--freq", "W",
                             "--allow-negative", "--out", out});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("warning"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 NaN/Inf/NA"), std::string::npos) << r.output;
  PanelReader reader(out);
  const PanelHeader& h = reader.header();
  EXPECT_EQ(h.n_series(), 2);
  EXPECT_EQ(h.n_steps, 2);
  EXPECT_EQ(h.n_future, 1);
  EXPECT_EQ(h.axis.freq, Freq::Week);
  const std::vector<float> y = reader.read_target(0, 2);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_TRUE(std::isnan(y[1]));
  EXPECT_EQ(y[3], -2.0f);
  const std::vector<float> price = reader.read_dynamic("price", 0, 2);
  EXPECT_EQ(price[5], 8.0f);
  EXPECT_EQ(h.statics.at(0).levels, (std::vector<std::string>{"S1", "S2"}));
  CliResult info = run_skucast({"info", out});
  ASSERT_EQ(info.rc, 0) << info.output;
  EXPECT_NE(info.output.find("series:        2"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("2020-01-06 .. 2020-01-13"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("price"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("store"), std::string::npos) << info.output;
}

TEST_F(Ingest, FixtureFileIngests) {
  const std::string csv = std::string(SKUCAST_TEST_DATA) + "/ingest_small.csv";
  const std::string out = path("p.h5");
  CliResult r = run_skucast({"ingest", "--csv", csv, "--dynamic", "price,promo", "--static", "store,dept",
                             "--weight-col", "weight", "--out", out});
  ASSERT_EQ(r.rc, 0) << r.output;
  PanelReader reader(out);
  EXPECT_EQ(reader.header().n_series(), 4);
  EXPECT_EQ(reader.header().n_future, 2);
  EXPECT_EQ(reader.header().ids.at(1), "FOODS,1 \"special\"");
}

// ------------------------------------------------------------- bad input ----

struct BadCase {
  std::string name;
  std::string csv;
  std::vector<std::string> args;  // besides --csv/--out
  std::string where;              // expected "<file>:<line>" suffix, e.g. ":3:"
  std::string column;             // expected column name in the message ("" = none)
  std::string what;               // expected phrase
};

const std::string kHead = "series_id,time,value,price,store\n";

std::vector<BadCase> bad_cases() {
  return {
      {"Unparsable", kHead + "a,2020-01-01,1,2,S\na,2020-01-02,1x,2,S\n", {"--dynamic", "price"}, ":3:", "'value'", "cannot parse '1x'"},
      {"UnparsableDynamic", kHead + "a,2020-01-01,1,two,S\n", {"--dynamic", "price"}, ":2:", "'price'", "cannot parse 'two'"},
      {"MissingColumn", kHead + "a,2020-01-01,1,2,S\n", {"--dynamic", "promo"}, ":1:", "'promo'", "missing dynamic column"},
      {"MissingValueColumn", "series_id,time,sales\na,2020-01-01,1\n", {}, ":1:", "'value'", "missing value column"},
      {"Duplicate", kHead + "a,2020-01-01,1,2,S\nb,2020-01-01,1,2,S\na,2020-01-01,3,2,S\n", {}, ":4:", "", "duplicate row for series 'a'"},
      {"WeekOffAxis", kHead + "a,2020-01-06,1,2,S\na,2020-01-14,1,2,S\n", {"--freq", "W"}, ":3:", "'time'", "does not fit frequency W"},
      {"MonthNotFirst", kHead + "a,2020-01-01,1,2,S\na,2020-02-15,1,2,S\n", {"--freq", "M"}, ":3:", "'time'", "does not fit frequency M"},
      {"QuarterOffAxis", kHead + "a,2020-01-01,1,2,S\na,2020-02-01,1,2,S\n", {"--freq", "Q"}, ":3:", "'time'", "does not fit frequency Q"},
      {"BadDate", kHead + "a,2020-01-01,1,2,S\na,2020-13-01,1,2,S\n", {}, ":3:", "'time'", "expected a date"},
      // Note [Whole-day times]: midnight is accepted, other times of day say so (not "expected a date").
      {"TimeOfDayFirstRow", kHead + "a,2023-01-01 12:00,1,2,S\n", {}, ":2:", "'time'",
       "series 'a': time '2023-01-01 12:00' has a time of day other than midnight, which is not accepted"},
      {"TimeOfDayLaterRow", kHead + "a,2023-01-05 00:00:00,1,2,S\nb,2023-01-06T08:30:00Z,1,2,S\n", {"--freq", "D"},
       ":3:", "'time'", "series 'b': time '2023-01-06T08:30:00Z' has a time of day other than midnight"},
      {"IntegerForDaily", kHead + "a,5,1,2,S\n", {"--freq", "D"}, ":2:", "'time'", "expected a date"},
      {"DateForInteger", kHead + "a,1,1,2,S\na,2020-01-01,1,2,S\n", {}, ":3:", "'time'", "expected an integer"},
      {"Negative", kHead + "a,2020-01-01,1,2,S\na,2020-01-02,-3,2,S\n", {}, ":3:", "'value'", "negative sales"},
      {"StaticDiffers", kHead + "a,2020-01-01,1,2,S1\nb,2020-01-01,1,2,S1\na,2020-01-02,1,2,S2\n", {"--static", "store"}, ":4:", "'store'", "'S2' here but 'S1'"},
      {"WeightDiffers", "series_id,time,value,w\na,1,1,3\na,2,1,4\n", {"--weight-col", "w"}, ":3:", "'w'", "different weight"},
      {"RaggedShort", kHead + "a,2020-01-01,1,2,S\na,2020-01-02,1\n", {}, ":3:", "", "expected 5 fields"},
      {"RaggedLong", kHead + "a,2020-01-01,1,2,S,extra\n", {}, ":2:", "", "expected 5 fields"},
      {"UnclosedQuote", kHead + "a,2020-01-01,1,2,S\n\"a,2020-01-02,1,2,S\n", {}, ":3:", "", "never closed"},
      {"TextAfterQuote", kHead + "\"a\"x,2020-01-01,1,2,S\n", {}, ":2:", "", "after a closing quote"},
      {"EmptyId", kHead + ",2020-01-01,1,2,S\n", {}, ":2:", "'series_id'", "empty series id"},
      {"TooLarge", kHead + "a,2020-01-01,1e39,2,S\n", {}, ":2:", "'value'", "too large"},
      // Note [Largest panel value]: float32 holds these, the forecasts built on them overflow.
      {"BeyondPanelBound", kHead + "a,2020-01-01,1,2,S\na,2020-01-02,3e38,2,S\n", {}, ":3:", "'value'",
       "series 'a': '3e38' is too large (values must be at most 1e+30 in magnitude"},
      {"NegativeBeyondPanelBound", kHead + "a,2020-01-01,-2e30,2,S\n", {"--allow-negative"}, ":2:", "'value'",
       "'-2e30' is too large"},
      {"DynamicBeyondPanelBound", kHead + "a,2020-01-01,1,2,S\nb,2020-01-01,1,-5e31,S\n", {"--dynamic", "price"}, ":3:",
       "'price'", "series 'b': '-5e31' is too large"},
      {"EmptyFile", "", {}, "in.csv: empty file", "", "empty file"},
      {"HeaderOnly", kHead, {}, "in.csv: no data rows", "", "no data rows"},
      {"NoValues", kHead + "a,2020-01-01,,2,S\n", {}, "in.csv: no row has a value", "", "every value is empty"},
      {"HugeSpan", "series_id,time,value\na,-900000000000000,1\na,900000000000000,2\n", {}, "in.csv: the times span", "", "check the time column"},
      {"TimeOutOfRange", "series_id,time,value\na,-9000000000000000000,1\na,9000000000000000000,2\n", {}, "in.csv:2:", "", "out of range"},
      {"EventNotAFlag", "series_id,time,value,event_xmas\na,2020-01-01,1,0\na,2020-01-02,1,2\n", {"--events", "auto"}, ":3:", "'event_xmas'", "must be 0, 1 or empty"},
      {"EventsDisagree", "series_id,time,value,hol\na,2020-01-01,1,1\nb,2020-01-01,1,0\n", {"--events", "hol"}, ":3:", "'hol'", "differs from another row of the same time"},
      {"BadFreq", kHead + "a,2020-01-01,1,2,S\n", {"--freq", "H"}, "", "", "unknown frequency 'H'"},
      {"NegativeWeight", "series_id,time,value,w\na,1,1,3\nb,1,1,-2\n", {"--weight-col", "w"}, ":3:", "'w'", "negative weight '-2'"},
      {"WeightBeyondPanelBound", "series_id,time,value,w\na,1,1,3\nb,1,1,2e31\n", {"--weight-col", "w"}, ":3:", "'w'",
       "series 'b': '2e31' is too large"},
      // A NUL byte is shown as \x00, not cut the message short; a binary file is not read as a header.
      {"NulInValue", kHead + "a,2020-01-01,1" + std::string(1, '\0') + ",2,S\n", {}, ":2:", "'value'", "'1\\x00' holds a NUL byte"},
      {"BinaryFile", "\x7F" "ELF" + std::string(1, '\0') + "\x02,\x01\n" + kHead, {}, ":1:", "", "NUL byte: this is not a text CSV file"},
      {"Hdf5File", std::string("\x89HDF\r\n\x1a\n", 8) + std::string(8, '\0') + "rest", {}, "in.csv: this is an HDF5 file",
       "", "not a CSV file"},
  };
}

class IngestBad : public ScratchTest, public ::testing::WithParamInterface<BadCase> {};

TEST_P(IngestBad, FailsWithFileLineColumnAndWritesNothing) {
  const BadCase& c = GetParam();
  const std::string csv = write("in.csv", c.csv);
  const std::string out = path("out.h5");
  std::vector<std::string> args = {"ingest", "--csv", csv, "--out", out};
  args.insert(args.end(), c.args.begin(), c.args.end());

  CliResult r = run_skucast(args);
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("error"), std::string::npos) << r.output;
  if (!c.where.empty()) {
    std::string where = c.where;  // ":3:" → "in.csv:3:"; else a phrase that names the file
    if (where[0] == ':') where.insert(0, "in.csv");
    EXPECT_NE(r.output.find(where), std::string::npos) << r.output;
  }
  if (!c.column.empty()) {
    EXPECT_NE(r.output.find("column"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(c.column), std::string::npos) << r.output;
  }
  EXPECT_NE(r.output.find(c.what), std::string::npos) << r.output;
  // No output and no temporary file left behind.
  EXPECT_EQ(testing::list_dir(m_dir), std::vector<std::string>{"in.csv"});

  // A file already at --out is left exactly as it was.
  testing::write_text(out, "precious");
  r = run_skucast(args);
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_EQ(testing::read_text(out), "precious");
  EXPECT_EQ(testing::list_dir(m_dir), (std::vector<std::string>{"in.csv", "out.h5"}));
}

INSTANTIATE_TEST_SUITE_P(AllCases, IngestBad, ::testing::ValuesIn(bad_cases()),
                         [](const ::testing::TestParamInfo<BadCase>& i) { return i.param.name; });

// Note [Largest panel value]: values below the bound are kept as they are ("1e30" itself reads as
// the float 1.0000000150e30, just beyond it).
TEST_F(Ingest, ValuesBelowThePanelBoundAreKept) {
  const std::string csv = write("in.csv", kHead + "a,2020-01-01,9.99e29,-9.99e29,S\na,2020-01-02,2.5e29,3,S\n");
  CliResult r = run_skucast({"ingest", "--csv", csv, "--dynamic", "price", "--out", path("p.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  PanelReader reader(path("p.h5"));
  EXPECT_EQ(reader.read_target(0, 1), (std::vector<float>{9.99e29f, 2.5e29f}));
  EXPECT_EQ(reader.read_dynamic("price", 0, 1).at(0), -9.99e29f);
}

// --out is checked before the CSV is read: never the CSV itself (that would destroy it), never
// a folder, and its folder must exist.
TEST_F(Ingest, OutputThatIsTheCsvOrAFolderIsRefused) {
  const std::string text = kHead + "a,2020-01-01,1,2,S\n";
  const std::string csv = write("in.csv", text);
  CliResult r = run_skucast({"ingest", "--csv", csv, "--out", csv});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("is the same file as --csv"), std::string::npos) << r.output;
  EXPECT_EQ(testing::read_text(csv), text);
  std::filesystem::create_directory(m_dir / "sub");
  r = run_skucast({"ingest", "--csv", csv, "--out", path("sub")});
  EXPECT_EQ(r.rc, 3) << r.output;
  EXPECT_NE(r.output.find("--out: '" + path("sub") + "' is a folder"), std::string::npos) << r.output;
  r = run_skucast({"ingest", "--csv", csv, "--out", path("nodir/o.h5")});
  EXPECT_EQ(r.rc, 3) << r.output;
  EXPECT_NE(r.output.find("the folder '" + path("nodir") + "' does not exist"), std::string::npos) << r.output;
  EXPECT_EQ(testing::list_dir(m_dir), (std::vector<std::string>{"in.csv", "sub"}));
}

TEST_F(Ingest, MissingCsvIsAnIoError) {
  CliResult r = run_skucast({"ingest", "--csv", path("nope.csv"), "--out", path("o.h5")});
  EXPECT_EQ(r.rc, 3) << r.output;
  EXPECT_NE(r.output.find("nope.csv"), std::string::npos) << r.output;
  EXPECT_TRUE(testing::list_dir(m_dir).empty());
}

TEST_F(Ingest, ApiErrorNamesFileLineAndColumn) {
  IngestOptions opt;
  opt.csv_path = write("x.csv", "series_id,time,value\na,1,2\na,2,oops\n");
  try {
    read_long_csv(opt);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), opt.csv_path + ":3: column 3 'value': cannot parse 'oops' as a number");
  }
}

}  // namespace
}  // namespace skucast
