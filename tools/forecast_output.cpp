// tools/forecast_output.cpp — `skucast forecast`: what the forecast file records of its series
// beside the numbers (io/forecast_file.h): each series' hierarchy level when the panel is an
// aggregated one (`skucast aggregate`).
#include <string>

#include "io/forecast_file.h"
#include "io/hierarchy_file.h"
#include "io/panel.h"
#include "tools/forecast_cli.h"

namespace skucast::cli {

void set_series_levels(const std::string& panel, const PanelHeader& hdr, ForecastFile& fc, int64_t s_begin) {
  const StaticAttr* level = hdr.find_static("level");
  if (level == nullptr || !has_hierarchy(panel)) return;
  fc.series_level.resize(fc.ids.size());
  for (size_t i = 0; i < fc.ids.size(); ++i)
    fc.series_level[i] = level->levels[static_cast<size_t>(level->codes[static_cast<size_t>(s_begin) + i])];
}

}  // namespace skucast::cli
