// engine/report/svg_plot.h — a small, dependency-free SVG plotter for the HTML report
// (engine/report/report.h): line charts with shaded bands and histograms, rendered as inline
// <svg> elements. Output depends only on the inputs (fixed number formatting, no ids from
// counters or clocks), so the same data gives the same bytes.
//
// The x axis is numeric (axis positions); tick positions and labels come from the caller,
// which knows the calendar (engine/report/report.cpp builds date ticks). Non-finite y values break
// a line into segments; a band is drawn over each run of steps where both bounds are finite.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace skucast {

// &, <, >, " and ' as character references: safe in element text and in attribute values.
std::string html_escape(std::string_view s);

// Compact number for axis labels and tables: 0.25, 12.5, 1250, 12.5k, 3.4M; "–" when not finite.
std::string format_compact(double v);

struct AxisTick {
  double value = 0.0;  // position on the axis
  std::string label;   // plain text; escaped when rendered
};

// About `target` round ticks (steps 1, 2, 2.5, 5 × 10^k) covering [lo, hi]; the first tick is
// <= lo and the last >= hi, so the caller can use them as the axis range.
std::vector<AxisTick> nice_ticks(double lo, double hi, int target);

struct PlotLine {
  std::vector<double> x, y;  // [n] each; non-finite y breaks the line
  std::string color = "#1f4e79";
  double width = 1.5;
  bool dashed = false;
  std::string label;         // legend entry; empty = not in the legend
};

struct PlotBand {
  std::vector<double> x, lo, hi;  // [n] each
  std::string color = "#e8590c";
  double opacity = 0.22;
  std::string label;
};

struct LineChart {
  std::string title;
  std::vector<PlotBand> bands;  // drawn first, under the lines
  std::vector<PlotLine> lines;
  std::vector<AxisTick> x_ticks;   // caller's ticks (dates); empty = numeric nice ticks
  double x_min = 0.0, x_max = 0.0; // x range; equal = from the data
  double marker_x = 0.0;           // vertical dashed line (forecast origin) when has_marker
  bool has_marker = false;
  bool y_from_zero = true;         // include 0 in the y range when all data are >= 0
  int width = 760, height = 280;
};

// One <svg> element.
std::string render_line_chart(const LineChart& chart);

struct Histogram {
  std::string title, x_label;
  std::vector<double> values;  // non-finite values are skipped (and counted in the note)
  double lo = 0.0, hi = 1.0;   // bin range; values above hi go to the last bin (overflow)
  int n_bins = 20;
  std::string color = "#1f4e79";
  int width = 360, height = 220;
};

// One <svg> element; the caption notes the median, the count and the overflow count.
std::string render_histogram(const Histogram& hist);

}  // namespace skucast
