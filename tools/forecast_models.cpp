// tools/forecast_models.cpp — `skucast forecast`: what --model names: the candidates of
// `auto[:a,b,...]` (Note [Model choice per series], engine/eval/model_choice.h), the members of
// an ensemble a+b+..., and the one global model (lstm/gru) that may be among them.
#include <string>
#include <vector>

#include "kernels/common.hpp"
#include "tools/forecast_cli.h"

namespace skucast::cli {

bool is_global(const std::string& name) { return name == "lstm" || name == "gru"; }

std::vector<std::string> auto_candidates(const std::string& model) {
  if (model != "auto" && model.rfind("auto:", 0) != 0) return {};
  const std::string list = model == "auto" ? kDefaultAutoCandidates : model.substr(5);
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    const std::string c = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (c.empty()) throw InputError("--model " + model + ": an empty candidate (expected e.g. auto:ets,theta,tsb)");
    for (const auto& prev : out)
      if (prev == c) throw InputError("--model " + model + ": candidate '" + c + "' is listed twice");
    out.push_back(c);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> ensemble_members(const std::string& model) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t plus = model.find('+', start);
    out.push_back(model.substr(start, plus == std::string::npos ? std::string::npos : plus - start));
    if (out.back().empty()) throw InputError("ensemble '" + model + "' has an empty member; write members as a+b");
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  if (out.size() < 2)
    throw InputError("--combine weighted needs an ensemble of at least two members (a+b), got '" + model + "'");
  return out;
}

std::string global_member(const std::vector<std::string>& names, const std::string& model) {
  std::string found;
  for (const std::string& n : names) {
    if (!is_global(n)) continue;
    if (!found.empty())
      throw InputError("--model " + model + ": at most one global model (lstm or gru, the one in --checkpoint) may "
                       "take part, got '" + found + "' and '" + n + "'");
    found = n;
  }
  return found;
}

}  // namespace skucast::cli
