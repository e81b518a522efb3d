// engine/eval/hierarchy.cpp — levels, summing structure and the aggregated panel
// (see hierarchy.h, Note [Aggregate series]).
#include "engine/eval/hierarchy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include "io/hierarchy_file.h"
#include "kernels/common.hpp"

namespace skucast {

namespace {

std::string fmt_g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t p = 0;
  for (;;) {
    const size_t q = s.find(sep, p);
    out.push_back(trim(s.substr(p, q == std::string::npos ? std::string::npos : q - p)));
    if (q == std::string::npos) return out;
    p = q + 1;
  }
}

std::string available(const PanelHeader& hdr) {
  std::string s;
  for (const auto& a : hdr.statics)
    if (a.name != "level") s += (s.empty() ? "" : ", ") + a.name;
  return s.empty() ? "none" : s;
}

}  // namespace

std::vector<HierLevel> m5_levels() {
  return {{"total", {}},
          {"state", {"state"}},
          {"store", {"store"}},
          {"cat", {"cat"}},
          {"dept", {"dept"}},
          {"state*cat", {"state", "cat"}},
          {"state*dept", {"state", "dept"}},
          {"store*cat", {"store", "cat"}},
          {"store*dept", {"store", "dept"}},
          {"item", {"item"}},
          {"item*state", {"item", "state"}}};
}

std::string bottom_level_name(const std::string& text) { return trim(text) == "m5" ? "item*store" : "bottom"; }

std::vector<HierLevel> parse_hier_levels(const std::string& text, const PanelHeader& hdr, const std::string& file) {
  if (hdr.find_static("level")) {
    bool aggregated = false;
    try {
      aggregated = has_hierarchy(file);
    } catch (const Error&) {  // not a readable file: the general message below
    }
    if (aggregated)
      throw InputError(file + ": this is already an aggregated panel (written by `skucast aggregate`: it has a "
                       "summing structure); aggregate the bottom panel it came from");
    throw InputError(file + ": the panel has a static attribute named 'level', which the aggregated panel uses for "
                     "each series' level; rename it (export, edit the column, ingest)");
  }
  std::vector<HierLevel> levels;
  if (trim(text) == "m5") {
    levels = m5_levels();
  } else {
    for (const std::string& entry : split(text, ';')) {
      if (entry.empty())
        throw InputError("--levels: empty level in '" + text + "' (levels are separated by ';', e.g. \"total;store\")");
      HierLevel lv;
      lv.name = entry;
      if (entry != "total") {
        for (const std::string& a : split(entry, '*')) {
          if (a.empty()) throw InputError("--levels: level '" + entry + "' has an empty attribute name");
          if (std::find(lv.attrs.begin(), lv.attrs.end(), a) != lv.attrs.end())
            throw InputError("--levels: level '" + entry + "' names attribute '" + a + "' twice");
          lv.attrs.push_back(a);
        }
      }
      levels.push_back(std::move(lv));
    }
  }
  std::set<std::string> seen;
  for (const HierLevel& lv : levels) {
    std::vector<std::string> key = lv.attrs;
    std::sort(key.begin(), key.end());
    std::string k;
    for (const auto& a : key) k += a + "*";
    if (!seen.insert(k).second) throw InputError("--levels: level '" + lv.name + "' is given twice");
    for (const std::string& a : lv.attrs)
      if (!hdr.find_static(a))
        throw InputError("--levels: level '" + lv.name + "' needs the static attribute '" + a + "', which " + file +
                         " does not have (its static attributes: " + available(hdr) + ")");
  }
  return levels;
}

Aggregation build_aggregation(const PanelHeader& hdr, const std::vector<HierLevel>& levels,
                              const std::string& bottom_name) {
  const int64_t B = hdr.n_series();
  if (B < 1) throw InputError("aggregate: the panel has no series");
  if (B > std::numeric_limits<int32_t>::max()) throw InputError("aggregate: more than 2^31 bottom series");
  Aggregation out;
  HierarchyStructure& h = out.structure;
  h.n_bottom = B;
  h.indptr.push_back(0);
  for (size_t l = 0; l < levels.size(); ++l) {
    const HierLevel& lv = levels[l];
    std::vector<const StaticAttr*> attrs;
    for (const auto& a : lv.attrs) attrs.push_back(hdr.find_static(a));
    std::map<std::vector<int32_t>, std::vector<int32_t>> groups;  // key codes -> bottom rows (ascending)
    std::vector<int32_t> key(attrs.size());
    for (int64_t i = 0; i < B; ++i) {
      for (size_t k = 0; k < attrs.size(); ++k) key[k] = attrs[k]->codes[static_cast<size_t>(i)];
      groups[key].push_back(static_cast<int32_t>(i));
    }
    h.level_names.push_back(lv.name);
    for (const auto& [codes, rows] : groups) {
      std::string id;
      for (size_t k = 0; k < attrs.size(); ++k)
        id += (k ? "/" : "") + attrs[k]->name + "=" + attrs[k]->levels[static_cast<size_t>(codes[k])];
      out.ids.push_back(attrs.empty() ? std::string("total") : id);
      out.key_codes.push_back(codes);
      h.indices.insert(h.indices.end(), rows.begin(), rows.end());
      h.indptr.push_back(static_cast<int64_t>(h.indices.size()));
      h.level.push_back(static_cast<int32_t>(l));
    }
  }
  h.n_aggregates = static_cast<int64_t>(out.ids.size());
  h.level_names.push_back(bottom_name);
  out.ids.insert(out.ids.end(), hdr.ids.begin(), hdr.ids.end());
  h.level.resize(static_cast<size_t>(h.n_aggregates + B), static_cast<int32_t>(levels.size()));
  h.validate("aggregate");
  return out;
}

// ----------------------------------------------------------- aggregation ----
AggregateStats aggregate_panel(const PanelReader& reader, const std::vector<HierLevel>& levels,
                               const std::string& bottom_name, const std::string& out_path, int64_t block) {
  const PanelHeader& in = reader.header();
  const Aggregation agg = build_aggregation(in, levels, bottom_name);
  const HierarchyStructure& h = agg.structure;
  const int64_t A = h.n_aggregates, B = h.n_bottom, T = in.n_steps, TF = in.n_total();
  block = std::max<int64_t>(1, block);

  // Bottom series j → the aggregate rows that contain it (the transpose of S_agg), CSR.
  std::vector<int64_t> up_ptr(static_cast<size_t>(B) + 1, 0);
  for (int32_t j : h.indices) ++up_ptr[static_cast<size_t>(j) + 1];
  for (int64_t j = 0; j < B; ++j) up_ptr[static_cast<size_t>(j) + 1] += up_ptr[static_cast<size_t>(j)];
  std::vector<int32_t> up(h.indices.size());
  {
    std::vector<int64_t> fill(up_ptr.begin(), up_ptr.end() - 1);
    for (int64_t a = 0; a < A; ++a)
      for (int64_t p = h.indptr[static_cast<size_t>(a)]; p < h.indptr[static_cast<size_t>(a) + 1]; ++p)
        up[static_cast<size_t>(fill[static_cast<size_t>(h.indices[static_cast<size_t>(p)])]++)] =
            static_cast<int32_t>(a);
  }

  // The output header (Note [Aggregate series]).
  PanelHeader out;
  out.axis = in.axis;
  out.n_steps = T;
  out.n_future = in.n_future;
  out.ids = agg.ids;
  out.dynamic = in.dynamic;
  out.events = in.events;
  for (const StaticAttr& s : in.statics) {
    StaticAttr o;
    o.name = s.name;
    o.levels = s.levels;
    o.codes.resize(static_cast<size_t>(A + B));
    const int32_t all = static_cast<int32_t>(s.levels.size());
    bool used_all = false;
    for (int64_t a = 0; a < A; ++a) {
      const int64_t p0 = h.indptr[static_cast<size_t>(a)], p1 = h.indptr[static_cast<size_t>(a) + 1];
      const int32_t c0 = s.codes[static_cast<size_t>(h.indices[static_cast<size_t>(p0)])];
      bool same = true;
      for (int64_t p = p0 + 1; p < p1 && same; ++p) same = s.codes[static_cast<size_t>(h.indices[static_cast<size_t>(p)])] == c0;
      o.codes[static_cast<size_t>(a)] = same ? c0 : all;
      used_all |= !same;
    }
    std::copy(s.codes.begin(), s.codes.end(), o.codes.begin() + A);
    if (used_all) o.levels.push_back("all");
    out.statics.push_back(std::move(o));
  }
  out.statics.push_back({"level", h.level, h.level_names});
  if (!in.weights.empty()) {
    out.weights.assign(static_cast<size_t>(A + B), 0.0f);
    for (int64_t a = 0; a < A; ++a) {
      double w = 0.0;
      for (int64_t p = h.indptr[static_cast<size_t>(a)]; p < h.indptr[static_cast<size_t>(a) + 1]; ++p)
        w += in.weights[static_cast<size_t>(h.indices[static_cast<size_t>(p)])];
      if (w > kMaxPanelValue)  // Note [Largest panel value]
        throw InputError(reader.path() + ": the weights of aggregate series '" + agg.ids[static_cast<size_t>(a)] +
                         "' sum to " + fmt_g(w) + ", beyond " + fmt_g(kMaxPanelValue) + "; rescale the weights");
      out.weights[static_cast<size_t>(a)] = static_cast<float>(w);
    }
    std::copy(in.weights.begin(), in.weights.end(), out.weights.begin() + A);
  }

  PanelWriter w(out_path, out);
  const double nan = std::numeric_limits<double>::quiet_NaN();

  // Target: sums over the observed children; NaN where none is observed. Bottom rows are
  // copied through block by block; `sales` keeps each bottom series' unit sales for the
  // covariate weights.
  std::vector<double> sum(static_cast<size_t>(checked_mul(A, T)), nan);  // [A, T]
  std::vector<double> sales(static_cast<size_t>(B), 0.0);               // [B]
  std::vector<float> buf;                                                // [nb, T] then [nb, T+F]
  for (int64_t i0 = 0; i0 < B; i0 += block) {
    const int64_t nb = std::min(block, B - i0);
    buf.resize(static_cast<size_t>(checked_mul(nb, T)));
    reader.read_target(i0, i0 + nb, buf.data());
    w.write_target(A + i0, nb, buf.data());
    // Series-parallel over the aggregate rows would race; rows of one bottom series touch
    // distinct aggregates, so parallelise over time instead.
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t r = 0; r < nb; ++r) {
        const float v = buf[static_cast<size_t>(r * T + t)];
        if (std::isnan(v)) continue;
        const int64_t j = i0 + r;
        for (int64_t p = up_ptr[static_cast<size_t>(j)]; p < up_ptr[static_cast<size_t>(j) + 1]; ++p) {
          double& s = sum[static_cast<size_t>(up[static_cast<size_t>(p)] * T + t)];
          s = std::isnan(s) ? v : s + v;
        }
      }
    for (int64_t r = 0; r < nb; ++r) {
      double s = 0.0;
      for (int64_t t = 0; t < T; ++t) {
        const float v = buf[static_cast<size_t>(r * T + t)];
        if (!std::isnan(v)) s += v;
      }
      sales[static_cast<size_t>(i0 + r)] = std::max(s, 0.0);
    }
  }
  {
    std::vector<float> rows(static_cast<size_t>(checked_mul(std::min(block, std::max<int64_t>(A, 1)), T)));
    for (int64_t a0 = 0; a0 < A; a0 += block) {
      const int64_t na = std::min(block, A - a0);
      for (int64_t k = 0; k < na * T; ++k) {
        const double v = sum[static_cast<size_t>(a0 * T + k)];
        // Note [Largest panel value] (io/panel.h): a sum past the bound would be inf in float32
        // or overflow the forecasts built on it; nothing is committed when this throws.
        if (std::fabs(v) > kMaxPanelValue)
          throw InputError(reader.path() + ": aggregate series '" + agg.ids[static_cast<size_t>(a0 + k / T)] +
                           "' at " + in.axis.label(k % T) + " sums to " + fmt_g(v) + ", beyond the largest panel value " +
                           fmt_g(kMaxPanelValue) + "; rescale the target, e.g. to thousands");
        rows[static_cast<size_t>(k)] = static_cast<float>(v);
      }
      w.write_target(a0, na, rows.data());
    }
  }
  sum.clear();
  sum.shrink_to_fit();

  // Per-series covariates: sales-weighted averages, one covariate at a time.
  for (const DynamicSpec& d : in.dynamic) {
    if (!d.per_series) {
      const std::vector<float> row = reader.read_dynamic(d.name, 0, std::min<int64_t>(1, B));
      w.write_dynamic_shared(d.name, row.data());
      continue;
    }
    const size_t n_cells = static_cast<size_t>(checked_mul(A, TF));
    std::vector<double> swx(n_cells, 0.0), sw(n_cells, 0.0), sx(n_cells, 0.0);  // [A, T+F]
    std::vector<float> cnt(n_cells, 0.0f);                                        // [A, T+F]
    for (int64_t i0 = 0; i0 < B; i0 += block) {
      const int64_t nb = std::min(block, B - i0);
      buf.resize(static_cast<size_t>(checked_mul(nb, TF)));
      reader.read_dynamic(d.name, i0, i0 + nb, buf.data());
      w.write_dynamic(d.name, A + i0, nb, buf.data());
#pragma omp parallel for schedule(static)
      for (int64_t t = 0; t < TF; ++t)
        for (int64_t r = 0; r < nb; ++r) {
          const float v = buf[static_cast<size_t>(r * TF + t)];
          if (!std::isfinite(v)) continue;
          const int64_t j = i0 + r;
          const double wt = sales[static_cast<size_t>(j)];
          for (int64_t p = up_ptr[static_cast<size_t>(j)]; p < up_ptr[static_cast<size_t>(j) + 1]; ++p) {
            const size_t c = static_cast<size_t>(up[static_cast<size_t>(p)] * TF + t);
            swx[c] += wt * v;
            sw[c] += wt;
            sx[c] += v;
            cnt[c] += 1.0f;
          }
        }
    }
    std::vector<float> rows;
    for (int64_t a0 = 0; a0 < A; a0 += block) {
      const int64_t na = std::min(block, A - a0);
      rows.resize(static_cast<size_t>(na * TF));
      for (int64_t k = 0; k < na * TF; ++k) {
        const size_t c = static_cast<size_t>(a0 * TF + k);
        rows[static_cast<size_t>(k)] = cnt[c] == 0.0f ? std::numeric_limits<float>::quiet_NaN()
                                       : sw[c] > 0.0  ? static_cast<float>(swx[c] / sw[c])
                                                      : static_cast<float>(sx[c] / cnt[c]);
      }
      w.write_dynamic(d.name, a0, na, rows.data());
    }
  }
  write_hierarchy(w, h, out_path);
  w.commit();
  return {A, B, static_cast<int64_t>(levels.size()) + 1};
}

// --------------------------------------------------------------- nesting ----
LevelTree nested_levels(const HierarchyStructure& h) {
  const int64_t A = h.n_aggregates, B = h.n_bottom, N = A + B;
  const int64_t L = static_cast<int64_t>(h.level_names.size());
  LevelTree tree;
  tree.level_begin.assign(static_cast<size_t>(L) + 1, N);
  for (int64_t i = N - 1; i >= 0; --i) tree.level_begin[static_cast<size_t>(h.level[static_cast<size_t>(i)])] = i;
  for (int64_t l = L - 1; l >= 0; --l)  // empty levels start where the next one does
    tree.level_begin[static_cast<size_t>(l)] =
        std::min(tree.level_begin[static_cast<size_t>(l)], tree.level_begin[static_cast<size_t>(l) + 1]);
  for (int64_t i = 1; i < N; ++i)
    if (h.level[static_cast<size_t>(i)] < h.level[static_cast<size_t>(i) - 1])
      throw InputError("hierarchy: series rows are not grouped by level (row " + std::to_string(i) + ")");
  // group_of[l][j]: the row offset, within level l, of the group holding bottom series j.
  auto group_of = [&](int64_t l) {
    std::vector<int64_t> g(static_cast<size_t>(B), -1);
    const int64_t r0 = tree.level_begin[static_cast<size_t>(l)], r1 = tree.level_begin[static_cast<size_t>(l) + 1];
    for (int64_t r = r0; r < r1; ++r) {
      if (r >= A) { g[static_cast<size_t>(r - A)] = r - r0; continue; }  // the bottom level
      for (int64_t p = h.indptr[static_cast<size_t>(r)]; p < h.indptr[static_cast<size_t>(r) + 1]; ++p)
        g[static_cast<size_t>(h.indices[static_cast<size_t>(p)])] = r - r0;
    }
    return g;
  };
  tree.parent.resize(static_cast<size_t>(L));
  std::vector<int64_t> above = group_of(0);
  for (int64_t l = 1; l < L; ++l) {
    const std::vector<int64_t> here = group_of(l);
    const int64_t n_groups = tree.level_begin[static_cast<size_t>(l) + 1] - tree.level_begin[static_cast<size_t>(l)];
    std::vector<int64_t>& par = tree.parent[static_cast<size_t>(l)];
    par.assign(static_cast<size_t>(n_groups), -1);
    for (int64_t j = 0; j < B; ++j) {
      const int64_t g = here[static_cast<size_t>(j)], p = above[static_cast<size_t>(j)];
      if (g < 0 || p < 0) throw InputError("hierarchy: level '" + h.level_names[static_cast<size_t>(g < 0 ? l : l - 1)] +
                                           "' does not cover every bottom series");
      int64_t& have = par[static_cast<size_t>(g)];
      if (have >= 0 && have != p) {
        const int64_t row = tree.level_begin[static_cast<size_t>(l)] + g;
        throw InputError("level '" + h.level_names[static_cast<size_t>(l)] + "' is not nested in '" +
                         h.level_names[static_cast<size_t>(l - 1)] + "': its series at row " + std::to_string(row) +
                         " spans several series of level '" + h.level_names[static_cast<size_t>(l - 1)] +
                         "'; top-down and middle-out need strictly nested levels (each level a refinement "
                         "of the one before it, e.g. \"total;state;store\")");
      }
      have = p;
    }
    above = here;
  }
  return tree;
}

}  // namespace skucast
