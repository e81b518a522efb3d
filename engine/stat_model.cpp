// engine/stat_model.cpp — placeholder; owned by the statistical-models work (registry + batch runner).
#include "engine/stat_model.h"

#include "kernels/common.hpp"

namespace skucast {

std::unique_ptr<StatModel> make_stat_model(const std::string& name, const std::string&) {
  throw InputError("unknown model '" + name + "'");
}
std::vector<std::string> stat_model_names() { return {}; }

}  // namespace skucast
