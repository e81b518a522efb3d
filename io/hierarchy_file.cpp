// io/hierarchy_file.cpp — /hierarchy group of an aggregated panel (see hierarchy_file.h).
#include "io/hierarchy_file.h"

#include <string>

#include "io/h5.h"
#include "io/panel.h"
#include "kernels/common.hpp"

namespace skucast {

void HierarchyStructure::validate(const std::string& what) const {
  const int64_t A = n_aggregates, B = n_bottom;
  auto bad = [&](const std::string& msg) { return InputError(what + ": /hierarchy " + msg); };
  if (A < 0 || B < 1) throw bad("has " + std::to_string(A) + " aggregates and " + std::to_string(B) + " bottom series");
  if (static_cast<int64_t>(indptr.size()) != A + 1)
    throw bad("s_indptr has " + std::to_string(indptr.size()) + " entries, expected A + 1 = " + std::to_string(A + 1));
  if (static_cast<int64_t>(level.size()) != A + B)
    throw bad("level has " + std::to_string(level.size()) + " entries, expected " + std::to_string(A + B));
  if (indptr[0] != 0 || indptr[static_cast<size_t>(A)] != static_cast<int64_t>(indices.size()))
    throw bad("s_indptr does not span s_indices (" + std::to_string(indices.size()) + " entries)");
  for (int64_t a = 0; a < A; ++a) {
    const int64_t p0 = indptr[static_cast<size_t>(a)], p1 = indptr[static_cast<size_t>(a) + 1];
    if (p1 <= p0) throw bad("aggregate row " + std::to_string(a) + " sums no bottom series");
    for (int64_t p = p0; p < p1; ++p) {
      const int32_t j = indices[static_cast<size_t>(p)];
      if (j < 0 || j >= B || (p > p0 && j <= indices[static_cast<size_t>(p) - 1]))
        throw bad("aggregate row " + std::to_string(a) + " has bottom index " + std::to_string(j) +
                  " (indices must be ascending in [0, " + std::to_string(B) + "))");
    }
  }
  for (size_t i = 0; i < level.size(); ++i)
    if (level[i] < 0 || level[i] >= static_cast<int32_t>(level_names.size()))
      throw bad("series " + std::to_string(i) + " has level " + std::to_string(level[i]) + ", outside [0, " +
                std::to_string(level_names.size()) + ")");
}

void write_hierarchy(PanelWriter& w, const HierarchyStructure& h, const std::string& path) {
  h.validate("write_hierarchy");
  const std::string& file = path;
  const hid_t f = static_cast<hid_t>(w.h5_file_id());
  h5::Handle g = h5::create_group(f, "hierarchy", file);
  h5::write_attr(g, "format", std::string("skucast-hierarchy"));
  h5::write_attr(g, "version", static_cast<int64_t>(kHierarchyVersion));
  h5::write_attr(g, "n_aggregates", h.n_aggregates);
  h5::write_attr(g, "n_bottom", h.n_bottom);
  h5::write_strings(g, "level_names", h.level_names, file);
  h5::write_vector(g, "level", h.level, file);
  h5::write_vector(g, "s_indptr", h.indptr, file);
  h5::write_vector(g, "s_indices", h.indices, file);
}

bool has_hierarchy(const std::string& path) {
  h5::Handle f = h5::open_file_ro(path);
  return h5::exists(f, "hierarchy");
}

HierarchyStructure read_hierarchy(const std::string& path) {
  h5::Handle f = h5::open_file_ro(path);
  if (!h5::exists(f, "hierarchy"))
    throw InputError(path + ": no /hierarchy group: not an aggregated panel (make one with `skucast aggregate "
                     "--panel p.h5 --levels ... --out agg.h5`)");
  h5::Handle g = h5::open_group(f, "hierarchy", path);
  const int64_t version = h5::read_attr_int(g, "version", path);
  if (version != kHierarchyVersion)
    throw InputError(path + ": /hierarchy version " + std::to_string(version) + ", this skucast reads version " +
                     std::to_string(kHierarchyVersion) + "; regenerate it with `skucast aggregate`");
  HierarchyStructure h;
  h.n_aggregates = h5::read_attr_int(g, "n_aggregates", path);
  h.n_bottom = h5::read_attr_int(g, "n_bottom", path);
  h.level_names = h5::read_strings(g, "level_names", path);
  h.level = h5::read_vector<int32_t>(g, "level", path);
  h.indptr = h5::read_vector<int64_t>(g, "s_indptr", path);
  h.indices = h5::read_vector<int32_t>(g, "s_indices", path);
  h.validate(path);
  return h;
}

}  // namespace skucast
