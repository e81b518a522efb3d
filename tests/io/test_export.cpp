// tests/io/test_export.cpp — `skucast export` and forecast files: panel → CSV → panel round
// trips on every frequency (ids, NaN placement, covariates incl. the future part, statics,
// weights, axis), the exact CSV text, and forecast write/read/CSV/info.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "io/csv_export.h"
#include "io/forecast_file.h"
#include "io/h5.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

using testing::CliResult;
using testing::run_skucast;
using testing::ScratchTest;

class Export : public ScratchTest {};

bool same_float(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)); }

struct PanelCase {
  std::string name;
  Freq freq;
  std::string start;
  bool pin_last;  // last history step all NaN
};

// A small panel exercising everything the long format carries.
void make_panel(const std::string& path, const PanelCase& c) {
  const int64_t S = 5, T = 9, F = 3, TF = T + F;
  PanelHeader h;
  h.axis = make_axis(c.freq, c.start, 0);
  h.n_steps = T;
  h.n_future = F;
  h.ids = {"plain", "comma, id", "quote \"q\"", "never observed", " spaced "};
  std::vector<float> y(S * T, NAN);  // [S, T]
  for (int64_t t = 0; t < T; ++t) y[0 * T + t] = static_cast<float>(t % 3);              // zeros included
  for (int64_t t = 3; t < T; ++t) y[1 * T + t] = 0.1f * static_cast<float>(t);          // launched late
  for (int64_t t = 0; t < 6; ++t) y[2 * T + t] = t == 2 ? NAN : 1e-7f + static_cast<float>(t) * 1234.5678f;  // gap, delisted
  for (int64_t t = 1; t < T; t += 2) y[4 * T + t] = -1.5f * static_cast<float>(t);       // negative (allowed)
  if (c.pin_last)
    for (int64_t s = 0; s < S; ++s) y[s * T + T - 1] = NAN;
  std::vector<float> price(S * TF, NAN);  // [S, T+F]
  for (int64_t s = 0; s < S; ++s)
    for (int64_t t = 0; t < TF; ++t)
      if (s != 3 && (t + s) % 4 != 0) price[s * TF + t] = 1.0f + 0.01f * static_cast<float>(s * 100 + t);
  std::vector<float> snap(TF, NAN);  // [T+F], shared; gaps on purpose
  for (int64_t t = 0; t < TF; t += 3) snap[t] = static_cast<float>(t % 2);
  h.dynamic = {{"price", true}, {"snap", false}};
  h.statics = {{"store", {1, 0, 1, 0, 0}, {"S1", "S2"}}, {"dept", {0, 0, 1, 1, 0}, {"FOODS", "HOBBIES, misc"}}};
  h.weights = {1.5f, 2.0f, 0.0f, 3.25f, 1e-3f};
  h.events = {{"christmas", std::vector<uint8_t>(TF, 0)}, {"promo_week", std::vector<uint8_t>(TF, 0)}};
  h.events[0].flags[2] = 1;
  h.events[0].flags[TF - 1] = 1;  // in the future part
  for (int64_t t = 4; t < 7; ++t) h.events[1].flags[t] = 1;
  write_panel(path, h, y, {price, snap});
}

class ExportRoundTrip : public ScratchTest, public ::testing::WithParamInterface<PanelCase> {};

TEST_P(ExportRoundTrip, PanelToCsvToPanelIsIdentity) {
  const PanelCase& c = GetParam();
  const std::string orig = path("orig.h5"), csv = path("orig.csv"), back = path("back.h5");
  make_panel(orig, c);
  CliResult r = run_skucast({"export", orig, "--csv", csv});
  ASSERT_EQ(r.rc, 0) << r.output;
  PanelReader a(orig);
  const PanelHeader& ha = a.header();
  r = run_skucast({"ingest", "--csv", csv, "--dynamic", "price,snap", "--static", "store,dept", "--weight-col", "weight",
                   "--freq", freq_name(ha.axis.freq), "--season-length", std::to_string(ha.axis.season_length),
                   "--allow-negative", "--events", "auto", "--out", back});
  ASSERT_EQ(r.rc, 0) << r.output << "\n" << testing::read_text(csv);
  PanelReader b(back);
  const PanelHeader& hb = b.header();
  EXPECT_EQ(hb.ids, ha.ids);
  EXPECT_EQ(hb.n_steps, ha.n_steps);
  EXPECT_EQ(hb.n_future, ha.n_future);
  EXPECT_EQ(hb.axis.freq, ha.axis.freq);
  EXPECT_EQ(hb.axis.start, ha.axis.start);
  EXPECT_EQ(hb.axis.month_end, ha.axis.month_end);
  EXPECT_EQ(hb.axis.season_length, ha.axis.season_length);
  EXPECT_EQ(hb.axis.start_label(), ha.axis.start_label());
  const std::vector<float> ya = a.read_target(0, ha.n_series()), yb = b.read_target(0, hb.n_series());
  ASSERT_EQ(ya.size(), yb.size());
  for (size_t i = 0; i < ya.size(); ++i) EXPECT_TRUE(same_float(ya[i], yb[i])) << "target cell " << i << ": " << ya[i] << " vs " << yb[i];
  for (const char* name : {"price", "snap"}) {
    const std::vector<float> da = a.read_dynamic(name, 0, ha.n_series()), db = b.read_dynamic(name, 0, hb.n_series());
    ASSERT_EQ(da.size(), db.size()) << name;
    for (size_t i = 0; i < da.size(); ++i) EXPECT_TRUE(same_float(da[i], db[i])) << name << " cell " << i;
  }
  ASSERT_EQ(hb.statics.size(), ha.statics.size());
  for (size_t k = 0; k < ha.statics.size(); ++k) {
    EXPECT_EQ(hb.statics[k].name, ha.statics[k].name);
    EXPECT_EQ(hb.statics[k].levels, ha.statics[k].levels);  // both sorted here
    for (int64_t i = 0; i < ha.n_series(); ++i)
      EXPECT_EQ(hb.statics[k].levels[hb.statics[k].codes[i]], ha.statics[k].levels[ha.statics[k].codes[i]]);
  }
  EXPECT_EQ(hb.weights, ha.weights);
  ASSERT_EQ(hb.events.size(), ha.events.size());
  for (size_t k = 0; k < ha.events.size(); ++k) {
    EXPECT_EQ(hb.events[k].name, ha.events[k].name);
    EXPECT_EQ(hb.events[k].flags, ha.events[k].flags) << ha.events[k].name;
  }

  // Exporting the re-ingested panel gives the same bytes.
  const std::string csv2 = path("back.csv");
  r = run_skucast({"export", back, "--csv", csv2});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_EQ(testing::read_text(csv2), testing::read_text(csv));
}

INSTANTIATE_TEST_SUITE_P(Freqs, ExportRoundTrip,
                         ::testing::Values(PanelCase{"Daily", Freq::Day, "2011-01-29", false},
                                           PanelCase{"DailyLastStepMissing", Freq::Day, "2020-02-27", true},
                                           PanelCase{"Weekly", Freq::Week, "2021-01-03", false},
                                           PanelCase{"MonthEnd", Freq::Month, "2020-01-31", true},
                                           PanelCase{"Quarterly", Freq::Quarter, "2019-04-01", false},
                                           PanelCase{"Yearly", Freq::Year, "2001-01-01", false},
                                           PanelCase{"Integer", Freq::Index, "-4", false}),
                         [](const ::testing::TestParamInfo<PanelCase>& i) { return i.param.name; });

TEST_F(Export, PanelCsvText) {
  PanelHeader h;
  h.axis = make_axis(Freq::Month, "2020-01-01", 0);
  h.n_steps = 2;
  h.n_future = 1;
  h.ids = {"x,1", "y", "z"};  // z: nothing observed, no covariates: one row keeps its id
  h.dynamic = {{"price", true}};
  h.statics = {{"store", {0, 1, 0}, {"A", "B \"b\""}}};
  const std::vector<float> y = {0.1f, NAN, 3.0f, 1e20f, NAN, NAN};                         // [S, T]
  const std::vector<float> price = {2.5f, NAN, 2.25f, NAN, NAN, NAN, NAN, NAN, NAN};  // [S, T+F]
  write_panel(path("p.h5"), h, y, {price});
  EXPECT_EQ(export_panel_csv(path("p.h5"), path("p.csv")), 6);
  EXPECT_EQ(testing::read_text(path("p.csv")),
            "series_id,time,value,price,store\n"
            "\"x,1\",2020-01-01,0.1,2.5,A\n"
            "\"x,1\",2020-02-01,,,A\n"
            "\"x,1\",2020-03-01,,2.25,A\n"
            "y,2020-01-01,3,,\"B \"\"b\"\"\"\n"
            "y,2020-02-01,1e+20,,\"B \"\"b\"\"\"\n"
            "z,2020-03-01,,,A\n");
  CliResult info = run_skucast({"info", path("p.h5")});
  ASSERT_EQ(info.rc, 0) << info.output;
  EXPECT_NE(info.output.find("50.00% of 6 cells"), std::string::npos) << info.output;  // three NaN
  EXPECT_NE(info.output.find("1 series never observed"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("future:        2020-03-01 .. 2020-03-01"), std::string::npos) << info.output;
}

TEST_F(Export, ErrorsLeaveExistingCsvUntouched) {
  testing::write_text(path("out.csv"), "keep me");
  testing::write_text(path("bogus.h5"), "not hdf5 at all");
  CliResult r = run_skucast({"export", path("bogus.h5"), "--csv", path("out.csv")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("bogus.h5"), std::string::npos) << r.output;
  EXPECT_EQ(testing::read_text(path("out.csv")), "keep me");
  r = run_skucast({"export", path("missing.h5"), "--csv", path("out.csv")});
  EXPECT_EQ(r.rc, 3) << r.output;
  make_panel(path("p.h5"), {"d", Freq::Day, "2020-01-01", false});
  r = run_skucast({"export", path("p.h5"), "--csv", path("no/such/dir/out.csv")});
  EXPECT_EQ(r.rc, 3) << r.output;
  EXPECT_NE(r.output.find("no/such/dir"), std::string::npos) << r.output;
  EXPECT_EQ(testing::list_dir(m_dir), (std::vector<std::string>{"bogus.h5", "out.csv", "p.h5"}));
}

// --------------------------------------------------------------- forecasts ----

ForecastFile make_forecast() {
  ForecastFile fc;
  fc.model = "ets+theta";
  fc.axis = make_axis(Freq::Day, "2011-01-29", 7);
  fc.origin = 1941;
  fc.horizon = 3;
  fc.ids = {"a", "b, \"B\""};
  fc.levels = {0.1, 0.5, 0.9};
  fc.mean = {1.0f, 2.5f, NAN, 0.0f, 1e-3f, 7.25f};  // [S, H]
  for (int64_t i = 0; i < 2 * 3; ++i)
    for (int q = 0; q < 3; ++q) fc.quantiles.push_back(static_cast<float>(i) + 0.25f * static_cast<float>(q));  // [S, H, Q]
  return fc;
}

TEST_F(Export, ForecastFileRoundTripIsExactAndDeterministic) {
  const ForecastFile fc = make_forecast();
  write_forecast(path("f1.h5"), fc);
  write_forecast(path("f2.h5"), fc);
  EXPECT_EQ(testing::read_text(path("f1.h5")), testing::read_text(path("f2.h5")));  // no timestamps
  const ForecastFile back = read_forecast(path("f1.h5"));
  EXPECT_EQ(back.model, fc.model);
  EXPECT_EQ(back.axis.freq, fc.axis.freq);
  EXPECT_EQ(back.axis.start, fc.axis.start);
  EXPECT_EQ(back.axis.season_length, 7);
  EXPECT_EQ(back.origin, fc.origin);
  EXPECT_EQ(back.horizon, fc.horizon);
  EXPECT_EQ(back.ids, fc.ids);
  EXPECT_EQ(back.levels, fc.levels);
  ASSERT_EQ(back.mean.size(), fc.mean.size());
  for (size_t i = 0; i < fc.mean.size(); ++i) EXPECT_TRUE(same_float(back.mean[i], fc.mean[i]));
  EXPECT_EQ(back.quantiles, fc.quantiles);
  EXPECT_EQ(testing::list_dir(m_dir), (std::vector<std::string>{"f1.h5", "f2.h5"}));  // no temp files
}

TEST_F(Export, ForecastWithoutQuantilesAndEmpty) {
  ForecastFile fc = make_forecast();
  fc.levels.clear();
  fc.quantiles.clear();
  write_forecast(path("f.h5"), fc);
  ForecastFile back = read_forecast(path("f.h5"));
  EXPECT_TRUE(back.levels.empty());
  EXPECT_TRUE(back.quantiles.empty());
  EXPECT_EQ(back.mean.size(), 6u);
  ForecastFile empty = make_forecast();
  empty.ids.clear();
  empty.mean.clear();
  empty.quantiles.clear();
  write_forecast(path("e.h5"), empty);
  back = read_forecast(path("e.h5"));
  EXPECT_TRUE(back.ids.empty());
  EXPECT_EQ(back.horizon, 3);
}

TEST_F(Export, ForecastCsvAndCli) {
  const ForecastFile fc = make_forecast();
  write_forecast(path("f.h5"), fc);
  CliResult r = run_skucast({"export", path("f.h5"), "--csv", path("f.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_EQ(testing::read_text(path("f.csv")),
            "series_id,time,step,mean,q0.1,q0.5,q0.9\n"
            "a,2016-05-23,1,1,0,0.25,0.5\n"
            "a,2016-05-24,2,2.5,1,1.25,1.5\n"
            "a,2016-05-25,3,,2,2.25,2.5\n"
            "\"b, \"\"B\"\"\",2016-05-23,1,0,3,3.25,3.5\n"
            "\"b, \"\"B\"\"\",2016-05-24,2,0.001,4,4.25,4.5\n"
            "\"b, \"\"B\"\"\",2016-05-25,3,7.25,5,5.25,5.5\n");
  r = run_skucast({"info", path("f.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("model:         ets+theta"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("horizon:       3 steps"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("quantiles:     0.1, 0.5, 0.9"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("series:        2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2016-05-23 .. 2016-05-25"), std::string::npos) << r.output;
}

TEST_F(Export, ForecastFormatAndVersionAreChecked) {
  make_panel(path("p.h5"), {"d", Freq::Day, "2020-01-01", false});
  try {
    read_forecast(path("p.h5"));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a skucast forecast file"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("skucast-panel"), std::string::npos) << e.what();
  }
  write_forecast(path("f.h5"), make_forecast());
  {
    h5::silence_errors();
    h5::Handle f(H5Fopen(path("f.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    ASSERT_GE(f.id(), 0);
    ASSERT_GE(H5Adelete(f, "version"), 0);
    h5::write_attr(f, "version", int64_t{99});
  }
  try {
    read_forecast(path("f.h5"));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("version 99"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("regenerate"), std::string::npos) << e.what();
  }
  CliResult r = run_skucast({"info", path("f.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
}

// A damaged forecast file: quantile levels out of (0, 1) or out of order, an unknown
// frequency: InputError naming the file (they were read as they were, and reported on).
TEST_F(Export, ForecastLevelsAndAxisAreChecked) {
  auto damaged = [&](auto&& damage) {
    write_forecast(path("f.h5"), make_forecast());
    h5::silence_errors();
    h5::Handle f(H5Fopen(path("f.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    damage(f.id());
  };
  const std::vector<std::vector<double>> bad_levels = {{0.1, 1.5, 0.9}, {0.9, 0.5, 0.1}, {std::nan(""), 0.5, 0.9}};
  for (const auto& levels : bad_levels) {
    damaged([&](hid_t f) {
      ASSERT_GE(H5Ldelete(f, "/forecast/quantile_levels", H5P_DEFAULT), 0);
      h5::write_vector(f, "/forecast/quantile_levels", levels, "");
    });
    CliResult r = run_skucast({"info", path("f.h5")});
    EXPECT_EQ(r.rc, 2) << r.output;
    EXPECT_NE(r.output.find(path("f.h5") + ": /forecast/quantile_levels must be strictly ascending in (0, 1)"),
              std::string::npos)
        << r.output;
  }
  damaged([](hid_t f) {
    ASSERT_GE(H5Adelete(f, "freq"), 0);
    h5::write_attr(f, "freq", std::string("Z"));
  });
  CliResult r = run_skucast({"export", path("f.h5"), "--csv", path("f.csv")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find(path("f.h5") + ": unknown frequency 'Z'"), std::string::npos) << r.output;
  EXPECT_EQ(testing::list_dir(m_dir), (std::vector<std::string>{"f.h5"}));
}

TEST_F(Export, WriteForecastRejectsInconsistentShapes) {
  ForecastFile fc = make_forecast();
  fc.mean.pop_back();
  EXPECT_THROW(write_forecast(path("f.h5"), fc), Error);
  EXPECT_TRUE(testing::list_dir(m_dir).empty());
}

}  // namespace
}  // namespace skucast
