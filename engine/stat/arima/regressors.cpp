// engine/stat/arima/regressors.cpp — --regressors: parsing, panel checks and block reads
// (Note [Regressor names] in engine/stat/arima/regressors.h).
#include "engine/stat/arima/regressors.h"

#include <cmath>
#include <sstream>
#include <string>
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
