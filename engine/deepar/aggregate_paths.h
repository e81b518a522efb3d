// engine/deepar/aggregate_paths.h — coherent probabilistic forecasts of a hierarchy from the
// global model's sample paths (`skucast forecast --model lstm|gru --levels ...`): every
// aggregate's paths are the sums of its bottom series' paths, accumulated while the CPU
// forecaster (engine/deepar/paths.cpp) samples each block of series.
//
// Note [Summed sample paths]
//   Path p of an aggregate at step h is the sum over its bottom series of their path p at step
//   h, so every path of every level adds up (coherent by construction, to float rounding), and
//   the aggregate's mean and quantiles are those of its summed paths: the type-7 quantiles of
//   the sums, not sums of quantiles (a total's 10 % quantile is above the sum of its items'
//   10 % quantiles when they do not move together). Paths of different bottom series share the
//   path index p but not the draws (the key holds the series, Note [Identical draws on both
//   devices]), so dependence between series comes only from what the model shares (calendar,
//   covariates, its weights), as DeepAR's own hierarchical use assumes.
//   Memory: the aggregates' paths [A, N, H] floats, held for the whole run (blocks of bottom
//   series stream through), e.g. M5's 12,350 aggregates of 30,490 items × 100 paths × 28 steps
//   × 4 B = 138 MB, beside the forecaster's own block. Accumulation order is fixed (blocks,
//   then series, in panel order; threads split the paths), so results do not depend on the
//   thread count. Floats: a sum of 30,000 series carries a relative rounding error of about
//   1e-7 · sqrt(30,000) ≈ 2e-5 at worst, far below the paths' spread.
//   Each path value is bounded to its series' bound before it is summed (Note [Finite
//   forecasts] in engine/deepar/guard.h), so a diverging path cannot break coherence.
//   The summing runs on the CPU: the GPU sampler (engine/deepar/cuda/sampler.h) reduces its
//   paths to means and quantiles on the device, so a --levels run samples on the CPU.
#pragma once

#include <cstdint>
#include <vector>

namespace skucast::deepar {

// The aggregate rows of a summing matrix, CSR over the bottom series (io/hierarchy_file.h):
// aggregate a sums bottom series indices[indptr[a] .. indptr[a+1]). Host pointers.
struct PathHierarchy {
  int64_t n_aggregates = 0;         // A
  const int64_t* indptr = nullptr;  // [A + 1]
  const int32_t* indices = nullptr;  // [nnz] bottom series (panel rows), each < the panel's series
};

class AggregatePaths {
 public:
  // [in] h: the structure (copied to its transpose, bottom → aggregates); n_bottom: the
  // panel's series; n_paths N, horizon H. Allocates the [A, N, H] sums, zero.
  AggregatePaths(const PathHierarchy& h, int64_t n_bottom, int64_t n_paths, int64_t horizon);

  // Adds the paths [nb, N, H] (host) of panel series i0 .. i0+nb-1 to every aggregate that
  // holds them.
  void add_block(const float* paths, int64_t i0, int64_t nb);

  // [out] mean [A, H] and quantiles [A, H, Q] of each aggregate's summed paths (type 7, as the
  // bottom series' own).
  void summarise(const std::vector<double>& levels, std::vector<float>& mean, std::vector<float>& quantiles) const;

  // Aggregate a's summed paths [N, H].
  const float* paths(int64_t a) const { return m_sums.data() + a * m_n_paths * m_horizon; }

 private:
  int64_t m_n_aggregates, m_n_paths, m_horizon;
  std::vector<int64_t> m_parent_ptr;  // [B + 1] CSR of the transpose: the aggregates of each bottom series
  std::vector<int32_t> m_parents;     // [nnz]
  std::vector<float> m_sums;          // [A, N, H]
};

}  // namespace skucast::deepar
