// tests/report/test_report.cpp — the HTML report (engine/report/report.h): sections, escaping, one <svg> per
// plot, series choice (weight / total sales / --ids), the backtest table and histograms,
// byte-identical output, and bad input (InputError, no file left behind); the CLI end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/eval/backtest.h"
#include "engine/report/report.h"
#include "engine/report/svg_plot.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

using testing::read_text;
using testing::run_skucast;

const std::string kOddId = "<b>&\"x'";  // must come out escaped

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// S daily series from 2021-01-01: series s has level 10·(s+1) with a weekly profile, so the
// total-sales ranking is S-1, S-2, ...; series 1 has the HTML-hostile id and a gap,
// series 2 starts late.
struct Fixture {
  int64_t S = 6, T = 120, H = 14;
  PanelHeader header;
  std::vector<float> y;  // [S, T]
  ForecastFile fc;

  explicit Fixture(bool with_weights = false) {
    header.axis = make_axis(Freq::Day, "2021-01-01", 7);
    header.n_steps = T;
    for (int64_t s = 0; s < S; ++s) header.ids.push_back(s == 1 ? kOddId : "SKU_" + std::to_string(s));
    header.statics.push_back({"store", {0, 1, 0, 1, 0, 1}, {"CA_1", "TX<2>"}});
    header.events.push_back({"promo_day", std::vector<uint8_t>(static_cast<size_t>(T), 0)});
    header.events[0].flags[50] = 1;
    if (with_weights) header.weights = {6, 5, 4, 3, 2, 100};  // series 5 first, then 0, 1, ...
    const float profile[7] = {1.0f, 0.8f, 0.9f, 1.1f, 1.3f, 1.6f, 0.3f};
    y.resize(static_cast<size_t>(S * T));
    for (int64_t s = 0; s < S; ++s)
      for (int64_t t = 0; t < T; ++t) y[static_cast<size_t>(s * T + t)] = 10.0f * static_cast<float>(s + 1) * profile[t % 7];
    for (int64_t t = 0; t < 20; ++t) y[static_cast<size_t>(2 * T + t)] = NAN;
    y[static_cast<size_t>(1 * T + 100)] = NAN;
    y[static_cast<size_t>(3 * T + 110)] = 0.0f;
    // Forecast: seasonal naive, ids in reverse order (the report maps them by id).
    fc.model = "snaive";
    fc.axis = header.axis;
    fc.origin = T;
    fc.horizon = H;
    fc.levels = {0.1, 0.5, 0.9};
    for (int64_t r = 0; r < S; ++r) {
      const int64_t s = S - 1 - r;
      fc.ids.push_back(header.ids[static_cast<size_t>(s)]);
      for (int64_t k = 0; k < H; ++k) fc.mean.push_back(y[static_cast<size_t>(s * T + T - 7 + k % 7)]);
      for (int64_t k = 0; k < H; ++k)
        for (float f : {0.8f, 1.0f, 1.2f}) fc.quantiles.push_back(f * fc.mean[static_cast<size_t>(r * H + k)]);
    }
  }
  void write(const std::string& panel_path, const std::string& fc_path) const {
    write_panel(panel_path, header, y, {});
    write_forecast(fc_path, fc);
  }
};

class Report : public testing::ScratchTest {
 protected:
  ReportOptions opts(int64_t n_plots = 3) const {
    ReportOptions o;
    o.panel = path("p.h5");
    o.forecast = path("fc.h5");
    o.n_plots = n_plots;
    o.block = 4;  // several blocks for 6 series
    return o;
  }
  // The report must fail with InputError, leave `out` absent and no temporary file behind.
  void expect_input_error(const ReportOptions& o, const std::string& mention) {
    const auto before = testing::list_dir(m_dir);
    try {
      write_report(o, path("r.html"));
      ADD_FAILURE() << "expected InputError mentioning " << mention;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(path("r.html")));
    EXPECT_EQ(testing::list_dir(m_dir), before);
  }
};

TEST(SvgPlot, EscapeTicksNumbers) {
  EXPECT_EQ(html_escape(kOddId), "&lt;b&gt;&amp;&quot;x&#39;");
  const auto t = nice_ticks(3.0, 97.0, 5);
  ASSERT_GE(t.size(), 3u);
  EXPECT_LE(t.front().value, 3.0);
  EXPECT_GE(t.back().value, 97.0);
  EXPECT_EQ(t.front().label, "0");
  EXPECT_EQ(format_compact(12500.0), "12.5k");
  EXPECT_EQ(format_compact(0.25), "0.25");
  EXPECT_EQ(format_compact(3.4e6), "3.4M");
  EXPECT_EQ(format_compact(NAN), "–");
}

TEST(SvgPlot, LineBreaksAtNaNAndHistogramCounts) {
  LineChart c;
  c.title = "t<1>";
  c.lines.push_back({{0, 1, 2, 3, 4}, {1, 2, NAN, 4, 5}, "#000", 1.0, false, "a"});
  const std::string svg = render_line_chart(c);
  EXPECT_EQ(count(svg, "<svg"), 1u);
  EXPECT_NE(svg.find("t&lt;1&gt;"), std::string::npos);
  // Two segments in one path: two move-to commands.
  const size_t d = svg.find("fill=\"none\" stroke=\"#000\"");  // the data path, not the legend swatch
  ASSERT_NE(d, std::string::npos);
  const size_t start = svg.rfind("<path d=\"", d);
  EXPECT_EQ(count(svg.substr(start, d - start), "M"), 2u);
  Histogram h;
  h.values = {0.1, 0.2, 0.2, 5.0, NAN};
  h.lo = 0.0;
  h.hi = 1.0;
  h.n_bins = 10;
  const std::string hs = render_histogram(h);
  EXPECT_NE(hs.find("1 above 1 in last bin"), std::string::npos);
  EXPECT_NE(hs.find("1 undefined"), std::string::npos);
  EXPECT_NE(hs.find("n 4"), std::string::npos);
}

TEST_F(Report, SectionsEscapingPlotsAndRanking) {
  Fixture f;
  f.write(path("p.h5"), path("fc.h5"));
  write_report(opts(3), path("r.html"));
  const std::string html = read_text(path("r.html"));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* s : {"id=\"panel\"", "id=\"forecast\"", "id=\"plots\"", "snaive", "2021-01-01 to 2021-04-30",
                        "2021-05-01 to 2021-05-14", "0.1, 0.5, 0.9", "store (2 levels)", "promo_day (1 step)", "q0.1–q0.9",
                        "</html>"})
    EXPECT_NE(html.find(s), std::string::npos) << s;
  EXPECT_EQ(html.find("id=\"backtest\""), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // self-contained, no JS
  EXPECT_EQ(html.find("http://www.w3.org/2000/svg\" class"), html.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(count(html, "<svg"), 4u);  // total + top 3
  // Ranking by total sales: SKU_5, SKU_4, SKU_3; the odd id is not among them.
  const size_t p5 = html.find("#1 · SKU_5"), p4 = html.find("#2 · SKU_4"), p3 = html.find("#3 · SKU_3");
  ASSERT_NE(p5, std::string::npos);
  ASSERT_NE(p4, std::string::npos);
  ASSERT_NE(p3, std::string::npos);
  EXPECT_LT(p5, p4);
  EXPECT_LT(p4, p3);
  EXPECT_NE(html.find("store TX&lt;2&gt;"), std::string::npos);
  EXPECT_EQ(html.find("TX<2>"), std::string::npos);
  // Every series plotted: the odd id appears escaped (caption, SVG title), never raw.
  write_report(opts(6), path("all.html"));
  const std::string all = read_text(path("all.html"));
  EXPECT_EQ(count(all, "<svg"), 7u);
  EXPECT_GE(count(all, html_escape(kOddId)), 2u);
  EXPECT_EQ(all.find(kOddId), std::string::npos);
  // The total: 6 series summed; the forecast total is printed in the summary.
  EXPECT_NE(all.find("Total over all 6 series"), std::string::npos);
}

TEST_F(Report, WeightsRankAndRequestedIds) {
  Fixture f(/*with_weights=*/true);
  f.write(path("p.h5"), path("fc.h5"));
  ReportOptions o = opts(2);
  o.ids = {kOddId, "SKU_5"};  // SKU_5 is already in the top 2: plotted once
  write_report(o, path("r.html"));
  const std::string html = read_text(path("r.html"));
  EXPECT_EQ(count(html, "<svg"), 4u);  // total + SKU_5 + SKU_0 + the odd id
  EXPECT_NE(html.find("#1 · SKU_5 · weight 100"), std::string::npos);
  EXPECT_NE(html.find("#2 · SKU_0 · weight 6"), std::string::npos);
  EXPECT_NE(html.find("requested · " + html_escape(kOddId)), std::string::npos);
  EXPECT_NE(html.find("by weight"), std::string::npos);
}

// The x tick labels of the first plot (the total).
std::vector<std::string> x_labels(const std::string& html) {
  const size_t b = html.find("<svg"), e = html.find("</svg>", b);
  const std::string svg = html.substr(b, e - b), key = "text-anchor=\"middle\" fill=\"#555\">";
  std::vector<std::string> out;
  for (size_t p = svg.find(key); p != std::string::npos; p = svg.find(key, p + 1)) {
    const size_t s = p + key.size();
    out.push_back(svg.substr(s, svg.find('<', s) - s));
  }
  return out;
}

// Every frequency gets 2..8 calendar ticks inside the plotted span: 56 days → Mondays,
// 117 weeks → half years, 48 months → half years, 32 quarters → years, 20 years → every
// 5th, an integer axis → round numbers, 16 days → every other day.
TEST_F(Report, DateTicksForEveryFrequency) {
  struct Case { const char* freq; const char* start; int64_t T, H; int season; const char* expect; };
  const Case cases[] = {{"D", "2021-01-01", 120, 14, 7, "2021-03-22"},     {"W", "2020-01-06", 104, 13, 52, "Jul 2021"},
                        {"M", "2015-01-01", 60, 12, 12, "Jan 2018"},     {"Q", "2015-01-01", 40, 8, 4, "2020"},
                        {"Y", "1990-01-01", 30, 5, 1, "2010"},           {"1", "1", 200, 10, 1, "180"},
                        {"D", "2021-01-01", 20, 2, 7, "2021-01-09"}};
  for (const auto& c : cases) {
    Fixture g;  // the default fixture, rebuilt on the case's axis with constant data
    g.T = c.T;
    g.H = c.H;
    g.header.axis = make_axis(parse_freq(c.freq), c.start, c.season);
    g.header.n_steps = c.T;
    g.header.events.clear();
    g.y.assign(static_cast<size_t>(g.S * c.T), 1.0f);
    g.fc.axis = g.header.axis;
    g.fc.origin = c.T;
    g.fc.horizon = c.H;
    g.fc.mean.assign(static_cast<size_t>(g.S * c.H), 1.0f);
    g.fc.quantiles.assign(static_cast<size_t>(g.S * c.H * 3), 1.0f);
    g.write(path("p.h5"), path("fc.h5"));
    write_report(opts(1), path("r.html"));
    const auto labels = x_labels(read_text(path("r.html")));
    std::string all;
    for (const auto& l : labels) all += l + " | ";
    EXPECT_GE(labels.size(), 2u) << c.freq << ": " << all;
    EXPECT_LE(labels.size(), 8u) << c.freq << ": " << all;
    EXPECT_NE(all.find(c.expect), std::string::npos) << c.freq << ": " << all;
  }
}

TEST_F(Report, SameBytesTwice) {
  Fixture f;
  f.write(path("p.h5"), path("fc.h5"));
  write_report(opts(), path("a.html"));
  write_report(opts(), path("b.html"));
  const std::string a = read_text(path("a.html"));
  EXPECT_GT(a.size(), 1000u);
  EXPECT_EQ(a, read_text(path("b.html")));
}

TEST_F(Report, BacktestTableAndHistograms) {
  Fixture f;
  f.write(path("p.h5"), path("fc.h5"));
  BacktestOptions bo;
  bo.models = {"naive", "snaive"};
  bo.horizon = 14;
  bo.folds = 2;
  const BacktestResult r = run_backtest(f.y.data(), f.S, f.T, 7, nullptr, bo);
  write_backtest_h5(path("bt.h5"), r, f.header.ids);
  ReportOptions o = opts(2);
  o.backtest = path("bt.h5");
  ::testing::internal::CaptureStderr();
  write_report(o, path("r.html"));
  EXPECT_EQ(::testing::internal::GetCapturedStderr().find("describes those series"), std::string::npos);
  // A backtest of other series is shown with a note saying so.
  std::vector<std::string> other = f.header.ids;
  other[0] += "-elsewhere";
  write_backtest_h5(path("bt_other.h5"), r, other);
  ReportOptions oo = o;
  oo.backtest = path("bt_other.h5");
  ::testing::internal::CaptureStderr();
  write_report(oo, path("r_other.html"));
  const std::string note = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(note.find("bt_other.h5 scored " + std::to_string(f.S) + " series, 1 of them not in"), std::string::npos)
      << note;
  const std::string html = read_text(path("r.html"));
  EXPECT_NE(html.find("id=\"backtest\""), std::string::npos);
  EXPECT_NE(html.find("<th>MASE</th>"), std::string::npos);
  EXPECT_NE(html.find("<th>naive</th>"), std::string::npos);
  EXPECT_NE(html.find("<th>snaive</th>"), std::string::npos);
  EXPECT_GE(count(html, "class=\"best\""), 3u);
  EXPECT_NE(html.find("Per-series MASE"), std::string::npos);
  EXPECT_EQ(count(html, "<svg"), 3u + 2u);  // total + 2 series, one histogram per model
  // snaive is exact on these weekly series: it holds the best MAE (first column).
  const size_t row = html.find("<tr><th>snaive</th>");
  ASSERT_NE(row, std::string::npos);
  EXPECT_EQ(html.find("<td", row), html.find("<td class=\"best\">", row));
}

TEST_F(Report, BadInputThrowsAndLeavesNoFile) {
  Fixture f;
  f.write(path("p.h5"), path("fc.h5"));
  ReportOptions o = opts();
  o.forecast = path("missing.h5");
  expect_input_error(o, "missing.h5");
  o = opts();
  o.panel = path("nope.h5");
  expect_input_error(o, "nope.h5");
  // Forecast ids that do not match the panel.
  Fixture g;
  g.fc.ids[0] = "SKU_999";
  write_forecast(path("bad_ids.h5"), g.fc);
  o = opts();
  o.forecast = path("bad_ids.h5");
  expect_input_error(o, "bad_ids.h5");
  // Horizon 0.
  Fixture z;
  z.fc.horizon = 0;
  z.fc.mean.clear();
  z.fc.quantiles.clear();
  write_forecast(path("h0.h5"), z.fc);
  o = opts();
  o.forecast = path("h0.h5");
  expect_input_error(o, "horizon 0");
  // A panel given as the forecast, a forecast given as the backtest, an unknown --ids entry.
  o = opts();
  o.forecast = path("p.h5");
  expect_input_error(o, "p.h5");
  o = opts();
  o.backtest = path("fc.h5");
  expect_input_error(o, "fc.h5");
  o = opts();
  o.ids = {"SKU_404"};
  expect_input_error(o, "SKU_404");
  // An existing report survives a failed run untouched.
  testing::write_text(m_dir / "keep.html", "old");
  o = opts();
  o.forecast = path("bad_ids.h5");
  EXPECT_THROW(write_report(o, path("keep.html")), InputError);
  EXPECT_EQ(read_text(path("keep.html")), "old");
}

TEST_F(Report, CommandLine) {
  Fixture f;
  f.write(path("p.h5"), path("fc.h5"));
  auto ok = run_skucast({"report", "--panel", path("p.h5"), "--forecast", path("fc.h5"), "--series", "2", "--ids", "SKU_0",
                         "--out", path("r.html")});
  ASSERT_EQ(ok.rc, 0) << ok.output;
  EXPECT_EQ(count(read_text(path("r.html")), "<svg"), 4u);
  auto bad = run_skucast({"report", "--panel", path("p.h5"), "--forecast", path("none.h5"), "--out", path("x.html")});
  EXPECT_EQ(bad.rc, 2) << bad.output;
  EXPECT_NE(bad.output.find("none.h5"), std::string::npos) << bad.output;
  EXPECT_FALSE(std::filesystem::exists(path("x.html")));
}

}  // namespace
}  // namespace skucast
