// engine/eval/hierarchy.h — aggregation levels from a panel's static attributes, the summing
// structure they define, and the aggregated panel (`skucast aggregate`).
//
// A level is a set of static attributes joined by '*' ("store*brand"); "total" is the level
// with no attribute. Each level partitions the panel's series by the values of its attributes
// and makes one aggregate series per group. The panel's own series are the bottom level.
//
// Note [Aggregate series]
//   Order: the levels in the order given, within a level the groups in ascending order of
//   their attribute codes (the first attribute varies slowest), then the bottom series in
//   panel order. Ids: `total`, `store=CA_1`, `store=CA_1/brand=B2` (attribute=label, in the
//   level's attribute order); bottom series keep their ids.
//   Target: at each step, the sum of the children that are observed at that step; NaN only
//   when no child is observed there (so a store's total counts the items listed at the time,
//   and leading/trailing NaN of the whole group stay NaN).
//   Per-series covariates (/dynamic, [S, T+F]): at each step the average of the children's
//   finite values weighted by each child's unit sales over the history (the sum of its
//   observed target); a group whose children sold nothing, or a step where only children
//   without sales have a value, uses the plain average; NaN when no child has a value.
//   Shared covariates and calendar events are copied. /series/weight: sums of the children.
//   Static attributes: an aggregate keeps a child's code where all its children share it
//   (an item aggregate keeps its dept), otherwise it gets the extra label "all". A static
//   attribute `level` (labels = level names) says each series' level, so exported CSVs have a
//   `level` column.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/hierarchy_file.h"
#include "io/panel.h"

namespace skucast {

struct HierLevel {
  std::string name;                 // "store*brand", "total"
  std::vector<std::string> attrs;   // {"store", "brand"}; empty for total
};

// The twelve levels of the M5 competition mapped onto the attributes `skucast synth` writes
// (state, store, cat, dept, item): total; state; store; cat; dept; state*cat; state*dept;
// store*cat; store*dept; item; item*state; and item*store, which is the bottom level (the
// panel's own series), so it is not listed here.
std::vector<HierLevel> m5_levels();

// Parses "total;store;store*brand" (or "m5"). Every attribute must be a static attribute of
// `hdr` (InputError naming it, `file` and the attributes the panel has); names are trimmed,
// empty entries and repeated levels are errors; "level" is reserved.
std::vector<HierLevel> parse_hier_levels(const std::string& text, const PanelHeader& hdr, const std::string& file);
// The bottom level's name for a --levels value: "item*store" for m5 (M5's name), else "bottom".
std::string bottom_level_name(const std::string& text);

// The summing structure and ids of the aggregate series of `levels` over hdr's series
// (Note [Aggregate series]). Level names: the levels', then `bottom_name`.
struct Aggregation {
  HierarchyStructure structure;
  std::vector<std::string> ids;                // [A + B]
  std::vector<std::vector<int32_t>> key_codes;  // [A][n attrs of its level]
};
Aggregation build_aggregation(const PanelHeader& hdr, const std::vector<HierLevel>& levels,
                              const std::string& bottom_name = "bottom");

struct AggregateStats {
  int64_t n_aggregates = 0, n_bottom = 0, n_levels = 0;
};

// Reads `reader` in blocks of `block` series and writes the aggregated panel to out_path
// (atomically): A aggregate series then the B bottom series, plus /hierarchy
// (io/hierarchy_file.h). Memory: the aggregates' [A, T+F] sums plus one block.
AggregateStats aggregate_panel(const PanelReader& reader, const std::vector<HierLevel>& levels,
                               const std::string& bottom_name, const std::string& out_path, int64_t block = 4096);

// ---------------------------------------------------------------- nesting ----
// For each level l > 0, the group of level l-1 that contains each group of level l, when every
// level refines the one before it (bottom included); otherwise InputError naming the first
// pair of levels that does not nest ("'brand' is not nested in 'store': …"). Used by top-down
// and middle-out reconciliation. parent[l][g] indexes the groups of level l-1 (row offsets
// within that level).
struct LevelTree {
  std::vector<int64_t> level_begin;           // [L + 1] first series row of each level
  std::vector<std::vector<int64_t>> parent;   // [L][n groups of level l]; parent[0] empty
};
LevelTree nested_levels(const HierarchyStructure& h);

}  // namespace skucast
