// engine/eval/plan.cpp — stock levels from a forecast (engine/eval/plan.h): the normal and Poisson
// formulas, the per-series plan, and the stock / orders CSV files it reads and the plan CSV.
#include "engine/eval/plan.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "engine/stat/normal.h"
#include "io/csv_fields.h"
#include "io/csv_reader.h"
#include "io/csv_writer.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"

namespace skucast {

// ---------------------------------------------------------------- formulas ----

double normal_loss(double k) {
  const double phi = std::exp(-0.5 * k * k) / std::sqrt(2.0 * M_PI);
  const double tail = 0.5 * std::erfc(k / std::sqrt(2.0));  // 1 − Phi(k)
  return phi - k * tail;
}

double normal_loss_inverse(double target) {
  double lo = -8.0, hi = 8.0;  // G(−8) ≈ 8, G(8) ≈ 5e−17; G decreasing
  if (target >= normal_loss(lo)) return lo;
  if (target <= normal_loss(hi)) return hi;
  for (int it = 0; it < 200 && hi - lo > 1e-12; ++it) {
    const double mid = 0.5 * (lo + hi);
    if (normal_loss(mid) > target) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

namespace {

// log P(D = d) for D ~ Poisson(mu), mu > 0.
double poisson_log_pmf(int64_t d, double mu) {
  return -mu + static_cast<double>(d) * std::log(mu) - std::lgamma(static_cast<double>(d) + 1.0);
}

// Far enough into the right tail that the rest of the mass is below 1e-15.
int64_t poisson_support_end(double mu) { return static_cast<int64_t>(mu + 40.0 * std::sqrt(mu) + 60.0); }
// Below this the mass is below 1e-300 (40 standard deviations under the mean), so sums may
// start here: O(sqrt(mu)) terms instead of O(mu) for a large mean.
int64_t poisson_support_begin(double mu) {
  return std::max<int64_t>(0, static_cast<int64_t>(mu - 40.0 * std::sqrt(mu) - 10.0));
}

// Note [Poisson demand with a large mean]: up to this mean the sums run over the support (80 sd,
// at most 2.6 million terms, each log-probability accurate to about 1e-6); above it D is
// normal to within its skewness 1 / sqrt(mu) <= 3e-5, and the sums would lose precision (the
// log-probability's terms reach 1e10 and more) and time (80 sqrt(mu) terms), and the support's
// bounds would overflow int64 from mu ~ 9e18 (panel values reach 1e30). So above it: cycle
// service takes the Cornish-Fisher quantile mu + sqrt(mu) (z + (z^2 - 1) / (6 sqrt(mu))) with
// the continuity correction, rounded up; fill rate the normal loss function with sd sqrt(mu).
constexpr double kPoissonExactMean = 1e9;

double poisson_normal_sd(double mu) { return std::sqrt(mu); }

}  // namespace

double poisson_cdf(int64_t s, double mu) {
  if (s < 0) return 0.0;
  if (!(mu > 0.0)) return 1.0;
  if (mu > kPoissonExactMean)  // Note [Poisson demand with a large mean]
    return 0.5 * std::erfc(-(static_cast<double>(s) + 0.5 - mu) / (poisson_normal_sd(mu) * std::sqrt(2.0)));
  double sum = 0.0;
  for (int64_t d = poisson_support_begin(mu); d <= s; ++d) sum += std::exp(poisson_log_pmf(d, mu));
  return std::min(sum, 1.0);
}

// E[(D − s)+] = mu − sum_{j<s} P(D > j): each unit of s removes the chance that demand reaches it
// (P(D > j) = 1 below the support's start).
double poisson_loss(int64_t s, double mu) {
  if (!(mu > 0.0)) return 0.0;
  if (mu > kPoissonExactMean) {  // Note [Poisson demand with a large mean]
    const double sd = poisson_normal_sd(mu);
    return sd * normal_loss((static_cast<double>(s) - mu) / sd);
  }
  const int64_t begin = std::min(s, poisson_support_begin(mu));
  double loss = mu - static_cast<double>(begin), cdf = 0.0;
  for (int64_t j = begin; j < s; ++j) {
    cdf += std::exp(poisson_log_pmf(j, mu));
    loss -= std::max(0.0, 1.0 - cdf);
  }
  return std::max(loss, 0.0);
}

double order_up_to(double mu, double sigma, double level, ServiceKind service, DemandDistribution dist,
                   double review_share) {
  if (!(level > 0.0 && level < 1.0)) throw InputError("service level must be in (0, 1), got " + std::to_string(level));
  const double review_demand = review_share * mu;  // E[D_R]
  if (dist == DemandDistribution::Normal) {
    if (!(sigma > 0.0)) return std::max(mu, 0.0);
    const double k = service == ServiceKind::Cycle ? inverse_normal_cdf(level)
                                                   : normal_loss_inverse((1.0 - level) * review_demand / sigma);
    return std::max(mu + k * sigma, 0.0);
  }
  if (!(mu > 0.0)) return 0.0;  // Poisson(0): no demand
  if (mu > kPoissonExactMean) {  // Note [Poisson demand with a large mean]
    const double sd = poisson_normal_sd(mu);
    if (service == ServiceKind::Cycle) {
      const double z = inverse_normal_cdf(level);
      return std::max(0.0, std::ceil(mu + sd * (z + (z * z - 1.0) / (6.0 * sd)) - 0.5));
    }
    const double target = (1.0 - level) * review_demand;
    // G(k) = -k + G(-k) ~ -k far below the mean: the shortage is mu - S there (as in the sum below).
    if (target / sd >= 8.0) return std::max(0.0, std::ceil(mu - target));
    return std::max(0.0, std::ceil(mu + sd * normal_loss_inverse(target / sd)));
  }
  const int64_t begin = poisson_support_begin(mu), end = poisson_support_end(mu);
  if (service == ServiceKind::Cycle) {
    double cdf = 0.0;
    for (int64_t s = begin; s <= end; ++s) {
      cdf += std::exp(poisson_log_pmf(s, mu));
      if (cdf >= level) return static_cast<double>(s);
    }
    return static_cast<double>(end);
  }
  const double target = (1.0 - level) * review_demand;
  double loss = mu - static_cast<double>(begin), cdf = 0.0;  // loss = E[(D − s)+] at s
  // Below the support's start the loss is mu − s exactly: the answer may lie there.
  if (loss <= target) return std::max(0.0, std::ceil(mu - target - 1e-9));
  for (int64_t s = begin; s <= end; ++s) {
    if (loss <= target) return static_cast<double>(s);
    cdf += std::exp(poisson_log_pmf(s, mu));
    loss -= std::max(0.0, 1.0 - cdf);
  }
  return static_cast<double>(end);
}

double order_quantity(double s, double on_hand, double on_order, double case_pack, double min_order) {
  double q = s - on_hand - on_order;
  if (!(q > 0.0)) return 0.0;
  if (min_order > 0.0) q = std::max(q, min_order);
  if (case_pack > 0.0) q = std::ceil(q / case_pack - 1e-9) * case_pack;  // 1e-9: 12/4 stays 3 packs
  return q;
}

// --------------------------------------------------------------- the plan ----

namespace {

// L and R of one series: its own, else the run's; InputError naming the series when missing.
void policy_of(const StockRow& st, const PlanOptions& opt, const std::string& id, int64_t& L, int64_t& R) {
  L = st.lead_time >= 0 ? st.lead_time : opt.lead_time;
  R = st.review_period >= 0 ? st.review_period : opt.review_period;
  if (L < 0)
    throw InputError("series '" + id + "' has no lead time: give --lead-time or a lead_time column in the stock file");
  if (R < 1)
    throw InputError("series '" + id + "' has no review period: give --review-period (>= 1) or a review_period "
                     "column in the stock file");
}

double square(double x) { return x * x; }

// sd of a normal with quantiles q_lo, q_hi at z_lo, z_hi and mean m; when q_lo was clipped at 0
// (non-negative data), from the upper half alone (Note [Demand over lead time plus review]).
double fitted_sd(double q_lo, double q_hi, double m, double z_lo, double z_hi) {
  double sd = (q_hi - q_lo) / (z_hi - z_lo);
  if (q_lo == 0.0 && z_hi > 0.0) sd = std::max(0.0, (q_hi - m) / z_hi);
  return std::isfinite(sd) && sd > 0.0 ? sd : 0.0;
}

}  // namespace

double quantile_on_grid(const std::vector<double>& levels, const float* q, double level) {
  const size_t Q = levels.size();
  if (Q == 0 || level <= levels.front()) return Q ? q[0] : 0.0;
  if (level >= levels.back()) return q[Q - 1];
  size_t j = 1;
  while (levels[j] < level) ++j;  // levels[j − 1] < level <= levels[j]
  const double w = (level - levels[j - 1]) / (levels[j] - levels[j - 1]);
  return q[j - 1] + w * (static_cast<double>(q[j]) - q[j - 1]);
}

double grid_tail_scale(const std::vector<double>& levels, const float* q) {
  const size_t Q = levels.size();
  if (Q < 2) return 0.0;
  const double b = (static_cast<double>(q[Q - 1]) - q[Q - 2]) / std::log((1.0 - levels[Q - 2]) / (1.0 - levels[Q - 1]));
  return std::isfinite(b) && b > 0.0 ? b : 0.0;
}

double grid_loss(const std::vector<double>& levels, const float* q, double s) {
  const size_t Q = levels.size();
  if (Q == 0) return 0.0;
  double loss = levels[0] * std::max(0.0, q[0] - s);  // below the first level: q[0]
  for (size_t j = 0; j + 1 < Q; ++j) {  // linear from (u_j, q_j) to (u_j+1, q_j+1)
    const double du = levels[j + 1] - levels[j], a = q[j], c = q[j + 1];
    if (s <= a) loss += du * (0.5 * (a + c) - s);
    else if (s < c) loss += du * (c - s) / (c - a) * 0.5 * (c - s);  // the triangle above s
  }
  // Above the top level: Q(u) = q_top + b ln((1 − u_top) / (1 − u)), an exponential tail.
  const double top = q[Q - 1], tail = 1.0 - levels[Q - 1], b = grid_tail_scale(levels, q);
  if (s <= top) loss += tail * (top - s + b);
  else if (b > 0.0) loss += tail * std::exp(-(s - top) / b) * b;
  return loss;
}

double grid_loss_inverse(const std::vector<double>& levels, const float* q, double target) {
  const size_t Q = levels.size();
  if (Q == 0) return 0.0;
  double lo = std::min(0.0, static_cast<double>(q[0])), hi = std::max(lo, static_cast<double>(q[Q - 1]));
  if (grid_loss(levels, q, lo) <= target) return lo;
  const double b = grid_tail_scale(levels, q);
  for (int it = 0; it < 200 && grid_loss(levels, q, hi) > target; ++it) hi += std::max(b, 1e-9 + std::fabs(hi));
  for (int it = 0; it < 200 && hi - lo > 1e-9 * (1.0 + std::fabs(hi)); ++it) {  // the loss falls in s
    const double mid = 0.5 * (lo + hi);
    if (grid_loss(levels, q, mid) > target) lo = mid;
    else hi = mid;
  }
  return hi;
}

bool plan_uses_cumulative(const ForecastFile& fc, const PlanOptions& opt) {
  return opt.dependence == StepDependence::Auto && opt.distribution == DemandDistribution::Normal &&
         !fc.cumulative_quantiles.empty() && fc.levels.size() >= 2;
}

std::vector<PlanRow> make_plan(const ForecastFile& fc, const std::vector<StockRow>& stock, const PlanOptions& opt) {
  const int64_t S = static_cast<int64_t>(fc.ids.size()), H = fc.horizon;
  const int64_t Q = static_cast<int64_t>(fc.levels.size());
  if (!(opt.service_level > 0.0 && opt.service_level < 1.0))
    throw InputError("--service-level must be strictly between 0 and 1, got " + std::to_string(opt.service_level));
  if (static_cast<int64_t>(stock.size()) != S) throw Error("make_plan: one stock row per series expected");
  const bool normal = opt.distribution == DemandDistribution::Normal;
  const std::string file = opt.forecast_path.empty() ? std::string("the forecast file") : opt.forecast_path;
  if (normal && Q < 2)
    throw InputError(file + ": the normal demand distribution needs at least two quantile levels in the forecast file, "
                     "it has " + std::to_string(Q) + " (forecast with --quantiles 0.1,0.5,0.9, or use --distribution "
                     "poisson)");
  // The spread comes from a level above the median (fitted_sd; the cumulative grid's tail), and
  // S lies above the median for any service level above 0.5: levels all at or below the median
  // would extrapolate it from the lower half alone (sd 0 where the lower levels clip at 0).
  if (normal && fc.levels.back() <= 0.5) {
    std::string levels;
    for (const double q : fc.levels) levels += (levels.empty() ? "" : ",") + format_double(q);
    throw InputError(file + ": its quantile levels (" + levels + ") have none above the median, which the normal "
                     "demand's spread and an order-up-to level above the median need (forecast with --quantiles "
                     "0.1,0.5,0.9 or higher levels, or use --distribution poisson)");
  }
  const double z_lo = Q >= 2 ? inverse_normal_cdf(fc.levels.front()) : 0.0;
  const double z_hi = Q >= 2 ? inverse_normal_cdf(fc.levels.back()) : 0.0;
  // Note [Demand over lead time plus review]: D's own quantiles when the file has them.
  const bool cumulative = plan_uses_cumulative(fc, opt);
  std::vector<PlanRow> rows(static_cast<size_t>(S));
  for (int64_t i = 0; i < S; ++i) {
    const StockRow& st = stock[static_cast<size_t>(i)];
    PlanRow& row = rows[static_cast<size_t>(i)];
    int64_t L = 0, R = 0;
    policy_of(st, opt, fc.ids[static_cast<size_t>(i)], L, R);
    if (L + R > H) {
      const std::string stock_line = (opt.stock_path.empty() ? std::string("the stock file") : opt.stock_path) +
                                     " line " + std::to_string(st.line);
      throw InputError("series '" + fc.ids[static_cast<size_t>(i)] + "': lead time " + std::to_string(L) + " (" +
                       (st.lead_time >= 0 ? stock_line : std::string("--lead-time")) + ") + review period " +
                       std::to_string(R) + " (" + (st.review_period >= 0 ? stock_line : std::string("--review-period")) +
                       ") = " + std::to_string(L + R) + " steps, beyond the horizon of " + std::to_string(H) +
                       " steps of " + file + " (forecast further ahead, or shorten them)");
    }
    double mu = 0.0, var = 0.0;
    for (int64_t h = 0; h < L + R; ++h) {  // Note [Demand over lead time plus review]
      const double m = fc.mean[static_cast<size_t>(i * H + h)];
      mu += m;
      if (!normal || cumulative) continue;
      const float* q = fc.quantiles.data() + (i * H + h) * Q;
      var += square(fitted_sd(q[0], q[Q - 1], m, z_lo, z_hi));
    }
    row.lead_time = L;
    row.review_period = R;
    row.demand_mean = mu;
    row.cumulative = cumulative;
    const double review_share = static_cast<double>(R) / static_cast<double>(L + R);
    if (cumulative) {  // the file's quantiles of D itself, at step L + R
      const float* q = fc.cumulative_quantiles.data() + (i * H + L + R - 1) * Q;
      // Spread reported: the normal through D's median and its top quantile.
      const double center = quantile_on_grid(fc.levels, q, 0.5);
      const double sd = z_hi > 0.0 ? (q[Q - 1] - center) / z_hi : 0.0;
      row.demand_sd = std::isfinite(sd) && sd > 0.0 ? sd : 0.0;
      const double level = opt.service_level;
      if (opt.service == ServiceKind::Fill)  // E[(D − S)+] = (1 − beta) E[D_R] on the grid
        row.order_up_to = grid_loss_inverse(fc.levels, q, (1.0 - level) * review_share * mu);
      else if (level >= fc.levels.front() && level <= fc.levels.back())
        row.order_up_to = quantile_on_grid(fc.levels, q, level);
      else if (level > fc.levels.back())  // the exponential tail
        row.order_up_to = q[Q - 1] + grid_tail_scale(fc.levels, q) * std::log((1.0 - fc.levels.back()) / (1.0 - level));
      else
        row.order_up_to = center + inverse_normal_cdf(level) * row.demand_sd;
      row.order_up_to = std::max(row.order_up_to, 0.0);
      row.beyond_grid = row.order_up_to > q[Q - 1];
    } else {
      row.demand_sd = normal ? std::sqrt(var) : std::sqrt(std::max(mu, 0.0));
      row.order_up_to = order_up_to(mu, row.demand_sd, opt.service_level, opt.service, opt.distribution, review_share);
    }
    row.safety_stock = row.order_up_to - mu;
    row.on_hand = st.on_hand;
    row.on_order = st.on_order;
    row.order_qty = order_quantity(row.order_up_to, st.on_hand, st.on_order, st.case_pack, st.min_order);
  }
  return rows;
}

// ------------------------------------------------------------------- files ----

namespace {

struct CsvTable {
  std::string path;
  std::vector<std::string> header;
  int col(const std::string& name) const {
    for (size_t j = 0; j < header.size(); ++j)
      if (header[j] == name) return static_cast<int>(j);
    return -1;
  }
};

// A decimal number from a field (spaces around it allowed, as ingest reads values; no hex, no
// NaN) within +-kMaxPanelValue (Note [Largest panel value] in io/panel.h: sums of such
// quantities stay finite); InputError naming file, line and column otherwise.
double parse_number(std::string_view f, const std::string& path, int64_t line, const std::string& column) {
  std::string_view s = csv::trim(f);
  if (s.size() > 1 && s.front() == '+' && s[1] != '-') s.remove_prefix(1);
  double v = 0.0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ptr != s.data() + s.size() || r.ec != std::errc() || !std::isfinite(v))
    throw InputError(csv_where(path, line) + ": column " + column + ": '" + std::string(f) + "' is not a number");
  if (std::fabs(v) > kMaxPanelValue)
    throw InputError(csv_where(path, line) + ": column " + column + ": '" + std::string(f) +
                     "' is too large (at most 1e30 in magnitude)");
  return v;
}

int64_t parse_count(std::string_view f, const std::string& path, int64_t line, const std::string& column,
                    int64_t min) {
  const double v = parse_number(f, path, line, column);
  if (v != std::floor(v) || v < static_cast<double>(min) || v > 1e12)
    throw InputError(csv_where(path, line) + ": column " + column + ": '" + std::string(f) +
                     "' is not a whole number of steps >= " + std::to_string(min));
  return static_cast<int64_t>(v);
}

// Reads the header; requires `required` columns.
CsvTable open_table(CsvReader& reader, CsvRecord& rec, const std::vector<std::string>& required) {
  CsvTable t{reader.path(), {}};
  if (!reader.next(rec)) throw InputError(reader.path() + ": the file is empty (expected a header line)");
  for (auto f : rec.fields) t.header.emplace_back(f);
  for (const auto& name : required)
    if (t.col(name) < 0) {
      std::string have;
      for (const auto& h : t.header) have += (have.empty() ? "" : ",") + h;
      throw InputError(csv_where(t.path, rec.line) + ": missing column '" + name + "' (header: " + have + ")");
    }
  return t;
}

std::unordered_map<std::string, int64_t> index_ids(const std::vector<std::string>& ids) {
  std::unordered_map<std::string, int64_t> m;
  m.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) m.emplace(ids[i], static_cast<int64_t>(i));
  return m;
}

int64_t series_of(const std::unordered_map<std::string, int64_t>& index, std::string_view id, const std::string& path,
                  int64_t line) {
  const auto it = index.find(std::string(id));
  if (it == index.end())
    throw InputError(csv_where(path, line) + ": series '" + std::string(id) + "' is not in the forecast file");
  return it->second;
}

void check_width(const CsvTable& t, const CsvRecord& rec) { check_csv_width(t.path, rec, t.header.size()); }

}  // namespace

std::vector<StockRow> read_stock_csv(const std::string& path, const std::vector<std::string>& ids, int64_t* n_listed) {
  CsvReader reader(path);
  CsvRecord rec;
  const CsvTable t = open_table(reader, rec, {"series_id", "on_hand"});
  const int c_id = t.col("series_id"), c_on = t.col("on_hand"), c_l = t.col("lead_time"), c_r = t.col("review_period"),
            c_pack = t.col("case_pack"), c_min = t.col("min_order");
  const auto index = index_ids(ids);
  std::vector<StockRow> rows(ids.size());
  std::vector<int64_t> seen_at(ids.size(), 0);
  int64_t listed = 0;
  while (reader.next(rec)) {
    check_width(t, rec);
    const int64_t i = series_of(index, rec.fields[static_cast<size_t>(c_id)], path, rec.line);
    if (seen_at[static_cast<size_t>(i)])
      throw InputError(csv_where(path, rec.line) + ": series '" + ids[static_cast<size_t>(i)] +
                       "' is listed again (first on line " + std::to_string(seen_at[static_cast<size_t>(i)]) + ")");
    seen_at[static_cast<size_t>(i)] = rec.line;
    ++listed;
    StockRow& r = rows[static_cast<size_t>(i)];
    r.line = rec.line;
    r.on_hand = parse_number(rec.fields[static_cast<size_t>(c_on)], path, rec.line, "on_hand");
    if (r.on_hand < 0.0)
      throw InputError(csv_where(path, rec.line) + ": series '" + ids[static_cast<size_t>(i)] +
                       "' has negative stock on_hand " + std::string(rec.fields[static_cast<size_t>(c_on)]) +
                       " (expected >= 0)");
    auto field = [&](int c) { return c >= 0 ? rec.fields[static_cast<size_t>(c)] : std::string_view(); };
    if (!field(c_l).empty()) r.lead_time = parse_count(field(c_l), path, rec.line, "lead_time", 0);
    if (!field(c_r).empty()) r.review_period = parse_count(field(c_r), path, rec.line, "review_period", 1);
    for (const auto& [c, name, dst] : {std::tuple<int, const char*, double*>{c_pack, "case_pack", &r.case_pack},
                                       {c_min, "min_order", &r.min_order}}) {
      if (field(c).empty()) continue;
      *dst = parse_number(field(c), path, rec.line, name);
      if (*dst < 0.0)
        throw InputError(csv_where(path, rec.line) + ": column " + name + ": " + std::string(field(c)) +
                         " is negative");
    }
  }
  if (n_listed) *n_listed = listed;
  return rows;
}

void read_orders_csv(const std::string& path, const std::vector<std::string>& ids, const PlanOptions& opt,
                     std::vector<StockRow>& stock) {
  CsvReader reader(path);
  CsvRecord rec;
  const CsvTable t = open_table(reader, rec, {"series_id", "quantity", "arrival_step"});
  const int c_id = t.col("series_id"), c_q = t.col("quantity"), c_a = t.col("arrival_step");
  const auto index = index_ids(ids);
  while (reader.next(rec)) {
    check_width(t, rec);
    const int64_t i = series_of(index, rec.fields[static_cast<size_t>(c_id)], path, rec.line);
    const double q = parse_number(rec.fields[static_cast<size_t>(c_q)], path, rec.line, "quantity");
    if (q < 0.0)
      throw InputError(csv_where(path, rec.line) + ": series '" + ids[static_cast<size_t>(i)] +
                       "' has a negative order quantity " + std::string(rec.fields[static_cast<size_t>(c_q)]));
    const int64_t arrival = parse_count(rec.fields[static_cast<size_t>(c_a)], path, rec.line, "arrival_step", 0);
    StockRow& st = stock[static_cast<size_t>(i)];
    int64_t L = 0, R = 0;
    policy_of(st, opt, ids[static_cast<size_t>(i)], L, R);
    if (arrival <= L + R) st.on_order += q;  // arriving within the protection period
  }
}

void write_plan_csv(const std::string& path, const std::vector<std::string>& ids, const std::vector<PlanRow>& rows) {
  if (ids.size() != rows.size()) throw Error("write_plan_csv: one row per series expected");
  CsvWriter w(path);
  for (const char* h : {"series_id", "lead_time", "review_period", "demand_mean", "demand_sd", "order_up_to",
                        "safety_stock", "on_hand", "on_order", "order_qty"})
    w.raw(h);
  w.end_row();
  for (size_t i = 0; i < rows.size(); ++i) {
    const PlanRow& r = rows[i];
    w.text(ids[i]);
    w.integer(r.lead_time);
    w.integer(r.review_period);
    for (double v : {r.demand_mean, r.demand_sd, r.order_up_to, r.safety_stock, r.on_hand, r.on_order, r.order_qty})
      w.number(v);
    w.end_row();
  }
  w.commit();
}

}  // namespace skucast
