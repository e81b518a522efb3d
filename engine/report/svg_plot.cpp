// engine/report/svg_plot.cpp — inline SVG line charts and histograms (engine/report/svg_plot.h).
// Coordinates are printed with one decimal ("%.1f") and numbers through format_compact, so
// the output is byte-stable for the same inputs.
#include "engine/report/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace skucast {

// ---------------------------------------------------------------- text ----

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// Fixed decimals chosen by magnitude (about 3–4 significant digits), trailing zeros trimmed.
std::string trimmed(double v) {
  const double a = std::fabs(v);
  const char* spec = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : a >= 0.01 ? "%.3f" : "%.2g";
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos && s.find('e') == std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string num(double v) {  // one SVG coordinate
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

std::string format_compact(double v) {
  if (!std::isfinite(v)) return "–";
  if (v == 0.0) return "0";
  const double a = std::fabs(v);
  if (a >= 1e9) return trimmed(v / 1e9) + "G";
  if (a >= 1e6) return trimmed(v / 1e6) + "M";
  if (a >= 1e4) return trimmed(v / 1e3) + "k";
  return trimmed(v);
}

std::vector<AxisTick> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0.0, hi = 1.0;
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {
    const double pad = lo == 0.0 ? 1.0 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10.0 * mag;
  for (double m : {1.0, 2.0, 2.5, 5.0}) {
    if (m * mag >= raw * (1.0 - 1e-9)) {
      step = m * mag;
      break;
    }
  }
  const double k0 = std::floor(lo / step + 1e-9), k1 = std::ceil(hi / step - 1e-9);
  std::vector<AxisTick> ticks;
  for (double k = k0; k <= k1 + 0.5; k += 1.0) {
    double v = k * step;
    if (std::fabs(v) < step * 1e-9) v = 0.0;
    ticks.push_back({v, format_compact(v)});
  }
  return ticks;
}

// ---------------------------------------------------------- line chart ----

namespace {

constexpr double kLeft = 62, kRight = 14, kTop = 30, kBottom = 34;

struct Frame {
  double x0, x1, y0, y1;      // data range
  double left, top, pw, ph;   // plot area in pixels
  double sx(double x) const { return left + (x - x0) / (x1 - x0) * pw; }
  double sy(double y) const { return top + ph - (y - y0) / (y1 - y0) * ph; }
};

// Runs [b, e) of indices where ok(i) holds.
template <class Ok>
std::vector<std::pair<size_t, size_t>> runs(size_t n, Ok&& ok) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t i = 0;
  while (i < n) {
    while (i < n && !ok(i)) ++i;
    const size_t b = i;
    while (i < n && ok(i)) ++i;
    if (i > b) out.emplace_back(b, i);
  }
  return out;
}

std::string svg_open(int width, int height, const std::string& title) {
  const std::string w = std::to_string(width), h = std::to_string(height);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" + w + "\" height=\"" + h + "\" viewBox=\"0 0 " +
         w + " " + h + "\" role=\"img\" aria-label=\"" + html_escape(title) +
         "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n<title>" + html_escape(title) + "</title>\n";
}

// Legend entries right-aligned on the title row.
std::string legend(const LineChart& c) {
  struct Entry { std::string label, color; bool band, dashed; };
  std::vector<Entry> entries;
  for (const auto& b : c.bands)
    if (!b.label.empty()) entries.push_back({b.label, b.color, true, false});
  for (const auto& l : c.lines)
    if (!l.label.empty()) entries.push_back({l.label, l.color, false, l.dashed});
  std::string out;
  double x = c.width - kRight;
  const double y = 14;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    x -= 6.2 * static_cast<double>(it->label.size());  // text width estimate at 11 px
    out += "<text x=\"" + num(x) + "\" y=\"" + num(y + 4) + "\" fill=\"#333\">" + html_escape(it->label) + "</text>\n";
    x -= 22;
    if (it->band)
      out += "<rect x=\"" + num(x) + "\" y=\"" + num(y - 5) + "\" width=\"16\" height=\"10\" fill=\"" + it->color +
             "\" fill-opacity=\"0.3\"/>\n";
    else
      out += "<path d=\"M" + num(x) + "," + num(y) + "h16\" stroke=\"" + it->color + "\" stroke-width=\"2\"" +
             (it->dashed ? " stroke-dasharray=\"4 3\"" : "") + "/>\n";
    x -= 12;
  }
  return out;
}

}  // namespace

std::string render_line_chart(const LineChart& c) {
  // Data ranges.
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  auto take_x = [&](double x) { if (std::isfinite(x)) { xlo = std::min(xlo, x); xhi = std::max(xhi, x); } };
  auto take_y = [&](double y) { if (std::isfinite(y)) { ylo = std::min(ylo, y); yhi = std::max(yhi, y); } };
  for (const auto& l : c.lines)
    for (size_t i = 0; i < l.x.size() && i < l.y.size(); ++i)
      if (std::isfinite(l.y[i])) { take_x(l.x[i]); take_y(l.y[i]); }
  for (const auto& b : c.bands)
    for (size_t i = 0; i < b.x.size() && i < b.lo.size() && i < b.hi.size(); ++i)
      if (std::isfinite(b.lo[i]) && std::isfinite(b.hi[i])) { take_x(b.x[i]); take_y(b.lo[i]); take_y(b.hi[i]); }
  if (c.x_max > c.x_min) xlo = c.x_min, xhi = c.x_max;
  if (!(xhi > xlo)) {
    if (!std::isfinite(xlo)) xlo = 0.0;
    xhi = xlo + 1.0;
  }
  if (!std::isfinite(ylo)) ylo = 0.0, yhi = 1.0;
  if (c.y_from_zero && ylo >= 0.0) ylo = 0.0;
  const std::vector<AxisTick> yt = nice_ticks(ylo, yhi, 5);
  Frame f{xlo, xhi, yt.front().value, yt.back().value, kLeft, kTop, c.width - kLeft - kRight, c.height - kTop - kBottom};

  std::string s = svg_open(c.width, c.height, c.title);
  s += "<rect x=\"" + num(f.left) + "\" y=\"" + num(f.top) + "\" width=\"" + num(f.pw) + "\" height=\"" + num(f.ph) +
       "\" fill=\"#fcfcfc\" stroke=\"#bbb\"/>\n";
  s += "<text x=\"" + num(f.left) + "\" y=\"18\" font-weight=\"bold\" font-size=\"12\" fill=\"#222\">" + html_escape(c.title) +
       "</text>\n";
  s += legend(c);
  // Y grid and labels.
  std::string grid;
  for (const auto& t : yt) {
    const double y = f.sy(t.value);
    grid += "M" + num(f.left) + "," + num(y) + "h" + num(f.pw);
    s += "<text x=\"" + num(f.left - 6) + "\" y=\"" + num(y + 3.5) + "\" text-anchor=\"end\" fill=\"#555\">" +
         html_escape(t.label) + "</text>\n";
  }
  // X ticks (caller's, or numeric), only those inside the range.
  const std::vector<AxisTick> xt = c.x_ticks.empty() ? nice_ticks(xlo, xhi, 8) : c.x_ticks;
  for (const auto& t : xt) {
    if (t.value < xlo - 1e-9 || t.value > xhi + 1e-9) continue;
    const double x = f.sx(t.value);
    grid += "M" + num(x) + "," + num(f.top) + "v" + num(f.ph);
    s += "<text x=\"" + num(x) + "\" y=\"" + num(f.top + f.ph + 15) + "\" text-anchor=\"middle\" fill=\"#555\">" +
         html_escape(t.label) + "</text>\n";
  }
  s += "<path d=\"" + grid + "\" stroke=\"#e6e6e6\" stroke-width=\"1\" fill=\"none\"/>\n";
  // Bands: one closed path per run of finite steps.
  for (const auto& b : c.bands) {
    const size_t n = std::min({b.x.size(), b.lo.size(), b.hi.size()});
    std::string d;
    for (auto [i0, i1] : runs(n, [&](size_t i) { return std::isfinite(b.lo[i]) && std::isfinite(b.hi[i]); })) {
      for (size_t i = i0; i < i1; ++i) d += (i == i0 ? "M" : "L") + num(f.sx(b.x[i])) + "," + num(f.sy(b.hi[i]));
      for (size_t i = i1; i-- > i0;) d += "L" + num(f.sx(b.x[i])) + "," + num(f.sy(b.lo[i]));
      d += "Z";
    }
    if (!d.empty())
      s += "<path d=\"" + d + "\" fill=\"" + b.color + "\" fill-opacity=\"" + trimmed(b.opacity) + "\" stroke=\"none\"/>\n";
  }
  // Lines: segments over finite runs; a lone point becomes a dot.
  for (const auto& l : c.lines) {
    const size_t n = std::min(l.x.size(), l.y.size());
    std::string d, dots;
    for (auto [i0, i1] : runs(n, [&](size_t i) { return std::isfinite(l.y[i]); })) {
      if (i1 - i0 == 1) {
        dots += "<circle cx=\"" + num(f.sx(l.x[i0])) + "\" cy=\"" + num(f.sy(l.y[i0])) + "\" r=\"1.8\" fill=\"" + l.color + "\"/>\n";
        continue;
      }
      for (size_t i = i0; i < i1; ++i) d += (i == i0 ? "M" : "L") + num(f.sx(l.x[i])) + "," + num(f.sy(l.y[i]));
    }
    if (!d.empty())
      s += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + l.color + "\" stroke-width=\"" + trimmed(l.width) +
           "\" stroke-linejoin=\"round\"" + (l.dashed ? " stroke-dasharray=\"4 3\"" : "") + "/>\n";
    s += dots;
  }
  if (c.has_marker && c.marker_x >= xlo && c.marker_x <= xhi) {
    const double x = f.sx(c.marker_x);
    s += "<path d=\"M" + num(x) + "," + num(f.top) + "v" + num(f.ph) + "\" stroke=\"#777\" stroke-dasharray=\"3 3\"/>\n";
  }
  s += "</svg>\n";
  return s;
}

// ----------------------------------------------------------- histogram ----

std::string render_histogram(const Histogram& h) {
  const int nb = std::max(1, h.n_bins);
  const double lo = h.lo, hi = h.hi > h.lo ? h.hi : h.lo + 1.0, w = (hi - lo) / nb;
  std::vector<int64_t> counts(static_cast<size_t>(nb), 0);
  std::vector<double> finite;
  int64_t n_over = 0, n_undef = 0;
  for (double v : h.values) {
    if (!std::isfinite(v)) { ++n_undef; continue; }
    finite.push_back(v);
    if (v > hi) ++n_over;
    const double k = std::floor((v - lo) / w);
    counts[static_cast<size_t>(std::clamp(k, 0.0, static_cast<double>(nb - 1)))] += 1;
  }
  double median = std::numeric_limits<double>::quiet_NaN();
  if (!finite.empty()) {
    std::sort(finite.begin(), finite.end());
    const size_t m = finite.size() / 2;
    median = finite.size() % 2 ? finite[m] : 0.5 * (finite[m - 1] + finite[m]);
  }
  const int64_t max_count = *std::max_element(counts.begin(), counts.end());
  const std::vector<AxisTick> yt = nice_ticks(0.0, static_cast<double>(std::max<int64_t>(max_count, 4)), 4);
  const double top = 44, bottom = 34;
  Frame f{lo, hi, yt.front().value, yt.back().value, kLeft - 16, top, h.width - (kLeft - 16) - kRight, h.height - top - bottom};

  std::string s = svg_open(h.width, h.height, h.title);
  s += "<rect x=\"" + num(f.left) + "\" y=\"" + num(f.top) + "\" width=\"" + num(f.pw) + "\" height=\"" + num(f.ph) +
       "\" fill=\"#fcfcfc\" stroke=\"#bbb\"/>\n";
  s += "<text x=\"" + num(f.left) + "\" y=\"16\" font-weight=\"bold\" font-size=\"12\" fill=\"#222\">" + html_escape(h.title) +
       "</text>\n";
  std::string note = "median " + format_compact(median) + " · n " + std::to_string(finite.size());
  if (n_over > 0) note += " · " + std::to_string(n_over) + " above " + format_compact(hi) + " in last bin";
  if (n_undef > 0) note += " · " + std::to_string(n_undef) + " undefined";
  s += "<text x=\"" + num(f.left) + "\" y=\"32\" fill=\"#555\">" + html_escape(note) + "</text>\n";
  std::string grid;
  for (const auto& t : yt) {
    const double y = f.sy(t.value);
    grid += "M" + num(f.left) + "," + num(y) + "h" + num(f.pw);
    s += "<text x=\"" + num(f.left - 5) + "\" y=\"" + num(y + 3.5) + "\" text-anchor=\"end\" fill=\"#555\">" +
         html_escape(t.label) + "</text>\n";
  }
  s += "<path d=\"" + grid + "\" stroke=\"#e6e6e6\" fill=\"none\"/>\n";
  for (int b = 0; b < nb; ++b) {
    const int64_t n = counts[static_cast<size_t>(b)];
    if (n == 0) continue;
    const double a = lo + b * w, e = a + w;
    const double x0 = f.sx(a) + 0.5, x1 = f.sx(e) - 0.5, y = f.sy(static_cast<double>(n));
    const std::string range = b == nb - 1 && n_over > 0 ? "≥ " + format_compact(a) : "[" + format_compact(a) + ", " + format_compact(e) + ")";
    s += "<rect x=\"" + num(x0) + "\" y=\"" + num(y) + "\" width=\"" + num(std::max(0.5, x1 - x0)) + "\" height=\"" +
         num(f.top + f.ph - y) + "\" fill=\"" + h.color + "\"><title>" + html_escape(range + ": " + std::to_string(n)) +
         "</title></rect>\n";
  }
  for (const auto& t : nice_ticks(lo, hi, 5)) {
    if (t.value < lo - 1e-9 || t.value > hi + 1e-9) continue;
    s += "<text x=\"" + num(f.sx(t.value)) + "\" y=\"" + num(f.top + f.ph + 14) + "\" text-anchor=\"middle\" fill=\"#555\">" +
         html_escape(t.label) + "</text>\n";
  }
  if (std::isfinite(median) && median >= lo && median <= hi) {
    const double x = f.sx(median);
    s += "<path d=\"M" + num(x) + "," + num(f.top) + "v" + num(f.ph) + "\" stroke=\"#e8590c\" stroke-dasharray=\"3 3\"/>\n";
  }
  s += "<text x=\"" + num(f.left + f.pw / 2) + "\" y=\"" + num(h.height - 4.0) + "\" text-anchor=\"middle\" fill=\"#333\">" +
       html_escape(h.x_label) + "</text>\n";
  s += "</svg>\n";
  return s;
}

}  // namespace skucast
