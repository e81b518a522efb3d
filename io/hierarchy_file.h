// io/hierarchy_file.h — the summing structure of an aggregated panel (`skucast aggregate`),
// stored in the panel file itself under /hierarchy.
//
// An aggregated panel holds N = A + B series: the A aggregate series first, then the B bottom
// series (the input panel's own series, in their order). Every aggregate row a is the sum of
// a set of bottom series; the structure keeps only the aggregate rows of the summing matrix
// S = [S_agg; I_B], sparse:
//
//   /hierarchy              attrs format="skucast-hierarchy", version=1, n_aggregates (A),
//                           n_bottom (B)
//   /hierarchy/level_names  string [L]        level names in order ("total", "store", …),
//                                             the bottom level last
//   /hierarchy/level        int32  [N]        level of each series (index into level_names)
//   /hierarchy/s_indptr     int64  [A + 1]    CSR row pointers of S_agg
//   /hierarchy/s_indices    int32  [nnz]      bottom series of each aggregate (0-based among
//                                             the bottom rows, i.e. panel row A + j), ascending
//
// Series order, ids and everything else are the panel's (io/panel.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace skucast {

inline constexpr int kHierarchyVersion = 1;

class PanelWriter;

struct HierarchyStructure {
  int64_t n_aggregates = 0;              // A
  int64_t n_bottom = 0;                  // B
  std::vector<std::string> level_names;  // [L], bottom last
  std::vector<int32_t> level;            // [A + B]
  std::vector<int64_t> indptr;           // [A + 1]
  std::vector<int32_t> indices;          // [nnz], values in [0, B)

  int64_t n_series() const { return n_aggregates + n_bottom; }
  // Throws InputError (prefixed with `what`, e.g. the file name) when sizes or indices are
  // inconsistent, or an aggregate has no bottom series.
  void validate(const std::string& what) const;
};

// Writes /hierarchy into a panel being written (before w.commit()); `path` (the panel's) only
// names the file in errors.
void write_hierarchy(PanelWriter& w, const HierarchyStructure& h, const std::string& path);
// True when the file has a /hierarchy group.
bool has_hierarchy(const std::string& path);
// Reads and validates /hierarchy; InputError naming the file when it is absent ("run skucast
// aggregate") or damaged.
HierarchyStructure read_hierarchy(const std::string& path);

}  // namespace skucast
