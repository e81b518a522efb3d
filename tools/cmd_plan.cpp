// tools/cmd_plan.cpp — `skucast plan`: stock levels from a forecast file (engine/eval/plan.h): per
// series the demand over lead time plus review period, the order-up-to level, the safety stock
// and the order quantity, written as CSV.
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/eval/plan.h"
#include "io/atomic_file.h"
#include "io/forecast_file.h"
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {

namespace {

struct PlanCli {
  std::string forecast, on_hand, on_order, out;
  int64_t lead_time = -1, review_period = -1;  // -1: from stock.csv
  double service_level = 0.95;
  std::string service = "cycle", distribution = "normal", steps = "auto";
};

void run_plan(const PlanCli& o) {
  if (!(o.service_level > 0.0 && o.service_level < 1.0))
    throw InputError("--service-level must be strictly between 0 and 1 (e.g. 0.95), got " + std::to_string(o.service_level));
  std::vector<std::pair<std::string, std::string>> inputs{{"--forecast", o.forecast}};
  if (!o.on_hand.empty()) inputs.emplace_back("--on-hand", o.on_hand);
  if (!o.on_order.empty()) inputs.emplace_back("--on-order", o.on_order);
  check_output_path(o.out, "--out", inputs);
  PlanOptions opt;
  opt.lead_time = o.lead_time;
  opt.review_period = o.review_period;
  opt.service_level = o.service_level;
  opt.service = o.service == "fill" ? ServiceKind::Fill : ServiceKind::Cycle;
  opt.distribution = o.distribution == "poisson" ? DemandDistribution::Poisson : DemandDistribution::Normal;
  opt.dependence = o.steps == "independent" ? StepDependence::Independent : StepDependence::Auto;
  opt.forecast_path = o.forecast;
  opt.stock_path = o.on_hand;
  const ForecastFile fc = read_forecast(o.forecast);
  std::vector<StockRow> stock(fc.ids.size());
  int64_t n_listed = static_cast<int64_t>(fc.ids.size());
  if (!o.on_hand.empty()) stock = read_stock_csv(o.on_hand, fc.ids, &n_listed);
  if (!o.on_order.empty()) read_orders_csv(o.on_order, fc.ids, opt, stock);
  const std::vector<PlanRow> rows = make_plan(fc, stock, opt);
  // One line on how D was built (Note [Demand over lead time plus review], engine/eval/plan.h).
  std::string rule;
  if (opt.distribution == DemandDistribution::Poisson)
    rule = "Poisson from the means";
  else if (plan_uses_cumulative(fc, opt))
    rule = "the file's cumulative quantiles at step L+R (" + fc.intervals + " intervals; dependence between steps kept)";
  else if (fc.cumulative_quantiles.empty())
    rule = "per-step quantiles, steps taken as independent (the file has no cumulative quantiles)";
  else
    rule = "per-step quantiles, steps taken as independent (--steps independent)";
  std::fprintf(stderr, "skucast: plan: demand over lead time plus review from %s\n", rule.c_str());
  int64_t n_beyond = 0;
  for (const PlanRow& r : rows) n_beyond += r.beyond_grid;
  if (n_beyond > 0)  // Note [Demand over lead time plus review]: the tail is an extrapolation
    std::fprintf(stderr,
                 "skucast: note: %lld of %zu series have S above D's top quantile level (%g), in the "
                 "exponential tail extrapolated from the top two levels; a higher level in the forecast's "
                 "--quantiles reads it off the file's own quantiles (0.99 above 0.95, for a 0.95 fill rate)\n",
                 static_cast<long long>(n_beyond), rows.size(), fc.levels.back());
  write_plan_csv(o.out, fc.ids, rows);
  if (!o.on_hand.empty() && n_listed < static_cast<int64_t>(fc.ids.size()))
    std::fprintf(stderr, "skucast: note: %lld series of the forecast are not in %s: their stock on hand is taken as 0\n",
                 static_cast<long long>(static_cast<int64_t>(fc.ids.size()) - n_listed), o.on_hand.c_str());
  double total_qty = 0.0, total_ss = 0.0;
  int64_t n_orders = 0;
  for (const PlanRow& r : rows) {
    total_qty += r.order_qty;
    total_ss += r.safety_stock;
    n_orders += r.order_qty > 0.0;
  }
  std::fprintf(stderr,
               "skucast: plan: %zu series (%s, %s service %g, %s demand); %lld order(s), %.6g units in total; "
               "safety stock %.6g units → %s\n",
               rows.size(), fc.model.c_str(), o.service.c_str(), o.service_level, o.distribution.c_str(),
               static_cast<long long>(n_orders), total_qty,
               total_ss, o.out.c_str());
}

}  // namespace

void add_plan(CLI::App& app) {
  auto opt = std::make_shared<PlanCli>();
  auto* sub = app.add_subcommand("plan", "Stock levels from a forecast: order-up-to level, safety stock and order "
                                         "quantity per series (periodic review)");
  sub->add_option("--forecast", opt->forecast, "forecast file (skucast forecast)")->required();
  sub->add_option("--lead-time", opt->lead_time,
                  "steps L from ordering to arrival (panel steps); per series from a lead_time column of --on-hand")
      ->check(at_least(0));
  sub->add_option("--review-period", opt->review_period,
                  "steps R between orders; per series from a review_period column of --on-hand")
      ->check(at_least(1));
  sub->add_option("--service-level", opt->service_level,
                  "target in (0, 1): the probability of no stock-out per cycle (cycle) or the share of demand met "
                  "from stock (fill)")
      ->capture_default_str();
  sub->add_option("--service", opt->service, "cycle (alpha) or fill (beta, fill rate)")
      ->capture_default_str()
      ->check(CLI::IsMember({"cycle", "fill"}));
  sub->add_option("--distribution", opt->distribution,
                  "demand over L + R: normal (fitted to the file's quantiles, see --steps) or poisson (from the "
                  "means; slow movers)")
      ->capture_default_str()
      ->check(CLI::IsMember({"normal", "poisson"}));
  sub->add_option("--steps", opt->steps,
                  "normal demand: auto (the file's cumulative quantiles of steps 1..L+R when it has them, from "
                  "`forecast --intervals conformal`; else independent steps) or independent")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "independent"}));
  sub->add_option("--on-hand", opt->on_hand,
                  "stock CSV: series_id,on_hand[,lead_time,review_period,case_pack,min_order] (series not listed: 0 on "
                  "hand)");
  sub->add_option("--on-order", opt->on_order,
                  "open orders CSV: series_id,quantity,arrival_step (counted when arriving within L + R steps)");
  sub->add_option("--out", opt->out, "plan CSV, written atomically")->required();
  sub->callback([opt] { run_plan(*opt); });
}

}  // namespace skucast::cli
