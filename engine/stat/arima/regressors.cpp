// engine/stat/arima/regressors.cpp — --regressors: parsing, panel checks and block reads
// (Note [Regressor names] in engine/stat/arima/regressors.h).
#include "engine/stat/arima/regressors.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/stat/arima/arima.h"
#include "io/panel.h"
#include "kernels/common.hpp"

namespace skucast {

std::string RegressorColumn::label() const {
  if (source == Source::Event) return "event:" + name;
  return log ? name + ":log" : name;
}

std::string RegressorColumn::dataset() const {
  return (source == Source::Event ? "/calendar/events/" : "/dynamic/") + name;
}

std::string RegressorPlan::describe() const {
  std::string s;
  for (size_t i = 0; i < columns.size(); ++i) s += (i ? "," : "") + columns[i].label();
  return s;
}

namespace {

std::string panel_contents(const PanelHeader& hdr) {
  std::string d, e;
  for (const auto& x : hdr.dynamic) d += (d.empty() ? "" : ", ") + x.name;
  for (const auto& x : hdr.events) e += (e.empty() ? "" : ", ") + x.name;
  return "dynamic covariates: " + (d.empty() ? std::string("(none)") : d) +
         "; events: " + (e.empty() ? std::string("(none)") : "event:" + e + " or events");
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

RegressorPlan plan_regressors(const PanelHeader& hdr, const std::string& panel_path, const std::string& text) {
  RegressorPlan plan;
  const std::string all = trim(text);
  if (all.empty()) {
    for (const auto& d : hdr.dynamic) plan.columns.push_back({RegressorColumn::Source::Dynamic, d.name, false});
    if (plan.columns.empty())
      throw InputError(panel_path + ": the model uses regressors, but the panel has no /dynamic covariates (" +
                       panel_contents(hdr) + "); ingest them with --dynamic price,promo or pass --regressors event:NAME");
  } else {
    plan.listed = true;
    std::stringstream ss(all);
    std::string item;
    while (std::getline(ss, item, ',')) {
      item = trim(item);
      if (item.empty()) throw InputError("--regressors: empty name in '" + text + "' (expected e.g. price:log,promo)");
      if (item == "events") {
        if (hdr.events.empty())
          throw InputError("--regressors: " + panel_path + " has no events (" + panel_contents(hdr) + ")");
        for (const auto& e : hdr.events) plan.columns.push_back({RegressorColumn::Source::Event, e.name, false});
        continue;
      }
      if (item.rfind("event:", 0) == 0) {
        const std::string name = item.substr(6);
        bool found = false;
        for (const auto& e : hdr.events) found = found || e.name == name;
        if (!found)
          throw InputError("--regressors: " + panel_path + " has no event '" + name + "' (" + panel_contents(hdr) + ")");
        plan.columns.push_back({RegressorColumn::Source::Event, name, false});
        continue;
      }
      std::string name = item;
      bool log = false;
      const auto colon = item.rfind(':');
      if (colon != std::string::npos) {
        const std::string suffix = item.substr(colon + 1);
        if (suffix != "log")
          throw InputError("--regressors: unknown form '" + item + "'; expected NAME, NAME:log, event:NAME or events");
        name = item.substr(0, colon);
        log = true;
      }
      if (hdr.find_dynamic(name) == nullptr)
        throw InputError("--regressors: " + panel_path + " has no dynamic covariate '" + name + "' (" +
                         panel_contents(hdr) + ")");
      plan.columns.push_back({RegressorColumn::Source::Dynamic, name, log});
    }
  }
  for (size_t i = 0; i < plan.columns.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (plan.columns[i].source == plan.columns[j].source && plan.columns[i].name == plan.columns[j].name)
        throw InputError("--regressors: " + plan.columns[i].dataset() + " is listed twice");
  if (plan.size() > kArimaMaxXreg)
    throw InputError("--regressors: " + std::to_string(plan.size()) + " columns (" + plan.describe() +
                     "), but at most " + std::to_string(kArimaMaxXreg) + " are supported; list fewer");
  return plan;
}

void check_regressor_horizon(const RegressorPlan& plan, const PanelHeader& hdr, const std::string& panel_path,
                             int64_t horizon) {
  if (plan.columns.empty() || hdr.n_future >= horizon) return;
  throw InputError(panel_path + ": regressor " + plan.columns[0].dataset() + " has " + std::to_string(hdr.n_future) +
                   " future step(s) after the history (F = " + std::to_string(hdr.n_future) + "), but --horizon is " +
                   std::to_string(horizon) + "; ingest the covariates' known future values for at least " +
                   std::to_string(horizon) + " steps (rows with an empty value after the last sale) or shorten the horizon");
}

void check_regressor_history(const PanelReader& panel, const RegressorPlan& plan) {
  if (!plan.listed) return;
  const PanelHeader& hdr = panel.header();
  const int64_t S = hdr.n_series(), T = hdr.n_steps, W = hdr.n_total();
  // Blocks of about 4 M values (16 MB), at least one series.
  const int64_t block = std::max<int64_t>(1, (int64_t{1} << 22) / std::max<int64_t>(W, 1));
  std::vector<float> col;  // [nb, T+F]
  for (const RegressorColumn& c : plan.columns) {
    if (c.source != RegressorColumn::Source::Dynamic) continue;  // events: 0/1 at every step
    bool seen = false;
    for (int64_t i0 = 0; i0 < S && !seen; i0 += block) {
      const int64_t nb = std::min(block, S - i0);
      col.resize(static_cast<size_t>(checked_mul(nb, W)));
      panel.read_dynamic(c.name, i0, i0 + nb, col.data());
      for (int64_t s = 0; s < nb && !seen; ++s)
        for (int64_t t = 0; t < T && !seen; ++t) seen = std::isfinite(col[static_cast<size_t>(s * W + t)]);
    }
    if (!seen)
      throw InputError("--regressors " + c.label() + ": " + panel.path() + " " + c.dataset() +
                       " has no value in any series' history (its " + std::to_string(T) + " steps before the " +
                       "forecast origin), so no series can fit it; drop it from --regressors");
  }
}

void RegressorUseCount::add(const RegressorUse* use, int64_t n, int k) {
  if (by_column.size() < static_cast<size_t>(k)) by_column.resize(static_cast<size_t>(k), {});
  for (int64_t s = 0; s < n; ++s)
    for (int j = 0; j < k; ++j) ++by_column[static_cast<size_t>(j)][static_cast<size_t>(use[s * k + j])];
  n_series += n;
}

std::vector<std::string> regressor_use_notes(const RegressorPlan& plan, const RegressorUseCount& count) {
  std::vector<std::string> notes;
  const std::string of = " of " + std::to_string(count.n_series) + " series";
  for (size_t j = 0; j < plan.columns.size() && j < count.by_column.size(); ++j) {
    const auto& c = count.by_column[j];
    auto n = [&c](RegressorUse u) { return c[static_cast<size_t>(u)]; };
    const std::pair<RegressorUse, const char*> why[] = {
        {RegressorUse::NoHistory, "no value in their history"},
        {RegressorUse::Constant, "constant over their history"},
        {RegressorUse::Collinear, "a linear combination of the mean and the regressors listed before it"}};
    int64_t left = 0;
    int n_kinds = 0;
    for (const auto& [u, text] : why) {
      left += n(u);
      n_kinds += n(u) > 0;
    }
    const int64_t carried = n(RegressorUse::UsedCarried);
    if (left == 0 && carried == 0) continue;
    std::string line = "arimax: regressor '" + plan.columns[j].label() + "'";
    if (left > 0) {
      std::string reasons;
      for (const auto& [u, text] : why) {
        if (n(u) == 0) continue;
        reasons += (reasons.empty() ? "" : ", ") + (n_kinds > 1 ? std::to_string(n(u)) + " " : std::string()) + text;
      }
      line += " left out for " + std::to_string(left) + of + " (" + reasons + ")";
    }
    if (carried > 0)  // Note [Regressor rows]: the last known value carried forward
      line += (left > 0 ? "; its future values are missing for " + std::to_string(carried) + " series"
                        : " has missing future values for " + std::to_string(carried) + of) +
              " (their last known value is carried over the horizon)";
    notes.push_back(line);
  }
  return notes;
}

void read_regressors(const PanelReader& panel, const RegressorPlan& plan, int64_t i0, int64_t i1,
                     std::vector<float>& out) {
  const PanelHeader& hdr = panel.header();
  const int64_t nb = i1 - i0, W = hdr.n_total(), K = plan.size();
  out.assign(static_cast<size_t>(checked_mul(checked_mul(nb, W), K)), 0.0f);  // [nb, T+F, K]
  std::vector<float> col;                                                     // [nb, T+F]
  for (int64_t j = 0; j < K; ++j) {
    const RegressorColumn& c = plan.columns[static_cast<size_t>(j)];
    if (c.source == RegressorColumn::Source::Event) {
      const std::vector<uint8_t>* flags = nullptr;
      for (const auto& e : hdr.events)
        if (e.name == c.name) flags = &e.flags;
      if (flags == nullptr) throw InputError(panel.path() + ": panel has no event '" + c.name + "'");
      for (int64_t s = 0; s < nb; ++s)
        for (int64_t t = 0; t < W; ++t) out[static_cast<size_t>((s * W + t) * K + j)] = (*flags)[static_cast<size_t>(t)];
      continue;
    }
    col.resize(static_cast<size_t>(checked_mul(nb, W)));
    panel.read_dynamic(c.name, i0, i1, col.data());
    for (int64_t s = 0; s < nb; ++s)
      for (int64_t t = 0; t < W; ++t) {
        float v = col[static_cast<size_t>(s * W + t)];
        if (c.log && std::isfinite(v)) {
          if (!(v > 0.0f))
            throw InputError("--regressors " + c.label() + ": " + panel.path() + " " + c.dataset() + " of series '" +
                             hdr.ids[static_cast<size_t>(i0 + s)] + "' is " + std::to_string(v) + " at step " +
                             std::to_string(t) + "; the log needs values > 0 (use " + c.name + " without :log)");
          v = std::log(v);
        }
        out[static_cast<size_t>((s * W + t) * K + j)] = v;
      }
  }
}

}  // namespace skucast
